/**
 * Karpenter: its IAM equals upstream's at the pinned version and allows only what it should
 * (simulated), the interruption queue and rules are upstream's, the pools split as the managed
 * groups do, the manifests carry the security defaults, and destroy order lets Karpenter clean up.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveConfig } from "../../../../lib/config";
import {
  INTERRUPTION_EVENTS,
  interruptionQueuePolicy,
  karpenterControllerPolicy,
} from "../../../../lib/addons/karpenter/iam";
import {
  CAPACITY_SPREAD_LABEL,
  capacitySpread,
  instanceCategories,
  nodePools,
} from "../../../../lib/addons/karpenter";
import { nodeGroupPlan, splitCapacity } from "../../../../lib/node-groups";
import { VERSION_PINS } from "../../../../lib/addons/versions";
import { deployKarpenter } from "../../../../lib/addons/karpenter";
import { SeenOptions, recordingAddonContext } from "../../../helpers/addon-context";
import { simulate } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  PolicyDocument,
  PolicyStatement,
  REGION,
  RecordedResource,
  ofType,
  one,
  mockTap,
  policyOf,
  synthStack,
} from "../../../helpers/mocks";

const KARPENTER = { enableAppMesh: "false", addons: { karpenter: true, clusterAutoscaler: false } };
const CLUSTER = "tap-eks-dev";
const NODE_ROLE = `arn:aws:iam::${ACCOUNT}:role/tap-karpenter-node-dev`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:tap-karpenter-interruption-dev`;
const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
const policy = karpenterControllerPolicy(scope, {
  clusterName: CLUSTER,
  nodeRoleArn: NODE_ROLE,
  interruptionQueueArn: QUEUE,
});

interface UpstreamFacts {
  readonly source: string;
  readonly policies: Record<string, PolicyDocument>;
  readonly queue: Record<string, unknown>;
  readonly queuePolicy: { Statement: PolicyStatement[] };
  readonly rules: Record<string, { source: string[]; "detail-type": string[] }>;
}
const upstream = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, "..", "..", "..", "..", "facts", "iam", "karpenter-1.14.1.json"),
    "utf8",
  ),
) as UpstreamFacts;

/**
 * Upstream's CloudFormation placeholders, filled as tap's stack fills them, and tap's one
 * deliberate change: EC2 ARNs in the stack's own account except capacity reservations (iam.ts).
 */
function fill(doc: unknown): unknown {
  return JSON.parse(
    JSON.stringify(doc)
      .replace(
        /:ec2:\$\{AWS::Region\}:\*:(?!capacity-reservation)/g,
        ":ec2:${AWS::Region}:${AWS::AccountId}:",
      )
      .split("${AWS::Partition}")
      .join("aws")
      .split("${AWS::Region}")
      .join(REGION)
      .split("${AWS::AccountId}")
      .join(ACCOUNT)
      .split("${ClusterName}")
      .join(CLUSTER)
      .split("${KarpenterNodeRole.Arn}")
      .join(NODE_ROLE)
      .split("${KarpenterInterruptionQueue.Arn}")
      .join(QUEUE),
  ) as unknown;
}

describe("Karpenter's controller policy is upstream's at v1.14.1", () => {
  it("statement for statement, from the CloudFormation template of the tag", () => {
    expect(upstream.source).toMatch(/^aws\/karpenter-provider-aws@bde00654/);
    const theirs = Object.values(upstream.policies).flatMap(
      (p) => (fill(p) as PolicyDocument).Statement,
    );
    expect(policy.Statement).toEqual(theirs);
    expect(policy.Statement).toHaveLength(18);
  });
});

describe("Karpenter's controller policy, simulated", () => {
  const owned = { [`aws:RequestTag/kubernetes.io/cluster/${CLUSTER}`]: "owned" };
  const launchTags = {
    ...owned,
    "aws:RequestTag/eks:eks-cluster-name": CLUSTER,
    "aws:RequestTag/karpenter.sh/nodepool": "amd64-spot",
  };
  const instance = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`;

  it("launches an instance only with this cluster's tags and a NodePool's", async () => {
    const run = (context: Record<string, string>) =>
      simulate(policy, { action: "ec2:RunInstances", resource: instance, context });
    expect(await run(launchTags)).toBe("Allowed");
    expect(await run({})).toBe("ImplicitlyDenied");
    expect(
      await run({
        ...launchTags,
        [`aws:RequestTag/kubernetes.io/cluster/other`]: "owned",
        [`aws:RequestTag/kubernetes.io/cluster/${CLUSTER}`]: "shared",
      }),
    ).toBe("ImplicitlyDenied");
    expect(await run({ ...launchTags, "aws:RequestTag/eks:eks-cluster-name": "other" })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("terminates only instances tagged for this cluster by a NodePool", async () => {
    const terminate = (context: Record<string, string>) =>
      simulate(policy, { action: "ec2:TerminateInstances", resource: instance, context });
    expect(
      await terminate({
        [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned",
        "aws:ResourceTag/karpenter.sh/nodepool": "arm64-spot",
      }),
    ).toBe("Allowed");
    // A managed node group's instance: this cluster's tag, no NodePool tag.
    expect(await terminate({ [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned" })).toBe(
      "ImplicitlyDenied",
    );
    expect(
      await terminate({
        "aws:ResourceTag/kubernetes.io/cluster/other": "owned",
        "aws:ResourceTag/karpenter.sh/nodepool": "x",
      }),
    ).toBe("ImplicitlyDenied");
  });

  it("passes only its node role, and only to EC2", async () => {
    const pass = (resource: string, service: string) =>
      simulate(policy, {
        action: "iam:PassRole",
        resource,
        context: { "iam:PassedToService": service },
      });
    expect(await pass(NODE_ROLE, "ec2.amazonaws.com")).toBe("Allowed");
    expect(await pass(`arn:aws:iam::${ACCOUNT}:role/tap-node-dev`, "ec2.amazonaws.com")).toBe(
      "ImplicitlyDenied",
    );
    expect(await pass(`arn:aws:iam::${ACCOUNT}:role/Admin`, "ec2.amazonaws.com")).toBe(
      "ImplicitlyDenied",
    );
    expect(await pass(NODE_ROLE, "lambda.amazonaws.com")).toBe("ImplicitlyDenied");
  });

  it("reads and deletes messages of its own queue only", async () => {
    const receive = (resource: string) =>
      simulate(policy, { action: "sqs:ReceiveMessage", resource });
    expect(await receive(QUEUE)).toBe("Allowed");
    expect(await receive(`arn:aws:sqs:${REGION}:${ACCOUNT}:other`)).toBe("ImplicitlyDenied");
    expect(await simulate(policy, { action: "sqs:SendMessage", resource: QUEUE })).toBe(
      "ImplicitlyDenied",
    );
  });
});

describe("the interruption queue", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synthStack(KARPENTER)).resources;
  });

  it("keeps messages 300 s with SQS-managed encryption, as upstream", () => {
    const q = one(resources, "aws:sqs/queue:Queue");
    expect(q.inputs.messageRetentionSeconds).toBe(upstream.queue.MessageRetentionPeriod);
    expect(q.inputs.sqsManagedSseEnabled).toBe(upstream.queue.SqsManagedSseEnabled);
    expect(q.inputs.messageRetentionSeconds).toBe(300);
  });

  it("receives exactly upstream's events, one rule each, every rule targeting the queue", () => {
    const patterns = ofType(resources, "aws:cloudwatch/eventRule:EventRule").map(
      (r) => JSON.parse(String(r.inputs.eventPattern)) as unknown,
    );
    expect(patterns).toEqual(Object.values(upstream.rules));
    const targets = ofType(resources, "aws:cloudwatch/eventTarget:EventTarget");
    expect(targets).toHaveLength(INTERRUPTION_EVENTS.length);
  });

  it("accepts EventBridge from tap's rules only and refuses anything without TLS", async () => {
    const doc = policyOf(one(resources, "aws:sqs/queuePolicy:QueuePolicy"));
    const [allow, deny] = doc.Statement;
    expect(allow.Principal).toEqual({ Service: "events.amazonaws.com" });
    expect(allow.Action).toBe("sqs:SendMessage");
    expect(Object.keys(allow.Condition?.ArnEquals ?? {})).toEqual(["aws:SourceArn"]);
    expect((allow.Condition?.ArnEquals?.["aws:SourceArn"] as string[]).length).toBe(5);
    expect(deny).toMatchObject({
      Effect: "Deny",
      Action: "sqs:*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    // Upstream's deny is the same; its allow also names sqs.amazonaws.com, which tap leaves out.
    const theirDeny = upstream.queuePolicy.Statement.find((s) => s.Effect === "Deny");
    expect(theirDeny?.Condition).toEqual({ Bool: { "aws:SecureTransport": false } });
  });

  it("the policy builder names the rules it is given", () => {
    const doc = interruptionQueuePolicy(QUEUE, ["arn:a", "arn:b"]);
    expect(doc.Statement[0].Condition).toEqual({
      ArnEquals: { "aws:SourceArn": ["arn:a", "arn:b"] },
    });
  });
});

describe("the 70/30 split with Karpenter", () => {
  it("divides ten spread domains with the managed groups' split function", () => {
    expect(capacitySpread(70)).toEqual({
      spot: ["1", "2", "3", "4", "5", "6", "7"],
      "on-demand": ["8", "9", "10"],
    });
    expect(capacitySpread(0)).toEqual({
      spot: [],
      "on-demand": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
    });
    expect(capacitySpread(100)["on-demand"]).toEqual([]);
    // Below 100%, on-demand keeps a domain (as it keeps a node); above 0%, spot gets one.
    expect(capacitySpread(99)["on-demand"]).toEqual(["10"]);
    expect(capacitySpread(1).spot).toEqual(["1"]);
  });

  const base = {
    spotPercentage: 70,
    nodeMaxSize: 30,
    instanceTypes: ["m6i.large", "m5.large", "m5a.large", "m6a.large"],
    vcpus: 2,
    settings: { architectures: ["amd64", "arm64"] as const, systemNodes: 2 },
  };

  it("limits each pool's CPU to its share of tap:nodeMaxSize, as the node groups split it", () => {
    const pools = nodePools(base);
    const split = splitCapacity({ min: 0, desired: 0, max: 30 }, 70);
    const limit = (name: string) =>
      (pools.find((p) => p.name === name)?.spec.limits as { cpu: string }).cpu;
    expect(limit("amd64-spot")).toBe(String(split.spot.max * 2));
    expect(limit("amd64-on-demand")).toBe(String(split.onDemand.max * 2));
    expect(limit("amd64-spot")).toBe("42");
    expect(limit("arm64-on-demand")).toBe("18");
    expect(pools.map((p) => p.name)).toEqual([
      "amd64-spot",
      "amd64-on-demand",
      "arm64-spot",
      "arm64-on-demand",
    ]);
  });

  it("has no pool for a capacity type with no share, and one per listed architecture", () => {
    expect(nodePools({ ...base, spotPercentage: 0 }).map((p) => p.name)).toEqual([
      "amd64-on-demand",
      "arm64-on-demand",
    ]);
    expect(
      nodePools({ ...base, settings: { architectures: ["arm64"], systemNodes: 2 } }).map(
        (p) => p.name,
      ),
    ).toEqual(["arm64-spot", "arm64-on-demand"]);
  });

  it("the arm64 pools ask for Graviton of the configured category and size, below amd64 in weight", () => {
    const pools = nodePools(base);
    const arm = pools.find((p) => p.name === "arm64-spot");
    const amd = pools.find((p) => p.name === "amd64-spot");
    const reqs = (arm?.spec.template as { spec: { requirements: unknown[] } }).spec.requirements;
    expect(reqs).toEqual(
      expect.arrayContaining([
        { key: "kubernetes.io/arch", operator: "In", values: ["arm64"] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
        { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["m"] },
        { key: "karpenter.k8s.aws/instance-cpu", operator: "In", values: ["2"] },
        { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["4"] },
        { key: CAPACITY_SPREAD_LABEL, operator: "In", values: ["1", "2", "3", "4", "5", "6", "7"] },
      ]),
    );
    expect(Number(arm?.spec.weight)).toBeLessThan(Number(amd?.spec.weight));
    // Only pods that tolerate it run on Graviton: weights alone would not keep amd64 images off.
    const taints = (p: typeof arm) =>
      (p?.spec.template as { spec: { taints?: unknown[] } }).spec.taints;
    expect(taints(arm)).toEqual([
      { key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" },
    ]);
    expect(taints(amd)).toBeUndefined();
    expect(instanceCategories(["c6i.xlarge", "m7g.xlarge", "r6a.xlarge", "m5.xlarge"])).toEqual([
      "c",
      "m",
      "r",
    ]);
  });

  it("leaves one small on-demand managed group for the controllers", () => {
    const { config } = resolveConfig(KARPENTER, { stackName: "dev" });
    expect(nodeGroupPlan(config, splitCapacity({ min: 3, desired: 10, max: 30 }, 70))).toEqual([
      {
        capacityType: "ON_DEMAND",
        role: "tap-system",
        label: "on-demand",
        sizes: { min: 2, desired: 2, max: 3 },
      },
    ]);
  });
});

describe("Karpenter in the stack", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synthStack(KARPENTER)).resources;
  });
  const cr = (kind: string) =>
    resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind === kind);

  it("boots Bottlerocket by a pinned alias (never @latest), IMDSv2 with hop limit 1, encrypted volumes", () => {
    const [nodeClass] = cr("EC2NodeClass");
    const spec = nodeClass.inputs.spec as Record<string, unknown>;
    expect(spec.amiSelectorTerms).toEqual([
      { alias: VERSION_PINS["1.28"].karpenterAmiAlias.alias },
    ]);
    expect(spec.metadataOptions).toMatchObject({
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    for (const b of spec.blockDeviceMappings as { ebs: { encrypted: boolean } }[]) {
      expect(b.ebs.encrypted).toBe(true);
    }
    expect(spec.role).toBe("tap-karpenter-node-dev");
    expect(spec.subnetSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": CLUSTER } }]);
    for (const v of Object.values(VERSION_PINS)) {
      expect(v.karpenterAmiAlias.alias).toMatch(/^bottlerocket@v\d+\.\d+\.\d+$/);
    }
    expect(VERSION_PINS["1.35"].karpenterAmiAlias.alias).toBe("bottlerocket@v1.64.0");
  });

  it("creates four NodePools with consolidation, disruption budgets and limits", () => {
    const pools = cr("NodePool");
    expect(pools.map((p) => (p.inputs.metadata as { name: string }).name).sort()).toEqual([
      "amd64-on-demand",
      "amd64-spot",
      "arm64-on-demand",
      "arm64-spot",
    ]);
    for (const p of pools) {
      const spec = p.inputs.spec as {
        disruption: { budgets: unknown[]; consolidationPolicy: string };
        limits: { cpu: string };
      };
      expect(spec.disruption.consolidationPolicy).toBe("WhenEmptyOrUnderutilized");
      expect(spec.disruption.budgets.length).toBeGreaterThan(0);
      expect(Number(spec.limits.cpu)).toBeGreaterThan(0);
    }
  });

  it("installs the CRD chart, then the controller with the queue, the region and its IRSA role", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    const crd = releases.find((r) => r.inputs.name === "karpenter-crd");
    const ctl = releases.find((r) => r.inputs.name === "karpenter");
    expect(crd?.inputs.chart).toBe("oci://public.ecr.aws/karpenter/karpenter-crd");
    expect(ctl?.inputs.chart).toBe("oci://public.ecr.aws/karpenter/karpenter");
    expect(ctl?.inputs.repositoryOpts).toBeUndefined();
    expect(ctl?.inputs.skipCrds).toBe(true);
    const values = ctl?.inputs.values as {
      settings: Record<string, string>;
      serviceAccount: { annotations: Record<string, string> };
      controller: { env: { name: string; value: string }[]; image: Record<string, string> };
      nodeSelector: Record<string, string>;
    };
    expect(values.settings.clusterName).toBe(CLUSTER);
    expect(values.settings.interruptionQueue).toBe("tap-karpenter-interruption-dev");
    expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /role\/tap-karpenter-dev$/,
    );
    expect(values.controller.env).toEqual([{ name: "AWS_REGION", value: REGION }]);
    expect(values.controller.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(values.nodeSelector["eks.amazonaws.com/capacityType"]).toBe("ON_DEMAND");
  });

  it("lets its nodes join: an EC2_LINUX access entry for the node role, no CNI or SSM policy", () => {
    const entry = one(resources, "aws:eks/accessEntry:AccessEntry");
    expect(entry.inputs.type).toBe("EC2_LINUX");
    expect(entry.inputs.clusterName).toBe(CLUSTER);
    const attached = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((r) => r.name.startsWith("tap-karpenter-node-"))
      .map((r) => String(r.inputs.policyArn).split("/").pop());
    expect(attached.sort()).toEqual([
      "AmazonEC2ContainerRegistryPullOnly",
      "AmazonEKSWorkerNodePolicy",
    ]);
  });

  it("tags the cluster security group for discovery", () => {
    const tag = one(resources, "aws:ec2/tag:Tag");
    expect(tag.inputs).toMatchObject({ key: "karpenter.sh/discovery", value: CLUSTER });
  });

  it("runs one on-demand system node group, without cluster-autoscaler's tags", () => {
    const groups = ofType(resources, "eks:index:ManagedNodeGroup");
    expect(groups.map((g) => g.name)).toEqual(["tap-system-dev"]);
    expect(groups[0].inputs.capacityType).toBe("ON_DEMAND");
    expect(JSON.stringify(groups[0].inputs.tags)).not.toMatch(/cluster-autoscaler/);
    expect(
      ofType(resources, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name),
    ).not.toContain("cluster-autoscaler");
  });

  it("creates the catalog's namespaces after the NodePools, so its pods have capacity", () => {
    const pools = cr("NodePool").map((p) => p.urn);
    const namespaces = resources.filter(
      (r) =>
        r.type === "kubernetes:core/v1:Namespace" &&
        ["gateway", "payments", "ledger"].includes(
          String((r.inputs.metadata as { name: string }).name),
        ),
    );
    expect(namespaces.length).toBe(3);
    for (const ns of namespaces) expect(ns.dependencies).toEqual(expect.arrayContaining(pools));
  });

  it("spreads the catalog's replicas over the capacity domains instead of preferring spot", () => {
    const deployments = resources.filter(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && /^svc-/.test(r.name),
    );
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const pod = (d.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec;
      expect(pod.affinity).toBeUndefined();
      expect(pod.topologySpreadConstraints).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            topologyKey: CAPACITY_SPREAD_LABEL,
            maxSkew: 1,
            whenUnsatisfiable: "DoNotSchedule",
          }),
        ]),
      );
    }
  });
});

describe("Karpenter's order: created after what it needs, deleted while the controller runs", () => {
  const seen: SeenOptions[] = [];
  let names: Map<unknown, string>;
  beforeAll(async () => {
    await mockTap(() => {
      const ctx = recordingAddonContext(seen, KARPENTER);
      const k = deployKarpenter(ctx);
      names = new Map<unknown, string>([
        [k.release, "controller"],
        [k.crdRelease, "crd"],
        [k.nodeClass, "nodeClass"],
        [k.nodeRole, "nodeRole"],
        [k.interruptionQueue, "queue"],
        [ctx.cluster, "cluster"],
      ]);
      return k;
    });
  });
  const opts = (name: string) => seen.filter((s) => s.name === name);
  const deps = (name: string) => opts(name)[0].dependsOn.map((d) => names.get(d) ?? "other");

  it("installs the CRDs before the controller, and the controller after its queue", () => {
    expect(deps("karpenter-dev")).toEqual(expect.arrayContaining(["crd", "queue"]));
  });

  it("creates the node class after the controller, CRDs and node role; the pools after the node class", () => {
    expect(deps("tap-karpenter-nodeclass-dev")).toEqual(
      expect.arrayContaining(["controller", "crd", "nodeRole"]),
    );
    for (const pool of ["amd64-spot", "amd64-on-demand", "arm64-spot", "arm64-on-demand"]) {
      expect(deps(`tap-karpenter-${pool}-dev`)).toEqual(
        expect.arrayContaining(["nodeClass", "controller"]),
      );
    }
  });

  it("never deletes the node class or a pool with the cluster, and gives their drain time", () => {
    for (const name of ["tap-karpenter-nodeclass-dev", "tap-karpenter-amd64-spot-dev"]) {
      const [o] = opts(name);
      expect(o.deletedWith).toBeUndefined();
      expect(o.customTimeouts).toMatchObject({ delete: "45m" });
    }
    // The releases are deleted with the cluster (nothing of them outlives it).
    expect(opts("karpenter-dev")[0].deletedWith).toBe(
      [...names.entries()].find(([, n]) => n === "cluster")?.[0],
    );
  });

  it("registers the access entry after the cluster exists", () => {
    expect(deps("tap-karpenter-node-access-dev")).toContain("cluster");
  });
});
