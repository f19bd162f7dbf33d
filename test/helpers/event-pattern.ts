/**
 * EventBridge's event pattern matching, the part tap's rules use, so tests can match them against
 * sample events offline. Rules from the EventBridge User Guide ("Event patterns", "Content
 * filtering", "Arrays"): every field of the pattern must match; a leaf is a list of matchers and
 * matches when any value at its path matches any of them; the values at a path are collected
 * through arrays (an array of objects is matched element by element, its values flattened); a
 * field the event lacks matches nothing but `{ "exists": false }`.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The leaf values at `path` (arrays flattened); objects are not leaves. */
function valuesAt(event: Json, path: readonly string[]): Json[] {
  if (Array.isArray(event)) return event.flatMap((e) => valuesAt(e, path));
  if (path.length === 0) return event !== null && typeof event === "object" ? [] : [event];
  if (event === null || typeof event !== "object") return [];
  if (!(path[0] in event)) return [];
  return valuesAt(event[path[0]], path.slice(1));
}

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "=": (a, b) => a === b,
  ">=": (a, b) => a >= b,
  ">": (a, b) => a > b,
};

function matchesOne(value: Json, matcher: unknown): boolean {
  if (matcher === null || typeof matcher !== "object") return value === matcher;
  const [op, arg] = Object.entries(matcher as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case "prefix":
      return typeof value === "string" && value.startsWith(String(arg));
    case "suffix":
      return typeof value === "string" && value.endsWith(String(arg));
    case "equals-ignore-case":
      return typeof value === "string" && value.toLowerCase() === String(arg).toLowerCase();
    case "numeric": {
      if (typeof value !== "number") return false;
      const terms = arg as (string | number)[];
      for (let i = 0; i < terms.length; i += 2) {
        const f = NUMERIC[String(terms[i])];
        if (!f) throw new Error(`unknown numeric operator ${String(terms[i])}`);
        if (!f(value, Number(terms[i + 1]))) return false;
      }
      return true;
    }
    case "anything-but": {
      if (Array.isArray(arg)) return !arg.some((a) => matchesOne(value, a));
      return !matchesOne(value, arg);
    }
    default:
      throw new Error(`matcher ${JSON.stringify(matcher)} is not one this helper knows`);
  }
}

function matchesAt(event: Json, pattern: Record<string, unknown>, path: string[]): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const at = [...path, key];
    if (!Array.isArray(sub)) return matchesAt(event, sub as Record<string, unknown>, at);
    const values = valuesAt(event, at);
    return sub.some((m) => {
      if (m !== null && typeof m === "object" && "exists" in m)
        return (m as { exists: boolean }).exists === values.length > 0;
      return values.some((v) => matchesOne(v, m));
    });
  });
}

/** Whether EventBridge would send `event` to a rule with `pattern`. */
export function matchesPattern(
  pattern: Readonly<Record<string, unknown>>,
  event: unknown,
): boolean {
  return matchesAt(event as Json, pattern as Record<string, unknown>, []);
}
