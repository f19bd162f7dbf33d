import { TapConfigInput } from "../../lib/config";
import { flowLogWritePolicy, subnetDiscoveryTags } from "../../lib/network";
import { isIpv4Cidr, subnetMasks } from "../../lib/net-util";
import { ACCOUNT, REGION, ofType, one, policyOf, synthStack } from "../helpers/mocks";
import { simulate } from "../helpers/iam-sim";

const synth = (config: TapConfigInput = {}) => synthStack(config);

describe("the VPC", () => {
  it("spans the configured AZs with DNS on, leaving the NAT gateways to tap", async () => {
    const vpc = one((await synth()).resources, "awsx:ec2:Vpc").inputs;
    expect(vpc).toMatchObject({
      cidrBlock: "10.0.0.0/16",
      numberOfAvailabilityZones: 3,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      // awsx's gateways would hold back its outputs, so the control plane would wait for them.
      natGateways: { strategy: "None" },
    });
  });

  it.each([
    [{}, 3, ["tap-nat-1-dev", "tap-nat-2-dev", "tap-nat-3-dev"]],
    [
      { availabilityZoneCount: 4 },
      4,
      ["tap-nat-1-dev", "tap-nat-2-dev", "tap-nat-3-dev", "tap-nat-4-dev"],
    ],
    [
      { natGatewayStrategy: "Single", availabilityZoneCount: 2 },
      2,
      ["tap-nat-1-dev", "tap-nat-1-dev"],
    ],
  ])(
    "%j: a NAT gateway in a public subnet per strategy, and each private subnet's default route to its own",
    async (config, azs, via) => {
      const { resources, calls } = await synth(config);
      expect(one(resources, "awsx:ec2:Vpc").inputs.numberOfAvailabilityZones).toBe(azs);
      const gateways = ofType(resources, "aws:ec2/natGateway:NatGateway");
      expect(gateways.map((g) => g.name)).toEqual([...new Set(via)]);
      gateways.forEach((g, i) =>
        expect(g.inputs).toMatchObject({
          subnetId: `subnet-public-${i}`,
          allocationId: `eipalloc-${g.name}`,
          connectivityType: "public",
        }),
      );
      const eips = ofType(resources, "aws:ec2/eip:Eip");
      expect(eips.map((e) => [e.name, e.inputs.domain])).toEqual(
        gateways.map((g) => [g.name, "vpc"]),
      );
      const routes = ofType(resources, "aws:ec2/route:Route");
      const byId = new Map(gateways.map((g) => [`${g.name}-id`, g.name]));
      expect(routes.map((r) => byId.get(String(r.inputs.natGatewayId)))).toEqual(via);
      // Each route goes into the route table awsx associated with that AZ's private subnet.
      expect(routes.map((r) => [r.inputs.routeTableId, r.inputs.destinationCidrBlock])).toEqual(
        via.map((_, az) => [`rtb-subnet-private-${az}`, "0.0.0.0/0"]),
      );
      expect(
        calls.filter((c) => c.token === "aws:ec2/getRouteTable:getRouteTable").map((c) => c.inputs),
      ).toEqual(via.map((_, az) => ({ subnetId: `subnet-private-${az}` })));
    },
  );

  it("starts the control plane without waiting for the NAT gateways; the nodes wait for every route", async () => {
    const { resources } = await synth();
    const cluster = one(resources, "eks:index:Cluster");
    const egress = [
      ...ofType(resources, "aws:ec2/natGateway:NatGateway"),
      ...ofType(resources, "aws:ec2/route:Route"),
    ];
    expect(egress).toHaveLength(6);
    for (const e of egress) expect(cluster.dependencies).not.toContain(e.urn);
    const routes = ofType(resources, "aws:ec2/route:Route").map((r) => r.urn);
    for (const group of ofType(resources, "eks:index:ManagedNodeGroup"))
      expect(group.dependencies).toEqual(expect.arrayContaining(routes));
  });

  it("tags public subnets for internet-facing and private for internal load balancers, both shared with the cluster", async () => {
    const vpc = one((await synth()).resources, "awsx:ec2:Vpc").inputs;
    const specs = vpc.subnetSpecs as {
      type: string;
      cidrMask: number;
      tags: Record<string, string>;
    }[];
    const byType = Object.fromEntries(specs.map((s) => [s.type, s]));
    expect(byType.Public.tags).toMatchObject({
      "kubernetes.io/role/elb": "1",
      "kubernetes.io/cluster/tap-eks-dev": "shared",
    });
    expect(byType.Private.tags).toMatchObject({
      "kubernetes.io/role/internal-elb": "1",
      "kubernetes.io/cluster/tap-eks-dev": "shared",
    });
    expect(byType.Public.tags["kubernetes.io/role/internal-elb"]).toBeUndefined();
    expect(byType.Private.tags["kubernetes.io/role/elb"]).toBeUndefined();
    expect([byType.Private.cidrMask, byType.Public.cidrMask]).toEqual([19, 20]);
  });

  it("sizes subnets so 4 AZs of private and public subnets fit in any allowed VPC", () => {
    for (let prefix = 16; prefix <= 20; prefix++) {
      const m = subnetMasks(prefix);
      expect(4 * 2 ** (32 - m.private) + 4 * 2 ** (32 - m.public)).toBeLessThanOrEqual(
        2 ** (32 - prefix),
      );
    }
    expect(subnetDiscoveryTags("public", "c")).toEqual({
      "kubernetes.io/role/elb": "1",
      "kubernetes.io/cluster/c": "shared",
    });
  });

  it("empties the default security group", async () => {
    const sg = one(
      (await synth()).resources,
      "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    ).inputs;
    expect(sg).toMatchObject({ vpcId: "vpc-0123456789abcdef0", ingress: [], egress: [] });
  });
});

describe("VPC flow logs", () => {
  it("capture ALL traffic into a KMS-encrypted group with the configured retention", async () => {
    const { resources } = await synth({ logRetentionDays: 90 });
    const group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-flow-logs-dev").inputs;
    expect(group).toMatchObject({
      name: "/aws/vpc/tap-flow-logs-dev",
      retentionInDays: 90,
      kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`,
    });
    const flowLog = one(resources, "aws:ec2/flowLog:FlowLog").inputs;
    expect(flowLog).toMatchObject({
      vpcId: "vpc-0123456789abcdef0",
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vpc/tap-flow-logs-dev`,
      iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/tap-flow-logs-dev`,
    });
  });

  it("use a role only VPC Flow Logs of this account can assume", async () => {
    const trust = policyOf(
      one((await synth()).resources, "aws:iam/role:Role", "tap-flow-logs-role-dev"),
      "assumeRolePolicy",
    );
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
  });

  const group = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vpc/tap-flow-logs-dev`;
  const other = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/eks/tap-eks-dev/cluster`;
  it.each([
    ["logs:PutLogEvents", `${group}:log-stream:eni-1`, "Allowed"],
    ["logs:CreateLogStream", `${group}:log-stream:eni-1`, "Allowed"],
    ["logs:PutLogEvents", `${other}:log-stream:x`, "ImplicitlyDenied"],
    ["logs:DeleteLogGroup", group, "ImplicitlyDenied"],
    ["logs:CreateLogGroup", other, "ImplicitlyDenied"],
  ])("may %s on %s: %s", async (action, resource, expected) => {
    const policy = JSON.parse(flowLogWritePolicy(group));
    await expect(simulate(policy, { action, resource })).resolves.toBe(expected);
  });

  it("wire that policy to the flow-log role", async () => {
    const { resources } = await synth();
    const rp = one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-flow-logs-write-dev");
    expect(policyOf(rp)).toEqual(JSON.parse(flowLogWritePolicy(group)));
  });
});

describe("isIpv4Cidr", () => {
  it.each([
    ["10.0.0.0/16", true],
    ["0.0.0.0/0", true],
    ["10.0.0.1/16", false],
    ["256.0.0.0/8", false],
    ["10.0.0.0/33", false],
    ["10.0.0.0", false],
  ])("%s -> %s", (cidr, ok) => expect(isIpv4Cidr(cidr)).toBe(ok));
});
