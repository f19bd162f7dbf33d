import {
  AutoScalingClient,
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  Cluster,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  Nodegroup,
  ResourceNotFoundException,
} from "@aws-sdk/client-eks";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { CONTROL_PLANE_LOG_TYPES } from "../../../lib/cluster";
import { irsaTrustPolicy } from "../../../lib/iam/irsa";
import {
  checkAutoscalingTags,
  checkCluster,
  checkIrsaRoles,
  checkLogGroups,
  checkNodeGroups,
  subjectForKey,
} from "../../integration/checks";
import { StackOutputsFile } from "../../integration/outputs";

const ACCOUNT = "123456789012";
const ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC123";
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
const KMS = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1111-2222`;
const CA_ROLE = `arn:aws:iam::${ACCOUNT}:role/tap-cluster-autoscaler-qa1`;
const KEDA_ROLE = `arn:aws:iam::${ACCOUNT}:role/tap/keda-qa1`;

const OUTPUTS: StackOutputsFile = {
  clusterName: "tap-eks-qa1",
  clusterVersion: "1.33",
  oidcIssuerUrl: `https://${ISSUER}`,
  oidcProviderArn: PROVIDER_ARN,
  privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  nodeGroupNames: ["tap-spot-qa1-1", "tap-ondemand-qa1-1"],
  kmsKeyArn: KMS,
  controlPlaneLogGroupName: "/aws/eks/tap-eks-qa1/cluster",
  flowLogGroupName: "/aws/vpc/tap-flow-logs-qa1",
  region: "us-east-1",
  environmentSuffix: "qa1",
  irsaRoleArns: { "kube-system/cluster-autoscaler": CA_ROLE, keda: KEDA_ROLE },
  clusterSecurityGroupId: "sg-0eks",
};

const eks = mockClient(EKSClient);
const logs = mockClient(CloudWatchLogsClient);
const iam = mockClient(IAMClient);
const asg = mockClient(AutoScalingClient);
beforeEach(() => {
  for (const m of [eks, logs, iam, asg]) m.reset();
});
const eksClient = new EKSClient({ region: "us-east-1" });
const logsClient = new CloudWatchLogsClient({ region: "us-east-1" });
const iamClient = new IAMClient({ region: "us-east-1" });
const asgClient = new AutoScalingClient({ region: "us-east-1" });

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

describe("checkCluster", () => {
  const expected = { version: "1.33", logTypes: CONTROL_PLANE_LOG_TYPES };
  const healthy = (): Cluster => ({
    name: "tap-eks-qa1",
    status: "ACTIVE",
    version: "1.33",
    identity: { oidc: { issuer: `https://${ISSUER}` } },
    encryptionConfig: [{ resources: ["secrets"], provider: { keyArn: KMS } }],
    logging: { clusterLogging: [{ types: [...CONTROL_PLANE_LOG_TYPES], enabled: true }] },
    resourcesVpcConfig: {
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      clusterSecurityGroupId: "sg-0eks",
    },
  });
  const run = (cluster: Cluster, outputs = OUTPUTS) => {
    eks.on(DescribeClusterCommand, { name: "tap-eks-qa1" }).resolves({ cluster });
    return checkCluster(eksClient, outputs, expected);
  };

  it("finds nothing wrong with a healthy cluster, and asks EKS for the output's cluster name", async () => {
    expect(await run(healthy())).toEqual([]);
    expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input)).toEqual([
      { name: "tap-eks-qa1" },
    ]);
  });

  it("accepts an oidcIssuerUrl output without https://", async () => {
    expect(await run(healthy(), { ...OUTPUTS, oidcIssuerUrl: ISSUER })).toEqual([]);
  });

  it.each<[string, (c: Cluster) => Cluster, string[]]>([
    [
      "another version",
      (c) => ({ ...c, version: "1.32" }),
      ["cluster tap-eks-qa1: version is 1.32, expected 1.33"],
    ],
    [
      "a missing log type",
      (c) => ({
        ...c,
        logging: {
          clusterLogging: [
            { types: ["api", "audit", "authenticator", "controllerManager"], enabled: true },
            { types: ["scheduler"], enabled: false },
          ],
        },
      }),
      ['cluster tap-eks-qa1: control-plane log type "scheduler" is not enabled'],
    ],
    [
      "no logging at all",
      (c) => ({ ...c, logging: undefined }),
      CONTROL_PLANE_LOG_TYPES.map(
        (t) => `cluster tap-eks-qa1: control-plane log type "${t}" is not enabled`,
      ),
    ],
    [
      "secrets under another key",
      (c) => ({
        ...c,
        encryptionConfig: [
          { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:x:1:key/other" } },
        ],
      }),
      [
        `cluster tap-eks-qa1: secrets are encrypted with arn:aws:kms:x:1:key/other, expected ${KMS}`,
      ],
    ],
    [
      "no secrets encryption",
      (c) => ({ ...c, encryptionConfig: [] }),
      [
        'cluster tap-eks-qa1: secrets are not envelope-encrypted (no encryptionConfig for "secrets")',
      ],
    ],
    [
      "another OIDC issuer",
      (c) => ({
        ...c,
        identity: { oidc: { issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/OTHER" } },
      }),
      [
        `cluster tap-eks-qa1: OIDC issuer is https://oidc.eks.us-east-1.amazonaws.com/id/OTHER, expected https://${ISSUER}`,
      ],
    ],
    [
      "a cluster still creating",
      (c) => ({ ...c, status: "CREATING" }),
      ["cluster tap-eks-qa1: status is CREATING, expected ACTIVE"],
    ],
    [
      "no private endpoint",
      (c) => ({
        ...c,
        resourcesVpcConfig: { endpointPrivateAccess: false, clusterSecurityGroupId: "sg-0eks" },
      }),
      ["cluster tap-eks-qa1: the private API endpoint is not enabled"],
    ],
    [
      "an output naming another security group (pulumi-eks's own)",
      (c) => ({
        ...c,
        resourcesVpcConfig: { ...c.resourcesVpcConfig, clusterSecurityGroupId: "sg-0other" },
      }),
      [
        "cluster tap-eks-qa1: the clusterSecurityGroupId output is sg-0eks, but the EKS cluster security group is sg-0other",
      ],
    ],
  ])("reports %s", async (_, breakIt, findings) => {
    expect(await run(breakIt(healthy()))).toEqual(findings);
  });

  it("reports an outputs file whose clusterVersion is not the expected one", async () => {
    expect(await run(healthy(), { ...OUTPUTS, clusterVersion: "1.32" })).toEqual([
      "cluster tap-eks-qa1: the clusterVersion output is 1.32, expected 1.33 (stale outputs file?)",
    ]);
  });

  it("reports an OIDC provider ARN that belongs to another issuer", async () => {
    const other = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER`;
    expect(await run(healthy(), { ...OUTPUTS, oidcProviderArn: other })).toEqual([
      `cluster tap-eks-qa1: oidcProviderArn ${other} is not the provider of issuer https://${ISSUER}`,
    ]);
  });

  it("turns an SDK error into one finding", async () => {
    eks.on(DescribeClusterCommand).rejects(notFound("No cluster found for name: tap-eks-qa1."));
    expect(await checkCluster(eksClient, OUTPUTS, expected)).toEqual([
      "cluster tap-eks-qa1: DescribeCluster failed (ResourceNotFoundException: No cluster found for name: tap-eks-qa1.)",
    ]);
  });
});

const spotGroup = (patch: Partial<Nodegroup> = {}): Nodegroup => ({
  nodegroupName: "tap-spot-qa1-1",
  clusterName: "tap-eks-qa1",
  status: "ACTIVE",
  capacityType: "SPOT",
  version: "1.33",
  scalingConfig: { minSize: 2, desiredSize: 7, maxSize: 21 },
  subnets: ["subnet-a", "subnet-b", "subnet-c"],
  resources: { autoScalingGroups: [{ name: "eks-tap-spot-qa1-1-abcd" }] },
  ...patch,
});
const onDemandGroup = (patch: Partial<Nodegroup> = {}): Nodegroup => ({
  nodegroupName: "tap-ondemand-qa1-1",
  clusterName: "tap-eks-qa1",
  status: "ACTIVE",
  capacityType: "ON_DEMAND",
  version: "1.33",
  scalingConfig: { minSize: 1, desiredSize: 3, maxSize: 9 },
  subnets: ["subnet-a", "subnet-b", "subnet-c"],
  resources: { autoScalingGroups: [{ name: "eks-tap-ondemand-qa1-1-efgh" }] },
  ...patch,
});
const serveGroups = (...groups: Nodegroup[]): void => {
  for (const g of groups) {
    eks
      .on(DescribeNodegroupCommand, { clusterName: "tap-eks-qa1", nodegroupName: g.nodegroupName })
      .resolves({ nodegroup: g });
  }
};

describe("checkNodeGroups", () => {
  const defaults = { totals: { min: 3, desired: 10, max: 30 }, spotPercentage: 70 };

  it("reports a node group left on an older minor than the cluster's", async () => {
    serveGroups(spotGroup(), onDemandGroup({ version: "1.32" }));
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-ondemand-qa1-1: Kubernetes 1.32, expected the cluster's 1.33",
    ]);
  });

  it("finds nothing wrong with the 70/30 split of the default 3/10/30 nodes", async () => {
    serveGroups(spotGroup(), onDemandGroup());
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([]);
    expect(eks.commandCalls(DescribeNodegroupCommand).map((c) => c.args[0].input)).toEqual([
      { clusterName: "tap-eks-qa1", nodegroupName: "tap-spot-qa1-1" },
      { clusterName: "tap-eks-qa1", nodegroupName: "tap-ondemand-qa1-1" },
    ]);
  });

  it("lets cluster-autoscaler move desired within min..max", async () => {
    serveGroups(
      spotGroup({ scalingConfig: { minSize: 2, desiredSize: 21, maxSize: 21 } }),
      onDemandGroup(),
    );
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([]);
  });

  it("derives sizes from the configured totals with splitCapacity (50% of 4/4/4 -> 2/2/2 each)", async () => {
    const sizes = { scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 2 } };
    serveGroups(spotGroup(sizes), onDemandGroup(sizes));
    const expected = { totals: { min: 4, desired: 4, max: 4 }, spotPercentage: 50 };
    expect(await checkNodeGroups(eksClient, OUTPUTS, expected)).toEqual([]);
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-spot-qa1-1 (SPOT): min/max is 2/2, expected 2/21 (70% spot of 3/30)",
      "node group tap-ondemand-qa1-1 (ON_DEMAND): min/max is 2/2, expected 1/9 (70% spot of 3/30)",
    ]);
  });

  it("reports a group with the wrong capacity type", async () => {
    serveGroups(spotGroup(), onDemandGroup({ capacityType: "SPOT" }));
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node groups: expected exactly one SPOT group, found 2 (tap-spot-qa1-1=SPOT, tap-ondemand-qa1-1=SPOT)",
      "node groups: expected exactly one ON_DEMAND group, found 0 (tap-spot-qa1-1=SPOT, tap-ondemand-qa1-1=SPOT)",
    ]);
  });

  it("reports sizes that are not the 70/30 split", async () => {
    serveGroups(
      spotGroup({ scalingConfig: { minSize: 2, desiredSize: 7, maxSize: 15 } }),
      onDemandGroup(),
    );
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-spot-qa1-1 (SPOT): min/max is 2/15, expected 2/21 (70% spot of 3/30)",
    ]);
  });

  it("reports a desired size outside min..max", async () => {
    serveGroups(
      spotGroup(),
      onDemandGroup({ scalingConfig: { minSize: 1, desiredSize: 0, maxSize: 9 } }),
    );
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-ondemand-qa1-1 (ON_DEMAND): desired size 0 is outside 1..9",
    ]);
  });

  it("reports subnets that are not the stack's private subnets, and a group not ACTIVE", async () => {
    serveGroups(
      spotGroup({ subnets: ["subnet-a", "subnet-public"], status: "DEGRADED" }),
      onDemandGroup(),
    );
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-spot-qa1-1: status is DEGRADED, expected ACTIVE",
      "node group tap-spot-qa1-1: subnets subnet-public are not private subnets of the stack",
    ]);
  });

  it("expects only the spot group at 100% spot, and reports an on-demand group then", async () => {
    const all = { totals: { min: 3, desired: 10, max: 30 }, spotPercentage: 100 };
    serveGroups(
      spotGroup({ scalingConfig: { minSize: 3, desiredSize: 10, maxSize: 30 } }),
      onDemandGroup(),
    );
    expect(
      await checkNodeGroups(eksClient, { ...OUTPUTS, nodeGroupNames: ["tap-spot-qa1-1"] }, all),
    ).toEqual([]);
    expect(await checkNodeGroups(eksClient, OUTPUTS, all)).toEqual([
      "node group tap-ondemand-qa1-1: capacity type ON_DEMAND is not expected at 100% spot",
    ]);
  });

  it("reports a node group EKS does not know", async () => {
    serveGroups(spotGroup());
    eks
      .on(DescribeNodegroupCommand, { nodegroupName: "tap-ondemand-qa1-1" })
      .rejects(notFound("No node group found for name: tap-ondemand-qa1-1."));
    expect(await checkNodeGroups(eksClient, OUTPUTS, defaults)).toEqual([
      "node group tap-ondemand-qa1-1: DescribeNodegroup failed (ResourceNotFoundException: No node group found for name: tap-ondemand-qa1-1.)",
      "node groups: expected exactly one ON_DEMAND group, found 0 (tap-spot-qa1-1=SPOT)",
    ]);
  });
});

describe("checkAutoscalingTags", () => {
  const tagged = (name: string, tags: Record<string, string>): AutoScalingGroup =>
    ({
      AutoScalingGroupName: name,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }) as AutoScalingGroup;
  const discovery = {
    "k8s.io/cluster-autoscaler/enabled": "true",
    "k8s.io/cluster-autoscaler/tap-eks-qa1": "owned",
  };

  it("finds nothing wrong when both ASGs carry the discovery tags", async () => {
    serveGroups(spotGroup(), onDemandGroup());
    asg
      .on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: ["eks-tap-spot-qa1-1-abcd"] })
      .resolves({ AutoScalingGroups: [tagged("eks-tap-spot-qa1-1-abcd", discovery)] });
    asg
      .on(DescribeAutoScalingGroupsCommand, {
        AutoScalingGroupNames: ["eks-tap-ondemand-qa1-1-efgh"],
      })
      .resolves({ AutoScalingGroups: [tagged("eks-tap-ondemand-qa1-1-efgh", discovery)] });
    expect(await checkAutoscalingTags(eksClient, asgClient, OUTPUTS)).toEqual([]);
  });

  it("reports a missing cluster-ownership tag", async () => {
    serveGroups(spotGroup(), onDemandGroup());
    asg
      .on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: ["eks-tap-spot-qa1-1-abcd"] })
      .resolves({
        AutoScalingGroups: [
          tagged("eks-tap-spot-qa1-1-abcd", { "k8s.io/cluster-autoscaler/enabled": "true" }),
        ],
      });
    asg
      .on(DescribeAutoScalingGroupsCommand, {
        AutoScalingGroupNames: ["eks-tap-ondemand-qa1-1-efgh"],
      })
      .resolves({ AutoScalingGroups: [tagged("eks-tap-ondemand-qa1-1-efgh", discovery)] });
    expect(await checkAutoscalingTags(eksClient, asgClient, OUTPUTS)).toEqual([
      "Auto Scaling group eks-tap-spot-qa1-1-abcd (node group tap-spot-qa1-1): tag k8s.io/cluster-autoscaler/tap-eks-qa1 is undefined, expected owned",
    ]);
  });
});

describe("checkLogGroups", () => {
  const group = (name: string, patch: Partial<LogGroup> = {}): LogGroup => ({
    logGroupName: name,
    retentionInDays: 30,
    kmsKeyId: KMS,
    ...patch,
  });
  const serve = (...groups: LogGroup[]): void => {
    for (const g of groups) {
      logs
        .on(DescribeLogGroupsCommand, { logGroupNamePrefix: g.logGroupName })
        .resolves({ logGroups: [g] });
    }
  };
  const CP = OUTPUTS.controlPlaneLogGroupName;
  const FLOW = OUTPUTS.flowLogGroupName;

  it("finds nothing wrong when both groups keep 30 days under the stack's key", async () => {
    serve(group(CP), group(FLOW));
    expect(await checkLogGroups(logsClient, OUTPUTS, { retentionDays: 30 })).toEqual([]);
  });

  it.each<[string, Partial<LogGroup>, string]>([
    [
      "no KMS key",
      { kmsKeyId: undefined },
      `control-plane log group ${CP}: not encrypted with KMS, expected ${KMS}`,
    ],
    [
      "another KMS key",
      { kmsKeyId: "arn:aws:kms:us-east-1:1:key/x" },
      `control-plane log group ${CP}: encrypted with arn:aws:kms:us-east-1:1:key/x, expected ${KMS}`,
    ],
    [
      "another retention",
      { retentionInDays: 14 },
      `control-plane log group ${CP}: retention is 14 days, expected 30`,
    ],
    [
      "no retention",
      { retentionInDays: undefined },
      `control-plane log group ${CP}: retention is never expire days, expected 30`,
    ],
  ])("reports a log group with %s", async (_, patch, finding) => {
    serve(group(CP, patch), group(FLOW));
    expect(await checkLogGroups(logsClient, OUTPUTS, { retentionDays: 30 })).toEqual([finding]);
  });

  it("reports a missing group, looking past prefix matches and through pages", async () => {
    logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: CP })
      .resolvesOnce({ logGroups: [group(`${CP}-old`)], nextToken: "page2" })
      .resolves({ logGroups: [] });
    serve(group(FLOW));
    expect(await checkLogGroups(logsClient, OUTPUTS, { retentionDays: 30 })).toEqual([
      `control-plane log group ${CP}: does not exist`,
    ]);
    expect(
      logs
        .commandCalls(DescribeLogGroupsCommand, { logGroupNamePrefix: CP })
        .map((c) => c.args[0].input.nextToken),
    ).toEqual([undefined, "page2"]);
  });

  it("checks the application log group when the stack outputs one", async () => {
    const app = "/aws/containerinsights/tap-eks-qa1/application";
    serve(group(CP), group(FLOW), group(app, { retentionInDays: 7 }));
    const outputs = { ...OUTPUTS, applicationLogGroupName: app };
    expect(await checkLogGroups(logsClient, outputs, { retentionDays: 30 })).toEqual([
      `application log group ${app}: retention is 7 days, expected 30`,
    ]);
  });

  it("checks Falco's log group when the stack outputs one (tap:addons.falco)", async () => {
    const falco = "/aws/eks/tap-eks-qa1/falco";
    serve(group(CP), group(FLOW), group(falco, { kmsKeyId: undefined }));
    const outputs = { ...OUTPUTS, falcoLogGroupName: falco };
    expect(await checkLogGroups(logsClient, outputs, { retentionDays: 30 })).toEqual([
      `falco log group ${falco}: not encrypted with KMS, expected ${OUTPUTS.kmsKeyArn}`,
    ]);
  });
});

describe("checkIrsaRoles", () => {
  type Statement = ReturnType<typeof irsaTrustPolicy>["Statement"][number];
  const trust = (ns: string, sa: string, patch: (s: Statement) => Statement = (s) => s) => {
    const doc = irsaTrustPolicy(PROVIDER_ARN, `https://${ISSUER}`, ns, sa);
    return encodeURIComponent(JSON.stringify({ ...doc, Statement: doc.Statement.map(patch) }));
  };
  const serve = (caDocument: string, kedaDocument = trust("keda", "keda-operator")): void => {
    iam.on(GetRoleCommand, { RoleName: "tap-cluster-autoscaler-qa1" }).resolves({
      Role: {
        Arn: CA_ROLE,
        RoleName: "tap-cluster-autoscaler-qa1",
        Path: "/",
        RoleId: "A",
        CreateDate: new Date(),
        AssumeRolePolicyDocument: caDocument,
      },
    });
    iam.on(GetRoleCommand, { RoleName: "keda-qa1" }).resolves({
      Role: {
        Arn: KEDA_ROLE,
        RoleName: "keda-qa1",
        Path: "/tap/",
        RoleId: "B",
        CreateDate: new Date(),
        AssumeRolePolicyDocument: kedaDocument,
      },
    });
  };
  const where = `IRSA role kube-system/cluster-autoscaler (${CA_ROLE})`;

  it("finds nothing wrong with trust policies made by lib/iam/irsa.ts (URL-encoded, as IAM returns them)", async () => {
    serve(trust("kube-system", "cluster-autoscaler"));
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([]);
    expect(iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input.RoleName)).toEqual([
      "tap-cluster-autoscaler-qa1",
      "keda-qa1",
    ]);
  });

  it("finds nothing to check when the stack outputs no IRSA roles", async () => {
    expect(await checkIrsaRoles(iamClient, { ...OUTPUTS, irsaRoleArns: undefined })).toEqual([]);
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(0);
  });

  it("reports a trust policy that uses StringLike", async () => {
    serve(
      trust("kube-system", "cluster-autoscaler", (s) => ({
        ...s,
        Condition: {
          ...s.Condition,
          StringLike: { [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:*" },
        },
      })),
    );
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([
      `${where}: uses StringLike; only StringEquals on :sub and :aud is allowed`,
    ]);
  });

  it("reports a trust policy for another service account", async () => {
    serve(trust("default", "cluster-autoscaler"));
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([
      `${where}: StringEquals ${ISSUER}:sub is "system:serviceaccount:default:cluster-autoscaler", expected system:serviceaccount:kube-system:cluster-autoscaler`,
    ]);
  });

  it("reports a wildcard subject on a role keyed by add-on name, and a missing audience", async () => {
    const wildcard = trust("keda", "keda-operator", (s) => ({
      ...s,
      Condition: { StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:keda:*" } },
    }));
    serve(trust("kube-system", "cluster-autoscaler"), wildcard);
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([
      `IRSA role keda (${KEDA_ROLE}): StringEquals ${ISSUER}:sub is "system:serviceaccount:keda:*", expected one system:serviceaccount:<ns>:<sa>`,
      `IRSA role keda (${KEDA_ROLE}): StringEquals ${ISSUER}:aud is undefined, expected sts.amazonaws.com`,
    ]);
  });

  it("reports a role trusted through another OIDC provider", async () => {
    const other = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X`;
    serve(
      trust("kube-system", "cluster-autoscaler", (s) => ({
        ...s,
        Principal: { Federated: other },
      })),
    );
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([
      `${where}: Federated principal is ["${other}"], expected ${PROVIDER_ARN}`,
    ]);
  });

  it("reports a role IAM cannot find", async () => {
    serve(trust("kube-system", "cluster-autoscaler"));
    iam
      .on(GetRoleCommand, { RoleName: "keda-qa1" })
      .rejects(new Error("The role with name keda-qa1 cannot be found."));
    expect(await checkIrsaRoles(iamClient, OUTPUTS)).toEqual([
      `IRSA role keda (${KEDA_ROLE}): GetRole failed (Error: The role with name keda-qa1 cannot be found.)`,
    ]);
  });

  it.each([
    ["kube-system/cluster-autoscaler", "system:serviceaccount:kube-system:cluster-autoscaler"],
    ["keda:keda-operator", "system:serviceaccount:keda:keda-operator"],
    ["keda", undefined],
    ["clusterAutoscaler", undefined],
    ["a/b/c", undefined],
  ])("reads the service account from the key %s", (key, subject) => {
    expect(subjectForKey(key)).toBe(subject);
  });
});
