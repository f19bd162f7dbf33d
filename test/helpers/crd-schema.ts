/**
 * Validates objects against CRD structural schemas (apiextensions.k8s.io/v1 openAPIV3Schema, as
 * recorded in facts/crds/**), the way the API server would accept them on create:
 *
 * - type (object, array, string, integer, number, boolean), nullable, x-kubernetes-int-or-string;
 * - required, enum, pattern, minimum/maximum (+ exclusive*), multipleOf, minLength/maxLength,
 *   minItems/maxItems, minProperties/maxProperties, x-kubernetes-list-type set/map uniqueness;
 * - properties / additionalProperties / items; anyOf, oneOf, allOf, not (value validation only);
 * - unknown fields are ERRORS naming their path: the API server silently prunes a field that no
 *   `properties` entry, `additionalProperties` schema or x-kubernetes-preserve-unknown-fields
 *   keeps. At the root (and in x-kubernetes-embedded-resource objects) apiVersion, kind and
 *   metadata are always kept; metadata's content (ObjectMeta) is not checked here.
 * - x-kubernetes-validations (CEL): rules in the small subset below (literals, self.field, has(),
 *   size(), !, &&, ||, ?:, comparisons, arithmetic, in) are evaluated; any other rule, and every
 *   transition rule (oldSelf: update only), is NOT evaluated and is returned in `unevaluated`.
 * - `format` is not checked.
 */

export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface CelRuleSpec {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

export interface StructuralSchema {
  readonly type?: SchemaType;
  readonly format?: string;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: { readonly [name: string]: StructuralSchema };
  readonly additionalProperties?: boolean | StructuralSchema;
  readonly items?: StructuralSchema;
  readonly nullable?: boolean;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly anyOf?: readonly StructuralSchema[];
  readonly oneOf?: readonly StructuralSchema[];
  readonly allOf?: readonly StructuralSchema[];
  readonly not?: StructuralSchema;
  readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
  readonly "x-kubernetes-int-or-string"?: boolean;
  readonly "x-kubernetes-embedded-resource"?: boolean;
  readonly "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  readonly "x-kubernetes-list-map-keys"?: readonly string[];
  readonly "x-kubernetes-validations"?: readonly CelRuleSpec[];
}

/** One CRD as recorded in facts/crds/<chart>/<version>/<plural>.<group>.json. */
export interface CrdFact {
  readonly source: string;
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly scope: "Namespaced" | "Cluster";
  readonly versions: readonly {
    readonly name: string;
    readonly served: boolean;
    readonly storage: boolean;
    readonly schema: StructuralSchema;
  }[];
  readonly celRules: readonly {
    readonly version: string;
    readonly path: string;
    readonly rule: string;
    readonly message?: string;
  }[];
}

export interface ValidationResult {
  /** "<path>: <what is wrong>", path like .spec.egress[0].action ("." is the root). */
  readonly errors: string[];
  /** "<path>: <rule>" for every CEL rule met on the way that was not evaluated. */
  readonly unevaluated: string[];
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);
const ROOT_FIELDS = ["apiVersion", "kind", "metadata"];

interface Walk {
  readonly errors: string[];
  readonly unevaluated: string[];
  /** False inside anyOf/oneOf/allOf/not branches: they validate values, they prune nothing. */
  readonly pruning: boolean;
}

function typeError(value: unknown, s: StructuralSchema): string | undefined {
  if (s["x-kubernetes-int-or-string"]) {
    return Number.isInteger(value) || typeof value === "string"
      ? undefined
      : `must be an integer or a string, got ${show(value)}`;
  }
  const ok: Record<SchemaType, (v: unknown) => boolean> = {
    object: isObject,
    array: Array.isArray,
    string: (v) => typeof v === "string",
    integer: (v) => Number.isInteger(v),
    number: (v) => typeof v === "number" && Number.isFinite(v),
    boolean: (v) => typeof v === "boolean",
  };
  if (s.type && !ok[s.type](value)) return `must be of type ${s.type}, got ${show(value)}`;
  return undefined;
}

function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, "u");
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}

function walk(value: unknown, s: StructuralSchema, at: string, w: Walk, root: boolean): void {
  const here = at || ".";
  const err = (msg: string) => w.errors.push(`${here}: ${msg}`);
  if (value === null) {
    if (!s.nullable) err("null is not allowed (not nullable)");
    return;
  }
  const bad = typeError(value, s);
  if (bad) return void err(bad);

  if (s.enum && !s.enum.some((e) => show(e) === show(value))) {
    err(`${show(value)} is not one of ${show(s.enum)}`);
  }
  if (typeof value === "string") {
    const len = [...value].length;
    if (s.minLength !== undefined && len < s.minLength) err(`shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && len > s.maxLength) err(`longer than ${s.maxLength}`);
    if (s.pattern !== undefined) {
      const re = compilePattern(s.pattern);
      if (!re) err(`pattern ${show(s.pattern)} cannot be evaluated here`);
      else if (!re.test(value)) err(`${show(value)} does not match ${show(s.pattern)}`);
    }
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum)) {
      err(`${value} is below the minimum ${s.minimum}${s.exclusiveMinimum ? " (exclusive)" : ""}`);
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum)) {
      err(`${value} is above the maximum ${s.maximum}${s.exclusiveMaximum ? " (exclusive)" : ""}`);
    }
    if (s.multipleOf !== undefined && value % s.multipleOf !== 0) {
      err(`${value} is not a multiple of ${s.multipleOf}`);
    }
  }

  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      err(`fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) err(`more than ${s.maxItems} items`);
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set" || listType === "map") {
      const keys = s["x-kubernetes-list-map-keys"] ?? [];
      const keyOf = (item: unknown) =>
        listType === "set" ? show(item) : show(keys.map((k) => (isObject(item) ? item[k] : item)));
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = keyOf(item);
        if (seen.has(k)) err(`item [${i}] duplicates ${k} (x-kubernetes-list-type ${listType})`);
        seen.add(k);
      });
    }
    if (s.items)
      value.forEach((item, i) => walk(item, s.items as StructuralSchema, `${at}[${i}]`, w, false));
  }

  if (isObject(value)) {
    const n = Object.keys(value).length;
    if (s.minProperties !== undefined && n < s.minProperties)
      err(`fewer than ${s.minProperties} properties`);
    if (s.maxProperties !== undefined && n > s.maxProperties)
      err(`more than ${s.maxProperties} properties`);
    for (const r of s.required ?? []) {
      if (!(r in value)) err(`required field "${r}" is missing`);
    }
    const keepsMeta = root || s["x-kubernetes-embedded-resource"] === true;
    for (const [key, child] of Object.entries(value)) {
      const path = `${at}.${key}`;
      if (keepsMeta && key === "metadata") {
        if (!isObject(child)) w.errors.push(`${path}: must be of type object, got ${show(child)}`);
        continue;
      }
      const prop = s.properties?.[key];
      if (prop) walk(child, prop, path, w, false);
      else if (isObject(s.additionalProperties))
        walk(child, s.additionalProperties, path, w, false);
      else if (
        w.pruning &&
        s.additionalProperties !== true &&
        !s["x-kubernetes-preserve-unknown-fields"] &&
        !(keepsMeta && ROOT_FIELDS.includes(key))
      ) {
        w.errors.push(`${path}: unknown field (the API server prunes it)`);
      }
    }
  }

  const branch = (b: StructuralSchema) => {
    const sub: Walk = { errors: [], unevaluated: w.unevaluated, pruning: false };
    walk(value, b, at, sub, root);
    return sub.errors;
  };
  for (const b of s.allOf ?? []) w.errors.push(...branch(b));
  if (s.anyOf && !s.anyOf.some((b) => branch(b).length === 0)) err("matches none of anyOf");
  if (s.oneOf && s.oneOf.filter((b) => branch(b).length === 0).length !== 1) {
    err("does not match exactly one of oneOf");
  }
  if (s.not && branch(s.not).length === 0) err("matches the schema under not");

  for (const rule of s["x-kubernetes-validations"] ?? []) {
    const outcome = evaluateRule(rule.rule, value);
    if (outcome === "unsupported") w.unevaluated.push(`${here}: ${rule.rule}`);
    else if (outcome !== true) {
      err(
        `${rule.message ?? `failed rule ${rule.rule}`}${outcome === false ? "" : ` (${outcome})`}`,
      );
    }
  }
}

/** Validates `value` against `schema`; `root` keeps apiVersion/kind/metadata as the API server does. */
export function validateSchema(
  value: unknown,
  schema: StructuralSchema,
  opts: { root?: boolean; path?: string } = {},
): ValidationResult {
  const w: Walk = { errors: [], unevaluated: [], pruning: true };
  walk(value, schema, opts.path ?? "", w, opts.root ?? false);
  return { errors: w.errors, unevaluated: w.unevaluated };
}

/** The schema of `apiVersion` (group/version) in a recorded CRD; throws when not served. */
export function schemaOf(crd: CrdFact, apiVersion: string): StructuralSchema {
  const version = apiVersion.split("/").pop();
  const v = crd.versions.find((x) => x.name === version);
  if (!v || !v.served) throw new Error(`${crd.name} (${crd.source}) serves no ${apiVersion}`);
  return v.schema;
}

/** Validates a whole custom resource (apiVersion, kind, metadata, spec...) against its CRD. */
export function validateCustomResource(
  object: Record<string, unknown>,
  crd: CrdFact,
  apiVersion = String(object.apiVersion),
): ValidationResult {
  const result = validateSchema(object, schemaOf(crd, apiVersion), { root: true });
  if (object.kind !== crd.kind)
    result.errors.push(`.kind: ${show(object.kind)} is not ${crd.kind}`);
  const meta = object.metadata;
  if (!isObject(meta) || typeof meta.name !== "string" || meta.name === "") {
    result.errors.push(".metadata.name: required");
  }
  if (crd.scope === "Cluster" && isObject(meta) && meta.namespace !== undefined) {
    result.errors.push(`.metadata.namespace: ${crd.kind} is cluster-scoped`);
  }
  return result;
}

// ---- A CEL subset: enough for field presence / comparison rules. -------------------------------

type Token = { kind: "num" | "str" | "id" | "op"; text: string; value?: number | string };

class Unsupported extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s*(?:(\d+\.\d+|\d+)[uU]?|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([A-Za-z_][A-Za-z0-9_]*)|(\|\||&&|==|!=|<=|>=|[!<>+\-*/%?:().,[\]]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Unsupported(`cannot tokenize at ${i}`);
    i = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: "num", text: m[1], value: Number(m[1]) });
    else if (m[2] !== undefined || m[3] !== undefined) {
      out.push({ kind: "str", text: m[0], value: JSON.parse(`"${m[2] ?? m[3]}"`) as string });
    } else if (m[4] !== undefined) out.push({ kind: "id", text: m[4] });
    else out.push({ kind: "op", text: m[5] });
  }
  return out;
}

type Node =
  | { t: "lit"; v: unknown }
  | { t: "id"; name: string }
  | { t: "sel"; obj: Node; field: string }
  | { t: "idx"; obj: Node; index: Node }
  | { t: "call"; fn: string; target?: Node; args: Node[] }
  | { t: "un"; op: string; arg: Node }
  | { t: "bin"; op: string; l: Node; r: Node }
  | { t: "cond"; c: Node; a: Node; b: Node }
  | { t: "list"; items: Node[] };

function parse(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = (text?: string) =>
    toks[p] && (text === undefined || toks[p].text === text) ? toks[p] : undefined;
  const eat = (text: string) => {
    if (!peek(text)) throw new Unsupported(`expected ${text}`);
    p++;
  };
  const args = (close: string): Node[] => {
    const list: Node[] = [];
    while (!peek(close)) {
      list.push(expr());
      if (!peek(close)) eat(",");
    }
    eat(close);
    return list;
  };
  const primary = (): Node => {
    const t = toks[p++];
    if (!t) throw new Unsupported("unexpected end");
    if (t.kind === "num" || t.kind === "str") return { t: "lit", v: t.value };
    if (t.kind === "id") {
      if (t.text === "true" || t.text === "false") return { t: "lit", v: t.text === "true" };
      if (t.text === "null") return { t: "lit", v: null };
      if (peek("(")) {
        p++;
        return { t: "call", fn: t.text, args: args(")") };
      }
      return { t: "id", name: t.text };
    }
    if (t.text === "(") {
      const e = expr();
      eat(")");
      return e;
    }
    if (t.text === "[") return { t: "list", items: args("]") };
    throw new Unsupported(`unexpected ${t.text}`);
  };
  const member = (): Node => {
    let n = primary();
    for (;;) {
      if (peek(".")) {
        p++;
        const id = toks[p++];
        if (!id || id.kind !== "id") throw new Unsupported("expected a field name");
        if (peek("(")) {
          p++;
          n = { t: "call", fn: id.text, target: n, args: args(")") };
        } else n = { t: "sel", obj: n, field: id.text };
      } else if (peek("[")) {
        p++;
        const index = expr();
        eat("]");
        n = { t: "idx", obj: n, index };
      } else return n;
    }
  };
  const unary = (): Node => {
    if (peek("!") || peek("-")) {
      const op = toks[p++].text;
      return { t: "un", op, arg: unary() };
    }
    return member();
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let l = next();
    while (toks[p] && ops.includes(toks[p].text)) {
      const op = toks[p++].text;
      l = { t: "bin", op, l, r: next() };
    }
    return l;
  };
  const mul = binary(unary, ["*", "/", "%"]);
  const add = binary(mul, ["+", "-"]);
  const rel = binary(add, ["<", "<=", ">", ">=", "==", "!=", "in"]);
  const and = binary(rel, ["&&"]);
  const or = binary(and, ["||"]);
  function expr(): Node {
    const c = or();
    if (!peek("?")) return c;
    p++;
    const a = expr();
    eat(":");
    return { t: "cond", c, a, b: expr() };
  }
  const e = expr();
  if (p !== toks.length) throw new Unsupported(`trailing ${toks[p].text}`);
  return e;
}

class CelError extends Error {}

function evalNode(n: Node, self: unknown): unknown {
  const ev = (x: Node) => evalNode(x, self);
  switch (n.t) {
    case "lit":
      return n.v;
    case "id":
      if (n.name === "self") return self;
      throw new Unsupported(`identifier ${n.name}`);
    case "sel": {
      const o = ev(n.obj);
      if (!isObject(o) || !(n.field in o)) throw new CelError(`no such key: ${n.field}`);
      return o[n.field];
    }
    case "idx": {
      const o = ev(n.obj);
      const i = ev(n.index);
      if (Array.isArray(o) && typeof i === "number" && i in o) return o[i];
      if (isObject(o) && typeof i === "string" && i in o) return o[i];
      throw new CelError(`no such key: ${show(i)}`);
    }
    case "call": {
      if (n.fn === "has" && !n.target && n.args.length === 1 && n.args[0].t === "sel") {
        const o = ev(n.args[0].obj);
        return isObject(o) && n.args[0].field in o;
      }
      const target = n.target ? ev(n.target) : undefined;
      const a = n.args.map(ev);
      const sizeOf = (v: unknown) => {
        if (typeof v === "string") return [...v].length;
        if (Array.isArray(v)) return v.length;
        if (isObject(v)) return Object.keys(v).length;
        throw new CelError("size() of a scalar");
      };
      if (n.fn === "size") return sizeOf(n.target ? target : a[0]);
      if (typeof target === "string" && typeof a[0] === "string") {
        if (n.fn === "startsWith") return target.startsWith(a[0]);
        if (n.fn === "endsWith") return target.endsWith(a[0]);
        if (n.fn === "contains") return target.includes(a[0]);
      }
      throw new Unsupported(`function ${n.fn}`);
    }
    case "un": {
      const v = ev(n.arg);
      if (n.op === "!" && typeof v === "boolean") return !v;
      if (n.op === "-" && typeof v === "number") return -v;
      throw new CelError(`bad operand for ${n.op}`);
    }
    case "cond": {
      const c = ev(n.c);
      if (typeof c !== "boolean") throw new CelError("condition is not a bool");
      return c ? ev(n.a) : ev(n.b);
    }
    case "list":
      return n.items.map(ev);
    case "bin": {
      if (n.op === "&&" || n.op === "||") {
        const l = ev(n.l);
        if (typeof l !== "boolean") throw new CelError(`bad operand for ${n.op}`);
        if (n.op === "&&" ? !l : l) return l;
        const r = ev(n.r);
        if (typeof r !== "boolean") throw new CelError(`bad operand for ${n.op}`);
        return r;
      }
      const l = ev(n.l);
      const r = ev(n.r);
      if (n.op === "==") return show(l) === show(r);
      if (n.op === "!=") return show(l) !== show(r);
      if (n.op === "in") {
        if (Array.isArray(r)) return r.some((x) => show(x) === show(l));
        if (isObject(r) && typeof l === "string") return l in r;
        throw new CelError("bad operand for in");
      }
      const bothNum = typeof l === "number" && typeof r === "number";
      const bothStr = typeof l === "string" && typeof r === "string";
      if (n.op === "+" && bothStr) return l + r;
      if (!bothNum && !(bothStr && ["<", "<=", ">", ">="].includes(n.op))) {
        throw new CelError(`bad operands for ${n.op}`);
      }
      const [x, y] = [l as number, r as number];
      switch (n.op) {
        case "<":
          return x < y;
        case "<=":
          return x <= y;
        case ">":
          return x > y;
        case ">=":
          return x >= y;
        case "+":
          return x + y;
        case "-":
          return x - y;
        case "*":
          return x * y;
        case "/":
          if (y === 0) throw new CelError("division by zero");
          return Number.isInteger(x) && Number.isInteger(y) ? Math.trunc(x / y) : x / y;
        case "%":
          if (y === 0) throw new CelError("modulus by zero");
          return x % y;
      }
      throw new Unsupported(`operator ${n.op}`);
    }
  }
}

/**
 * Evaluates a CEL rule against `self`: true / false, an error message (the rule errored, which the
 * API server also rejects), or "unsupported" (outside the subset, or a transition rule).
 */
export function evaluateRule(rule: string, self: unknown): boolean | string | "unsupported" {
  if (/\boldSelf\b/.test(rule)) return "unsupported";
  try {
    const v = evalNode(parse(rule), self);
    return typeof v === "boolean" ? v : `rule returned ${show(v)}, not a bool`;
  } catch (e) {
    if (e instanceof Unsupported) return "unsupported";
    if (e instanceof CelError) return `rule errored: ${e.message}`;
    throw e;
  }
}

/** True when `rule` is inside the evaluated CEL subset (parses and names no unsupported function). */
export function isEvaluableRule(rule: string): boolean {
  if (/\boldSelf\b/.test(rule)) return false;
  try {
    const check = (n: Node): boolean => {
      switch (n.t) {
        case "lit":
          return true;
        case "id":
          return n.name === "self";
        case "sel":
          return check(n.obj);
        case "idx":
          return check(n.obj) && check(n.index);
        case "call":
          return (
            ["has", "size", "startsWith", "endsWith", "contains"].includes(n.fn) &&
            (!n.target || check(n.target)) &&
            n.args.every(check)
          );
        case "un":
          return check(n.arg);
        case "bin":
          return check(n.l) && check(n.r);
        case "cond":
          return check(n.c) && check(n.a) && check(n.b);
        case "list":
          return n.items.every(check);
      }
    };
    return check(parse(rule));
  } catch (e) {
    if (e instanceof Unsupported) return false;
    throw e;
  }
}
