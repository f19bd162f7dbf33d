/**
 * VPC endpoints and the private cluster: the endpoint set follows what is on; with endpoints on,
 * every AWS API a tap role may call (its inline policy's action prefixes, and the managed policies
 * tap attaches) has an endpoint or a documented reason; one security group admits HTTPS from the
 * VPC only; a private cluster has no public endpoint.
 */
import { OPTIONAL_CAPABILITIES_ON } from "../helpers/config";
import { resolveConfig } from "../../lib/config";
import { NO_ENDPOINT_NEEDED, endpointForPrefix, endpointServices } from "../../lib/endpoints";
import { RecordedResource, ofType, one, policyOf, synthStack, valueOf } from "../helpers/mocks";

const ctx = { stackName: "dev", env: {} };
const names = (input: Record<string, unknown>) =>
  endpointServices(resolveConfig({ enableAppMesh: "false", ...input }, ctx).config).map(
    (n) => n.service,
  );

/** The AWS APIs the managed policies tap attaches grant (their action prefixes). */
const MANAGED_PREFIXES: Readonly<Record<string, string[]>> = {
  AmazonEKSWorkerNodePolicy: ["ec2", "eks"],
  AmazonEC2ContainerRegistryPullOnly: ["ecr"],
  AmazonEKS_CNI_Policy: ["ec2"],
  AmazonEBSCSIDriverPolicy: ["ec2"],
  // facts/container-insights.md (IAM policy): a copy of the policy, not AWS's reference page.
  CloudWatchAgentServerPolicy: ["cloudwatch", "ec2", "logs", "ssm", "xray"],
};

describe("which endpoints a stack gets", () => {
  it("the default stack: image pulls, IRSA, the CNI, Fluent Bit, cluster-autoscaler, KEDA, the catalog's DynamoDB", () => {
    expect(names({})).toEqual([
      "s3",
      "ecr.api",
      "ecr.dkr",
      "sts",
      "ec2",
      "logs",
      "autoscaling",
      "eks",
      "monitoring",
      "dynamodb",
    ]);
  });

  it("follows the capabilities: Karpenter's queue and parameters, nothing for what is off", () => {
    const k = names({ addons: { karpenter: true, clusterAutoscaler: false, fluentBit: false } });
    expect(k).toEqual(expect.arrayContaining(["eks", "sqs", "ssm"]));
    expect(k).not.toContain("autoscaling");
    expect(k).not.toContain("logs");
    expect(names({ addons: { clusterAutoscaler: false } })).not.toContain("eks");
  });
});

describe.each([
  ["the default stack", {}],
  [
    "every optional capability and S3 tenants",
    {
      ...OPTIONAL_CAPABILITIES_ON,
      tenants: [{ name: "retail", s3: true }],
    },
  ],
])("with tap:vpcEndpoints on: %s", (_, extra) => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (
      await synthStack({
        enableAppMesh: "false",
        kubernetesVersion: "1.35",
        vpcEndpoints: "true",
        ...extra,
      })
    ).resources;
  });

  /** Action prefixes that neither have an endpoint among `services` nor a documented reason. */
  const uncovered = (prefixes: Set<string>, services: Set<string>) =>
    [...prefixes].filter((p) => {
      const endpoint = endpointForPrefix(p);
      if (endpoint === "ecr.api") return !services.has("ecr.api") || !services.has("ecr.dkr");
      return endpoint ? !services.has(endpoint) : NO_ENDPOINT_NEEDED[p] === undefined;
    });

  it("every AWS API a tap role may call has an endpoint, or a documented reason for none", () => {
    const services = new Set(
      ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) =>
        String(e.inputs.serviceName).replace(/^com\.amazonaws\.[a-z0-9-]+\./, ""),
      ),
    );
    const prefixes = new Set<string>();
    for (const r of ofType(resources, "aws:iam/rolePolicy:RolePolicy")) {
      for (const st of policyOf(r).Statement) {
        for (const a of [st.Action].flat()) prefixes.add(String(a).split(":")[0]);
      }
    }
    for (const a of ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
      const policy = String(a.inputs.policyArn).split("/").pop() ?? "";
      const known = MANAGED_PREFIXES[policy];
      if (!known) throw new Error(`managed policy ${policy}: add its prefixes to this test`);
      known.forEach((p) => prefixes.add(p));
    }
    expect(prefixes.size).toBeGreaterThan(4);
    expect(uncovered(prefixes, services)).toEqual([]);
    // IRSA itself: every role is assumed through STS.
    expect(services.has("sts")).toBe(true);
    // The check bites: without the EC2 endpoint the CNI's and the node role's calls are uncovered.
    const withoutEc2 = new Set([...services].filter((x) => x !== "ec2"));
    expect(uncovered(prefixes, withoutEc2)).toContain("ec2");
  });

  it("interface endpoints: private DNS, the private subnets, one security group admitting HTTPS from the VPC only", () => {
    const endpoints = ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint");
    const sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "tap-endpoints-dev");
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["10.0.0.0/16"],
      }),
    ]);
    expect(sg.inputs.egress).toEqual([]);
    for (const e of endpoints) {
      if (e.inputs.vpcEndpointType === "Interface") {
        expect(e.inputs.privateDnsEnabled).toBe(true);
        expect((e.inputs.subnetIds as string[]).length).toBe(3);
        expect((e.inputs.securityGroupIds as string[]).length).toBe(1);
      } else {
        expect(e.inputs.vpcEndpointType).toBe("Gateway");
        expect((e.inputs.routeTableIds as string[]).length).toBe(3);
      }
    }
  });
});

describe("a private cluster", () => {
  it("has no public endpoint and no public CIDRs, and warns without VPC endpoints", async () => {
    const { resources, value } = await synthStack({
      enableAppMesh: "false",
      endpointPublicAccess: "false",
      vpcEndpoints: "true",
    });
    const cluster = one(resources, "eks:index:Cluster");
    expect(cluster.inputs.endpointPublicAccess).toBe(false);
    expect(cluster.inputs.publicAccessCidrs).toBeUndefined();
    expect(cluster.inputs.endpointPrivateAccess).toBe(true);
    expect(Object.keys(await valueOf(value.vpcEndpointIds))).toContain("sts");
    const { warnings } = resolveConfig(
      { enableAppMesh: "false", endpointPublicAccess: "false" },
      ctx,
    );
    expect(warnings.join("\n")).toMatch(/private cluster\) and tap:vpcEndpoints is false/);
    expect(warnings.join("\n")).not.toMatch(/reachable from the whole internet/);
  });

  it("creates no endpoint with tap:vpcEndpoints off (the default)", async () => {
    const { resources, value } = await synthStack({ enableAppMesh: "false" });
    expect(ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")).toEqual([]);
    expect(resources.filter((r) => r.name === "tap-endpoints-dev")).toEqual([]);
    expect(await valueOf(value.vpcEndpointIds)).toEqual({});
  });
});
