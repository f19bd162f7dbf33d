/**
 * The recovery region (tap:dr, off by default): a second VPC, KMS key, log groups, EKS cluster,
 * node groups (the same node classes) and the default capabilities in `tap:dr.region`, built by
 * the same code as the primary's (lib/platform.ts buildPlatformCore, lib/addons) under a component whose AWS provider is that region's: pulumi-eks's cluster takes no
 * region input, and every child (and every data source asked with it as parent) inherits its
 * parent's provider. Its Kubernetes objects go through its own cluster's provider (createCluster).
 * Names end in `<suffix>-<region>` (IAM's are global), tags stay the stack's.
 *
 * The two VPCs are peered: the connection in the primary region, its accepter in the recovery
 * region, DNS resolution across it from both sides, a route to the other VPC in every private route
 * table of both, and each cluster security group (the nodes') admitting the peer VPC only on the
 * ports the catalog's services serve (security groups cannot reference a group across regions).
 * Routes and options depend on the accepter, so a destroy removes them before the peering and the
 * peering before either VPC. The catalog itself and the optional capabilities stay in the primary:
 * the recovery region is the platform the services fail over to.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CAPABILITY_NAMES, DEFAULT_CAPABILITIES } from "./capabilities";
import { addonRoleArns, installAddons } from "./addons";
import { TapConfig } from "./config";
import { TapContext, makeContext } from "./context";
import { DrConfig } from "./dr-config";
import { mergeTags, nameTag } from "./naming";
import { Network } from "./network";
import { buildPlatformCore } from "./platform";

/** The recovery region's names: `<role>-<suffix>-<region>`. */
export const recoverySuffix = (config: TapConfig, dr: DrConfig): string =>
  `${config.environmentSuffix}-${dr.region}`;

/**
 * The recovery region's config: the primary's, in its VPC CIDR, with the default capabilities as
 * the primary has them switched (and nothing else: no App Mesh, no optional capability), no
 * catalog, no tenants.
 */
export function recoveryConfig(config: TapConfig, dr: DrConfig): TapConfig {
  const addons = Object.fromEntries(
    CAPABILITY_NAMES.map((n) => [
      n,
      DEFAULT_CAPABILITIES[n] && n !== "appMesh" && config.addons[n],
    ]),
  ) as TapConfig["addons"];
  return {
    ...config,
    vpcCidr: dr.vpcCidr,
    enableAppMesh: false,
    addons,
    services: [],
    tenants: [],
    dr: undefined,
  };
}

/** The ports the catalog's services serve: what the peer VPC may reach on the nodes. */
export function peerPorts(config: Pick<TapConfig, "services">): number[] {
  return [...new Set(config.services.map((s) => s.port))].sort((a, b) => a - b);
}

export interface RecoveryRegion {
  readonly region: string;
  readonly provider: aws.Provider;
  readonly component: pulumi.ComponentResource;
  readonly clusterName: string;
  readonly clusterEndpoint: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly vpcId: pulumi.Output<string>;
  readonly nodeGroupNames: pulumi.Output<string[]>;
  readonly irsaRoleArns: Record<string, pulumi.Output<string>>;
  readonly peeringConnectionId: pulumi.Output<string>;
}

export function buildRecoveryRegion(
  primary: TapContext,
  args: {
    readonly dr: DrConfig;
    readonly network: Network;
    readonly clusterSecurityGroupId: pulumi.Input<string>;
    readonly creatorArn?: string;
  },
): RecoveryRegion {
  const { dr } = args;
  const config = recoveryConfig(primary.config, dr);
  const suffix = recoverySuffix(primary.config, dr);
  const provider = new aws.Provider(
    primary.name(`tap-aws-${dr.region}`),
    { region: dr.region as aws.Region },
    { parent: primary.parent },
  );
  const component = new pulumi.ComponentResource(
    "tap:index:RecoveryRegion",
    primary.name(`tap-dr-${dr.region}`),
    {},
    { parent: primary.parent, providers: { aws: provider } },
  );
  const ctx = makeContext(config, component, suffix, { aws: provider });

  const { kms, network, cluster, vpcCni, nodes, addonCtx } = buildPlatformCore(ctx, {
    creatorArn: args.creatorArn,
    region: dr.region,
  });
  const addons = installAddons(addonCtx, {
    kmsKeyArn: kms.arn,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    nodeRoleArn: nodes.role.arn,
  });

  const peering = peer(primary, ctx, {
    dr,
    primaryNetwork: args.network,
    recoveryNetwork: network,
    primaryClusterSg: args.clusterSecurityGroupId,
    recoveryClusterSg: cluster.clusterSecurityGroupId,
  });

  const roleArns = addonRoleArns(addons);
  roleArns.vpcCni = vpcCni.role.arn;
  return {
    region: dr.region,
    provider,
    component,
    clusterName: cluster.name,
    clusterEndpoint: cluster.endpoint,
    kubeconfig: pulumi.secret(cluster.kubeconfigJson),
    vpcId: network.vpcId,
    nodeGroupNames: pulumi.all(nodes.groups.map((g) => g.name)),
    irsaRoleArns: roleArns,
    peeringConnectionId: peering.id,
  };
}

/** The peering, its accepter, DNS across it, the routes and the node security groups' rules. */
function peer(
  primary: TapContext,
  recovery: TapContext,
  args: {
    readonly dr: DrConfig;
    readonly primaryNetwork: Network;
    readonly recoveryNetwork: Network;
    readonly primaryClusterSg: pulumi.Input<string>;
    readonly recoveryClusterSg: pulumi.Input<string>;
  },
): aws.ec2.VpcPeeringConnection {
  const inPrimary = { parent: primary.parent };
  const inRecovery = { parent: recovery.parent };
  const name = primary.name("tap-dr-peering");
  // Cross-region: requested here, accepted there (auto_accept works only within a region).
  const connection = new aws.ec2.VpcPeeringConnection(
    name,
    {
      vpcId: args.primaryNetwork.vpcId,
      peerVpcId: args.recoveryNetwork.vpcId,
      peerRegion: args.dr.region,
      tags: mergeTags(primary.tags, nameTag(name)),
    },
    inPrimary,
  );
  const accepter = new aws.ec2.VpcPeeringConnectionAccepter(
    recovery.name("tap-dr-peering-accepter"),
    {
      vpcPeeringConnectionId: connection.id,
      autoAccept: true,
      tags: mergeTags(recovery.tags, nameTag(name)),
    },
    inRecovery,
  );
  // Each side's options in its own region, once the connection is active.
  new aws.ec2.PeeringConnectionOptions(
    primary.name("tap-dr-peering-dns"),
    {
      vpcPeeringConnectionId: connection.id,
      requester: { allowRemoteVpcDnsResolution: true },
    },
    { ...inPrimary, dependsOn: [accepter] },
  );
  new aws.ec2.PeeringConnectionOptions(
    recovery.name("tap-dr-peering-dns"),
    {
      vpcPeeringConnectionId: accepter.id,
      accepter: { allowRemoteVpcDnsResolution: true },
    },
    { ...inRecovery, dependsOn: [accepter] },
  );
  const sides = [
    { ctx: primary, net: args.primaryNetwork, to: args.dr.vpcCidr, sg: args.primaryClusterSg },
    {
      ctx: recovery,
      net: args.recoveryNetwork,
      to: primary.config.vpcCidr,
      sg: args.recoveryClusterSg,
    },
  ];
  for (const side of sides) {
    side.net.privateRouteTableIds.forEach(
      (table, az) =>
        new aws.ec2.Route(
          side.ctx.name(`tap-dr-route-${az + 1}`),
          {
            routeTableId: table,
            destinationCidrBlock: side.to,
            vpcPeeringConnectionId: connection.id,
          },
          { parent: side.ctx.parent, dependsOn: [accepter] },
        ),
    );
    for (const port of peerPorts(primary.config)) {
      new aws.vpc.SecurityGroupIngressRule(
        side.ctx.name(`tap-dr-peer-${port}`),
        {
          securityGroupId: side.sg,
          cidrIpv4: side.to,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: `tap:dr: the peer VPC ${side.to} to the catalog's port ${port}`,
          tags: side.ctx.tags,
        },
        { parent: side.ctx.parent },
      );
    }
  }
  return connection;
}
