/**
 * Calico GlobalNetworkPolicies that make denied traffic visible. Open-source Calico before 3.30 has
 * no flow logs; a rule with `action: Log` ahead of a `Deny` writes an iptables LOG line to the node's
 * syslog with the FelixConfiguration `logPrefix` (tap pins it to `calico-packet`).
 *
 * How the default tier is evaluated for a pod of a workload namespace (lowest `order` first; the
 * Kubernetes NetworkPolicies of the namespace are converted by Calico with order 1000):
 *   order 100    tap-deny-imds     egress to 169.254.169.254/32: Log, then Deny (nothing can open it)
 *   order 1000   Kubernetes NetworkPolicies (default-deny-all, allow-dns, the catalog's allows)
 *   order 10000  tap-log-denied    anything no allow rule matched: Log, then Deny
 * The final Deny is what Calico's end-of-tier drop would do anyway; writing it keeps the intent
 * readable and independent of that implicit rule.
 *
 * apiVersion: `projectcalico.org/v3`, served by the Calico API server (tap's `APIServer` object in
 * index.ts). It validates and defaults the policy; Calico documents `crd.projectcalico.org/v1` as
 * its internal storage that users must not write (no validation, and v1 names need the tier prefix
 * `default.`), so tap does not write v1 directly. The policies are created only after that APIServer
 * object is Ready (Pulumi awaits it), so the API exists when they are sent: no first-deploy race.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  IMDS_CIDR,
  WORKLOAD_NAMESPACE_LABEL,
  WORKLOAD_NAMESPACE_LABEL_VALUE,
} from "../network-policies";
import { AddonContext, inCluster } from "../types";

export const CALICO_POLICY_API_VERSION = "projectcalico.org/v3";
/** FelixConfiguration `logPrefix`: the prefix of every Log-action line in the node syslog. */
export const CALICO_LOG_PREFIX = "calico-packet";

/** Orders in Calico's default tier (Kubernetes NetworkPolicies sit at 1000). */
export const POLICY_ORDER = {
  denyImds: 100,
  kubernetesNetworkPolicy: 1000,
  logDenied: 10000,
} as const;

export const CALICO_POLICY_NAMES = {
  denyImds: "tap-deny-imds",
  logDenied: "tap-log-denied",
} as const;

/** Calico selector for the namespaces tap created for workloads. */
export const WORKLOAD_NAMESPACE_SELECTOR = `${WORKLOAD_NAMESPACE_LABEL} == "${WORKLOAD_NAMESPACE_LABEL_VALUE}"`;

export type CalicoAction = "Allow" | "Deny" | "Log" | "Pass";

export interface CalicoRule {
  readonly action: CalicoAction;
  readonly destination?: { readonly nets?: readonly string[] };
}

export interface GlobalNetworkPolicySpec {
  readonly order: number;
  readonly selector: string;
  readonly namespaceSelector: string;
  readonly types: readonly ("Ingress" | "Egress")[];
  readonly ingress?: readonly CalicoRule[];
  readonly egress?: readonly CalicoRule[];
}

/** Logs, then denies, egress from workload pods to the instance metadata service. */
export function denyImdsPolicySpec(): GlobalNetworkPolicySpec {
  const imds = { nets: [IMDS_CIDR] };
  return {
    order: POLICY_ORDER.denyImds,
    selector: "all()",
    namespaceSelector: WORKLOAD_NAMESPACE_SELECTOR,
    types: ["Egress"],
    egress: [
      { action: "Log", destination: imds },
      { action: "Deny", destination: imds },
    ],
  };
}

/** Evaluated after every Kubernetes NetworkPolicy: logs, then denies, what no allow rule matched. */
export function logDeniedPolicySpec(): GlobalNetworkPolicySpec {
  const logThenDeny: CalicoRule[] = [{ action: "Log" }, { action: "Deny" }];
  return {
    order: POLICY_ORDER.logDenied,
    selector: "all()",
    namespaceSelector: WORKLOAD_NAMESPACE_SELECTOR,
    types: ["Ingress", "Egress"],
    ingress: logThenDeny,
    egress: logThenDeny,
  };
}

/** Creates both GlobalNetworkPolicies once `apiServer` (the Ready Calico API server) exists. */
export function createDenyLoggingPolicies(
  ctx: AddonContext,
  apiServer: pulumi.Resource,
): k8s.apiextensions.CustomResource[] {
  const opts: pulumi.CustomResourceOptions = {
    ...inCluster(ctx, [apiServer]),
    customTimeouts: { create: "10m", update: "10m", delete: "5m" },
  };
  const policy = (name: string, spec: GlobalNetworkPolicySpec) =>
    new k8s.apiextensions.CustomResource(
      ctx.name(`calico-gnp-${name}`),
      {
        apiVersion: CALICO_POLICY_API_VERSION,
        kind: "GlobalNetworkPolicy",
        metadata: { name, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
        spec,
      },
      opts,
    );
  return [
    policy(CALICO_POLICY_NAMES.denyImds, denyImdsPolicySpec()),
    policy(CALICO_POLICY_NAMES.logDenied, logDeniedPolicySpec()),
  ];
}
