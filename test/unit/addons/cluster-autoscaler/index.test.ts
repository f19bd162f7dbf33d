import {
  deployClusterAutoscaler,
  spotFirstPriorities,
} from "../../../../lib/addons/cluster-autoscaler";
import { clusterAutoscalerPolicy } from "../../../../lib/addons/cluster-autoscaler/iam";
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../../lib/addons/versions";
import { PolicyDocument } from "../../../../lib/iam/policy";
import { testAddonContext } from "../../../helpers/addon-context";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  mockTap,
  one,
  ofType,
  policyOf,
} from "../../../helpers/mocks";

const CLUSTER = "tap-eks-dev";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-cluster-autoscaler-dev`;
const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };
const RELEASE = "kubernetes:helm.sh/v3:Release";
const UUID = "8b3f2c1a-1111-2222-3333-444455556666";
const asgArn = (name: string) =>
  `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:${UUID}:autoScalingGroupName/${name}`;

const nodegroupArn = (cluster: string) =>
  `arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/${cluster}/tap-spot-dev-x/${UUID}`;

type Obj = Record<string, unknown>;

const run = (kubernetesVersion = "1.28") =>
  mockTap(() => deployClusterAutoscaler(testAddonContext({ kubernetesVersion })));

async function valuesOf(kubernetesVersion = "1.28"): Promise<Obj> {
  const { resources } = await run(kubernetesVersion);
  return one(resources, RELEASE).inputs.values as Obj;
}

async function prioritiesOf(environmentSuffix = "dev"): Promise<Record<string, string[]>> {
  const { resources } = await mockTap(() =>
    deployClusterAutoscaler(testAddonContext({ environmentSuffix })),
  );
  return (one(resources, RELEASE).inputs.values as Obj).expanderPriorities as Record<
    string,
    string[]
  >;
}

async function trustPolicy(): Promise<PolicyDocument> {
  const { resources } = await run();
  const role = one(resources, "aws:iam/role:Role", "tap-cluster-autoscaler-dev");
  return policyOf(role, "assumeRolePolicy") as PolicyDocument;
}

/**
 * What CA's priority expander does with the ConfigMap (expander/priority: a group is scored by the
 * highest priority whose regex list matches its ASG name, unanchored like Go's regexp; a group no
 * regex matches is not used), over the map the chart renders from `expanderPriorities`.
 */
function priorityOf(priorities: Record<string, string[]>, asgName: string): number | undefined {
  const matching = Object.entries(priorities)
    .filter(([, regexes]) => regexes.some((r) => new RegExp(r).test(asgName)))
    .map(([p]) => Number.parseInt(p, 10));
  return matching.length > 0 ? Math.max(...matching) : undefined;
}

describe("deployClusterAutoscaler: release", () => {
  it.each(["1.28", "1.33"] as const)(
    "installs the pinned chart for Kubernetes %s into kube-system (no namespace created)",
    async (v) => {
      const { resources } = await run(v);
      const pin = VERSION_PINS[v].clusterAutoscaler;
      const release = one(resources, RELEASE);
      expect(release.inputs).toMatchObject({
        chart: "cluster-autoscaler",
        version: pin.version,
        repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" },
        namespace: "kube-system",
        atomic: true,
        cleanupOnFail: true,
      });
      // kube-system exists: no namespace is created.
      expect(ofType(resources, "kubernetes:core/v1:Namespace")).toHaveLength(0);
    },
  );

  it.each([...SUPPORTED_KUBERNETES_VERSIONS])(
    "runs an image whose minor equals the cluster minor (%s)",
    async (v) => {
      const image = (await valuesOf(v)).image as Obj;
      expect(image).toEqual(VERSION_PINS[v].clusterAutoscaler.image);
      const tag = image.tag;
      expect(String(tag)).toMatch(new RegExp(`^v${v.replace(".", "\\.")}\\.\\d+$`));
    },
  );

  it("locks cloud provider, region, cluster name and the IRSA service account", async () => {
    const values = await valuesOf();
    expect(values).toMatchObject({
      cloudProvider: "aws",
      awsRegion: REGION,
      autoDiscovery: { clusterName: CLUSTER },
      rbac: {
        create: true,
        serviceAccount: {
          create: true,
          name: "cluster-autoscaler",
          annotations: { "eks.amazonaws.com/role-arn": ROLE_ARN },
        },
      },
    });
  });

  it("runs 2 replicas on on-demand nodes, system-cluster-critical, with a drain-safe PDB", async () => {
    const values = await valuesOf();
    expect(values.replicaCount).toBe(2);
    expect(values.nodeSelector).toEqual({ "eks.amazonaws.com/capacityType": "ON_DEMAND" });
    expect(values.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    expect(values.priorityClassName).toBe("system-cluster-critical");
    expect(values.resources).toEqual({
      requests: { cpu: "100m", memory: "300Mi" },
      limits: { cpu: "500m", memory: "600Mi" },
    });
  });

  it("rejects fewer than 2 replicas", async () => {
    await expect(
      mockTap(() => deployClusterAutoscaler(testAddonContext(), { replicas: 1 })),
    ).rejects.toThrow(/replicas must be an integer >= 2 .*got 1/);
  });

  it.each([
    ["expander", "priority,least-waste"],
    ["balance-similar-node-groups", "true"],
    ["skip-nodes-with-system-pods", "true"],
    ["skip-nodes-with-local-storage", "false"],
    ["scale-down-unneeded-time", "10m"],
    ["scale-down-utilization-threshold", "0.5"],
    ["scale-down-delay-after-add", "10m"],
    ["leader-elect", "true"],
  ])("passes --%s=%s", async (flag, value) => {
    expect(((await valuesOf()).extraArgs as Obj)[flag]).toBe(value);
  });

  it("lets args add flags without losing the defaults", async () => {
    const { resources } = await mockTap(() =>
      deployClusterAutoscaler(testAddonContext(), { extraArgs: { "scan-interval": "20s" } }),
    );
    const extraArgs = (one(resources, RELEASE).inputs.values as Obj).extraArgs as Obj;
    expect(extraArgs).toMatchObject({ "scan-interval": "20s", expander: "priority,least-waste" });
  });
});

describe("priority expander", () => {
  it("meets the chart's conditions for rendering cluster-autoscaler-priority-expander", async () => {
    // priority-expander-configmap.yaml: hasKey extraArgs "expander", expanderPriorities non-empty,
    // and splitList "," extraArgs.expander has "priority" (so no spaces around the comma).
    const values = await valuesOf();
    const expander = (values.extraArgs as Obj).expander;
    expect(typeof expander).toBe("string");
    expect(String(expander).split(",")).toContain("priority");
    expect(Object.keys(values.expanderPriorities as Obj).length).toBeGreaterThan(0);
  });

  it("renders integer keys, each with a list of valid regexes", async () => {
    const priorities = await prioritiesOf();
    expect(priorities).toEqual(spotFirstPriorities("tap-spot-dev"));
    for (const [key, regexes] of Object.entries(priorities)) {
      expect(key).toMatch(/^\d+$/); // the chart pipes keys through `int`
      for (const r of regexes) expect(() => new RegExp(r)).not.toThrow();
    }
  });

  it.each([
    ["the spot group's ASG", "eks-tap-spot-dev-20261121a1b2c3-8cc6f1a2-0b1c", 50],
    [
      "the on-demand group's ASG (catch-all only)",
      "eks-tap-ondemand-dev-2026112-5ac6f1a2-0b1c",
      10,
    ],
    ["any other discovered ASG (catch-all)", "eks-something-else-5ac6f1a2", 10],
  ])("scores %s", async (_what, asg, expected) => {
    const priorities = await prioritiesOf();
    expect(priorityOf(priorities, asg)).toBe(expected);
  });

  it("prefers spot over on-demand when both could take the pods", async () => {
    const priorities = await prioritiesOf();
    const asgs = ["eks-tap-ondemand-dev-x-1111", "eks-tap-spot-dev-y-2222"];
    const best = asgs.reduce((a, b) =>
      (priorityOf(priorities, b) ?? -1) > (priorityOf(priorities, a) ?? -1) ? b : a,
    );
    expect(best).toBe("eks-tap-spot-dev-y-2222");
  });

  it("does not promote on-demand when the environment suffix contains 'spot'", async () => {
    const priorities = await prioritiesOf("spotty");
    expect(priorityOf(priorities, "eks-tap-ondemand-spotty-x-1111")).toBe(10);
    expect(priorityOf(priorities, "eks-tap-spot-spotty-y-2222")).toBe(50);
  });
});

describe("cluster-autoscaler IRSA", () => {
  it("trusts exactly kube-system:cluster-autoscaler (sub and aud)", async () => {
    const trust = await trustPolicy();
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:kube-system:cluster-autoscaler",
        [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
      },
    });
  });

  it.each([
    ["kube-system:cluster-autoscaler", "sts.amazonaws.com", "Allowed"],
    ["default:cluster-autoscaler", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["kube-system:other", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["kube-system:cluster-autoscaler", "other-audience", "ImplicitlyDenied"],
  ])("simulated AssumeRoleWithWebIdentity by %s for %s: %s", async (sa, aud, expected) => {
    const trust = await trustPolicy();
    const sub = `system:serviceaccount:${sa}`;
    await expect(
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud }),
    ).resolves.toBe(expected);
  });

  it("attaches the policy built for this cluster, account and region", async () => {
    const { resources } = await run();
    expect(policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy"))).toEqual(
      clusterAutoscalerPolicy(SCOPE, CLUSTER),
    );
  });

  const policy = clusterAutoscalerPolicy(SCOPE, CLUSTER);
  const ASG = asgArn("eks-tap-spot-dev-xyz");
  const ours = {
    "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
    [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER}`]: "owned",
  };
  const otherCluster = {
    "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
    "aws:ResourceTag/k8s.io/cluster-autoscaler/other-cluster": "owned",
  };
  const ownedButDisabled = {
    [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER}`]: "owned",
  };

  const SET = "autoscaling:SetDesiredCapacity";
  const TERMINATE = "autoscaling:TerminateInstanceInAutoScalingGroup";
  it.each([
    [SET, "tagged for this cluster", "Allowed", ours],
    [SET, "tagged for another cluster", "ImplicitlyDenied", otherCluster],
    [SET, "untagged", "ImplicitlyDenied", {}],
    [SET, "owned, enabled tag missing", "ImplicitlyDenied", ownedButDisabled],
    [TERMINATE, "tagged for this cluster", "Allowed", ours],
    [TERMINATE, "tagged for another cluster", "ImplicitlyDenied", otherCluster],
    [TERMINATE, "untagged", "ImplicitlyDenied", {}],
    ["autoscaling:DeleteAutoScalingGroup", "tagged for this cluster", "ImplicitlyDenied", ours],
    ["autoscaling:UpdateAutoScalingGroup", "tagged for this cluster", "ImplicitlyDenied", ours],
  ])("simulated %s on an ASG %s: %s", async (action, _what, expected, context) => {
    await expect(simulate(policy, { action, resource: ASG, context })).resolves.toBe(expected);
  });

  it.each([
    ["autoscaling:DescribeAutoScalingGroups", "*", "Allowed"],
    ["ec2:DescribeInstanceTypes", "*", "Allowed"],
    ["ec2:GetInstanceTypesFromInstanceRequirements", "*", "Allowed"],
    ["eks:DescribeNodegroup", nodegroupArn(CLUSTER), "Allowed"],
    ["eks:DescribeNodegroup", nodegroupArn("other-cluster"), "ImplicitlyDenied"],
    [
      "ec2:TerminateInstances",
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0abc`,
      "ImplicitlyDenied",
    ],
  ])("simulated %s on %s: %s", async (action, resource, expected) => {
    await expect(simulate(policy, { action, resource })).resolves.toBe(expected);
  });

  it("grants exactly the eks-facts §2a actions", () => {
    const expected = `autoscaling:DescribeAutoScalingGroups autoscaling:DescribeAutoScalingInstances
      autoscaling:DescribeLaunchConfigurations autoscaling:DescribeScalingActivities
      autoscaling:DescribeTags autoscaling:SetDesiredCapacity
      autoscaling:TerminateInstanceInAutoScalingGroup ec2:DescribeImages ec2:DescribeInstanceTypes
      ec2:DescribeLaunchTemplateVersions ec2:GetInstanceTypesFromInstanceRequirements
      eks:DescribeNodegroup`.split(/\s+/);
    const actions = policy.Statement.flatMap((s) => ([] as string[]).concat(s.Action));
    expect(actions.sort()).toEqual(expected.sort());
  });

  it.each(policy.Statement.map((s) => [s.Sid ?? "?", s] as const))(
    "statement %s has no '*' or iam: action, and no unconditioned write on '*'",
    (_sid, statement) => {
      const actions = ([] as string[]).concat(statement.Action);
      for (const a of actions) {
        expect(a).not.toContain("*");
        expect(a).not.toMatch(/^iam:/);
      }
      const writes = actions.filter((a) => !/:(Describe|Get)/.test(a));
      if (writes.length > 0) {
        expect(statement.Resource).not.toBe("*");
        expect(Object.keys(statement.Condition?.StringEquals ?? {})).toContain(
          `aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER}`,
        );
      }
    },
  );
});
