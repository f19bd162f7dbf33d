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
 * - x-kubernetes-validations (CEL): rules in the subset below are evaluated: literals and lists,
 *   self.field, x[i], m[key], has(), size() (also as a method), int(), string(), !, &&, || (both
 *   commutative over errors, as in CEL), ?:, comparisons, arithmetic, `in` (list item or map key),
 *   the macros all / exists / exists_one / filter / map (over a list's items or a map's keys),
 *   startsWith / endsWith / contains / matches (RE2 search) / find (Kubernetes' regex library:
 *   the first match or "") / split (cel-go strings). Any other rule, a regex JavaScript does not
 *   read as RE2 does, and every transition rule (oldSelf: update only) is NOT evaluated and is
 *   returned in `unevaluated` with the reason (see whyNotEvaluable).
 * - `default`: a missing property with a default is filled in before anything else is checked (the
 *   API server defaults on create, so required and CEL rules see the default);
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
  readonly default?: unknown;
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

export interface UnevaluatedRule {
  /** Where the value is, like .spec.template.spec.nodeClassRef ("." is the root). */
  readonly path: string;
  /** The rule's place in the schema, as recorded in celRules (.spec.requirements[*].key, .spec.tags.*). */
  readonly schemaPath: string;
  readonly rule: string;
  /** Why it is outside the evaluated subset. */
  readonly why: string;
}

/** A CEL rule that was evaluated on a value (whatever the outcome). */
export interface EvaluatedRule {
  readonly path: string;
  readonly schemaPath: string;
  readonly rule: string;
}

export interface ValidationResult {
  /** "<path>: <what is wrong>", path like .spec.egress[0].action ("." is the root). */
  readonly errors: string[];
  /** Every CEL rule evaluated on the way (passed or failed). */
  readonly evaluated: EvaluatedRule[];
  /** Every CEL rule met on the way that was not evaluated. */
  readonly unevaluated: UnevaluatedRule[];
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);
const ROOT_FIELDS = ["apiVersion", "kind", "metadata"];

interface Walk {
  readonly errors: string[];
  readonly evaluated: EvaluatedRule[];
  readonly unevaluated: UnevaluatedRule[];
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

/** `value` with each missing property that has a `default` set to it (a copy; nested defaults follow in the walk). */
function withDefaults(value: unknown, s: StructuralSchema): unknown {
  if (!isObject(value) || !s.properties) return value;
  const missing = Object.entries(s.properties).filter(
    ([key, prop]) => prop.default !== undefined && !(key in value),
  );
  if (missing.length === 0) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, prop] of missing) out[key] = structuredClone(prop.default);
  return out;
}

/** `at`: the value's path; `sp`: the schema's path (as the extraction records celRules paths). */
function walk(
  given: unknown,
  s: StructuralSchema,
  at: string,
  sp: string,
  w: Walk,
  root: boolean,
): void {
  const here = at || ".";
  const err = (msg: string) => w.errors.push(`${here}: ${msg}`);
  if (given === null) {
    if (!s.nullable) err("null is not allowed (not nullable)");
    return;
  }
  const bad = typeError(given, s);
  if (bad) return void err(bad);
  const value = withDefaults(given, s);

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
      const keyOf = (given: unknown) => {
        const item = s.items ? withDefaults(given, s.items) : given;
        return listType === "set"
          ? show(item)
          : show(keys.map((k) => (isObject(item) ? item[k] : item)));
      };
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = keyOf(item);
        if (seen.has(k)) err(`item [${i}] duplicates ${k} (x-kubernetes-list-type ${listType})`);
        seen.add(k);
      });
    }
    if (s.items)
      value.forEach((item, i) =>
        walk(item, s.items as StructuralSchema, `${at}[${i}]`, `${sp}[*]`, w, false),
      );
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
      if (prop) walk(child, prop, path, `${sp}.${key}`, w, false);
      else if (isObject(s.additionalProperties))
        walk(child, s.additionalProperties, path, `${sp}.*`, w, false);
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

  const branch = (b: StructuralSchema, bp: string) => {
    const sub: Walk = {
      errors: [],
      evaluated: w.evaluated,
      unevaluated: w.unevaluated,
      pruning: false,
    };
    walk(value, b, at, bp, sub, root);
    return sub.errors;
  };
  (s.allOf ?? []).forEach((b, i) => w.errors.push(...branch(b, `${sp}.allOf[${i}]`)));
  if (s.anyOf && !s.anyOf.some((b, i) => branch(b, `${sp}.anyOf[${i}]`).length === 0)) {
    err("matches none of anyOf");
  }
  if (
    s.oneOf &&
    s.oneOf.filter((b, i) => branch(b, `${sp}.oneOf[${i}]`).length === 0).length !== 1
  ) {
    err("does not match exactly one of oneOf");
  }
  if (s.not && branch(s.not, `${sp}.not`).length === 0) err("matches the schema under not");

  for (const rule of s["x-kubernetes-validations"] ?? []) {
    const outcome = evaluateRule(rule.rule, value);
    if (outcome === "unsupported") {
      const why = outsideSubset(rule.rule) ?? "met a construct outside the subset at run time";
      w.unevaluated.push({ path: here, schemaPath: sp || ".", rule: rule.rule, why });
      continue;
    }
    w.evaluated.push({ path: here, schemaPath: sp || ".", rule: rule.rule });
    if (outcome !== true) {
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
  opts: { root?: boolean; path?: string; schemaPath?: string } = {},
): ValidationResult {
  const w: Walk = { errors: [], evaluated: [], unevaluated: [], pruning: true };
  walk(value, schema, opts.path ?? "", opts.schemaPath ?? "", w, opts.root ?? false);
  return { errors: w.errors, evaluated: w.evaluated, unevaluated: w.unevaluated };
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

// ---- A CEL subset: presence, comparison, strings, regexes and the list/map macros. ---------------

type Token = { kind: "num" | "str" | "id" | "op"; text: string; value?: number | string };

class Unsupported extends Error {}

/** CEL string escapes (\n, \t, \\, \', \", \xHH, \uHHHH...); raw strings are not in the subset. */
function unescape(body: string): string {
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      "\\": "\\",
      "'": "'",
      '"': '"',
    };
    if (e in simple) return simple[e];
    throw new Unsupported(`string escape \\${e}`);
  });
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s*(?:(\d+\.\d+|\d+)[uU]?|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([A-Za-z_][A-Za-z0-9_]*)|(\|\||&&|==|!=|<=|>=|[!<>+\-*/%?:().,[\]{}]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Unsupported(`cannot tokenize at ${i}`);
    i = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: "num", text: m[1], value: Number(m[1]) });
    else if (m[2] !== undefined || m[3] !== undefined) {
      out.push({ kind: "str", text: m[0], value: unescape(m[2] ?? m[3]) });
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
    // The empty map literal (Istio's `... : {}`); a map with entries is outside the subset.
    if (t.text === "{") {
      if (!peek("}")) throw new Unsupported("map literal with entries");
      p++;
      return { t: "lit", v: {} };
    }
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

/** Macros: target.<macro>(var, body); over a list its items, over a map its keys (as CEL). */
const MACROS = ["all", "exists", "exists_one", "filter", "map"];
/** Global functions and methods of the subset (besides the macros and has()). */
const FUNCTIONS = ["size", "int", "string"];
const METHODS = ["size", "startsWith", "endsWith", "contains", "matches", "find", "split"];

type Env = ReadonlyMap<string, unknown>;

/** RE2 as far as JavaScript's RegExp agrees; an RE2-only construct is outside the subset. */
function regex(pattern: unknown): RegExp {
  if (typeof pattern !== "string") throw new CelError("regex is not a string");
  if (/\(\?[a-zA-Z]|\\[pPzAQE]|\[\[:/.test(pattern)) throw new Unsupported(`RE2 syntax ${pattern}`);
  try {
    return new RegExp(pattern, "u");
  } catch {
    throw new Unsupported(`regex ${pattern}`);
  }
}

/** Value or CEL error (CEL's && / || / all / exists absorb an error when the other side decides). */
function attempt(f: () => unknown): { v: unknown } | { e: CelError } {
  try {
    return { v: f() };
  } catch (e) {
    if (e instanceof CelError) return { e };
    throw e;
  }
}

function evalNode(n: Node, env: Env): unknown {
  const ev = (x: Node) => evalNode(x, env);
  switch (n.t) {
    case "lit":
      return n.v;
    case "id":
      if (env.has(n.name)) return env.get(n.name);
      throw new Unsupported(`identifier ${n.name}`);
    case "sel": {
      const o = ev(n.obj);
      if (!isObject(o)) throw new CelError(`field selection .${n.field} on a non-map`);
      if (!(n.field in o)) throw new CelError(`no such key: ${n.field}`);
      return o[n.field];
    }
    case "idx": {
      const o = ev(n.obj);
      const i = ev(n.index);
      if (Array.isArray(o) && Number.isInteger(i)) {
        if ((i as number) >= 0 && (i as number) < o.length) return o[i as number];
        throw new CelError(`index out of range: ${show(i)}`);
      }
      if (isObject(o) && typeof i === "string" && i in o) return o[i];
      throw new CelError(`no such key: ${show(i)}`);
    }
    case "call":
      return evalCall(n, env);
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
        // CEL's logical operators are commutative: a deciding side wins over an error on the other.
        const decides = n.op === "||";
        const sides = [attempt(() => ev(n.l)), attempt(() => ev(n.r))];
        for (const s of sides) {
          if ("v" in s && typeof s.v !== "boolean") throw new CelError(`bad operand for ${n.op}`);
          if ("v" in s && s.v === decides) return decides;
        }
        for (const s of sides) if ("e" in s) throw s.e;
        return !decides;
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
      if (n.op === "+" && Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
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

function sizeOf(v: unknown): number {
  if (typeof v === "string") return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw new CelError("size() of a scalar");
}

function evalCall(n: Extract<Node, { t: "call" }>, env: Env): unknown {
  const ev = (x: Node) => evalNode(x, env);
  if (n.fn === "has" && !n.target && n.args.length === 1 && n.args[0].t === "sel") {
    const o = ev(n.args[0].obj);
    if (!isObject(o)) throw new CelError(`has() of a field of a non-map`);
    return n.args[0].field in o;
  }
  if (n.target && MACROS.includes(n.fn)) {
    const [v, body] = n.args;
    if (n.args.length !== 2 || v.t !== "id") throw new Unsupported(`${n.fn} form`);
    const range = ev(n.target);
    let elems: unknown[];
    if (Array.isArray(range)) elems = range;
    else if (isObject(range)) elems = Object.keys(range);
    else throw new CelError(`${n.fn}() over a scalar`);
    const each = (x: unknown) => attempt(() => evalNode(body, new Map([...env, [v.name, x]])));
    const bool = (r: { v: unknown }) => {
      if (typeof r.v !== "boolean") throw new CelError(`${n.fn}() predicate is not a bool`);
      return r.v;
    };
    const strict = (r: { v: unknown } | { e: CelError }) => {
      if ("e" in r) throw r.e;
      return r;
    };
    if (n.fn === "map") return elems.map((x) => strict(each(x)).v);
    if (n.fn === "filter") return elems.filter((x) => bool(strict(each(x))));
    if (n.fn === "exists_one") return elems.filter((x) => bool(strict(each(x)))).length === 1;
    // all: false if any is false, else the first error, else true; exists: the dual.
    const decides = n.fn === "exists";
    const results = elems.map(each);
    for (const r of results) if ("v" in r && bool(r) === decides) return decides;
    for (const r of results) if ("e" in r) throw r.e;
    return !decides;
  }
  const target = n.target ? ev(n.target) : undefined;
  const a = n.args.map(ev);
  if (!n.target) {
    if (n.fn === "size" && a.length === 1) return sizeOf(a[0]);
    if (n.fn === "int" && a.length === 1) {
      const x = a[0];
      if (typeof x === "number") {
        if (!Number.isFinite(x)) throw new CelError("int() of a non-finite number");
        return Math.trunc(x);
      }
      if (typeof x === "string" && /^[+-]?\d+$/.test(x)) return Number(x);
      throw new CelError(`int() cannot convert ${show(x)}`);
    }
    if (n.fn === "string" && a.length === 1) {
      const x = a[0];
      if (typeof x === "string" || typeof x === "number" || typeof x === "boolean")
        return String(x);
      throw new CelError(`string() cannot convert ${show(x)}`);
    }
    throw new Unsupported(`function ${n.fn}`);
  }
  if (n.fn === "size" && a.length === 0) return sizeOf(target);
  if (typeof target === "string") {
    const s0 = a[0];
    const str = (x: unknown) => {
      if (typeof x !== "string") throw new CelError(`${n.fn}() argument is not a string`);
      return x;
    };
    switch (n.fn) {
      case "startsWith":
        return target.startsWith(str(s0));
      case "endsWith":
        return target.endsWith(str(s0));
      case "contains":
        return target.includes(str(s0));
      // CEL matches(): RE2 search anywhere in the string (anchors only when the pattern has them).
      case "matches":
        return regex(s0).test(target);
      // Kubernetes' regex library: the first match, or "" when none.
      case "find":
        return regex(s0).exec(target)?.[0] ?? "";
      // cel-go's strings extension: split(sep) and split(sep, n) (n < 0: all; 0: none).
      case "split": {
        const sep = str(s0);
        const limit = a.length > 1 ? a[1] : -1;
        if (typeof limit !== "number") throw new CelError("split() limit is not an int");
        if (limit === 0) return [];
        const parts = target.split(sep);
        if (limit < 0 || parts.length <= limit) return parts;
        return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
      }
    }
  }
  if (METHODS.includes(n.fn)) throw new CelError(`${n.fn}() on ${show(target)}`);
  throw new Unsupported(`method ${n.fn}`);
}

/** Why a rule is outside the subset, or undefined when it is inside. */
function outsideSubset(rule: string, roots: readonly string[] = ["self"]): string | undefined {
  if (/\boldSelf\b/.test(rule)) return "transition rule (oldSelf)";
  let tree: Node;
  try {
    tree = parse(rule);
  } catch (e) {
    if (e instanceof Unsupported) return `does not parse in the subset: ${e.message}`;
    throw e;
  }
  const why = (n: Node, bound: ReadonlySet<string>): string | undefined => {
    const all = (...xs: Node[]) => xs.map((x) => why(x, bound)).find((w) => w !== undefined);
    switch (n.t) {
      case "lit":
        return undefined;
      case "id":
        return bound.has(n.name) ? undefined : `identifier ${n.name}`;
      case "sel":
        return why(n.obj, bound);
      case "idx":
        return all(n.obj, n.index);
      case "call": {
        if (n.fn === "has" && !n.target) {
          return n.args.length === 1 && n.args[0].t === "sel" ? all(n.args[0].obj) : "has() form";
        }
        if (n.target && MACROS.includes(n.fn)) {
          const [v, body] = n.args;
          if (n.args.length !== 2 || v.t !== "id") return `${n.fn}() form`;
          return all(n.target) ?? why(body, new Set([...bound, v.name]));
        }
        if (n.target ? !METHODS.includes(n.fn) : !FUNCTIONS.includes(n.fn)) {
          return `function ${n.fn}`;
        }
        for (const arg of n.args) {
          // A literal regex must be one JavaScript reads as RE2 does.
          if (["matches", "find"].includes(n.fn) && arg.t === "lit") {
            try {
              regex(arg.v);
            } catch (e) {
              if (e instanceof Unsupported) return e.message;
            }
          }
        }
        return all(...(n.target ? [n.target] : []), ...n.args);
      }
      case "un":
        return why(n.arg, bound);
      case "bin":
        return all(n.l, n.r);
      case "cond":
        return all(n.c, n.a, n.b);
      case "list":
        return all(...n.items);
    }
  };
  return why(tree, new Set(roots));
}

/**
 * Evaluates a CEL rule against `self`: true / false, an error message (the rule errored, which the
 * API server also rejects), or "unsupported" (outside the subset, or a transition rule).
 */
export function evaluateRule(rule: string, self: unknown): boolean | string | "unsupported" {
  if (outsideSubset(rule) !== undefined) return "unsupported";
  try {
    const v = evalNode(parse(rule), new Map([["self", self]]));
    return typeof v === "boolean" ? v : `rule returned ${show(v)}, not a bool`;
  } catch (e) {
    if (e instanceof Unsupported) return "unsupported";
    if (e instanceof CelError) return `rule errored: ${e.message}`;
    throw e;
  }
}

/**
 * Evaluates a CEL expression with the named roots bound (a Kyverno ValidatingPolicy's `object`,
 * `variables`, ...): its value, or throws naming why it could not (outside the subset, or errored).
 */
export function evaluateExpression(
  expression: string,
  roots: Readonly<Record<string, unknown>>,
): unknown {
  const why = outsideSubset(expression, Object.keys(roots));
  if (why !== undefined) throw new Error(`not evaluated (${why}): ${expression}`);
  try {
    return evalNode(parse(expression), new Map(Object.entries(roots)));
  } catch (e) {
    if (e instanceof CelError) throw new Error(`errored: ${e.message}: ${expression}`);
    throw e;
  }
}

/** True when `rule` is inside the evaluated CEL subset (parses, only known functions, no oldSelf). */
export function isEvaluableRule(rule: string): boolean {
  return outsideSubset(rule) === undefined;
}

/** Why `rule` is not evaluated here (undefined when it is). */
export function whyNotEvaluable(rule: string): string | undefined {
  return outsideSubset(rule);
}
