/**
 * Calico in policy-only mode, installed by the Tigera operator (chart `tigera-operator`): the Amazon
 * VPC CNI keeps pod networking and IPAM, Calico (Felix) enforces Kubernetes NetworkPolicies and
 * tap's GlobalNetworkPolicies (calico-policies.ts).
 *
 * Prerequisite: the VPC CNI's own network-policy agent must stay off, or two engines enforce the
 * same objects (Calico EKS install guide). lib/cluster.ts sets vpcCniOptions.enableNetworkPolicy=false.
 *
 * The release goes to `tigera-operator`; the operator itself creates `calico-system` (calico-node,
 * typha, kube-controllers) and the API server's namespace, with the PSS labels they need.
 *
 * No IRSA role: neither the operator nor any Calico component calls an AWS API.
 */
import * as k8s from "@pulumi/kubernetes";
import { CALICO_LOG_PREFIX, createDenyLoggingPolicies } from "./calico-policies";
import { Values, deepMerge, deployHelmAddon } from "./helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "./types";

export interface CalicoArgs {
  /** Felix (calico-node) Prometheus metrics port. Default: 9091. */
  readonly nodeMetricsPort?: number;
  /** Typha Prometheus metrics port. Default: 9093. */
  readonly typhaMetricsPort?: number;
  /** Replicas of the HA-capable control-plane components (API server; typha scales with nodes). Default: 2. */
  readonly controlPlaneReplicas?: number;
  /** Create the IMDS-deny and log-denied GlobalNetworkPolicies. Default: true. */
  readonly denyLogging?: boolean;
  /** Extra chart values, deep-merged over the defaults; a locked key may not be changed. Default: {}. */
  readonly values?: Values;
}

export const CALICO_DEFAULTS = {
  /** Calico's documented Helm release name (`helm install calico projectcalico/tigera-operator`). */
  releaseName: "calico",
  namespace: "tigera-operator",
  /** Created by the chart, hard-coded in its templates. */
  serviceAccountName: "tigera-operator",
  nodeMetricsPort: 9091,
  typhaMetricsPort: 9093,
  controlPlaneReplicas: 2,
  denyLogging: true,
} as const;

export interface CalicoResult extends AddonResult {
  /** tap-deny-imds and tap-log-denied (empty when denyLogging is false). */
  readonly policies: k8s.apiextensions.CustomResource[];
}

/** `quay.io/tigera/operator` -> registry `quay.io`, image `tigera/operator` (the chart's split). */
export function splitImageRepository(repository: string): { registry: string; image: string } {
  const slash = repository.indexOf("/");
  const host = repository.slice(0, slash);
  if (slash < 0 || !(host.includes(".") || host.includes(":"))) {
    throw new Error(`calico: image repository "${repository}" does not start with a registry host`);
  }
  return { registry: host, image: repository.slice(slash + 1) };
}

/**
 * Keys that must hold tap's value, whatever `args.values` says: policy-only mode beside the VPC CNI
 * (provider, CNI, IPAM, BGP), the API server the GlobalNetworkPolicies need, and the pinned image.
 */
export function calicoLockedValues(ctx: AddonContext): Values {
  const { registry, image } = splitImageRepository(ctx.pins.calico.image.repository);
  return {
    installation: {
      enabled: true,
      kubernetesProvider: "EKS",
      cni: { type: "AmazonVPC", ipam: { type: "AmazonVPC" } },
      calicoNetwork: { bgp: "Disabled" },
    },
    apiServer: { enabled: true },
    tigeraOperator: { registry, image, version: ctx.pins.calico.image.tag },
  };
}

/** The add-on's default values (before args.values and the locked keys). */
export function calicoDefaultValues(args: CalicoArgs = {}): Values {
  const nodeMetricsPort = args.nodeMetricsPort ?? CALICO_DEFAULTS.nodeMetricsPort;
  return {
    installation: {
      // Installation.spec.nodeMetricsPort turns Felix metrics on (and overrides the Felix port).
      nodeMetricsPort,
      typhaMetricsPort: args.typhaMetricsPort ?? CALICO_DEFAULTS.typhaMetricsPort,
      // Typha, kube-controllers and the API server (every Deployment the operator creates) run on
      // on-demand nodes; calico-node is a DaemonSet and runs everywhere.
      controlPlaneNodeSelector: { ...ON_DEMAND_SELECTOR },
      controlPlaneReplicas: args.controlPlaneReplicas ?? CALICO_DEFAULTS.controlPlaneReplicas,
    },
    // FelixConfiguration/default (chart >= v3.28.0; every pin is v3.28.5 or newer): the same port as
    // nodeMetricsPort, and the Log-action prefix the deny logging relies on, written down rather
    // than left to Felix's default.
    defaultFelixConfiguration: {
      enabled: true,
      prometheusMetricsEnabled: true,
      prometheusMetricsPort: nodeMetricsPort,
      logPrefix: CALICO_LOG_PREFIX,
    },
    // The operator pod itself (one replica, hard-coded by the chart): on-demand Linux nodes.
    nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
  };
}

/** Dotted paths of every leaf in `v` (arrays are leaves). */
function leafPaths(v: Values, prefix = ""): [string, unknown][] {
  return Object.entries(v).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? leafPaths(value as Values, path)
      : [[path, value] as [string, unknown]];
  });
}

function valueAt(v: Values, path: string): unknown {
  let cur: unknown = v;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Values)[key];
  }
  return cur;
}

/** Throws one Error naming every locked key that `user` sets to another value. */
export function assertNoLockedOverride(user: Values, locked: Values): void {
  const problems = leafPaths(locked)
    .map(([path, want]) => ({ path, want, got: valueAt(user, path) }))
    .filter(({ got, want }) => got !== undefined && got !== want)
    .map(
      ({ path, want, got }) =>
        `values.${path} is locked to ${JSON.stringify(want)} (got ${JSON.stringify(got)})`,
    );
  if (problems.length > 0) throw new Error(`calico: ${problems.join("; ")}`);
}

export function deployCalico(ctx: AddonContext, args: CalicoArgs = {}): CalicoResult {
  const locked = calicoLockedValues(ctx);
  const user = args.values ?? {};
  assertNoLockedOverride(user, locked);

  const result = deployHelmAddon(ctx, {
    name: CALICO_DEFAULTS.releaseName,
    pin: ctx.pins.calico,
    namespace: CALICO_DEFAULTS.namespace,
    // privileged: the operator pod runs with hostNetwork and a hostPath volume (/var/lib/calico),
    // both forbidden by baseline and restricted; Calico's own manifest labels this namespace
    // `pod-security.kubernetes.io/enforce: privileged`. Only the operator runs here.
    createNamespace: { podSecurity: "privileged" },
    // The chart creates its own ServiceAccount; no policy, so no IRSA role.
    serviceAccount: { name: CALICO_DEFAULTS.serviceAccountName },
    values: deepMerge(calicoDefaultValues(args), user),
    // Helm waits for the operator Deployment only, not for what the operator rolls out afterwards
    // (calico-node, typha, the API server): the default timeout is enough.
    lockedValues: () => locked,
  });

  const policies =
    (args.denyLogging ?? CALICO_DEFAULTS.denyLogging)
      ? createDenyLoggingPolicies(ctx, result.release)
      : [];
  return { ...result, policies };
}
