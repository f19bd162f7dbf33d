/**
 * One region's platform core, in build order: the KMS key, the VPC (and its endpoints), the EKS
 * cluster, the VPC CNI on its own role, kube-proxy, the node groups, CoreDNS, and the context the
 * capabilities are deployed with. The stack builds it once in its own region (lib/tap-stack.ts)
 * and, with tap:dr, once more in the recovery region (lib/recovery-region.ts): the same code, so
 * the two never drift.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AddonContext } from "./addons/types";
import { pinsFor } from "./addons/versions";
import {
  Cluster,
  KmsKey,
  VpcCni,
  createCluster,
  createCoreDns,
  createKmsKey,
  createKubeProxy,
  createVpcCni,
} from "./cluster";
import { TapContext } from "./context";
import { VpcEndpoints, createVpcEndpoints } from "./endpoints";
import { Network, createNetwork } from "./network";
import { NodeGroups, createNodeGroups } from "./node-groups";

export interface PlatformCore {
  readonly kms: KmsKey;
  readonly network: Network;
  readonly endpoints?: VpcEndpoints;
  readonly cluster: Cluster;
  readonly vpcCni: VpcCni;
  readonly nodes: NodeGroups;
  /** What every capability is deployed with (the cluster, its provider, pins, the node groups). */
  readonly addonCtx: AddonContext;
}

export function buildPlatformCore(
  ctx: TapContext,
  args: {
    readonly creatorArn?: string;
    /** The region the controllers are told (default: the region ctx.parent's provider is in). */
    readonly region?: pulumi.Input<string>;
  },
): PlatformCore {
  const { config } = ctx;
  const kms = createKmsKey(ctx);
  const network = createNetwork(ctx, { kmsKeyArn: kms.arn });
  const endpoints = config.vpcEndpoints
    ? createVpcEndpoints(ctx, {
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
      })
    : undefined;
  const cluster = createCluster(ctx, {
    creatorArn: args.creatorArn,
    kms,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
  });
  const vpcCni = createVpcCni(ctx, cluster.cluster, {
    providerArn: cluster.oidcProviderArn,
    issuer: cluster.oidcIssuer,
  });
  createKubeProxy(ctx, cluster.cluster);
  const nodes = createNodeGroups(ctx, {
    cluster: cluster.cluster,
    privateSubnetIds: network.privateSubnetIds,
    // Nodes need egress to join (private subnets) and aws-node's credentials to become Ready.
    dependsOn: [vpcCni.addon, ...network.egress],
  });
  createCoreDns(
    ctx,
    cluster.cluster,
    nodes.groups.map((g) => g.group),
  );
  const addonCtx: AddonContext = {
    ...ctx,
    pins: pinsFor(config.kubernetesVersion),
    k8sProvider: cluster.k8sProvider,
    cluster: cluster.cluster,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    clusterSecurityGroupId: cluster.clusterSecurityGroupId,
    region: pulumi.output(args.region ?? aws.getRegionOutput({}, { parent: ctx.parent }).region),
    // Releases start once nodes exist: cluster DNS runs from then on (the CoreDNS EKS bootstraps,
    // lib/cluster.ts bootstrapSelfManagedAddons), so they do not wait for the add-on adopting it.
    nodeGroups: nodes.groups.map((g) => g.group),
  };
  return {
    kms,
    network,
    ...(endpoints ? { endpoints } : {}),
    cluster,
    vpcCni,
    nodes,
    addonCtx,
  };
}
