/**
 * Kyverno's admission policies, pure so tests evaluate them: which Pods each one admits, in which
 * namespaces, Enforce (Deny) or Audit. They are `policies.kyverno.io` ValidatingPolicies (CEL),
 * the kind Kyverno 1.17 made GA and recommends; `kyverno.io` ClusterPolicy is deprecated since
 * 1.17 with removal planned for 1.20 (facts/kyverno.md). v1beta1 is the version every chart tap
 * pins serves (Kyverno 1.16 serves v1alpha1 and v1beta1; 1.17-1.19 also v1).
 *
 * Each rule is written for Pods; Kyverno's autogen (on by default for a Pod-only rule without an
 * object selector) applies it to the controllers that make them (Deployments, StatefulSets,
 * DaemonSets, Jobs, CronJobs, ReplicaSets), so a bad Deployment is refused at apply time, not
 * later when its ReplicaSet cannot make Pods.
 *
 * Where: Enforce in tap's workload namespaces (label tap/workload=true), Audit in every other
 * namespace except the system ones (SYSTEM_NAMESPACES: never sent to the webhook at all, so a
 * Kyverno outage cannot keep the cluster's own components from recovering).
 */
import { WORKLOAD_NAMESPACE_LABEL, WORKLOAD_NAMESPACE_LABEL_VALUE } from "../network-policies";
import { SYSTEM_NAMESPACES } from "../reserved-namespaces";

export const POLICY_API_VERSION = "policies.kyverno.io/v1beta1";

/** Namespaces Kyverno never sees (its webhooks' namespaceSelector excludes them). */
export { SYSTEM_NAMESPACES };

/** The labels every workload Pod carries: the set tap's NetworkPolicies select on, and tap's own. */
export const REQUIRED_POD_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/part-of",
  "tap/environment",
] as const;

export interface NamespaceSelector {
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    readonly values?: readonly string[];
  }[];
}

export interface Validation {
  readonly expression: string;
  readonly message: string;
}

export interface ValidatingPolicyManifest {
  readonly apiVersion: typeof POLICY_API_VERSION;
  readonly kind: "ValidatingPolicy";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly validationActions: readonly ("Deny" | "Audit")[];
    readonly failurePolicy: "Fail" | "Ignore";
    readonly matchConstraints: {
      readonly namespaceSelector: NamespaceSelector;
      readonly resourceRules: readonly {
        readonly apiGroups: readonly string[];
        readonly apiVersions: readonly string[];
        readonly operations: readonly string[];
        readonly resources: readonly string[];
      }[];
    };
    readonly variables?: readonly { readonly name: string; readonly expression: string }[];
    readonly validations: readonly Validation[];
  };
}

export interface ImageValidatingPolicyManifest {
  readonly apiVersion: typeof POLICY_API_VERSION;
  readonly kind: "ImageValidatingPolicy";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly validationActions: readonly ("Deny" | "Audit")[];
    readonly failurePolicy: "Fail" | "Ignore";
    readonly matchConstraints: ValidatingPolicyManifest["spec"]["matchConstraints"];
    readonly matchImageReferences: readonly { readonly glob: string }[];
    readonly attestors: readonly {
      readonly name: string;
      readonly cosign: { readonly key: { readonly data: string } };
    }[];
    readonly validations: readonly Validation[];
  };
}

const SYSTEM: NamespaceSelector["matchExpressions"][number] = {
  key: "kubernetes.io/metadata.name",
  operator: "NotIn",
  values: SYSTEM_NAMESPACES,
};

/** Enforce: tap's workload namespaces. Audit: every other namespace Kyverno sees. */
export const WHERE = {
  enforce: {
    matchExpressions: [
      SYSTEM,
      { key: WORKLOAD_NAMESPACE_LABEL, operator: "In", values: [WORKLOAD_NAMESPACE_LABEL_VALUE] },
    ],
  },
  audit: {
    matchExpressions: [
      SYSTEM,
      {
        key: WORKLOAD_NAMESPACE_LABEL,
        operator: "NotIn",
        values: [WORKLOAD_NAMESPACE_LABEL_VALUE],
      },
    ],
  },
} as const satisfies Record<string, NamespaceSelector>;

const PODS = [
  {
    apiGroups: [""],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["pods"],
  },
];

/** Every container of the Pod: its containers, init containers and ephemeral containers. */
const ALL_CONTAINERS = {
  name: "containers",
  expression:
    "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : []) + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])",
};
/** The containers that run with resources (ephemeral containers take none). */
const RESOURCED_CONTAINERS = {
  name: "resourced",
  expression:
    "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
};
const POD_SC = "has(object.spec.securityContext)";

/** One rule: its name, what it checks, and the variables its expressions use. */
export interface PolicyRule {
  readonly name: string;
  readonly title: string;
  readonly variables: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly Validation[];
}

/** Pod Security Standards "restricted", the controls that decide it, in CEL. */
export const PSS_RESTRICTED: PolicyRule = {
  name: "tap-pss-restricted",
  title: "Pod Security Standards restricted",
  variables: [ALL_CONTAINERS],
  validations: [
    {
      expression:
        "!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)",
      message: "host namespaces are not allowed (hostNetwork, hostPID, hostIPC)",
    },
    {
      expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
      message: "hostPath volumes are not allowed",
    },
    {
      expression:
        "variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
      message: "host ports are not allowed",
    },
    {
      expression:
        "variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)",
      message: "privileged containers are not allowed",
    },
    {
      expression:
        "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)",
      message: "every container must set securityContext.allowPrivilegeEscalation: false",
    },
    {
      expression:
        "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && c.securityContext.capabilities.drop.exists(d, d == 'ALL') && (!has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE')))",
      message: "every container must drop ALL capabilities and add none but NET_BIND_SERVICE",
    },
    {
      expression: `variables.containers.all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot == true : (${POD_SC} && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot == true))`,
      message: "containers must run as non-root (runAsNonRoot: true on the Pod or each container)",
    },
    {
      expression: `variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsUser) || c.securityContext.runAsUser != 0) && !(${POD_SC} && has(object.spec.securityContext.runAsUser) && object.spec.securityContext.runAsUser == 0)`,
      message: "runAsUser 0 (root) is not allowed",
    },
    {
      expression: `variables.containers.all(c, (has(c.securityContext) && has(c.securityContext.seccompProfile)) ? c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost'] : (${POD_SC} && has(object.spec.securityContext.seccompProfile) && object.spec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']))`,
      message:
        "a seccomp profile (RuntimeDefault or Localhost) must be set on the Pod or each container",
    },
  ],
};

/** The image's tag: what follows the last ':' of its last path segment (a registry port is not one). */
const LAST_SEGMENT = "c.image.split('/')[c.image.split('/').size() - 1]";

export const DISALLOW_LATEST: PolicyRule = {
  name: "tap-disallow-latest-tag",
  title: "images pinned by tag (not :latest) or digest",
  variables: [ALL_CONTAINERS],
  validations: [
    {
      expression: `variables.containers.all(c, c.image.contains('@sha256:') || (${LAST_SEGMENT}.contains(':') && !${LAST_SEGMENT}.endsWith(':latest')))`,
      message: "every image must name a tag other than :latest, or a digest",
    },
  ],
};

export const REQUIRE_RESOURCES: PolicyRule = {
  name: "tap-require-requests-limits",
  title: "CPU and memory requests and limits",
  variables: [RESOURCED_CONTAINERS],
  validations: [
    {
      expression:
        "variables.resourced.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests && 'memory' in c.resources.requests)",
      message: "every container must request cpu and memory",
    },
    {
      expression:
        "variables.resourced.all(c, has(c.resources) && has(c.resources.limits) && 'cpu' in c.resources.limits && 'memory' in c.resources.limits)",
      message: "every container must set cpu and memory limits",
    },
  ],
};

export const REQUIRE_LABELS: PolicyRule = {
  name: "tap-require-labels",
  title: "the labels tap's NetworkPolicies select on, and tap's environment",
  variables: [],
  validations: [
    {
      expression: `has(object.metadata.labels) && ${JSON.stringify(REQUIRED_POD_LABELS).replace(/"/g, "'")}.all(l, l in object.metadata.labels && object.metadata.labels[l] != '')`,
      message: `every Pod must carry the labels ${REQUIRED_POD_LABELS.join(", ")} (NetworkPolicies select on the first two)`,
    },
  ],
};

export const POLICY_RULES: readonly PolicyRule[] = [
  PSS_RESTRICTED,
  DISALLOW_LATEST,
  REQUIRE_RESOURCES,
  REQUIRE_LABELS,
];

/**
 * The ValidatingPolicies: each rule twice, Enforce in workload namespaces (failure policy Fail: a
 * Pod is refused when Kyverno cannot answer, and three admission replicas on on-demand nodes keep
 * it answering) and Audit elsewhere (failure policy Ignore: an audit never blocks).
 */
export function validatingPolicies(labels: Record<string, string>): ValidatingPolicyManifest[] {
  return POLICY_RULES.flatMap((rule) =>
    (["enforce", "audit"] as const).map((mode) => ({
      apiVersion: POLICY_API_VERSION,
      kind: "ValidatingPolicy" as const,
      metadata: { name: mode === "enforce" ? rule.name : `${rule.name}-audit`, labels },
      spec: {
        validationActions: mode === "enforce" ? ["Deny" as const] : ["Audit" as const],
        failurePolicy: mode === "enforce" ? ("Fail" as const) : ("Ignore" as const),
        matchConstraints: { namespaceSelector: WHERE[mode], resourceRules: PODS },
        ...(rule.variables.length ? { variables: rule.variables } : {}),
        validations: rule.validations,
      },
    })),
  );
}

/**
 * Signature verification: images from `registries` (globs) must carry a cosign signature made
 * with `publicKey`; images from elsewhere are not checked here. Enforced in workload namespaces.
 */
export function imageVerificationPolicy(
  labels: Record<string, string>,
  registries: readonly string[],
  publicKey: string,
): ImageValidatingPolicyManifest {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: "ImageValidatingPolicy",
    metadata: { name: "tap-verify-image-signatures", labels },
    spec: {
      validationActions: ["Deny"],
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: WHERE.enforce, resourceRules: PODS },
      matchImageReferences: registries.map((glob) => ({ glob })),
      attestors: [{ name: "cosign", cosign: { key: { data: publicKey } } }],
      validations: [
        {
          expression:
            "images.containers.map(image, verifyImageSignatures(image, [attestors.cosign])).all(e, e > 0)",
          message: "images from tap's registries must be signed with the configured cosign key",
        },
      ],
    },
  };
}
