/**
 * Compute: the 70/30 spot/on-demand split. Managed node groups cannot mix capacity types, so the
 * split is two groups sized by one pure function (`splitCapacity`). Both run in private subnets
 * from one hardened launch template (IMDSv2, hop limit 1, encrypted volumes).
 */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import { NodeOperatingSystem, TapConfig, instanceArchitecture } from "./config";
import { TapContext, remoteOptions } from "./context";
import { mergeTags, nameTag } from "./naming";
import {
  GPU_INSTANCE_TYPES,
  NodeClassName,
  Taint,
  eksTaintEffect,
  nodeClassDefinition,
  scaleFromZeroTags,
} from "./node-classes";

export interface Sizes {
  readonly min: number;
  readonly desired: number;
  readonly max: number;
}

export interface CapacitySplit {
  readonly spot: Sizes;
  readonly onDemand: Sizes;
}

/**
 * Spot nodes out of `total` at `spotPercentage`: the nearest integer, except that whenever
 * 0 < spotPercentage < 100 the on-demand side keeps at least one node (it hosts the critical
 * controllers) and, from two nodes up, the spot side gets at least one.
 */
export function spotShare(total: number, spotPercentage: number): number {
  if (spotPercentage <= 0) return 0;
  if (spotPercentage >= 100) return total;
  const nearest = Math.round((total * spotPercentage) / 100);
  const low = total >= 2 ? 1 : 0;
  return Math.min(Math.max(nearest, low), total - 1);
}

/** Splits total min/desired/max into spot and on-demand sizes that keep min <= desired <= max. */
export function splitCapacity(total: Sizes, spotPercentage: number): CapacitySplit {
  const spot = {
    min: spotShare(total.min, spotPercentage),
    desired: spotShare(total.desired, spotPercentage),
    max: spotShare(total.max, spotPercentage),
  };
  return {
    spot,
    onDemand: {
      min: total.min - spot.min,
      desired: total.desired - spot.desired,
      max: total.max - spot.max,
    },
  };
}

/** The EKS AMI type for an OS and CPU architecture (set explicitly: the EKS default is AL2). */
export function amiTypeFor(os: NodeOperatingSystem, arch: "x86_64" | "arm64"): string {
  const table: Record<NodeOperatingSystem, Record<"x86_64" | "arm64", string>> = {
    Bottlerocket: { x86_64: "BOTTLEROCKET_x86_64", arm64: "BOTTLEROCKET_ARM_64" },
    AL2023: { x86_64: "AL2023_x86_64_STANDARD", arm64: "AL2023_ARM_64_STANDARD" },
    AL2: { x86_64: "AL2_x86_64", arm64: "AL2_ARM_64" },
  };
  return table[os][arch];
}

/** Block devices: Bottlerocket has an OS volume (xvda) and a data volume (xvdb); AL2/AL2023 one root. */
export function blockDevicesFor(
  os: NodeOperatingSystem,
): aws.types.input.ec2.LaunchTemplateBlockDeviceMapping[] {
  const ebs = (volumeSize: number) => ({
    volumeSize,
    volumeType: "gp3",
    encrypted: "true",
    deleteOnTermination: "true",
  });
  return os === "Bottlerocket"
    ? [
        { deviceName: "/dev/xvda", ebs: ebs(4) },
        { deviceName: "/dev/xvdb", ebs: ebs(50) },
      ]
    : [{ deviceName: "/dev/xvda", ebs: ebs(50) }];
}

/** Role names of the two groups; the spot one is what cluster-autoscaler's priority expander prefers. */
export const SPOT_NODE_GROUP_ROLE = "tap-spot";
export const ON_DEMAND_NODE_GROUP_ROLE = "tap-ondemand";
/**
 * With Karpenter: the one on-demand group for the controllers, which Karpenter does not manage.
 * With tap:nodeClasses.system (never with Karpenter): the system class's tainted group.
 */
export const SYSTEM_NODE_GROUP_ROLE = "tap-system";
/** The gpu node class's group (tap:nodeClasses.gpu): at zero until a GPU pod waits. */
export const GPU_NODE_GROUP_ROLE = "tap-gpu";
/** Its AMI (EKS's AMI type; every GPU type tap knows is x86_64: lib/gpu-instance-types.ts). */
export const GPU_AMI_TYPE = "BOTTLEROCKET_x86_64_NVIDIA";

/** Label key naming each node's capacity type (EKS also sets eks.amazonaws.com/capacityType). */
export const CAPACITY_LABEL = "tap/capacity-type";
export const EKS_CAPACITY_LABEL = "eks.amazonaws.com/capacityType";
/** Share of a group replaced at once during updates: a third at a time. */
export const MAX_UNAVAILABLE_PERCENTAGE = 33;

/**
 * pulumi-eks' ManagedNodeGroup has no `updateConfig` input (pulumi/pulumi-eks#1147), so this
 * transform sets it on the aws.eks.NodeGroup the component creates: transforms reach into
 * packaged components. Without it EKS replaces one node at a time.
 */
export const rollAThirdAtATime: pulumi.ResourceTransform = (args) =>
  args.type === "aws:eks/nodeGroup:NodeGroup"
    ? {
        props: {
          ...args.props,
          updateConfig: { maxUnavailablePercentage: MAX_UNAVAILABLE_PERCENTAGE },
        },
        opts: args.opts,
      }
    : undefined;

/**
 * Resource options for the TapStack as the program creates it (bin/tap.ts): the node-group update
 * transform, passed always. Pulumi's mock monitor refuses transforms, so only the unit tests and
 * the offline plan build a TapStack without these options (the transform is tested on its own).
 */
export function programOptions(): pulumi.ComponentResourceOptions {
  return { transforms: [rollAThirdAtATime] };
}

export interface NodeGroupPlan {
  readonly capacityType: "SPOT" | "ON_DEMAND";
  readonly role: string;
  readonly label: string;
  readonly sizes: Sizes;
  /** Its node class, with tap:nodeClasses set (absent: the specification's groups, unlabelled). */
  readonly nodeClass?: NodeClassName;
  /** The class's labels and taints (lib/node-classes.ts). */
  readonly classLabels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  /** Its own instance types and AMI (the GPU class); absent: tap:nodeInstanceTypes and the OS's. */
  readonly instanceTypes?: readonly string[];
  readonly amiType?: string;
  /** GPUs per node (the GPU class: its scale-from-zero resources tag). */
  readonly gpusPerNode?: number;
}

/**
 * The managed node groups: the 70/30 split's two groups, or with Karpenter one small on-demand
 * system group (CoreDNS, the controllers, Karpenter itself); Karpenter's NodePools then carry the
 * application capacity and its split (lib/addons/karpenter/node-pools.ts).
 */
export function nodeGroupPlan(
  config: Pick<TapConfig, "addons" | "addonSettings" | "nodeClasses">,
  split: CapacitySplit,
): NodeGroupPlan[] {
  if (config.addons.karpenter) {
    const n = config.addonSettings.karpenter.systemNodes;
    return [
      {
        capacityType: "ON_DEMAND",
        role: SYSTEM_NODE_GROUP_ROLE,
        label: "on-demand",
        sizes: { min: n, desired: n, max: n + 1 },
      },
    ];
  }
  // With node classes, the 70/30 groups are the application class (and say so on their nodes).
  const classes = config.nodeClasses;
  const application =
    Object.keys(classes).length > 0
      ? {
          nodeClass: "application" as const,
          classLabels: nodeClassDefinition("application", classes).labels,
        }
      : {};
  const gpu = classes.gpu;
  const system = classes.system;
  return [
    ...(system
      ? [
          {
            capacityType: "ON_DEMAND" as const,
            role: SYSTEM_NODE_GROUP_ROLE,
            label: "on-demand",
            sizes: { min: system.nodes, desired: system.nodes, max: system.nodes + 1 },
            nodeClass: "system" as const,
            classLabels: nodeClassDefinition("system", classes).labels,
            taints: nodeClassDefinition("system", classes).taints,
          },
        ]
      : []),
    {
      capacityType: "SPOT",
      role: SPOT_NODE_GROUP_ROLE,
      label: "spot",
      sizes: split.spot,
      ...application,
    },
    {
      capacityType: "ON_DEMAND",
      role: ON_DEMAND_NODE_GROUP_ROLE,
      label: "on-demand",
      sizes: split.onDemand,
      ...application,
    },
    ...(gpu
      ? [
          {
            // On-demand: GPU spot capacity is scarce and a job's node should not vanish under it.
            capacityType: "ON_DEMAND" as const,
            role: GPU_NODE_GROUP_ROLE,
            label: "on-demand",
            sizes: { min: 0, desired: 0, max: gpu.maxSize },
            nodeClass: "gpu" as const,
            classLabels: nodeClassDefinition("gpu", classes).labels,
            taints: nodeClassDefinition("gpu", classes).taints,
            instanceTypes: gpu.instanceTypes,
            // Bottlerocket's NVIDIA variant whatever tap:nodeOperatingSystem says: its driver and
            // device plugin come with it (lib/node-classes.ts).
            amiType: GPU_AMI_TYPE,
            gpusPerNode: GPU_INSTANCE_TYPES[gpu.instanceTypes[0]].gpus,
          },
        ]
      : []),
  ];
}

export interface NodeGroupsArgs {
  readonly cluster: eks.Cluster;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** What must exist before a node boots (the VPC CNI add-on with its credentials). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export interface NodeGroup {
  readonly capacityType: "SPOT" | "ON_DEMAND";
  readonly group: eks.ManagedNodeGroup;
  readonly name: pulumi.Output<string>;
  readonly sizes: Sizes;
}

export interface NodeGroups {
  readonly role: aws.iam.Role;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  readonly groups: readonly NodeGroup[];
  readonly split: CapacitySplit;
}

// No AmazonSSMManagedInstanceCore: nodes are reached through Kubernetes, not SSM. Bottlerocket's
// control container then cannot register with SSM (it retries quietly); attach the policy to the
// node role by hand for break-glass access (README "Node access").
const MANAGED_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  // Pull only (ecr:BatchGetImage, GetDownloadUrlForLayer, GetAuthorizationToken, BatchImportUpstreamImage):
  // what AWS's node-role guide names now, without ReadOnly's list/describe of every repository.
  "AmazonEC2ContainerRegistryPullOnly",
  // No AmazonEKS_CNI_Policy: aws-node has its own IRSA role (lib/cluster.ts createVpcCni).
] as const;

/**
 * An EC2 node role (`<prefix>-<suffix>`, trusted by EC2 only) with AWS managed policies attached:
 * the managed node groups' and Karpenter's nodes use one each.
 */
export function createNodeRole(
  ctx: TapContext,
  args: {
    readonly prefix: string;
    readonly description: string;
    readonly policies: readonly string[];
  },
): { role: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] } {
  const opts = { parent: ctx.parent };
  const partition = aws.getPartitionOutput({}, opts).partition;
  const role = new aws.iam.Role(
    ctx.name(`${args.prefix}-role`),
    {
      name: ctx.name(args.prefix),
      description: args.description,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
      tags: ctx.tags,
    },
    opts,
  );
  const attachments = args.policies.map(
    (policy) =>
      new aws.iam.RolePolicyAttachment(
        ctx.name(`${args.prefix}-${policy}`),
        {
          role: role.name,
          policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
        },
        opts,
      ),
  );
  return { role, attachments };
}

export function createNodeGroups(ctx: TapContext, args: NodeGroupsArgs): NodeGroups {
  const { config } = ctx;
  const opts = { parent: ctx.parent };

  const { role, attachments } = createNodeRole(ctx, {
    prefix: "tap-node",
    description: "EKS managed node groups of tap",
    policies: MANAGED_POLICIES,
  });

  const launchTemplate = nodeLaunchTemplate(ctx, {
    role: "tap-node-lt",
    os: config.nodeOperatingSystem,
    description: "tap nodes: IMDSv2 only with hop limit 1, encrypted gp3 volumes",
  });

  const split = splitCapacity(
    { min: config.nodeMinSize, desired: config.nodeDesiredSize, max: config.nodeMaxSize },
    config.spotPercentage,
  );
  const amiType = amiTypeFor(
    config.nodeOperatingSystem,
    instanceArchitecture(config.nodeInstanceTypes[0]),
  );

  const plan = nodeGroupPlan(config, split);
  // The GPU group boots Bottlerocket: its own launch template when the others run another OS
  // (Bottlerocket's OS and data volumes; the NVIDIA variant's OS image is 4 GiB, the size given).
  const gpuLaunchTemplate =
    plan.some((g) => g.nodeClass === "gpu") && config.nodeOperatingSystem !== "Bottlerocket"
      ? nodeLaunchTemplate(ctx, {
          role: "tap-gpu-lt",
          os: "Bottlerocket",
          description:
            "tap GPU nodes (Bottlerocket NVIDIA): IMDSv2 only with hop limit 1, encrypted gp3 volumes",
        })
      : undefined;
  const groups = plan
    .filter((g) => g.sizes.max > 0)
    .map((g): NodeGroup => {
      const name = ctx.name(g.role);
      const lt = g.nodeClass === "gpu" && gpuLaunchTemplate ? gpuLaunchTemplate : launchTemplate;
      const group = new eks.ManagedNodeGroup(
        name,
        {
          cluster: args.cluster,
          // A prefix, not a fixed name: replacing a group (new instance types, AMI type) creates the
          // new one before deleting the old, and fixed names would collide. The ASG EKS creates is
          // named eks-<group name>-<uuid>, so "spot" in the name is what the priority expander matches.
          nodeGroupNamePrefix: `${name}-`,
          nodeRole: role,
          capacityType: g.capacityType,
          // Diversified types of one size; spot uses price-capacity-optimized over all of them,
          // on-demand takes them in order.
          instanceTypes: [...(g.instanceTypes ?? config.nodeInstanceTypes)],
          amiType: g.amiType ?? amiType,
          // With a launch template pulumi-eks leaves `version` unset (nodegroup.ts L1886-1891), so
          // the group would stay on its first minor after a control-plane upgrade: follow the cluster.
          version: config.kubernetesVersion,
          subnetIds: args.privateSubnetIds,
          launchTemplate: {
            id: lt.id,
            version: lt.latestVersion.apply((v) => `${v}`),
          },
          scalingConfig: {
            minSize: g.sizes.min,
            desiredSize: g.sizes.desired,
            maxSize: g.sizes.max,
          },
          // cluster-autoscaler owns desiredSize after creation; without it, the config does.
          ignoreScalingChanges: ctx.config.addons.clusterAutoscaler,
          labels: { [CAPACITY_LABEL]: g.label, ...(g.classLabels ?? {}) },
          ...(g.taints && g.taints.length > 0
            ? {
                taints: g.taints.map((t) => ({
                  key: t.key,
                  value: t.value,
                  effect: eksTaintEffect(t),
                })),
              }
            : {}),
          tags: mergeTags(
            ctx.tags,
            nameTag(name),
            // Its auto-discovery tags, only where it runs.
            ctx.config.addons.clusterAutoscaler
              ? {
                  "k8s.io/cluster-autoscaler/enabled": "true",
                  [`k8s.io/cluster-autoscaler/${ctx.clusterName}`]: "owned",
                }
              : {},
          ),
        },
        { ...remoteOptions(ctx), dependsOn: [...attachments, ...(args.dependsOn ?? [])] },
      );
      // A group at zero: tell cluster-autoscaler what a node of it will be, on its auto scaling
      // group (the node group's own tags do not reach it).
      if (g.nodeClass === "gpu" && g.classLabels) {
        const asgName = group.nodeGroup
          .apply((ng) => ng.resources)
          .apply((r) => r[0].autoscalingGroups[0].name);
        const tags = scaleFromZeroTags(
          { labels: g.classLabels, taints: g.taints ?? [] },
          g.gpusPerNode ?? 0,
        );
        for (const [key, value] of Object.entries(tags)) {
          const slug = key
            .replace("k8s.io/cluster-autoscaler/node-template/", "")
            .replace(/[^A-Za-z0-9]+/g, "-");
          new aws.autoscaling.Tag(
            ctx.name(`${g.role}-ca-${slug}`),
            {
              autoscalingGroupName: asgName,
              // Read by cluster-autoscaler from the group; the nodes get them from EKS.
              tag: { key, value, propagateAtLaunch: false },
            },
            { ...opts, dependsOn: [group] },
          );
        }
      }
      return {
        capacityType: g.capacityType,
        group,
        name: group.nodeGroup.apply((ng) => ng.nodeGroupName),
        sizes: g.sizes,
      };
    });

  return { role, launchTemplate, groups, split };
}

/**
 * A node launch template (`<role>-<suffix>`): IMDSv2 only with hop limit 1, the OS's encrypted
 * gp3 volumes, the stack's tags on every instance, volume and network interface.
 */
function nodeLaunchTemplate(
  ctx: TapContext,
  args: { readonly role: string; readonly os: NodeOperatingSystem; readonly description: string },
): aws.ec2.LaunchTemplate {
  const ltName = ctx.name(args.role);
  return new aws.ec2.LaunchTemplate(
    ltName,
    {
      name: ltName,
      description: args.description,
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required", // IMDSv2 only (CKV_AWS_79)
        httpPutResponseHopLimit: 1, // pods cannot reach IMDS and borrow the node role (CKV_AWS_341)
      },
      blockDeviceMappings: blockDevicesFor(args.os),
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
        resourceType,
        tags: mergeTags(ctx.tags, nameTag(ltName)),
      })),
      updateDefaultVersion: true,
      tags: ctx.tags,
    },
    { parent: ctx.parent },
  );
}
