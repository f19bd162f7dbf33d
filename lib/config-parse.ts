/**
 * Reading raw config values: Pulumi gives strings ("70", "true", JSON lists), code gives typed
 * values. Each reader returns the typed value or reports a problem naming the key, the bad value
 * and what is allowed (and returns the default so validation can go on and report everything).
 */
import { cidrPrefix, isIpv4Cidr } from "./net-util";

/** A value as an error message shows it. */
export const show = (v: unknown): string =>
  typeof v === "string" ? `"${v}"` : (JSON.stringify(v) ?? String(v));

type RawInput = { readonly [key: string]: unknown };

/** The known key closest to a typo (edit distance < 4), if any. */
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * An optional email setting (`addons.<capability>.email`): the address, or undefined when absent
 * or bad (a bad one goes to `fail`, named by its key).
 */
export function parseEmail(
  raw: unknown,
  key: string,
  fail: (key: string, reason: string) => void,
): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === "string" && EMAIL_RE.test(raw)) return raw;
  fail(key, `tap:${key} must be an email address (got ${show(raw)})`);
  return undefined;
}

/**
 * A numeric string as its number (`pulumi config set --path` stores every value as a string);
 * anything else as it is, for the caller's own check.
 */
export function numberFromConfig(raw: unknown): unknown {
  return typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
}

/** Why `value` is not a VPC CIDR tap takes (IPv4, host bits zero, /16 to /20), or undefined. */
export function vpcCidrProblem(key: string, value: unknown, example: string): string | undefined {
  if (typeof value !== "string" || !isIpv4Cidr(value))
    return `tap:${key} must be an IPv4 CIDR with its host bits zero, like ${example} (got ${show(value)})`;
  if (cidrPrefix(value) < 16 || cidrPrefix(value) > 20)
    return `tap:${key} must have a prefix from /16 to /20 (got ${show(value)})`;
  return undefined;
}

export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Reads one key of raw input as the type it should have, reporting a problem (and a default) if not. */
export class Parser {
  constructor(
    private readonly input: RawInput,
    private readonly fail: (key: string, reason: string) => void,
  ) {}

  string(key: string, fallback: string): string {
    const v = this.input[key];
    if (v === undefined) return fallback;
    if (typeof v === "string") return v.trim();
    // Pulumi hands YAML numbers and booleans to the program as their text; code may pass them too.
    if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return String(v);
    this.fail(key, `tap:${key} must be a string (got ${show(v)})`);
    return fallback;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const v = this.input[key];
    if (v === undefined) return fallback;
    const n = typeof v === "string" && /^-?[0-9]+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, `tap:${key} must be an integer ${min}..${max} (got ${show(v)})`);
      return fallback;
    }
    return n;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.input[key];
    if (v === undefined) return fallback;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    this.fail(key, `tap:${key} must be true or false (got ${show(v)})`);
    return fallback;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.string(key, fallback);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.fail(key, `tap:${key} must be one of ${allowed.join(", ")} (got ${show(v)})`);
    return fallback;
  }

  /** A list: an array, a JSON array string (how Pulumi stores YAML lists), or "a,b,c". */
  stringList(key: string, fallback: readonly string[]): string[] {
    let v = this.input[key];
    if (v === undefined) return [...fallback];
    if (typeof v === "string") {
      const text = v.trim();
      if (text.startsWith("[")) {
        try {
          v = JSON.parse(text) as unknown;
        } catch {
          this.fail(key, `tap:${key} must be a JSON list of strings (got ${show(text)})`);
          return [...fallback];
        }
      } else {
        v = text === "" ? [] : text.split(",").map((s) => s.trim());
      }
    }
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === "string")) {
      this.fail(key, `tap:${key} must be a list of strings (got ${show(v)})`);
      return [...fallback];
    }
    return v.map((s) => s.trim());
  }

  /** A structured value: an object/array, or the JSON text Pulumi stores for it. */
  json(key: string): unknown {
    const v = this.input[key];
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      this.fail(
        key,
        `tap:${key} must be JSON (a YAML list in Pulumi.<stack>.yaml) (got ${show(v)})`,
      );
      return undefined;
    }
  }
}
