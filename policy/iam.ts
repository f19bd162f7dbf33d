/**
 * IAM document checks for the `iam-least-privilege` and `irsa-trust-pinned` policies, as pure
 * functions over a parsed JSON document. Each returns one problem string per finding.
 */
import { Props, obj, str, strings } from "./util";

/**
 * Write actions that have NO resource type in the IAM Service Authorization Reference, so IAM only
 * accepts them on `"Resource": "*"`. Only these may be written on `*`.
 */
export const UNSCOPABLE_WRITE_ACTIONS: readonly string[] = [
  "cloudwatch:PutMetricData", // metrics have no ARN
  "xray:PutTraceSegments", // X-Ray daemon (AWSXRayDaemonWriteAccess)
  "xray:PutTelemetryRecords",
  "route53:CreateHealthCheck", // creation: no ARN before it exists (Cloud Map health checks)
  "servicediscovery:CreateHttpNamespace",
  "servicediscovery:CreatePrivateDnsNamespace",
  "ec2:CreateLaunchTemplate",
  "elasticloadbalancing:SetWebAcl", // the controller associating tap's web ACL (tap:addons.edge)
];

/** Verbs of read-only actions (Describe*, Get*, List*, ...): these may run on `*`. */
const READ_VERBS = ["Describe", "Get", "List", "BatchGet", "Head", "Lookup", "Search", "View"];

export function isReadAction(action: string): boolean {
  const verb = action.split(":")[1] ?? "";
  return READ_VERBS.some((v) => verb.startsWith(v));
}

/** Parses a policy input: a JSON string (what tap passes) or an object. Undefined when neither. */
export function parseDocument(v: unknown): Props | undefined {
  if (typeof v === "string") {
    try {
      return obj(JSON.parse(v));
    } catch {
      return undefined;
    }
  }
  return obj(v);
}

export function statements(doc: Props): Props[] {
  const s = doc.Statement;
  const list = Array.isArray(s) ? s : [s];
  return list.map(obj).filter((x): x is Props => x !== undefined);
}

/** A string-or-list field (Action, Resource) as a list. */
export function list(v: unknown): string[] {
  return typeof v === "string" ? [v] : strings(v);
}

/** Least-privilege findings of an identity policy (Allow statements only). */
export function leastPrivilegeProblems(doc: Props): string[] {
  const problems: string[] = [];
  statements(doc).forEach((st, i) => {
    if (st.Effect !== "Allow") return;
    const sid = str(st.Sid) ?? `#${i}`;
    if (st.NotAction !== undefined) {
      problems.push(
        `statement ${sid} allows NotAction (everything except a list). Fix: list the actions`,
      );
    }
    const resources = list(st.Resource);
    const hasCondition = Object.keys(obj(st.Condition) ?? {}).length > 0;
    for (const action of list(st.Action)) {
      const [service, verb = ""] = action.split(":");
      if (action === "*") {
        problems.push(`statement ${sid} allows Action "*". Fix: list the exact actions`);
      } else if (verb === "*") {
        problems.push(
          `statement ${sid} allows "${action}" (a whole service). Fix: list the exact actions`,
        );
      } else if (service.toLowerCase() === "iam" && action.includes("*")) {
        problems.push(`statement ${sid} allows "${action}". Fix: name the exact IAM actions`);
      } else if (action.toLowerCase() === "iam:passrole" && !hasCondition) {
        problems.push(
          `statement ${sid} allows iam:PassRole without a condition. Fix: add Condition StringEquals iam:PassedToService`,
        );
      } else if (
        resources.includes("*") &&
        !isReadAction(action) &&
        !UNSCOPABLE_WRITE_ACTIONS.includes(action) &&
        !hasCondition
      ) {
        problems.push(
          `statement ${sid} allows write action "${action}" on Resource "*". Fix: scope it to ARNs or a tag condition`,
        );
      }
    }
  });
  return problems;
}

/** IRSA trust findings; [] for a trust policy without a Federated OIDC principal (not IRSA). */
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
const GITHUB_PROVIDER_RE = /:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const GITHUB_SUB_RE = /^repo:[^:*?/]+\/[^:*?/]+:ref:refs\/heads\/[^*?]+$/;

/**
 * Web-identity trust problems: an EKS OIDC trust pins one service account; GitHub Actions' trust
 * (the registry's push role) pins one repository's branch; both pin the audience sts.amazonaws.com.
 */
export function irsaTrustProblems(doc: Props): string[] {
  const problems: string[] = [];
  for (const [i, st] of statements(doc).entries()) {
    const federated = list(obj(st.Principal)?.Federated);
    if (st.Effect !== "Allow" || federated.length === 0) continue;
    const sid = str(st.Sid) ?? `#${i}`;
    if (!federated.every((f) => /:oidc-provider\//.test(f))) {
      problems.push(
        `statement ${sid}: Principal.Federated must be the cluster's OIDC provider ARN`,
      );
    }
    const actions = list(st.Action);
    if (actions.length !== 1 || actions[0] !== "sts:AssumeRoleWithWebIdentity") {
      problems.push(`statement ${sid}: Action must be exactly sts:AssumeRoleWithWebIdentity`);
    }
    const condition = obj(st.Condition) ?? {};
    for (const op of Object.keys(condition)) {
      if (op !== "StringEquals") {
        problems.push(
          `statement ${sid}: condition operator ${op} is not allowed; use StringEquals`,
        );
      }
    }
    const equals = obj(condition.StringEquals) ?? {};
    const key = (suffix: string) => Object.keys(equals).find((k) => k.endsWith(suffix));
    const subKey = key(":sub");
    const audKey = key(":aud");
    const sub = subKey ? list(equals[subKey]) : [];
    const aud = audKey ? list(equals[audKey]) : [];
    // GitHub Actions' provider (the registry's push role): one repository's one branch.
    const github = federated.length > 0 && federated.every((f) => GITHUB_PROVIDER_RE.test(f));
    if (github) {
      if (
        subKey !== `${GITHUB_OIDC_HOST}:sub` ||
        !sub.every((s) => GITHUB_SUB_RE.test(s)) ||
        sub.length === 0
      )
        problems.push(
          `statement ${sid}: StringEquals ${GITHUB_OIDC_HOST}:sub must pin repo:<owner>/<name>:ref:refs/heads/<branch> (no wildcards)`,
        );
    } else if (
      sub.length === 0 ||
      !sub.every((s) => /^system:serviceaccount:[^:*?]+:[^:*?]+$/.test(s))
    ) {
      problems.push(
        `statement ${sid}: StringEquals <issuer>:sub must pin system:serviceaccount:<namespace>:<name> (no wildcards)`,
      );
    }
    if (aud.length !== 1 || aud[0] !== "sts.amazonaws.com") {
      problems.push(`statement ${sid}: StringEquals <issuer>:aud must be sts.amazonaws.com`);
    }
  }
  return problems;
}

/** The service accounts (`system:serviceaccount:<ns>:<sa>`) an IRSA trust policy admits. */
export function trustedSubjects(doc: Props): string[] {
  return statements(doc).flatMap((st) => {
    const equals = obj(obj(st.Condition)?.StringEquals) ?? {};
    return Object.entries(equals)
      .filter(([k]) => k.endsWith(":sub"))
      .flatMap(([, v]) => list(v));
  });
}

/** Whether any statement is an Allow for a Federated (OIDC) principal. */
export function isIrsaTrust(doc: Props): boolean {
  return statements(doc).some((st) => list(obj(st.Principal)?.Federated).length > 0);
}
