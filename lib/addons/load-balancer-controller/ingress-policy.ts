/**
 * Who may have an internet-facing ALB: a ValidatingAdmissionPolicy (admissionregistration.k8s.io/
 * v1, Kubernetes >= 1.30) that admits an Ingress of class `alb` (by ingressClassName or the legacy
 * annotation) only if it is exactly one of tap's: a public catalog service's namespace and name,
 * its host (`<service>.<zone>` with ExternalDNS, none without), every path to that service, no
 * default backend, and the load balancer annotations tap writes, no more, no other values. A
 * tenant's editor can then neither make an ALB of their own nor bend tap's (its host, its
 * backend, `actions.*` or `group.name` annotations), and ExternalDNS, which reads every Ingress,
 * sees no other host to publish. The API server evaluates it; status and finalizer updates by the
 * controller pass (the spec and annotations do not change).
 */

/** One Ingress tap writes, as the policy pins it. */
export interface AllowedAlbIngress {
  readonly namespace: string;
  readonly name: string;
  /** Its host with ExternalDNS; absent: the Ingress has no host. */
  readonly host?: string;
  /** The `alb.ingress.kubernetes.io/*` annotations tap writes, exactly. */
  readonly annotations: Readonly<Record<string, string>>;
}

export const ALB_INGRESS_POLICY_NAME = "tap-alb-ingresses";
const ALB_ANNOTATION_PREFIX = "alb.ingress.kubernetes.io/";

const cel = (s: string): string => JSON.stringify(s).replace(/^"|"$/g, "").replace(/'/g, "\\'");
const str = (s: string): string => `'${cel(s)}'`;

/** The CEL condition that `object` is exactly `allowed`. */
function matches(a: AllowedAlbIngress): string {
  const keys = Object.keys(a.annotations).sort();
  const host = a.host ? `has(r.host) && r.host == ${str(a.host)}` : "!has(r.host)";
  return [
    `object.metadata.namespace == ${str(a.namespace)}`,
    `object.metadata.name == ${str(a.name)}`,
    "!has(object.spec.defaultBackend)",
    "has(object.spec.rules) && size(object.spec.rules) == 1",
    `object.spec.rules.all(r, ${host} && has(r.http) && r.http.paths.all(p, has(p.backend.service) && p.backend.service.name == ${str(a.name)}))`,
    `variables.albAnnotations.size() == ${keys.length}`,
    ...keys.map(
      (k) =>
        `${str(k)} in variables.albAnnotations && object.metadata.annotations[${str(k)}] == ${str(a.annotations[k])}`,
    ),
  ]
    .map((c) => `(${c})`)
    .join(" && ");
}

export function albIngressPolicy(allowed: readonly AllowedAlbIngress[]) {
  const any = allowed.length > 0 ? allowed.map((a) => `(${matches(a)})`).join(" || ") : "false";
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: ALB_INGRESS_POLICY_NAME },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ["networking.k8s.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["ingresses"],
          },
        ],
      },
      variables: [
        {
          name: "alb",
          expression:
            "(has(object.spec.ingressClassName) && object.spec.ingressClassName == 'alb') || " +
            "(has(object.metadata.annotations) && 'kubernetes.io/ingress.class' in object.metadata.annotations && " +
            "object.metadata.annotations['kubernetes.io/ingress.class'] == 'alb')",
        },
        {
          name: "albAnnotations",
          expression: `has(object.metadata.annotations) ? object.metadata.annotations.filter(k, k.startsWith('${ALB_ANNOTATION_PREFIX}')) : []`,
        },
      ],
      validations: [
        {
          expression: `!variables.alb || ${any}`,
          message:
            "only tap creates ALB Ingresses: a public catalog service's, with its host, backend and annotations (tap:services ... public: true)",
          reason: "Forbidden",
        },
      ],
    },
  };
}

export function albIngressPolicyBinding() {
  return {
    apiVersion: "admissionregistration.k8s.io/v1" as const,
    kind: "ValidatingAdmissionPolicyBinding" as const,
    metadata: { name: ALB_INGRESS_POLICY_NAME },
    spec: { policyName: ALB_INGRESS_POLICY_NAME, validationActions: ["Deny"] },
  };
}
