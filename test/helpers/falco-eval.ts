/**
 * Falco's rules language, the part falcosecurity/rules falco-rules-5.1.0 uses, held offline: parse a
 * condition, load rules files in order (defaults first) and evaluate a rule against an event. No
 * Falco binary runs here; the upstream defaults come from facts/falco/default-rules-5.1.0.json.
 *
 * Semantics, from falcosecurity/falco@0.44.1 userspace/engine (rule_loader_reader.cpp,
 * rule_loader_collector.cpp, rule_loader_compiler.cpp) and libsinsp's filter grammar:
 * - Grammar: `or` < `and` < `not` < check | macro | `( expr )`. A check is a field (dotted name,
 *   optional `[arg]`) and an operator: `=` `==` `!=` `<` `<=` `>` `>=` `contains` `icontains`
 *   `startswith` `endswith` `glob` `iglob` then one value (quoted "..."/'...' or a bare word);
 *   `in` `intersects` `pmatch` then `( v, ... )` (may be empty); `exists` alone. A bare
 *   identifier is a macro. Not supported (a parse error): `bcontains`, `bstartswith`, `regex`,
 *   operator modifiers (`startswith oneof`), transformers (`tolower(...)`) and `val(...)`.
 * - Lists: a bare word inside `( ... )` that names a `- list:` expands to its items, recursively
 *   (Falco substitutes earlier lists only; here every list is visible). Any other bare word is the
 *   literal string. A quoted item ('"a b"') is its unquoted string; an item with blanks is literal.
 * - Redefinition: a later `- list:`/`- macro:`/`- rule:` with a name replaces the earlier one (a
 *   second full rule definition is also reported by problems(): in tap it is a mistake).
 *   `append: true` and `override: { items|condition: append }` append (list items; macro
 *   condition joined with a blank); `override: { items|condition: replace }` replaces. Rules:
 *   `append: true` (condition, exceptions), `override` append (condition, output, desc, tags,
 *   exceptions) and replace (condition, output, desc, priority, enabled, tags, exceptions), and the
 *   enabled-only item. Exceptions are folded in as Falco does: `(cond) and not ((...) or (...))`.
 *   Macros and lists resolve after all files are loaded (Falco: at load time, in order).
 * - Events: a field is looked up by its text, argument included (`proc.aname[2]`). An absent field
 *   makes every comparison false (`!=` too) and `exists` false. An array is a multi-valued field
 *   (`proc.aname` = every ancestor): an operator holds if it holds for some value; `!=` holds if it
 *   holds for every value. Numbers compare numerically when both sides are numeric.
 * - Addresses: `fd.ip` = `fd.cip` or `fd.sip`; `fd.net` = the network of `fd.cip` or `fd.sip`;
 *   `fd.cnet` of `fd.cip`, `fd.snet` of `fd.sip`, `fd.lnet` of `fd.lip`, `fd.rnet` of `fd.rip`
 *   (unless the event sets the field itself). Like libsinsp, `=`/`in` hold if one address does,
 *   `!=` if both do; a `*net` field compares by CIDR containment (IPv4 and IPv6) and takes only
 *   `=`, `!=`, `in`, `intersects`, `exists`.
 */
import * as fs from "fs";
import * as path from "path";

export type FalcoEvent = Readonly<Record<string, string | number | boolean | readonly string[]>>;
export type Operator =
  | "="
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "contains"
  | "icontains"
  | "startswith"
  | "endswith"
  | "glob"
  | "iglob"
  | "pmatch"
  | "in"
  | "intersects"
  | "exists";
export interface Value {
  readonly text: string;
  readonly quoted: boolean;
}
export type Expr =
  | { readonly kind: "and" | "or"; readonly children: readonly Expr[] }
  | { readonly kind: "not"; readonly child: Expr }
  | { readonly kind: "macro"; readonly name: string; readonly pos: number }
  | {
      readonly kind: "check";
      readonly field: string;
      readonly arg?: string;
      readonly op: Operator;
      readonly value?: Value;
      readonly list?: readonly Value[];
      readonly pos: number;
    };

const WORD_OPS = new Set<string>([
  "contains",
  "icontains",
  "startswith",
  "endswith",
  "glob",
  "iglob",
  "pmatch",
  "in",
  "intersects",
  "exists",
]);
const LIST_OPS = new Set<string>(["in", "intersects", "pmatch"]);
const SYMBOL_OPS = ["==", "!=", "<=", ">=", "=", "<", ">"] as const;
const FIELD = /[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+/y;
const IDENT = /[a-zA-Z][a-zA-Z0-9_]*/y;
const WORD = /[a-zA-Z]+/y;
/** libsinsp's RGX_BARESTR (`\b` in a class is a backspace). */
const BARESTR = /[^ \b\t\n\r(),="'!><]+/y;
const FIELD_ARG = /[^ \b\t\n\r[\]"']+/y;
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Expr {
    const e = this.or();
    this.ws();
    if (this.pos < this.text.length) this.fail("unexpected input");
    return e;
  }

  /** A quoted string that must be the whole text (a list item such as '"sh -c id"'). */
  wholeString(): string {
    const s = this.quoted();
    if (this.pos < this.text.length) this.fail("unexpected input after the string");
    return s;
  }

  private fail(message: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    const near = this.text.slice(this.pos, this.pos + 20);
    throw new Error(
      `${message} at position ${this.pos} (line ${line}, column ${column}) near ${JSON.stringify(near)}`,
    );
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  private keyword(word: string): boolean {
    this.ws();
    const next = this.text[this.pos + word.length] ?? "";
    if (!this.text.startsWith(word, this.pos) || /[a-zA-Z0-9_.]/.test(next)) return false;
    this.pos += word.length;
    return true;
  }

  private or(): Expr {
    const children = [this.and()];
    while (this.keyword("or")) children.push(this.and());
    return children.length === 1 ? children[0] : { kind: "or", children };
  }

  private and(): Expr {
    const children = [this.not()];
    while (this.keyword("and")) children.push(this.not());
    return children.length === 1 ? children[0] : { kind: "and", children };
  }

  private not(): Expr {
    return this.keyword("not") ? { kind: "not", child: this.not() } : this.check();
  }

  private check(): Expr {
    this.ws();
    const pos = this.pos;
    if (this.text[pos] === "(") {
      this.pos++;
      const e = this.or();
      this.expect(")");
      return e;
    }
    const field = this.match(FIELD);
    if (field !== undefined) {
      let arg: string | undefined;
      if (this.text[this.pos] === "[") {
        this.pos++;
        arg = /["']/.test(this.text[this.pos] ?? "") ? this.quoted() : this.match(FIELD_ARG);
        if (arg === undefined) this.fail("expected a field argument");
        this.expect("]");
      }
      const op = this.operator();
      const base = {
        kind: "check" as const,
        field,
        ...(arg === undefined ? {} : { arg }),
        op,
        pos,
      };
      if (op === "exists") return base;
      if (LIST_OPS.has(op)) return { ...base, list: this.list() };
      return { ...base, value: this.value() };
    }
    const name = this.match(IDENT);
    if (name === undefined || ["and", "or", "not"].includes(name)) {
      this.pos = pos;
      this.fail("expected a field, a macro or '('");
    }
    return { kind: "macro", name, pos };
  }

  private expect(c: string): void {
    this.ws();
    if (this.text[this.pos] !== c) this.fail(`expected '${c}'`);
    this.pos++;
  }

  private operator(): Operator {
    this.ws();
    const symbol = SYMBOL_OPS.find((s) => this.text.startsWith(s, this.pos));
    if (symbol) {
      this.pos += symbol.length;
      return symbol;
    }
    const at = this.pos;
    const word = this.match(WORD);
    if (word !== undefined && WORD_OPS.has(word)) return word as Operator;
    this.pos = at;
    this.fail(word === undefined ? "expected an operator" : `unsupported operator '${word}'`);
  }

  private list(): Value[] {
    this.expect("(");
    const out: Value[] = [];
    this.ws();
    if (this.text[this.pos] === ")") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.text[this.pos] === ",") this.pos++;
      else break;
    }
    this.expect(")");
    return out;
  }

  private value(): Value {
    this.ws();
    if (/["']/.test(this.text[this.pos] ?? "")) return { text: this.quoted(), quoted: true };
    const text = this.match(BARESTR);
    if (text === undefined) this.fail("expected a value");
    return { text, quoted: false };
  }

  private quoted(): string {
    const q = this.text[this.pos];
    const start = this.pos++;
    let out = "";
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === q) return out;
      if (c === "\\" && this.pos < this.text.length) {
        const e = this.text[this.pos++];
        out += ESCAPES[e] ?? e;
      } else out += c;
    }
    this.pos = start;
    this.fail("unterminated string");
  }
}

/** Parses a condition; throws an Error naming the position of a syntax error. */
export function parseCondition(text: string): Expr {
  return new Parser(text).parse();
}

/**
 * What a condition names: `fields` (without `[arg]`), `identifiers` (bare names: must be macros)
 * and `lists` (bare words inside `( ... )`: list names if such lists exist, literals otherwise).
 */
export function references(expr: Expr): {
  fields: string[];
  identifiers: string[];
  lists: string[];
} {
  const fields = new Set<string>();
  const identifiers = new Set<string>();
  const lists = new Set<string>();
  const walk = (e: Expr): void => {
    if (e.kind === "and" || e.kind === "or") e.children.forEach(walk);
    else if (e.kind === "not") walk(e.child);
    else if (e.kind === "macro") identifiers.add(e.name);
    else if (e.kind === "check") {
      fields.add(e.field);
      for (const v of e.list ?? []) if (!v.quoted) lists.add(v.text);
    }
  };
  walk(expr);
  const sorted = (s: Set<string>) => [...s].sort();
  return { fields: sorted(fields), identifiers: sorted(identifiers), lists: sorted(lists) };
}

/** The fields an output format prints (`%proc.aname[2]` -> `proc.aname`). */
export function outputFields(output: string): string[] {
  const re = /%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+)/g;
  return [...new Set([...output.matchAll(re)].map((m) => m[1]))].sort();
}

/** A list item as the value Falco's textual substitution makes of it (quote_item + the lexer). */
export function listItemValue(item: string): Value {
  if (/^["']/.test(item)) return { text: new Parser(item).wholeString(), quoted: true };
  if (/\s/.test(item)) return { text: item, quoted: true };
  BARESTR.lastIndex = 0;
  const m = BARESTR.exec(item);
  if (!m || m[0] !== item) throw new Error(`list item ${JSON.stringify(item)} is no Falco value`);
  return { text: item, quoted: false };
}

// ---- comparisons --------------------------------------------------------------------------

type Scalar = string | number | boolean;
/** Fields standing for one or two address fields of the event (see the header). */
const ADDRESS_SOURCES: Readonly<Record<string, readonly string[]>> = {
  "fd.ip": ["fd.cip", "fd.sip"],
  "fd.net": ["fd.cip", "fd.sip"],
  "fd.cnet": ["fd.cip"],
  "fd.snet": ["fd.sip"],
  "fd.lnet": ["fd.lip"],
  "fd.rnet": ["fd.rip"],
};
const NET_FIELDS = new Set(["fd.net", "fd.cnet", "fd.snet", "fd.lnet", "fd.rnet"]);
const NET_OPS = new Set<Operator>(["=", "==", "!=", "in", "intersects", "exists"]);
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/;

function eventValues(event: FalcoEvent, field: string, key: string): readonly Scalar[] {
  const own = event[key];
  if (own !== undefined) return typeof own === "object" ? own : [own];
  if (key !== field) return [];
  return (ADDRESS_SOURCES[field] ?? []).flatMap((k) => eventValues(event, k, k));
}

function asNumber(v: Scalar): number | undefined {
  if (typeof v === "number") return v;
  return typeof v === "string" && NUMBER.test(v) ? Number(v) : undefined;
}

function equal(a: Scalar, b: string): boolean {
  const [x, y] = [asNumber(a), asNumber(b)];
  return x !== undefined && y !== undefined ? x === y : String(a) === b;
}

function globRegExp(pattern: string, flags: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const close = pattern.indexOf("]", i + 2);
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[" && close > 0) {
      const body = pattern.slice(i + 1, close).replace(/^!/, "^");
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, `s${flags}`);
}

function parseIp(s: string): { v6: boolean; n: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v6: false, n: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!/^[0-9a-fA-F:]+$/.test(s) || s.split("::").length > 2) return undefined;
  const [head, tail] = s.split("::");
  const groups = (x: string | undefined) => (x ? x.split(":") : []);
  const h = groups(head);
  const t = groups(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array<string>(Math.max(fill, 0)).fill("0"), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { v6: true, n: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** Whether `ip` lies in `cidr` (`a.b.c.d/n`, IPv6 `x::/n`, or one address). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, bits] = cidr.split("/");
  const n = parseIp(net);
  const a = parseIp(ip);
  if (!n || !a || n.v6 !== a.v6) return false;
  const width = n.v6 ? 128 : 32;
  const prefix = bits === undefined ? width : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return false;
  const shift = BigInt(width - prefix);
  return n.n >> shift === a.n >> shift;
}

function holds(op: Operator, field: string, v: Scalar, rhs: readonly string[]): boolean {
  const s = String(v);
  const r = rhs[0] ?? "";
  if (NET_FIELDS.has(field)) return rhs.some((c) => cidrContains(c, s));
  switch (op) {
    case "=":
    case "==":
    case "in":
    case "intersects":
      return rhs.some((x) => equal(v, x));
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const [x, y] = [asNumber(v), asNumber(r)];
      if (x === undefined || y === undefined) return false;
      return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
    }
    case "contains":
      return s.includes(r);
    case "icontains":
      return s.toLowerCase().includes(r.toLowerCase());
    case "startswith":
      return s.startsWith(r);
    case "endswith":
      return s.endsWith(r);
    case "glob":
      return globRegExp(r, "").test(s);
    case "iglob":
      return globRegExp(r, "i").test(s);
    case "pmatch":
      return rhs.some((p) => s === p || s.startsWith(p.endsWith("/") ? p : `${p}/`));
    default:
      throw new Error(`operator ${op} has no value`);
  }
}

/** One check against an event, its right-hand side already expanded to strings. */
export function evaluateCheck(
  field: string,
  arg: string | undefined,
  op: Operator,
  rhs: readonly string[],
  event: FalcoEvent,
): boolean {
  if (NET_FIELDS.has(field) && !NET_OPS.has(op)) {
    throw new Error(`${field} takes only = != in intersects exists (got ${op})`);
  }
  const values = eventValues(event, field, arg === undefined ? field : `${field}[${arg}]`);
  if (op === "exists" || values.length === 0) return values.length > 0;
  if (op === "!=") return values.every((v) => !holds("=", field, v, rhs));
  return values.some((v) => holds(op, field, v, rhs));
}

// ---- rule sets ----------------------------------------------------------------------------

export const FALCO_PRIORITIES = [
  "EMERGENCY",
  "ALERT",
  "CRITICAL",
  "ERROR",
  "WARNING",
  "NOTICE",
  "INFORMATIONAL",
  "DEBUG",
] as const;

export interface FalcoException {
  readonly name: string;
  readonly fields?: string | readonly string[];
  readonly comps?: string | readonly string[];
  readonly values?: readonly unknown[];
}
export interface FalcoRule {
  readonly name: string;
  readonly condition?: string;
  readonly output?: string;
  readonly priority?: string;
  readonly desc?: string;
  readonly enabled: boolean;
  readonly source: string;
  readonly tags: readonly string[];
  readonly exceptions: readonly FalcoException[];
}
export interface FalcoRuleSetOptions {
  /** Fields a condition or output may use; unset: every field is accepted. */
  readonly knownFields?: Iterable<string>;
  /** Rules loaded before these files whose bodies are not known (upstream names). */
  readonly baseRules?: Iterable<string>;
}

type Obj = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined =>
  typeof x === "string"
    ? x
    : typeof x === "number" || typeof x === "boolean"
      ? String(x)
      : undefined;
/**
 * A bare word in `( ... )` that reads as a list name (the suffixes of falco_rules.yaml's list
 * names) but names no list: Falco compares the literal, so a misspelt list silently never matches.
 */
const LIST_LIKE =
  /^[a-z][a-z0-9_]*_(?:binaries|images|containers|names|ports|files|directories|dirs|commands|cmdlines|addresses|managers|namespaces|repositories|domains|users|list)$/;

function quoteItem(e: string): string {
  return /\s/.test(e) && !/^["']/.test(e) ? `"${e}"` : e;
}

/** Falco's build_rule_exception_infos: `(cond) and not (exception or ...)`. */
function withExceptions(condition: string, exceptions: readonly FalcoException[]): string {
  let out = `(${condition})`;
  for (const ex of exceptions) {
    let icond = "";
    const values = ex.values ?? [];
    if (typeof ex.fields === "string") {
      const comp = typeof ex.comps === "string" ? ex.comps : "in";
      const vs = values.map((v) => quoteItem(str(v) ?? ""));
      if (vs.length) icond = `(${ex.fields} ${comp} (${vs.join(", ")}))`;
    } else {
      const fields = ex.fields ?? [];
      const comps = Array.isArray(ex.comps)
        ? (ex.comps as readonly string[])
        : fields.map(() => "=");
      const alts = values.map((tuple) => {
        const items = Array.isArray(tuple) ? (tuple as readonly unknown[]) : [];
        const parts = fields.map((f, k) => {
          const v = items[k];
          const comp = comps[k] ?? "=";
          const rhs = Array.isArray(v)
            ? `(${(v as readonly unknown[]).map((x) => quoteItem(str(x) ?? "")).join(", ")})`
            : LIST_OPS.has(comp)
              ? `(${str(v) ?? ""})`
              : quoteItem(str(v) ?? "");
          return `${f} ${comp} ${rhs}`;
        });
        return `(${parts.join(" and ")})`;
      });
      if (alts.length) icond = `(${alts.join(" or ")})`;
    }
    if (icond) out += ` and not ${icond}`;
  }
  return out;
}

export class FalcoRuleSet {
  private readonly lists = new Map<string, string[]>();
  private readonly macros = new Map<string, string>();
  private readonly rules = new Map<string, Mutable<FalcoRule>>();
  private readonly loadProblems: string[] = [];
  private readonly parsed = new Map<string, Expr>();
  private readonly knownFields?: ReadonlySet<string>;
  private readonly baseRules: ReadonlySet<string>;

  /** `files`: parsed YAML documents (arrays of items), in load order, defaults first. */
  constructor(files: readonly unknown[][], options: FalcoRuleSetOptions = {}) {
    this.knownFields = options.knownFields ? new Set(options.knownFields) : undefined;
    this.baseRules = new Set(options.baseRules ?? []);
    files.forEach((items, f) => items.forEach((item, i) => this.load(item, `file ${f} item ${i}`)));
  }

  macro(name: string): string | undefined {
    return this.macros.get(name);
  }

  /** The items as declared (after appends); nested list names are not expanded. */
  list(name: string): readonly string[] | undefined {
    return this.lists.get(name);
  }

  rule(name: string): FalcoRule | undefined {
    return this.rules.get(name);
  }

  ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /** Whether the rule fires on the event: enabled, and its condition (with exceptions) holds. */
  matches(ruleName: string, event: FalcoEvent): boolean {
    const rule = this.rules.get(ruleName);
    if (!rule) throw new Error(`no rule ${JSON.stringify(ruleName)}`);
    if (rule.condition === undefined) throw new Error(`rule ${ruleName} has no condition`);
    return rule.enabled && this.evaluate(this.effectiveCondition(rule), event);
  }

  /** A condition (macros and lists of this set) against an event. */
  evaluate(condition: string, event: FalcoEvent): boolean {
    return this.eval(this.parse(condition), event, []);
  }

  /** The values a list stands for, nested lists expanded. */
  listValues(name: string): string[] {
    return this.expand([{ text: name, quoted: false }], []);
  }

  /** Every reason Falco would refuse (or tap should not ship) what was loaded. */
  problems(): string[] {
    const out = [...this.loadProblems];
    for (const [name, items] of this.lists) {
      for (const item of items) {
        try {
          listItemValue(item);
        } catch (e) {
          out.push(`list ${name}: ${(e as Error).message}`);
        }
      }
    }
    for (const [name, cond] of this.macros) {
      this.checkCondition(`macro ${name}`, cond, out);
      const cycle = this.macroCycle(name);
      if (cycle) out.push(`macro ${name}: recursive (${cycle.join(" -> ")})`);
    }
    for (const rule of this.rules.values()) {
      const label = `rule ${rule.name}`;
      for (const key of ["condition", "output", "desc", "priority"] as const) {
        if (rule[key] === undefined) out.push(`${label}: no ${key}`);
      }
      const p = rule.priority?.toUpperCase();
      if (p !== undefined && p !== "INFO" && !(FALCO_PRIORITIES as readonly string[]).includes(p)) {
        out.push(`${label}: priority ${rule.priority} is none of ${FALCO_PRIORITIES.join(" ")}`);
      }
      if (rule.condition !== undefined) {
        this.checkCondition(label, this.effectiveCondition(rule), out);
      }
      for (const f of outputFields(rule.output ?? "")) {
        if (this.knownFields && !this.knownFields.has(f)) out.push(`${label}: unknown field ${f}`);
      }
    }
    return out;
  }

  private effectiveCondition(rule: FalcoRule): string {
    const cond = rule.condition ?? "";
    return rule.exceptions.length ? withExceptions(cond, rule.exceptions) : cond;
  }

  private parse(text: string): Expr {
    let e = this.parsed.get(text);
    if (!e) {
      e = parseCondition(text);
      this.parsed.set(text, e);
    }
    return e;
  }

  private checkCondition(label: string, text: string, out: string[]): void {
    let expr: Expr;
    try {
      expr = this.parse(text);
    } catch (e) {
      out.push(`${label}: ${(e as Error).message}`);
      return;
    }
    const refs = references(expr);
    for (const id of refs.identifiers) {
      if (!this.macros.has(id)) out.push(`${label}: unknown macro ${id}`);
    }
    for (const f of refs.fields) {
      if (this.knownFields && !this.knownFields.has(f)) out.push(`${label}: unknown field ${f}`);
    }
    for (const w of refs.lists) {
      if (!this.lists.has(w) && LIST_LIKE.test(w)) {
        out.push(`${label}: unknown list ${w} (Falco would compare the literal string "${w}")`);
      }
    }
    const walk = (e: Expr): void => {
      if (e.kind === "and" || e.kind === "or") e.children.forEach(walk);
      else if (e.kind === "not") walk(e.child);
      else if (e.kind === "check" && NET_FIELDS.has(e.field) && !NET_OPS.has(e.op)) {
        out.push(`${label}: ${e.field} takes only = != in intersects exists (got ${e.op})`);
      }
    };
    walk(expr);
  }

  /** A path of macros from `start` back to itself, if there is one. */
  private macroCycle(start: string): string[] | undefined {
    const seen = new Set<string>();
    const dfs = (name: string, trail: readonly string[]): string[] | undefined => {
      for (const id of this.macroRefs(name)) {
        if (id === start) return [...trail, id];
        if (seen.has(id)) continue;
        seen.add(id);
        const c = dfs(id, [...trail, id]);
        if (c) return c;
      }
      return undefined;
    };
    return dfs(start, [start]);
  }

  private macroRefs(name: string): string[] {
    const cond = this.macros.get(name);
    if (cond === undefined) return [];
    try {
      return references(this.parse(cond)).identifiers;
    } catch {
      return [];
    }
  }

  private expand(values: readonly Value[], stack: readonly string[]): string[] {
    return values.flatMap((v) => {
      const items = v.quoted ? undefined : this.lists.get(v.text);
      if (!items) return [v.text];
      if (stack.includes(v.text)) throw new Error(`list ${v.text} includes itself`);
      return this.expand(items.map(listItemValue), [...stack, v.text]);
    });
  }

  private eval(e: Expr, event: FalcoEvent, stack: readonly string[]): boolean {
    switch (e.kind) {
      case "and":
        return e.children.every((c) => this.eval(c, event, stack));
      case "or":
        return e.children.some((c) => this.eval(c, event, stack));
      case "not":
        return !this.eval(e.child, event, stack);
      case "macro": {
        const cond = this.macros.get(e.name);
        if (cond === undefined) throw new Error(`undefined macro ${e.name}`);
        if (stack.includes(e.name)) throw new Error(`macro ${e.name} uses itself`);
        return this.eval(this.parse(cond), event, [...stack, e.name]);
      }
      case "check": {
        const rhs = e.list ? this.expand(e.list, []) : e.value ? [e.value.text] : [];
        return evaluateCheck(e.field, e.arg, e.op, rhs, event);
      }
    }
  }

  private load(item: unknown, where: string): void {
    if (!isObj(item)) {
      this.loadProblems.push(`${where}: not a mapping`);
      return;
    }
    const override = isObj(item.override) ? item.override : {};
    const append = item.append === true;
    if (typeof item.list === "string") {
      const name = item.list;
      const items = Array.isArray(item.items) ? item.items.map((x) => str(x) ?? "") : undefined;
      if (!items) this.loadProblems.push(`list ${name}: no items`);
      const prev = this.lists.get(name);
      if (append || override.items === "append") {
        if (!prev) this.loadProblems.push(`list ${name}: append to an undefined list (${where})`);
        else prev.push(...(items ?? []));
      } else this.lists.set(name, items ?? []);
    } else if (typeof item.macro === "string") {
      const name = item.macro;
      const cond = str(item.condition);
      if (cond === undefined) this.loadProblems.push(`macro ${name}: no condition`);
      const prev = this.macros.get(name);
      if (append || override.condition === "append") {
        if (prev === undefined) {
          this.loadProblems.push(`macro ${name}: append to an undefined macro (${where})`);
        } else this.macros.set(name, `${prev} ${cond ?? ""}`);
      } else this.macros.set(name, cond ?? "");
    } else if (typeof item.rule === "string") {
      this.loadRule(item.rule, item, override, append, where);
    } else if (!("required_engine_version" in item) && !("required_plugin_versions" in item)) {
      this.loadProblems.push(`${where}: neither list, macro nor rule`);
    }
  }

  private loadRule(name: string, item: Obj, override: Obj, append: boolean, where: string): void {
    const prev = this.rules.get(name);
    const exceptions = Array.isArray(item.exceptions)
      ? (item.exceptions.filter(isObj) as unknown as FalcoException[])
      : [];
    const tags = Array.isArray(item.tags) ? item.tags.map((t) => str(t) ?? "") : [];
    const updates = append || Object.keys(override).length > 0;
    const enableOnly = ["condition", "output", "desc", "priority"].every((k) => !(k in item));
    if (updates || enableOnly) {
      if (!prev) {
        if (!this.baseRules.has(name)) {
          this.loadProblems.push(`rule ${name}: updates an undefined rule (${where})`);
        }
        return;
      }
      if (enableOnly && !updates) {
        prev.enabled = item.enabled !== false;
        return;
      }
      const op = (key: string) => (append ? "append" : override[key]);
      for (const key of ["condition", "output", "desc"] as const) {
        const v = str(item[key]);
        if (v === undefined) continue;
        if (op(key) === "append") prev[key] = `${prev[key] ?? ""} ${v}`;
        else if (op(key) === "replace") prev[key] = v;
      }
      if (op("priority") === "replace") prev.priority = str(item.priority);
      if (op("enabled") === "replace") prev.enabled = item.enabled !== false;
      if (op("tags") === "append") prev.tags = [...new Set([...prev.tags, ...tags])];
      else if (op("tags") === "replace") prev.tags = tags;
      if (op("exceptions") === "replace") prev.exceptions = exceptions;
      else if (op("exceptions") === "append") {
        const merged = [...prev.exceptions];
        for (const ex of exceptions) {
          const k = merged.findIndex((m) => m.name === ex.name);
          if (k < 0) merged.push(ex);
          else
            merged[k] = {
              ...merged[k],
              values: [...(merged[k].values ?? []), ...(ex.values ?? [])],
            };
        }
        prev.exceptions = merged;
      }
      return;
    }
    if (prev || this.baseRules.has(name)) {
      this.loadProblems.push(`rule ${name}: defined again (${where}); Falco keeps the last one`);
    }
    this.rules.set(name, {
      name,
      condition: str(item.condition),
      output: str(item.output)?.trim(),
      priority: str(item.priority),
      desc: str(item.desc),
      enabled: item.enabled !== false,
      source: str(item.source) ?? "syscall",
      tags,
      exceptions,
    });
  }
}

// ---- the upstream defaults ----------------------------------------------------------------

export const FALCO_RULES_FACTS = path.resolve(
  __dirname,
  "..",
  "..",
  "facts",
  "falco",
  "default-rules-5.1.0.json",
);
export interface FalcoRulesFacts {
  readonly source: string;
  readonly bundledBy: string;
  readonly requiredEngineVersion: string;
  readonly macros: Readonly<Record<string, string>>;
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly rules: readonly string[];
  readonly fields: readonly string[];
}

let defaults: FalcoRulesFacts | undefined;
/** facts/falco/default-rules-5.1.0.json: the rules Falco 0.44.1 runs without falcoctl. */
export function loadDefaultRules(): FalcoRulesFacts {
  defaults ??= JSON.parse(fs.readFileSync(FALCO_RULES_FACTS, "utf8")) as FalcoRulesFacts;
  return defaults;
}

/**
 * The upstream macros and lists, then `extraFiles`; a field is known if the upstream rules use it
 * (so it exists in this Falco), and the upstream rule names may be updated (enabled, override).
 */
export function defaultRuleSet(extraFiles: readonly unknown[][] = []): FalcoRuleSet {
  const facts = loadDefaultRules();
  const base: unknown[] = [
    ...Object.entries(facts.lists).map(([list, items]) => ({ list, items })),
    ...Object.entries(facts.macros).map(([macro, condition]) => ({ macro, condition })),
  ];
  return new FalcoRuleSet([base, ...extraFiles], {
    knownFields: facts.fields,
    baseRules: facts.rules,
  });
}
