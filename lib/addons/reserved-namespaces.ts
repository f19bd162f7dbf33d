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
