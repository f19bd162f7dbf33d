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
