import { AwsScope } from "../iam/policy";

/**
 * Pure checks behind the service catalog (`tap:services`): image pinning, Kubernetes quantities,
 * IAM actions and resource ARNs. Each returns the problem as text (or the parsed value), never
 * throws, so the catalog parser can report every problem together.
 */

/** What a service name must be: an RFC 1035 label (Service names need a leading letter). */
export const SERVICE_NAME_RE = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
/**
 * Longest service name: the IAM role `tap-svc-<name>-<suffix>` must fit IAM's 64 characters with
 * the longest environment suffix (20): 64 - "tap-svc-".length - "-".length - 20 = 35.
 */
export const MAX_SERVICE_NAME_LENGTH = 35;

const DIGEST_RE = /@sha256:[a-f0-9]{64}$/;
// Registry host (optional port) and path components, as the distribution reference grammar has them.
const IMAGE_NAME_RE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Why `tag` is not a tag tap's own (immutable) repository can hold for a release; else undefined. */
export function imageTagProblem(tag: string): string | undefined {
  if (!TAG_RE.test(tag))
    return "must be an image tag: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'";
  if (tag === "latest")
    return "must not be `latest`; use the tag the pipeline pushed (a version or commit)";
  return undefined;
}

/** Why `image` is not a pinned image reference (tag other than `latest`, or digest); else undefined. */
export function imageProblem(image: string): string | undefined {
  let rest = image;
  const digest = DIGEST_RE.exec(rest);
  if (digest) rest = rest.slice(0, digest.index);
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!IMAGE_NAME_RE.test(rest) || (tag !== undefined && !TAG_RE.test(tag))) {
    return "must be an image reference like registry/repository:tag or registry/repository@sha256:<digest>";
  }
  if (!digest && tag === undefined) {
    return "must be pinned by a tag or a digest (an untagged image means the mutable `latest`)";
  }
  if (!digest && tag === "latest") {
    return "must not use the mutable tag `latest`; pin a version tag or a digest";
  }
  return undefined;
}

const QUANTITY_RE =
  /^(\d+(?:\.\d+)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of a positive Kubernetes quantity (cores for cpu, bytes for memory), or the problem.
 * Memory in milli/micro/nano units ("128m" = 0.128 bytes) is a classic typo and is rejected.
 */
export function parseQuantity(
  text: string,
  kind: "cpu" | "memory",
): { value: number } | { problem: string } {
  const m = QUANTITY_RE.exec(text);
  const example = kind === "cpu" ? "100m or 0.5" : "128Mi or 1Gi";
  if (!m) return { problem: `must be a Kubernetes quantity like ${example}` };
  const [, digits, suffix, exponent] = m;
  if (kind === "memory" && suffix !== undefined && ["n", "u", "m"].includes(suffix)) {
    return {
      problem: `must be bytes with a suffix like Mi or Gi (${suffix} is a fraction of a byte)`,
    };
  }
  const value =
    Number(digits) * (suffix ? SUFFIX[suffix] : 1) * (exponent ? 10 ** Number(exponent) : 1);
  if (!(value > 0)) return { problem: `must be greater than zero, like ${example}` };
  return { value };
}

const ACTION_RE = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

/** Why `action` may not be granted to a service role; else undefined. */
export function actionProblem(action: string): string | undefined {
  if (!ACTION_RE.test(action)) {
    return "must be one explicit action like dynamodb:GetItem (service:Action, no wildcards)";
  }
  if (action.startsWith("iam:")) {
    return "is an IAM action; a service role may not manage or pass IAM permissions";
  }
  if (action.toLowerCase() === "cloudwatch:putmetricdata") {
    return (
      "accepts no resource ARN in IAM (it is granted on * with a cloudwatch:namespace condition); " +
      'declare the namespaces instead: publishesMetrics: ["My/Namespace"]'
    );
  }
  return undefined;
}

/** CloudWatch metric namespaces: 1-255 characters, printable, and not AWS's own `AWS/` prefix. */
const METRIC_NAMESPACE_RE = /^[A-Za-z0-9._/#:\- ]{1,255}$/;

/** Why `ns` cannot be a namespace a service publishes to; else undefined. */
export function metricNamespaceProblem(ns: string): string | undefined {
  if (!METRIC_NAMESPACE_RE.test(ns) || ns.trim() !== ns) {
    return "must be a CloudWatch namespace: 1-255 of letters, digits, . - _ / # : and inner spaces";
  }
  if (/^aws\//i.test(ns)) return "must not start with AWS/ (reserved for AWS services)";
  return undefined;
}

/** The placeholders a catalog ARN may use; each becomes the stack's own value. */
export const ARN_PLACEHOLDERS = ["${partition}", "${region}", "${account}"] as const;

// arn:partition:service:region:account:resource. Region and account are the stack's (placeholders
// or literals), or empty for global services such as S3; the resource part must name something.
const ARN_RE =
  /^arn:(aws(?:-cn|-us-gov)?|\$\{partition\}):[a-z0-9-]+:([a-z0-9-]*|\$\{region\}|\*):([0-9]{12}|\$\{account\}|\*)?:(.+)$/;
const EXAMPLE_ARN = "arn:${partition}:dynamodb:${region}:${account}:table/ledger";

/**
 * Why `resource` may not appear in a service role's policy; else undefined. Only ARNs: no `*`
 * resource (tap whitelists no unscopable action), no `*` region or account (an identity policy
 * with account `*` reaches any account's resource whose own policy admits it), and no ARN whose
 * resource part is a bare wildcard.
 */
export function resourceProblem(resource: string): string | undefined {
  if (resource === "*") {
    return "must be a resource ARN; `*` is not allowed (scope the permission to named resources)";
  }
  const m = ARN_RE.exec(resource);
  if (!m) {
    return `must be an ARN like ${EXAMPLE_ARN}`;
  }
  if (m[2] === "*" || m[3] === "*") {
    return "must not use * for the region or account (it would match every region or account); use ${region} and ${account}, which become the stack's own";
  }
  if (m[4].startsWith("*")) {
    return "must name a resource; an ARN whose resource part starts with `*` is a wildcard";
  }
  return undefined;
}

/** `resource` with ${partition}, ${region} and ${account} replaced by the stack's. */
export function templateArn(resource: string, scope: AwsScope): string {
  return resource
    .split("${partition}")
    .join(scope.partition)
    .split("${region}")
    .join(scope.region)
    .split("${account}")
    .join(scope.accountId);
}
