/**
 * The network: an awsx VPC over N AZs (public + private subnets with EKS discovery tags), the
 * private subnets' egress through NAT gateways per strategy, VPC flow logs (ALL traffic) to a
 * KMS-encrypted log group, and a locked-down default SG.
 *
 * The NAT gateways are tap's, not awsx's (its strategy is None): a remote component's outputs all
 * resolve when its last child is created (pulumi/pulumi sdk/nodejs/provider/server.ts construct
 * serializes the whole state), so with awsx's gateways the control plane would wait about two
 * minutes for them although it needs only the VPC and subnet ids. Now the gateways come up beside
 * the control plane and only the node groups, which need egress to join, wait for the routes.
 * awsx allows private subnets with strategy None (pulumi/pulumi-awsx@e60adf3:awsx/ec2/vpc.ts
 * validateNatGatewayStrategy L1005-1032; it then adds no private route, L326-348).
 */
import * as aws from "@pulumi/aws";
// awsx's ec2 module alone: the package index also loads awsx classic and the ECS SDK client
// (about 0.4 s of every start-up) for nothing tap uses.
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import { TapContext, remoteOptions } from "./context";
import { clusterLogGroupNames, mergeTags, nameTag } from "./naming";
import { cidrPrefix, subnetMasks } from "./net-util";

export interface NetworkArgs {
  /** KMS key for the flow-log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

export interface Network {
  readonly vpc: awsxEc2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Each public subnet's CIDR (where an internet-facing load balancer's ENIs are), AZ by AZ. */
  readonly publicSubnetCidrs: pulumi.Output<string>[];
  /**
   * The data subnets (tap:addons.database: isolated, no route out of the VPC), with each one's AZ
   * and CIDR, AZ by AZ; absent when the database is off.
   */
  readonly dataSubnets?: {
    readonly ids: pulumi.Output<string[]>;
    readonly azs: pulumi.Output<string>[];
    readonly cidrs: pulumi.Output<string>[];
  };
  /** The private subnets' default routes through the NAT gateways: what nodes wait for. */
  readonly egress: readonly pulumi.Resource[];
  /** Each private subnet's route table (awsx makes one per subnet), AZ by AZ. */
  readonly privateRouteTableIds: pulumi.Output<string>[];
  readonly flowLogGroup: aws.cloudwatch.LogGroup;
}

/** Subnet tags EKS and the load balancer controller use to discover subnets. */
export function subnetDiscoveryTags(
  kind: "public" | "private",
  clusterName: string,
): Record<string, string> {
  return {
    [kind === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]: "1",
    [`kubernetes.io/cluster/${clusterName}`]: "shared",
  };
}

export function createNetwork(ctx: TapContext, args: NetworkArgs): Network {
  const { config, tags } = ctx;
  const opts = { parent: ctx.parent };
  const masks = subnetMasks(cidrPrefix(config.vpcCidr));
  const vpcName = ctx.name("tap-vpc");

  const vpc = new awsxEc2.Vpc(
    vpcName,
    {
      cidrBlock: config.vpcCidr,
      numberOfAvailabilityZones: config.availabilityZoneCount,
      enableDnsHostnames: true, // required by the private API endpoint
      enableDnsSupport: true,
      subnetStrategy: awsxEc2.SubnetAllocationStrategy.Auto,
      // tap creates the gateways and the private routes itself (createNatEgress, see the header).
      natGateways: { strategy: awsxEc2.NatGatewayStrategy.None },
      subnetSpecs: [
        {
          type: awsxEc2.SubnetType.Private,
          name: "private",
          cidrMask: masks.private,
          tags: mergeTags(
            tags,
            subnetDiscoveryTags("private", ctx.clusterName),
            // Karpenter launches its nodes into the subnets carrying this tag (private only).
            config.addons.karpenter ? { "karpenter.sh/discovery": ctx.clusterName } : {},
          ),
        },
        {
          type: awsxEc2.SubnetType.Public,
          name: "public",
          cidrMask: masks.public,
          tags: mergeTags(tags, subnetDiscoveryTags("public", ctx.clusterName)),
        },
        // The database's own tier (tap:addons.database): isolated, so awsx gives its route tables
        // no route at all (pulumi/pulumi-awsx@e60adf3:awsx/ec2/vpc.ts L351). Last in the list:
        // awsx allocates each AZ's subnets in list order (subnetDistributorNew.ts
        // allocateSubnetCidrBlocks), so adding it leaves the private and public subnets' CIDRs as
        // they are.
        ...(config.addons.database
          ? [
              {
                type: awsxEc2.SubnetType.Isolated,
                name: "data",
                cidrMask: masks.data,
                tags: mergeTags(tags, { "tap.io/tier": "data" }),
              },
            ]
          : []),
      ],
      tags: mergeTags(tags, nameTag(vpcName)),
    },
    remoteOptions(ctx),
  );

  // The default security group admits traffic between its members; no tap resource uses it, so it
  // is emptied (CKV2_AWS_12). Destroying this resource only forgets it: AWS keeps the default SG.
  new aws.ec2.DefaultSecurityGroup(
    ctx.name("tap-default-sg"),
    {
      vpcId: vpc.vpcId,
      ingress: [],
      egress: [],
      tags: mergeTags(tags, nameTag(ctx.name("tap-default-sg-locked"))),
    },
    opts,
  );

  const flowLogGroup = createFlowLogs(ctx, vpc.vpcId, args.kmsKeyArn);
  const routeTables = privateRouteTables(ctx, vpc);

  return {
    vpc,
    vpcId: vpc.vpcId,
    privateSubnetIds: vpc.privateSubnetIds,
    publicSubnetIds: vpc.publicSubnetIds,
    publicSubnetCidrs: Array.from({ length: config.availabilityZoneCount }, (_, az) =>
      vpc.publicSubnetIds.apply((ids) => aws.ec2.getSubnetOutput({ id: ids[az] }, opts).cidrBlock),
    ),
    ...(config.addons.database
      ? { dataSubnets: dataSubnetsOf(vpc, config.availabilityZoneCount, opts) }
      : {}),
    egress: createNatEgress(ctx, vpc, routeTables),
    privateRouteTableIds: routeTables,
    flowLogGroup,
  };
}

/**
 * Each private subnet's route table, looked up by its subnet (awsx associates one table per
 * subnet: pulumi/pulumi-awsx@e60adf3:awsx/ec2/vpc.ts L250-275).
 */
function privateRouteTables(ctx: TapContext, vpc: awsxEc2.Vpc): pulumi.Output<string>[] {
  return Array.from(
    { length: ctx.config.availabilityZoneCount },
    (_, az) =>
      aws.ec2.getRouteTableOutput(
        { subnetId: vpc.privateSubnetIds.apply((ids) => ids[az]) },
        { parent: ctx.parent },
      ).routeTableId,
  );
}

/** The data subnets' ids, and each one's AZ and CIDR as EC2 reports them. */
function dataSubnetsOf(vpc: awsxEc2.Vpc, azCount: number, opts: pulumi.InvokeOptions) {
  const subnets = Array.from({ length: azCount }, (_, az) =>
    vpc.isolatedSubnetIds.apply((ids) => aws.ec2.getSubnetOutput({ id: ids[az] }, opts)),
  );
  return {
    ids: vpc.isolatedSubnetIds,
    azs: subnets.map((s) => s.availabilityZone),
    cidrs: subnets.map((s) => s.cidrBlock),
  };
}

/** AZ index (0-based) -> the NAT gateway its private subnet routes through: its own, or the one. */
export function natGatewayFor(strategy: "OnePerAz" | "Single", az: number): number {
  return strategy === "Single" ? 0 : az;
}

/**
 * NAT gateways in the public subnets (one per AZ, or one for `Single`: cheaper, but one AZ's outage
 * cuts every node's egress) and a default route in each private subnet's route table to its gateway.
 * The route table is looked up by its subnet (awsx associates one table per subnet: pulumi/pulumi-awsx@e60adf3:awsx/ec2/vpc.ts L250-275).
 */
function createNatEgress(
  ctx: TapContext,
  vpc: awsxEc2.Vpc,
  tables: readonly pulumi.Output<string>[],
): aws.ec2.Route[] {
  const { config, tags } = ctx;
  const opts = { parent: ctx.parent };
  const azs = config.availabilityZoneCount;
  const count = config.natGatewayStrategy === "Single" ? 1 : azs;
  const gateways = Array.from({ length: count }, (_, i) => {
    const name = ctx.name(`tap-nat-${i + 1}`);
    const eip = new aws.ec2.Eip(
      name,
      { domain: "vpc", tags: mergeTags(tags, nameTag(name)) },
      opts,
    );
    return new aws.ec2.NatGateway(
      name,
      {
        subnetId: vpc.publicSubnetIds.apply((ids) => ids[i]),
        allocationId: eip.allocationId,
        connectivityType: "public",
        tags: mergeTags(tags, nameTag(name)),
      },
      opts,
    );
  });
  return Array.from({ length: azs }, (_, az) => {
    return new aws.ec2.Route(
      ctx.name(`tap-private-egress-${az + 1}`),
      {
        routeTableId: tables[az],
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: gateways[natGatewayFor(config.natGatewayStrategy, az)].id,
      },
      opts,
    );
  });
}

function createFlowLogs(
  ctx: TapContext,
  vpcId: pulumi.Output<string>,
  kmsKeyArn: pulumi.Input<string>,
): aws.cloudwatch.LogGroup {
  const opts = { parent: ctx.parent };
  const identity = aws.getCallerIdentityOutput({}, opts);

  const group = new aws.cloudwatch.LogGroup(
    ctx.name("tap-flow-logs"),
    {
      name: clusterLogGroupNames(ctx).flowLogs,
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: kmsKeyArn,
      tags: ctx.tags,
    },
    opts,
  );

  const role = new aws.iam.Role(
    ctx.name("tap-flow-logs-role"),
    {
      name: ctx.name("tap-flow-logs"),
      description: "Lets VPC Flow Logs write to the tap flow-log group only",
      assumeRolePolicy: identity.accountId.apply((accountId) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "vpc-flow-logs.amazonaws.com" },
              Action: "sts:AssumeRole",
              // Confused-deputy guard: only flow logs of this account may use the role.
              Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
          ],
        }),
      ),
      tags: ctx.tags,
    },
    opts,
  );

  new aws.iam.RolePolicy(
    ctx.name("tap-flow-logs-write"),
    { role: role.id, policy: group.arn.apply(flowLogWritePolicy) },
    opts,
  );

  new aws.ec2.FlowLog(
    ctx.name("tap-vpc-flow-log"),
    {
      vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-vpc-flow-log"))),
    },
    opts,
  );

  return group;
}

/**
 * The flow-log role's policy: the AWS-documented set for publishing flow logs to CloudWatch Logs
 * (VPC user guide, "IAM role for publishing flow logs to CloudWatch Logs"), writes in ONE log group.
 * DescribeLogGroups lists groups, so it is scoped to this account and region's groups, not to one.
 */
export function flowLogWritePolicy(logGroupArn: string): string {
  const accountGroups = logGroupArn.replace(/:log-group:.*$/, ":log-group:*");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      {
        Sid: "FindTheGroup",
        Effect: "Allow",
        Action: ["logs:DescribeLogGroups"],
        Resource: [accountGroups],
      },
    ],
  });
}
