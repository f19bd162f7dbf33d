import * as pulumi from "@pulumi/pulumi";
import { TapStack, stackOutputs } from "../../lib/tap-stack";
import { MANDATORY_TAG_KEYS } from "../../lib/naming";
import { mockTap, valueOf } from "../helpers/mocks";

/** AWS resources that take no tags (the API has no tags on them). */
const UNTAGGABLE = new Set([
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:kms/alias:Alias",
  "aws:ec2/route:Route",
]);
const isAwsResource = (type: string) => /^(aws|eks|awsx):/.test(type);

/** One synthesis of the stack every test here reads (they only read it), made on first use. */
let synthesized: ReturnType<typeof synthesize> | undefined;
const synthesize = () =>
  mockTap(
    () =>
      new TapStack("tap", {
        config: { environmentSuffix: "qa7", team: "payments", costCenter: "cc-42" },
        context: { stackName: "ignored" },
      }),
  );
const synth = () => (synthesized ??= synthesize());

describe("TapStack", () => {
  it("tags every taggable AWS resource with Environment, Team, CostCenter and ManagedBy", async () => {
    const { resources } = await synth();
    const taggable = resources.filter((r) => isAwsResource(r.type) && !UNTAGGABLE.has(r.type));
    expect(taggable.length).toBeGreaterThan(10);
    const missing = taggable.filter((r) => {
      const tags = (r.inputs.tags ?? {}) as Record<string, string>;
      return !(
        tags.Environment === "qa7" &&
        tags.Team === "payments" &&
        tags.CostCenter === "cc-42" &&
        tags.ManagedBy === "pulumi"
      );
    });
    expect(missing.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(MANDATORY_TAG_KEYS).toEqual(["Environment", "Team", "CostCenter", "ManagedBy"]);
  });

  it("names every resource <role>-<environmentSuffix>", async () => {
    const { resources } = await synth();
    const children = resources.filter((r) => r.type !== "tap:index:TapStack");
    expect(children.filter((r) => !r.name.endsWith("-qa7")).map((r) => r.name)).toEqual([]);
    const physical = resources.flatMap((r) =>
      typeof r.inputs.name === "string" && isAwsResource(r.type) ? [r.inputs.name] : [],
    );
    expect(physical.filter((n) => !n.includes("qa7"))).toEqual([]);
  });

  it("registers nothing with deletion protection or retain-on-delete", async () => {
    const { resources } = await synth();
    const flagged = resources.filter(
      (r) =>
        r.inputs.deletionProtection === true ||
        r.inputs.retainOnDelete === true ||
        r.inputs.skipDestroy === true,
    );
    expect(flagged).toEqual([]);
  });

  it("exports exactly the documented outputs, with the kubeconfig as a secret", async () => {
    const { value } = await synth();
    const outputs = stackOutputs(value);
    expect(Object.keys(outputs).sort()).toEqual(
      [
        "argocdAdminPasswordCommand",
        "argocdPortForwardCommand",
        "argocdUrl",
        "tracesEndpoint",
        "metricsDashboardUrl",
        "clusterName",
        "clusterEndpoint",
        "clusterVersion",
        "kubeconfig",
        "kubeconfigCommand",
        "oidcProviderArn",
        "oidcIssuerUrl",
        "vpcId",
        "privateSubnetIds",
        "prometheusEndpoint",
        "prometheusWorkspaceId",
        "publicSubnetIds",
        "nodeGroupNames",
        "clusterSecurityGroupId",
        "kmsKeyArn",
        "controlPlaneLogGroupName",
        "flowLogGroupName",
        "region",
        "environmentSuffix",
        "falcoLogGroupName",
        "irsaRoleArns",
        "applicationLogGroupName",
        "namespaces",
        "serviceNames",
        "serviceEndpoints",
        "serviceRoleArns",
        "publicServices",
        "appMeshName",
        "addons",
        "storageClassName",
        "alarmTopicArn",
        "vpcEndpointIds",
        "tenantNamespaces",
        "tenantRoleArns",
        "tenantBucketName",
        "registryRepositories",
        "registryPushRoleArn",
        "databaseEndpoint",
        "databaseReaderEndpoint",
        "databaseSecretArn",
        "drClusterEndpoint",
        "drClusterName",
        "drKubeconfig",
        "drKubeconfigCommand",
        "drNodeGroupNames",
        "drPeeringConnectionId",
        "drRegion",
        "drVpcId",
        "frontendUrl",
        "grafanaUrl",
        "frontendBucketName",
        "frontendUploadCommand",
        "costAlertsTopicArn",
        "securityAlertsTopicArn",
        "kyvernoPolicyReportCommand",
        "karpenterNodeRoleName",
        "karpenterInterruptionQueueName",
      ].sort(),
    );
    await expect(pulumi.isSecret(outputs.kubeconfig)).resolves.toBe(true);
    await expect(pulumi.isSecret(outputs.clusterName)).resolves.toBe(false);
  });

  it.each([
    ["clusterName", "tap-eks-qa7"],
    ["clusterVersion", "1.28"],
    ["kubeconfigCommand", "aws eks update-kubeconfig --region us-east-1 --name tap-eks-qa7"],
    ["clusterEndpoint", "https://EXAMPLE0123.gr7.us-east-1.eks.amazonaws.com"],
    [
      "oidcIssuerUrl",
      "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    ],
    ["vpcId", "vpc-0123456789abcdef0"],
    ["nodeGroupNames", ["tap-spot-qa7-20261121", "tap-ondemand-qa7-20261121"]],
    ["controlPlaneLogGroupName", "/aws/eks/tap-eks-qa7/cluster"],
    ["flowLogGroupName", "/aws/vpc/tap-flow-logs-qa7"],
    ["environmentSuffix", "qa7"],
    [
      "irsaRoleArns",
      {
        fluentBit: "arn:aws:iam::123456789012:role/tap-fluent-bit-qa7",
        clusterAutoscaler: "arn:aws:iam::123456789012:role/tap-cluster-autoscaler-qa7",
        keda: "arn:aws:iam::123456789012:role/tap-keda-qa7",
        vpcCni: "arn:aws:iam::123456789012:role/tap-vpc-cni-qa7",
        appMeshController: "arn:aws:iam::123456789012:role/tap-appmesh-controller-qa7",
      },
    ],
    ["applicationLogGroupName", "/aws/eks/tap-eks-qa7/application"],
    [
      "namespaces",
      [
        "tigera-operator",
        "amazon-cloudwatch",
        "keda",
        "tap-probe",
        "appmesh-system",
        "gateway",
        "payments",
        "ledger",
      ],
    ],
    ["serviceNames", ["gateway", "payments", "ledger"]],
    [
      "serviceEndpoints",
      {
        gateway: "http://gateway.gateway.svc.cluster.local:8080",
        payments: "http://payments.payments.svc.cluster.local:8080",
        ledger: "http://ledger.ledger.svc.cluster.local:8080",
      },
    ],
    [
      "publicServices",
      {
        gateway:
          "not reachable from outside the cluster: a ClusterIP Service, no load balancer (turn on tap:addons.loadBalancerController); try it with: kubectl -n gateway port-forward svc/gateway 8080",
      },
    ],
    [
      "serviceRoleArns",
      {
        gateway: "arn:aws:iam::123456789012:role/tap-svc-gateway-qa7",
        payments: "arn:aws:iam::123456789012:role/tap-svc-payments-qa7",
        ledger: "arn:aws:iam::123456789012:role/tap-svc-ledger-qa7",
      },
    ],
    ["appMeshName", "tap-mesh-qa7"],
  ])("output %s is %j", async (key, expected) => {
    const { value } = await synth();
    const outputs = stackOutputs(value) as Record<string, pulumi.Output<unknown>>;
    await expect(valueOf(outputs[key])).resolves.toEqual(expected);
  });

  it("with tap:enableAppMesh=false builds no App Mesh object and leaves no mesh reference", async () => {
    const { resources, value } = await mockTap(
      () =>
        new TapStack("tap", { config: { enableAppMesh: false }, context: { stackName: "dev" } }),
    );
    const meshy = resources.filter((r) =>
      /appmesh|servicediscovery|mesh/i.test(`${r.type} ${r.name} ${JSON.stringify(r.inputs)}`),
    );
    expect(meshy.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    const outputs = stackOutputs(value);
    await expect(valueOf(outputs.appMeshName)).resolves.toBeUndefined();
    await expect(valueOf(outputs.serviceRoleArns)).resolves.toEqual({
      ledger: "arn:aws:iam::123456789012:role/tap-svc-ledger-dev",
      payments: "arn:aws:iam::123456789012:role/tap-svc-payments-dev",
    });
    // The services and their call-graph policies stand on their own.
    const policies = resources
      .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((r) => r.inputs.metadata as { namespace: string; name: string })
      .map((m) => `${m.namespace}/${m.name}`);
    expect(policies).toEqual(
      expect.arrayContaining([
        "payments/allow-from-callers",
        "payments/allow-to-callees",
        "ledger/default-deny-all",
      ]),
    );
  });

  it("throws before registering anything when the config is bad", async () => {
    const { resources, value } = await mockTap(() => {
      try {
        return new TapStack("tap", {
          config: { spotPercentage: 101 },
          context: { stackName: "dev" },
        });
      } catch (e) {
        return e as Error;
      }
    });
    expect((value as Error).message).toMatch(
      /tap:spotPercentage must be an integer 0\.\.100 \(got 101\)/,
    );
    expect(resources).toEqual([]);
  });
});
