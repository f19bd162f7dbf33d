import {
  MAX_UNAVAILABLE_PERCENTAGE,
  amiTypeFor,
  blockDevicesFor,
  rollAThirdAtATime,
  splitCapacity,
  spotShare,
} from "../../lib/node-groups";
import { TapConfigInput } from "../../lib/config";
import { ofType, one, synthStack } from "../helpers/mocks";

describe("splitCapacity", () => {
  it.each([
    // total min/desired/max, spot %, spot sizes, on-demand sizes
    [[3, 10, 30], 70, [2, 7, 21], [1, 3, 9]],
    [[2, 2, 2], 70, [1, 1, 1], [1, 1, 1]],
    [[1, 2, 4], 70, [0, 1, 3], [1, 1, 1]],
    [[1, 1, 2], 70, [0, 0, 1], [1, 1, 1]],
    [[3, 10, 30], 0, [0, 0, 0], [3, 10, 30]],
    [[3, 10, 30], 100, [3, 10, 30], [0, 0, 0]],
    [[4, 4, 4], 50, [2, 2, 2], [2, 2, 2]],
    [[3, 5, 7], 50, [2, 3, 4], [1, 2, 3]],
    [[10, 10, 10], 99, [9, 9, 9], [1, 1, 1]],
    [[10, 10, 10], 1, [1, 1, 1], [9, 9, 9]],
    [[450, 450, 450], 70, [315, 315, 315], [135, 135, 135]],
  ])("total %j at %i%% spot -> spot %j, on-demand %j", (total, pct, spot, od) => {
    const split = splitCapacity({ min: total[0], desired: total[1], max: total[2] }, pct as number);
    expect(split.spot).toEqual({ min: spot[0], desired: spot[1], max: spot[2] });
    expect(split.onDemand).toEqual({ min: od[0], desired: od[1], max: od[2] });
  });

  it("keeps min <= desired <= max in both groups, sums to the totals, and keeps both groups alive, for every valid input up to 40 nodes", () => {
    const broken: string[] = [];
    for (let pct = 0; pct <= 100; pct++) {
      for (let max = 1; max <= 40; max++) {
        for (let desired = 1; desired <= max; desired++) {
          for (const min of [1, Math.ceil(desired / 2), desired]) {
            const s = splitCapacity({ min, desired, max }, pct);
            const ordered = [s.spot, s.onDemand].every(
              (g) => 0 <= g.min && g.min <= g.desired && g.desired <= g.max,
            );
            const sums =
              s.spot.max + s.onDemand.max === max &&
              s.spot.desired + s.onDemand.desired === desired &&
              s.spot.min + s.onDemand.min === min;
            const alive =
              !(pct > 0 && pct < 100 && max >= 2) || (s.spot.max >= 1 && s.onDemand.min >= 1);
            if (!ordered || !sums || !alive)
              broken.push(`${min}/${desired}/${max}@${pct}%: ${JSON.stringify(s)}`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("is within one node of the exact share at every level", () => {
    for (const total of [2, 3, 7, 10, 30, 97]) {
      for (const pct of [10, 30, 50, 70, 90]) {
        expect(Math.abs(spotShare(total, pct) - (total * pct) / 100)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("node OS and volumes", () => {
  it.each([
    ["Bottlerocket", "x86_64", "BOTTLEROCKET_x86_64"],
    ["Bottlerocket", "arm64", "BOTTLEROCKET_ARM_64"],
    ["AL2023", "x86_64", "AL2023_x86_64_STANDARD"],
    ["AL2", "arm64", "AL2_ARM_64"],
  ] as const)("%s on %s uses AMI type %s", (os, arch, ami) => {
    expect(amiTypeFor(os, arch)).toBe(ami);
  });

  it.each(["Bottlerocket", "AL2023", "AL2"] as const)("encrypts every %s volume", (os) => {
    const devices = blockDevicesFor(os);
    expect(devices.length).toBe(os === "Bottlerocket" ? 2 : 1);
    for (const d of devices) expect(d.ebs).toMatchObject({ encrypted: "true", volumeType: "gp3" });
  });
});

describe("rollAThirdAtATime (applied under the Pulumi CLI; mocks do not run transforms)", () => {
  it("sets updateConfig on the aws.eks.NodeGroup inside the component and nothing else", () => {
    const props = { clusterName: "c", nodeRoleArn: "r" };
    const out = rollAThirdAtATime({
      type: "aws:eks/nodeGroup:NodeGroup",
      name: "ng",
      props,
      opts: {},
      custom: true,
    });
    expect(out).toEqual({
      props: { ...props, updateConfig: { maxUnavailablePercentage: 33 } },
      opts: {},
    });
    expect(MAX_UNAVAILABLE_PERCENTAGE).toBe(33);
    expect(
      rollAThirdAtATime({
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        name: "lt",
        props,
        opts: {},
        custom: true,
      }),
    ).toBeUndefined();
  });
});

describe("the managed node groups", () => {
  const synth = (config: TapConfigInput = {}) => synthStack(config);

  it("creates a SPOT and an ON_DEMAND group sized 70/30 from the config totals", async () => {
    const { resources } = await synth();
    const spot = one(resources, "eks:index:ManagedNodeGroup", "tap-spot-dev").inputs;
    const od = one(resources, "eks:index:ManagedNodeGroup", "tap-ondemand-dev").inputs;
    expect(spot).toMatchObject({
      capacityType: "SPOT",
      scalingConfig: { minSize: 2, desiredSize: 7, maxSize: 21 },
    });
    expect(od).toMatchObject({
      capacityType: "ON_DEMAND",
      scalingConfig: { minSize: 1, desiredSize: 3, maxSize: 9 },
    });
  });

  it("gives both groups every configured instance type, Bottlerocket, private subnets and the launch template", async () => {
    const { resources } = await synth();
    for (const g of ofType(resources, "eks:index:ManagedNodeGroup")) {
      expect(g.inputs).toMatchObject({
        instanceTypes: ["m6i.large", "m5.large", "m5a.large", "m6a.large"],
        amiType: "BOTTLEROCKET_x86_64",
        subnetIds: ["subnet-private-0", "subnet-private-1", "subnet-private-2"],
        launchTemplate: { id: "tap-node-lt-dev-id", version: "1" },
        ignoreScalingChanges: true,
      });
      expect(g.inputs.nodeRole).toBeTruthy();
      expect(g.inputs.remoteAccess).toBeUndefined(); // no SSH (CKV_AWS_100)
    }
  });

  it("names groups so the priority expander can tell spot from on-demand, and labels the capacity type", async () => {
    const { resources } = await synth();
    const spot = one(resources, "eks:index:ManagedNodeGroup", "tap-spot-dev").inputs;
    const od = one(resources, "eks:index:ManagedNodeGroup", "tap-ondemand-dev").inputs;
    expect(spot.nodeGroupNamePrefix).toBe("tap-spot-dev-");
    expect(od.nodeGroupNamePrefix).toBe("tap-ondemand-dev-");
    expect(spot.labels).toEqual({ "tap/capacity-type": "spot" });
    expect(od.labels).toEqual({ "tap/capacity-type": "on-demand" });
  });

  it("tags groups for cluster-autoscaler auto-discovery of this cluster", async () => {
    const { resources } = await synth();
    for (const g of ofType(resources, "eks:index:ManagedNodeGroup")) {
      expect(g.inputs.tags).toMatchObject({
        "k8s.io/cluster-autoscaler/enabled": "true",
        "k8s.io/cluster-autoscaler/tap-eks-dev": "owned",
      });
    }
  });

  it("requires IMDSv2 with hop limit 1 and encrypted volumes in the launch template", async () => {
    const { resources } = await synth();
    const lt = one(resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    expect(lt.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(lt.blockDeviceMappings).toEqual(blockDevicesFor("Bottlerocket"));
  });

  it.each([
    [{ spotPercentage: 0 }, ["tap-ondemand-dev"]],
    [{ spotPercentage: 100 }, ["tap-spot-dev"]],
    [{ spotPercentage: 50 }, ["tap-spot-dev", "tap-ondemand-dev"]],
  ])("with %j creates only the groups that can hold nodes: %j", async (config, names) => {
    const { resources } = await synth(config);
    expect(ofType(resources, "eks:index:ManagedNodeGroup").map((g) => g.name)).toEqual(names);
  });

  it("follows the OS and architecture of the configured instance types", async () => {
    const { resources } = await synth({
      nodeInstanceTypes: ["m7g.large", "m6g.large", "c7g.large"],
      nodeOperatingSystem: "AL2023",
    });
    for (const g of ofType(resources, "eks:index:ManagedNodeGroup"))
      expect(g.inputs.amiType).toBe("AL2023_ARM_64_STANDARD");
  });

  it("gives the node role only the worker and ECR pull-only policies; the CNI policy is aws-node's alone", async () => {
    const { resources } = await synth();
    const attached = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map(
      (a) => `${String(a.inputs.role)} ${String(a.inputs.policyArn)}`,
    );
    expect(attached.sort()).toEqual(
      [
        "tap-node-dev arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "tap-node-dev arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "tap-vpc-cni-dev arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
      ].sort(),
    );
  });
});
