// Data apart from code that builds anything: the config contract reads it (lib/services/catalog.ts).
/** Namespaces that must never be turned into workload namespaces (system or add-on owned). */
export const RESERVED_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "tigera-operator",
  "calico-system",
  "calico-apiserver",
];

/**
 * The cluster's own namespaces and those of tap's add-ons: Kyverno's webhooks never see them, and
 * Falco's /etc rule leaves them to the defaults.
 */
export const SYSTEM_NAMESPACES = [
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "kyverno",
  "tigera-operator",
  "calico-system",
  "calico-apiserver",
  "amazon-cloudwatch",
  "amazon-guardduty",
  "keda",
  "karpenter",
  "appmesh-system",
  "external-dns",
  "istio-system",
  "falco",
] as const;

/**
 * Every namespace a capability of tap's puts its components in besides kube-system (the add-ons'
 * own; GuardDuty's runtime agent's): a catalog service may not take one of these names (its
 * namespace would be the add-on's), and Argo CD's `tap` project may not deploy into one. A test
 * synthesizes the capabilities and holds every namespace they use to this list.
 */
export const ADDON_NAMESPACES = [
  "tigera-operator",
  "calico-system",
  "calico-apiserver",
  "amazon-cloudwatch",
  "amazon-guardduty",
  "keda",
  "tap-probe",
  "appmesh-system",
  "external-dns",
  "istio-system",
  "kyverno",
  "falco",
  "argocd",
  "argo-rollouts",
  "opentelemetry",
  "prometheus",
] as const;
