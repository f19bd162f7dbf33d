/**
 * Karpenter's NodePools and EC2NodeClass as data (karpenter.sh/v1, karpenter.k8s.aws/v1 at the
 * pinned 1.14.1; validated against those CRDs' schemas in test/unit/upstream/crds.test.ts).
 *
 * The 70/30 split, the way Karpenter allows it: a NodePool has one capacity type per node, so each
 * architecture gets a spot pool and an on-demand pool, and both carry a `tap/capacity-spread` label
 * whose values divide ten domains between them by the same split function as the managed node
 * groups (spotShare(10, tap:spotPercentage): 70% -> spot "1".."7", on-demand "8".."10"). The catalog's
 * pods spread over that label (maxSkew 1), so their replicas land about 7:3 on spot:on-demand.
 */
import { KarpenterArchitecture, KarpenterSettings } from "../../capabilities";
import { spotShare } from "../../node-groups";

/** Spread label (the pods' topologySpreadConstraints key) and capacity label of Karpenter's nodes. */
export const CAPACITY_SPREAD_LABEL = "tap/capacity-spread";
export const KARPENTER_CAPACITY_LABEL = "karpenter.sh/capacity-type";
/** Same key the managed node groups carry (lib/node-groups.ts CAPACITY_LABEL). */
export const TAP_CAPACITY_LABEL = "tap/capacity-type";
/** Domains of the spread label: a 10% granularity. */
export const SPREAD_DOMAINS = 10;
export const NODE_CLASS_NAME = "tap";
/**
 * The taint of the arm64 pools: weights alone do not keep an amd64-only image off Graviton (the
 * scheduler uses any node that fits, Karpenter falls back when amd64 is short), so a pod must
 * tolerate it to run there.
 */
export const ARM64_TAINT = {
  key: "kubernetes.io/arch",
  value: "arm64",
  effect: "NoSchedule",
} as const;

export type CapacityType = "spot" | "on-demand";

/** The spread label's values of each capacity type ("1".."10" split by spotShare). */
export function capacitySpread(spotPercentage: number): Record<CapacityType, string[]> {
  const spot = spotShare(SPREAD_DOMAINS, spotPercentage);
  const values = Array.from({ length: SPREAD_DOMAINS }, (_, i) => String(i + 1));
  return { spot: values.slice(0, spot), "on-demand": values.slice(spot) };
}

export interface NodePoolInput {
  readonly spotPercentage: number;
  /** Node maximum over all pools of one architecture (tap:nodeMaxSize). */
  readonly nodeMaxSize: number;
  /** The instance types tap's managed groups use: category and size of Karpenter's choice. */
  readonly instanceTypes: readonly string[];
  /** vCPUs per node of that size. */
  readonly vcpus: number;
  readonly settings: KarpenterSettings;
}

export interface NodePoolManifest {
  readonly name: string;
  readonly architecture: KarpenterArchitecture;
  readonly capacityType: CapacityType;
  /** The NodePool's `spec`. */
  readonly spec: Record<string, unknown>;
}

/**
 * Weights (higher is tried first): spot before on-demand, amd64 before arm64. What keeps an
 * amd64-only image off Graviton is the arm64 pools' taint (ARM64_TAINT), not the weights: a pod
 * runs on arm64 only if it tolerates it.
 */
export const POOL_WEIGHTS: Readonly<Record<`${KarpenterArchitecture}-${CapacityType}`, number>> = {
  "amd64-spot": 40,
  "amd64-on-demand": 30,
  "arm64-spot": 20,
  "arm64-on-demand": 10,
};

/** Instance categories (the family's letters before the generation: m, c, r, t ...). */
export function instanceCategories(types: readonly string[]): string[] {
  return [...new Set(types.map((t) => (/^([a-z]+?)[0-9]/.exec(t) ?? ["", t])[1]))].sort();
}

/** One spot and one on-demand pool per architecture, each pool's cpu limit its share of the max. */
export function nodePools(input: NodePoolInput): NodePoolManifest[] {
  const spread = capacitySpread(input.spotPercentage);
  const spotNodes = spotShare(input.nodeMaxSize, input.spotPercentage);
  const maxNodes: Record<CapacityType, number> = {
    spot: spotNodes,
    "on-demand": input.nodeMaxSize - spotNodes,
  };
  const out: NodePoolManifest[] = [];
  for (const architecture of input.settings.architectures) {
    for (const capacityType of ["spot", "on-demand"] as const) {
      if (spread[capacityType].length === 0 || maxNodes[capacityType] === 0) continue;
      const name = `${architecture}-${capacityType}`;
      out.push({
        name,
        architecture,
        capacityType,
        spec: {
          weight: POOL_WEIGHTS[name as keyof typeof POOL_WEIGHTS],
          template: {
            metadata: { labels: { [TAP_CAPACITY_LABEL]: capacityType } },
            spec: {
              // Graviton only for pods that say their image runs there (they tolerate the taint).
              ...(architecture === "arm64" ? { taints: [{ ...ARM64_TAINT }] } : {}),
              nodeClassRef: {
                group: "karpenter.k8s.aws",
                kind: "EC2NodeClass",
                name: NODE_CLASS_NAME,
              },
              requirements: [
                { key: "kubernetes.io/arch", operator: "In", values: [architecture] },
                { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
                { key: KARPENTER_CAPACITY_LABEL, operator: "In", values: [capacityType] },
                {
                  key: "karpenter.k8s.aws/instance-category",
                  operator: "In",
                  values: instanceCategories(input.instanceTypes),
                },
                {
                  key: "karpenter.k8s.aws/instance-cpu",
                  operator: "In",
                  values: [String(input.vcpus)],
                },
                // Nitro generations with IMDSv2 and current prices (m5/c5/r5 and newer; Graviton 2+).
                { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["4"] },
                { key: CAPACITY_SPREAD_LABEL, operator: "In", values: spread[capacityType] },
              ],
              // Nodes are replaced monthly (fresh AMI of the pinned alias, no long-lived drift).
              expireAfter: "720h",
              // A drain may take this long before the node is terminated anyway (bounded destroy).
              terminationGracePeriod: "30m",
            },
          },
          disruption: {
            consolidationPolicy: "WhenEmptyOrUnderutilized",
            consolidateAfter: "5m",
            budgets: [
              // At most a tenth of the pool's nodes disrupted at once, whatever the reason ...
              { nodes: "10%" },
              // ... and drift (a new AMI, a changed node class) replaces one node at a time.
              { nodes: "1", reasons: ["Drifted"] },
            ],
          },
          limits: { cpu: String(maxNodes[capacityType] * input.vcpus) },
        },
      });
    }
  }
  return out;
}

export interface NodeClassInput {
  readonly clusterName: string;
  readonly nodeRoleName: string;
  readonly amiAlias: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The discovery tag Karpenter selects the private subnets and the cluster security group by. */
export const DISCOVERY_TAG = "karpenter.sh/discovery";

/** The EC2NodeClass: Bottlerocket by pinned alias, IMDSv2 hop 1, encrypted gp3, discovery by tag. */
export function ec2NodeClassSpec(input: NodeClassInput): Record<string, unknown> {
  const ebs = (volumeSize: string) => ({
    volumeSize,
    volumeType: "gp3",
    encrypted: true,
    deleteOnTermination: true,
  });
  const discovery = [{ tags: { [DISCOVERY_TAG]: input.clusterName } }];
  return {
    role: input.nodeRoleName,
    amiSelectorTerms: [{ alias: input.amiAlias }],
    subnetSelectorTerms: discovery,
    securityGroupSelectorTerms: discovery,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpProtocolIPv6: "disabled",
      httpPutResponseHopLimit: 1,
      httpTokens: "required",
    },
    // Bottlerocket: the OS volume (xvda) and the data volume (xvdb), as the managed groups have.
    blockDeviceMappings: [
      { deviceName: "/dev/xvda", ebs: ebs("4Gi") },
      { deviceName: "/dev/xvdb", ebs: ebs("50Gi") },
    ],
    tags: { ...input.tags },
  };
}
