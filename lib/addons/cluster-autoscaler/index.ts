/**
 * cluster-autoscaler (kubernetes/autoscaler chart) in kube-system: discovers the managed node
 * groups by the tags EKS puts on their ASGs, prefers the spot group (priority expander, ties broken
 * by least-waste) and may only resize ASGs tagged for this cluster (iam.ts).
 */
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon, Values } from "../helm-addon";
import { SPOT_NODE_GROUP_ROLE } from "../../node-groups";
import { clusterAutoscalerPolicy } from "./iam";
import { AddonContext, AddonResult, ContainerResources, ON_DEMAND_SELECTOR } from "../types";
import { criticalAddonPlacement } from "../../node-classes";

export interface ClusterAutoscalerArgs {
  /** Replicas (active/standby through leader election); default 2. Fewer than 2 is an error. */
  readonly replicas?: number;
  /** Container requests/limits; default CLUSTER_AUTOSCALER_DEFAULTS.resources. */
  readonly resources?: ContainerResources;
  /** Flags merged over CLUSTER_AUTOSCALER_DEFAULTS.extraArgs (each becomes `--key=value`). */
  readonly extraArgs?: Readonly<Record<string, string>>;
}

/** Node-group role of the spot group (lib/node-groups.ts names it `tap-spot-<suffix>-…`). */
export { SPOT_NODE_GROUP_ROLE };

export const CLUSTER_AUTOSCALER_DEFAULTS = {
  /** Release name; also the `app.kubernetes.io/instance` label of the pods. */
  releaseName: "cluster-autoscaler",
  /** Exists on every cluster: no namespace is created. */
  namespace: "kube-system",
  /** Must match the IRSA trust `sub` (the chart's default would be `<release>-aws-cluster-autoscaler`). */
  serviceAccountName: "cluster-autoscaler",
  replicas: 2,
  /** CA's memory grows with node and pod count; these fit tap's cluster sizes. */
  resources: {
    requests: { cpu: "100m", memory: "300Mi" },
    limits: { cpu: "500m", memory: "600Mi" },
  } satisfies ContainerResources,
  /**
   * Flags (upstream FAQ names). Defaults that matter are repeated so a chart or binary default
   * change cannot alter behaviour silently.
   */
  extraArgs: {
    // Priority first (spot before on-demand), least-waste breaks ties inside a priority. The chart
    // renders the priority ConfigMap only if this comma-separated list (no spaces) has "priority".
    expander: "priority,least-waste",
    // Same-shaped groups in different AZs scale together. The spot and on-demand groups are NOT
    // "similar": their eks.amazonaws.com/capacityType labels differ, so the spot preference holds.
    "balance-similar-node-groups": "true",
    "skip-nodes-with-system-pods": "true",
    // emptyDir is scratch space in tap's services; it must not pin a node forever.
    "skip-nodes-with-local-storage": "false",
    "scale-down-unneeded-time": "10m",
    "scale-down-utilization-threshold": "0.5",
    "scale-down-delay-after-add": "10m",
    // Two replicas are only safe with leader election (the binary's default; stated explicitly).
    "leader-elect": "true",
    // The Fluent Bit DaemonSet runs on every node: leave DaemonSets out of the utilisation sum so
    // an otherwise idle node still counts as scale-down candidate.
    "ignore-daemonsets-utilization": "true",
    // A spot request that cannot be filled is given up on after this long (then on-demand is tried).
    "max-node-provision-time": "15m",
  } as Readonly<Record<string, string>>,
  /** Priority-expander weights: the highest matching number wins. */
  spotPriority: 50,
  catchAllPriority: 10,
  timeoutSeconds: 600,
} as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The priority-expander map (`expanderPriorities`): the spot group's ASGs first, everything else
 * through the catch-all (a group no regex matches would never be scaled up). CA matches the regexes
 * against ASG names; an MNG's ASG is `eks-<node group name>-<uuid>` and tap's spot group is named
 * `tap-spot-<suffix>-…`. Matching that name, not just "spot", keeps an environment suffix that
 * contains "spot" from promoting the on-demand group too.
 */
export function spotFirstPriorities(spotNodeGroupName: string): Record<string, string[]> {
  return {
    [String(CLUSTER_AUTOSCALER_DEFAULTS.spotPriority)]: [`.*${escapeRegExp(spotNodeGroupName)}-.*`],
    [String(CLUSTER_AUTOSCALER_DEFAULTS.catchAllPriority)]: [".*"],
  };
}

/** The add-on's default values (everything except the locked keys). */
export function clusterAutoscalerValues(
  ctx: AddonContext,
  args: ClusterAutoscalerArgs = {},
): Values {
  const d = CLUSTER_AUTOSCALER_DEFAULTS;
  const placement = criticalAddonPlacement(ctx.config.nodeClasses);
  const replicas = args.replicas ?? d.replicas;
  if (!Number.isInteger(replicas) || replicas < 2) {
    throw new Error(
      `clusterAutoscaler replicas must be an integer >= 2 (leader election keeps one active; got ${replicas})`,
    );
  }
  return {
    fullnameOverride: d.releaseName,
    replicaCount: replicas,
    // On the system class when there is one (tolerating its taint), else on on-demand nodes.
    ...(placement
      ? {
          nodeSelector: { ...placement.nodeSelector },
          tolerations: placement.tolerations.map((t) => ({ ...t })),
        }
      : { nodeSelector: { ...ON_DEMAND_SELECTOR } }),
    // Prefer the replicas on different nodes, so losing one node does not stop autoscaling.
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { "app.kubernetes.io/instance": d.releaseName } },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    },
    // The chart copies this map into the PDB spec; its default has no minAvailable to null out.
    podDisruptionBudget: { maxUnavailable: 1 },
    priorityClassName: "system-cluster-critical",
    resources: args.resources ?? d.resources,
    // The AWS example manifest's hardening (the image runs as a non-root user).
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      fsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    extraArgs: { ...d.extraArgs, ...(args.extraArgs ?? {}) },
    expanderPriorities: spotFirstPriorities(ctx.name(SPOT_NODE_GROUP_ROLE)),
  };
}

export function deployClusterAutoscaler(
  ctx: AddonContext,
  args: ClusterAutoscalerArgs = {},
): AddonResult {
  const d = CLUSTER_AUTOSCALER_DEFAULTS;
  const pin = ctx.pins.clusterAutoscaler;
  return deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) => clusterAutoscalerPolicy(scope, ctx.clusterName),
    },
    values: clusterAutoscalerValues(ctx, args),
    lockedValues: (roleArn) => ({
      cloudProvider: "aws",
      // Pods cannot reach IMDS (hop limit 1): the region is given, never discovered.
      awsRegion: ctx.region,
      // Discovery by the default tags k8s.io/cluster-autoscaler/{enabled,<clusterName>}.
      autoDiscovery: { clusterName: ctx.clusterName },
      // The image minor must equal the cluster minor: always the pin for this cluster's version.
      image: { repository: pin.image.repository, tag: pin.image.tag },
      rbac: {
        create: true,
        serviceAccount: {
          create: true,
          name: d.serviceAccountName,
          annotations: { [IRSA_ANNOTATION]: roleArn },
        },
      },
    }),
    timeoutSeconds: d.timeoutSeconds,
  });
}
