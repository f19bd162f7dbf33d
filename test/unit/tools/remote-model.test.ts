/**
 * The offline plan's model of the remote components (tools/remote-model.ts) against the inputs tap
 * passes: the counts a real preview shows (awsx Vpc 2+7N children with strategy None, which tap
 * passes, 2+10N with a NAT per AZ, 4+8N with one; eks.Cluster 5 resources + 2 per access entry; a ManagedNodeGroup one NodeGroup), and the first
 * up's critical path over the expanded graph (tools/critical-path.ts).
 */
import { TapConfigInput } from "../../../lib/config";
import { RecordedResource, ofType, synthStack } from "../../helpers/mocks";
import { criticalPath, firstUp } from "../../../tools/critical-path";
import { createSeconds } from "../../../tools/durations";
import { expandRemoteComponents, modeledChildren } from "../../../tools/remote-model";

const BASE: TapConfigInput = { kubernetesVersion: "1.35", enableAppMesh: false };
const ADMINS = JSON.stringify([
  "arn:aws:iam::123456789012:role/PlatformAdmin",
  "arn:aws:iam::123456789012:role/Breakglass",
]);

const counts = (rs: readonly RecordedResource[]) => {
  const out: Record<string, number> = {};
  for (const r of rs) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
};

async function children(config: TapConfigInput, type: string) {
  const { resources } = await synthStack({ ...BASE, ...config });
  return ofType(resources, type).flatMap(modeledChildren);
}

/** The awsx Vpc tap registers, with its NAT strategy replaced (to model awsx's other strategies). */
async function vpcWith(strategy: string, azs = 3): Promise<RecordedResource> {
  const { resources } = await synthStack({ ...BASE, availabilityZoneCount: azs });
  const vpc = ofType(resources, "awsx:ec2:Vpc")[0];
  return { ...vpc, inputs: { ...vpc.inputs, natGateways: { strategy } } };
}

describe("the awsx Vpc model", () => {
  it.each([
    [2, "Single", 16],
    [3, "OnePerAz", 23],
    [4, "OnePerAz", 30],
  ])(
    "%i AZs (%s, as tap's gateways): strategy None, %i children, no gateway or private route",
    async (azs, nat, total) => {
      const kids = await children(
        { availabilityZoneCount: azs, natGatewayStrategy: nat },
        "awsx:ec2:Vpc",
      );
      expect(kids).toHaveLength(total);
      expect(counts(kids)).toEqual({
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/internetGateway:InternetGateway": 1,
        "aws:ec2/subnet:Subnet": 2 * azs,
        "aws:ec2/routeTable:RouteTable": 2 * azs,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 2 * azs,
        "aws:ec2/route:Route": azs,
      });
    },
  );

  it.each([
    [2, "OnePerAz", 22],
    [3, "OnePerAz", 32],
    [2, "Single", 20],
    [3, "Single", 28],
  ])("awsx's own gateways, %i AZs, %s: %i children", async (azs, nat, total) => {
    const kids = modeledChildren(await vpcWith(nat, azs));
    expect(kids).toHaveLength(total);
    const nats = nat === "Single" ? 1 : azs;
    expect(counts(kids)).toMatchObject({
      "aws:ec2/route:Route": 2 * azs,
      "aws:ec2/eip:Eip": nats,
      "aws:ec2/natGateway:NatGateway": nats,
    });
  });

  it("routes every private subnet through its own NAT gateway, or the one (awsx's strategies)", async () => {
    for (const nat of ["OnePerAz", "Single"]) {
      const kids = modeledChildren(await vpcWith(nat));
      const urn = new Map(kids.map((k) => [k.urn, k]));
      const privateRoutes = kids.filter(
        (k) => k.type === "aws:ec2/route:Route" && k.name.includes("-private-"),
      );
      const via = privateRoutes.map(
        (r) =>
          r.dependencies.map((d) => urn.get(d)).find((d) => d?.type.includes("natGateway"))?.name,
      );
      expect(new Set(via).size).toBe(nat === "Single" ? 1 : 3);
    }
  });
});

describe("the eks.Cluster and ManagedNodeGroup models", () => {
  it("the cluster: service role, control plane, provider, OIDC, 2 per access entry (kube-proxy is tap's)", async () => {
    const none = await children({}, "eks:index:Cluster");
    expect(counts(none)).toEqual({
      "eks:index:ServiceRole": 1,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
      "aws:eks/cluster:Cluster": 1,
      "pulumi:providers:kubernetes": 1,
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 1,
    });
    const two = await children({ clusterAdminArns: ADMINS }, "eks:index:Cluster");
    expect(two.length - none.length).toBe(4);
    expect(counts(two)["aws:eks/accessEntry:AccessEntry"]).toBe(2);
    expect(counts(two)["aws:eks/accessPolicyAssociation:AccessPolicyAssociation"]).toBe(2);
  });

  it("each managed node group is one aws.eks.NodeGroup", async () => {
    const kids = await children({}, "eks:index:ManagedNodeGroup");
    expect(kids.map((k) => k.type)).toEqual([
      "aws:eks/nodeGroup:NodeGroup",
      "aws:eks/nodeGroup:NodeGroup",
    ]);
    for (const k of kids) expect(k.modeled).toMatch(/^pulumi\/pulumi-eks@v4\.3\.0 /);
  });
});

describe("the first up's critical path", () => {
  it("runs through the control plane, a node group and the add-ons after nodes", async () => {
    const { resources } = await synthStack(BASE);
    const up = firstUp(expandRemoteComponents(resources));
    const types = up.path.map((s) => s.type);
    const order = [
      "aws:eks/cluster:Cluster",
      "aws:eks/nodeGroup:NodeGroup",
      "kubernetes:helm.sh/v3:Release",
    ].map((t) => types.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(up.seconds).toBeGreaterThanOrEqual(up.unavoidable);
    // Each step starts when the one before it ends: the chain has no gap.
    for (let i = 1; i < up.path.length; i++)
      expect(up.path[i].start).toBeCloseTo(up.path[i - 1].finish, 5);
  });

  it("without the model the path cannot see the control plane at all", async () => {
    const { resources } = await synthStack(BASE);
    expect(criticalPath(resources).path.map((s) => s.type)).not.toContain(
      "aws:eks/cluster:Cluster",
    );
  });

  it("the NAT strategy changes the resources, not the wait (the gateways are created side by side)", async () => {
    const one = await synthStack({ ...BASE, natGatewayStrategy: "Single" });
    const all = await synthStack(BASE);
    expect(criticalPath(expandRemoteComponents(one.resources)).seconds).toBe(
      criticalPath(expandRemoteComponents(all.resources)).seconds,
    );
    expect(createSeconds("aws:ec2/natGateway:NatGateway")).toBeGreaterThan(60);
  });
});
