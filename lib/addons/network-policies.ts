/**
 * The network baseline of every namespace tap creates for workloads: the Namespace (Pod Security
 * Standards labels + the workload label Calico's global policies select on), a default-deny of all
 * ingress and egress, and the one egress every pod needs (DNS to kube-dns). Everything else is
 * opened by the service catalog, one NetworkPolicy per declared dependency.
 *
 * The instance metadata service (169.254.169.254) is never reachable from a workload pod: default-deny
 * blocks it, `internetEgressPeer()` (the only "internet" peer later allow rules should use) excludes
 * it, and Calico's `tap-deny-imds` GlobalNetworkPolicy (calico/policies.ts) logs and denies it ahead
 * of every Kubernetes NetworkPolicy, so even a hand-written allow-all cannot open it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../naming";
import { RESERVED_NAMESPACES } from "./reserved-namespaces";
import { AddonContext, inCluster, podSecurityLabels } from "./types";

export { RESERVED_NAMESPACES };

/** The label that marks a tap workload namespace (Calico's global policies select on it). */
export const WORKLOAD_NAMESPACE_LABEL = "tap/workload";
/** The value WORKLOAD_NAMESPACE_LABEL carries on a workload namespace. */
export const WORKLOAD_NAMESPACE_LABEL_VALUE = "true";
/** EC2 instance metadata service (IPv4). */
export const IMDS_CIDR = "169.254.169.254/32";

/** Names of the baseline policies created in every workload namespace. */
export const BASELINE_POLICY_NAMES = {
  defaultDeny: "default-deny-all",
  allowDns: "allow-dns",
} as const;

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Peer for "the internet" in later egress allow rules: 0.0.0.0/0 except the metadata service. */
export function internetEgressPeer(): { ipBlock: { cidr: string; except: string[] } } {
  return { ipBlock: { cidr: "0.0.0.0/0", except: [IMDS_CIDR] } };
}

/** Selects every pod of the namespace and allows nothing, in either direction. */
export function defaultDenyAllSpec(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
}

/** The cluster DNS pods (CoreDNS keeps the `k8s-app: kube-dns` label on EKS). */
export function kubeDnsPeer(): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  };
}

/** Egress from every pod of the namespace to kube-dns on UDP and TCP 53, and nothing else. */
export function allowDnsSpec(): NetworkPolicySpec {
  return {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [
      {
        to: [kubeDnsPeer()],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  };
}

export interface BaselineOptions {
  /** Resources the policies wait for (the namespace, the Calico release). Default: none. */
  readonly dependsOn?: pulumi.Resource[];
  /**
   * In Istio's ambient mesh: the address kubelet's health probes come from (the ambient CNI
   * rewrites their source), admitted to every pod of the namespace, tap's or a tenant's own.
   */
  readonly ambientProbeSource?: string;
}

/** Names of the baseline policies created only in an ambient-mesh namespace. */
export const AMBIENT_PROBES_POLICY = "allow-ambient-probes";

/** Ingress from the ambient CNI's probe address to every pod of the namespace, on any port. */
export function allowAmbientProbesSpec(probeSourceCidr: string): NetworkPolicySpec {
  return {
    podSelector: {},
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ ipBlock: { cidr: probeSourceCidr } }] }],
  };
}

/** Creates `default-deny-all` and `allow-dns` in `namespace` (which must exist or be in dependsOn). */
export function createNamespaceBaseline(
  ctx: AddonContext,
  namespace: string,
  opts: BaselineOptions = {},
): k8s.networking.v1.NetworkPolicy[] {
  const resourceOpts = inCluster(ctx, opts.dependsOn ?? []);
  const policy = (name: string, spec: NetworkPolicySpec) =>
    new k8s.networking.v1.NetworkPolicy(
      ctx.name(`np-${namespace}-${name}`),
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
          name,
          namespace,
          labels: { "app.kubernetes.io/managed-by": "pulumi", "tap/baseline": "true" },
        },
        spec,
      },
      resourceOpts,
    );
  return [
    policy(BASELINE_POLICY_NAMES.defaultDeny, defaultDenyAllSpec()),
    policy(BASELINE_POLICY_NAMES.allowDns, allowDnsSpec()),
    ...(opts.ambientProbeSource
      ? [policy(AMBIENT_PROBES_POLICY, allowAmbientProbesSpec(opts.ambientProbeSource))]
      : []),
  ];
}

export interface WorkloadNamespaceOptions {
  /**
   * Pod Security Standards level enforced on the namespace. Default: "restricted". "privileged" is
   * for App Mesh service namespaces only: the injected proxy-init container needs NET_ADMIN, which
   * baseline forbids (warn and audit stay at restricted so the exception stays visible).
   */
  readonly podSecurity?: "restricted" | "baseline" | "privileged";
  /** Extra labels; they cannot override the PSS labels or the workload label. Default: none. */
  readonly labels?: Record<string, string>;
  /** Resources the namespace waits for (e.g. the Calico release, so policies are enforced). */
  readonly dependsOn?: pulumi.Resource[];
  /** In Istio's ambient mesh: kubelet's probe address, admitted to every pod (BaselineOptions). */
  readonly ambientProbeSource?: string;
}

export interface WorkloadNamespace {
  readonly namespace: k8s.core.v1.Namespace;
  readonly policies: k8s.networking.v1.NetworkPolicy[];
}

const DNS_LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The labels of a workload namespace: user labels first, then the ones tap enforces. */
export function workloadNamespaceLabels(
  environmentSuffix: string,
  opts: Pick<WorkloadNamespaceOptions, "podSecurity" | "labels"> = {},
): Record<string, string> {
  return {
    ...(opts.labels ?? {}),
    ...ownershipLabels(environmentSuffix),
    ...podSecurityLabels(opts.podSecurity ?? "restricted"),
    [WORKLOAD_NAMESPACE_LABEL]: WORKLOAD_NAMESPACE_LABEL_VALUE,
  };
}

/** Creates a workload Namespace (PSS labels + workload label) and its network baseline. */
export function createWorkloadNamespace(
  ctx: AddonContext,
  name: string,
  opts: WorkloadNamespaceOptions = {},
): WorkloadNamespace {
  if (!DNS_LABEL_RE.test(name)) {
    throw new Error(
      `workload namespace "${name}" is not a valid Kubernetes name (lowercase letters, digits and "-", 1-63 characters)`,
    );
  }
  if (RESERVED_NAMESPACES.includes(name)) {
    throw new Error(
      `workload namespace "${name}" is reserved; use a dedicated namespace (reserved: ${RESERVED_NAMESPACES.join(", ")})`,
    );
  }
  const namespace = new k8s.core.v1.Namespace(
    ctx.name(`ns-${name}`),
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: workloadNamespaceLabels(ctx.config.environmentSuffix, opts) },
    },
    inCluster(ctx, opts.dependsOn ?? []),
  );
  const policies = createNamespaceBaseline(ctx, name, {
    dependsOn: [namespace, ...(opts.dependsOn ?? [])],
    ambientProbeSource: opts.ambientProbeSource,
  });
  return { namespace, policies };
}
