import { TapStack } from "../../lib/tap-stack";
import { TapConfigInput, resolveConfig } from "../../lib/config";
import { CONTROL_PLANE_LOG_TYPES, accessEntryKey, kmsKeyPolicy } from "../../lib/cluster";
import { CREATOR_TAG } from "../../lib/creator";
import {
  ACCOUNT,
  OIDC_ISSUER,
  REGION,
  fakeAddonVersion,
  mockTap,
  ofType,
  one,
  policyOf,
  synthStack,
} from "../helpers/mocks";

const synth = (config: TapConfigInput = {}) => synthStack(config);
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`;
const GROUPS = [
  "/aws/eks/tap-eks-dev/cluster",
  "/aws/eks/tap-eks-dev/application",
  "/aws/vpc/tap-flow-logs-dev",
];

describe("the KMS key", () => {
  it("rotates, has a deletion window, and lets CloudWatch Logs of this account use it", async () => {
    const key = one((await synth()).resources, "aws:kms/key:Key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 7 });
    expect(policyOf(key)).toEqual(JSON.parse(kmsKeyPolicy("aws", REGION, ACCOUNT, GROUPS)));
  });

  it("admits CloudWatch Logs only for the log groups tap creates, each named", async () => {
    const { resources } = await synth();
    const created = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs.name);
    expect([...created].sort()).toEqual([...GROUPS].sort());
    // (iam-simulate does not evaluate kms:EncryptionContext keys, so this is asserted structurally.)
    const logs = policyOf(one(resources, "aws:kms/key:Key")).Statement[1];
    expect(logs).toEqual({
      Sid: "CloudWatchLogsUsesKey",
      Effect: "Allow",
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        ArnEquals: {
          "kms:EncryptionContext:aws:logs:arn": GROUPS.map(
            (g) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${g}`,
          ),
        },
      },
    });
  });
});

describe("the EKS cluster", () => {
  it("runs the configured version with OIDC, API access entries, no default node group and no deletion protection", async () => {
    const cluster = one((await synth()).resources, "eks:index:Cluster").inputs;
    expect(cluster).toMatchObject({
      name: "tap-eks-dev",
      version: "1.28",
      createOidcProvider: true,
      authenticationMode: "API",
      skipDefaultNodeGroup: true,
      deletionProtection: false,
    });
  });

  it("keeps the endpoint private and the public side limited to the configured CIDRs", async () => {
    const cluster = one(
      (await synth({ endpointPublicAccessCidrs: ["203.0.113.0/24"] })).resources,
      "eks:index:Cluster",
    ).inputs;
    expect(cluster).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    });
  });

  it("admits tap:privateEndpointAccessCidrs on 443 to the cluster security group, before the cluster's objects", async () => {
    const { resources } = await synth({
      endpointPublicAccess: false,
      privateEndpointAccessCidrs: ["172.16.0.0/24", "10.20.0.0/16"],
    });
    const rules = resources.filter(
      (r) =>
        r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
        /api-access/.test(r.name),
    );
    expect(rules.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        cidrIpv4: "172.16.0.0/24",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      }),
      expect.objectContaining({
        cidrIpv4: "10.20.0.0/16",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      }),
    ]);
    const cluster = one(resources, "eks:index:Cluster");
    expect(rules[0].inputs.securityGroupId).toBeDefined();
    expect(cluster.inputs.endpointPublicAccess).toBe(false);
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes");
    expect(provider?.dependencies).toEqual(expect.arrayContaining(rules.map((r) => r.urn)));
    expect((await synth()).resources.filter((r) => /api-access/.test(r.name))).toEqual([]);
  });

  it("refuses /0 and malformed private access CIDRs, and warns a private cluster with none", () => {
    const ctx = { stackName: "dev", env: {} };
    expect(() =>
      resolveConfig({ privateEndpointAccessCidrs: ["0.0.0.0/0", "10.0.0.1/16"] }, ctx),
    ).toThrow(
      /tap:privateEndpointAccessCidrs must hold IPv4 CIDRs .*narrower than \/0.*0\.0\.0\.0\/0.*10\.0\.0\.1\/16/,
    );
    expect(() =>
      resolveConfig({ privateEndpointAccessCidrs: ["10.1.0.0/24", "10.1.0.0/24"] }, ctx),
    ).toThrow(/lists 10\.1\.0\.0\/24 more than once/);
    const { warnings } = resolveConfig({ endpointPublicAccess: false, vpcEndpoints: true }, ctx);
    expect(warnings.join("\n")).toMatch(/tap:privateEndpointAccessCidrs is empty/);
  });

  it("enables all five control-plane log types and encrypts secrets with the tap key", async () => {
    const cluster = one((await synth()).resources, "eks:index:Cluster").inputs;
    expect(cluster.enabledClusterLogTypes).toEqual([
      "api",
      "audit",
      "authenticator",
      "controllerManager",
      "scheduler",
    ]);
    expect(CONTROL_PLANE_LOG_TYPES).toHaveLength(5);
    expect(cluster.encryptionConfigKeyArn).toBe(KEY_ARN);
  });

  it("puts the cluster in the VPC's private and public subnets", async () => {
    const cluster = one((await synth()).resources, "eks:index:Cluster").inputs;
    expect(cluster).toMatchObject({
      vpcId: "vpc-0123456789abcdef0",
      privateSubnetIds: ["subnet-private-0", "subnet-private-1", "subnet-private-2"],
      publicSubnetIds: ["subnet-public-0", "subnet-public-1", "subnet-public-2"],
    });
  });

  it.each(["1.28", "1.33"])(
    "runs kube-proxy and the VPC CNI (policy off, pod IPs annotated for Calico) at versions for %s",
    async (version) => {
      const { resources, calls } = await synth({ kubernetesVersion: version });
      const cluster = one(resources, "eks:index:Cluster").inputs;
      // CoreDNS inside the component would wait DEGRADED for nodes that cannot exist yet.
      expect(cluster.corednsAddonOptions).toMatchObject({ enabled: false });
      expect(cluster.skipDefaultSecurityGroups).toBe(true);
      // kube-proxy is tap's add-on beside the node groups: inside the component it would hold back
      // the component's outputs, and so the VPC CNI and the nodes (EKS bootstraps one meanwhile).
      expect(cluster.kubeProxyAddonOptions).toMatchObject({ enabled: false });
      const kubeProxy = one(resources, "aws:eks/addon:Addon", "tap-kube-proxy-dev");
      expect(kubeProxy.inputs).toMatchObject({
        clusterName: "tap-eks-dev",
        addonName: "kube-proxy",
        addonVersion: fakeAddonVersion("kube-proxy", version),
        resolveConflictsOnCreate: "OVERWRITE",
      });
      // The VPC CNI is tap's own add-on, with aws-node's IRSA role (not the component's).
      expect(cluster.vpcCniOptions).toBeUndefined();
      expect(cluster.useDefaultVpcCni).toBe(true);
      const cni = one(resources, "aws:eks/addon:Addon", "tap-vpc-cni-dev");
      expect(cni.inputs).toMatchObject({
        clusterName: "tap-eks-dev",
        addonName: "vpc-cni",
        addonVersion: fakeAddonVersion("vpc-cni", version),
        serviceAccountRoleArn: "arn:aws:iam::123456789012:role/tap-vpc-cni-dev",
        resolveConflictsOnCreate: "OVERWRITE",
      });
      expect(JSON.parse(String(cni.inputs.configurationValues))).toEqual({
        enableNetworkPolicy: "false",
        env: { ANNOTATE_POD_IP: "true" },
      });
      const trust = policyOf(
        one(resources, "aws:iam/role:Role", "tap-vpc-cni-dev"),
        "assumeRolePolicy",
      );
      expect(trust.Statement[0].Condition).toEqual({
        StringEquals: {
          [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:kube-system:aws-node",
          [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
        },
      });
      // Both node groups wait for it: no node runs aws-node without its credentials.
      // They do not wait for kube-proxy.
      for (const group of ofType(resources, "eks:index:ManagedNodeGroup")) {
        expect(group.dependencies).toContain(cni.urn);
        expect(group.dependencies).not.toContain(kubeProxy.urn);
      }
      const coredns = one(resources, "aws:eks/addon:Addon", "tap-coredns-dev").inputs;
      expect(coredns).toMatchObject({
        clusterName: "tap-eks-dev",
        addonName: "coredns",
        addonVersion: fakeAddonVersion("coredns", version),
      });
      const asked = calls
        .filter((c) => c.token === "aws:eks/getAddonVersion:getAddonVersion")
        .map((c) => c.inputs.kubernetesVersion);
      expect(asked).toEqual([version, version, version]);
    },
  );

  it("gives each clusterAdminArns entry cluster-admin through an access entry", async () => {
    const admins = [
      "arn:aws:iam::123456789012:role/PlatformAdmin",
      "arn:aws:iam::123456789012:user/alice",
    ];
    const cluster = one(
      (await synth({ clusterAdminArns: admins })).resources,
      "eks:index:Cluster",
    ).inputs;
    const entries = Object.values(cluster.accessEntries as Record<string, Record<string, unknown>>);
    expect(entries).toEqual(
      admins.map((principalArn) => ({
        principalArn,
        type: "STANDARD",
        accessPolicies: {
          admin: {
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            accessScope: { type: "cluster" },
          },
        },
      })),
    );
  });

  it("keys access entries by ARN, so removing one admin leaves the others' keys alone", async () => {
    const a = "arn:aws:iam::123456789012:role/PlatformAdmin";
    const b = "arn:aws:iam::123456789012:user/alice";
    const keys = async (admins: string[]) =>
      Object.keys(
        one((await synth({ clusterAdminArns: admins })).resources, "eks:index:Cluster").inputs
          .accessEntries as object,
      );
    const both = await keys([a, b]);
    expect(both).toEqual([accessEntryKey(a), accessEntryKey(b)]);
    expect(both[1]).toMatch(/^admin-alice-[0-9a-f]{8}$/);
    expect(await keys([b])).toEqual([both[1]]);
  });

  it("records the creator on the cluster when bin/tap.ts knows it", async () => {
    const creatorArn = "arn:aws:sts::123456789012:assumed-role/Laptop";
    const resolved = resolveConfig({}, { stackName: "dev" });
    const { resources } = await mockTap(() => new TapStack("tap", { resolved, creatorArn }));
    const tags = one(resources, "eks:index:Cluster").inputs.clusterTags as Record<string, string>;
    expect(tags[CREATOR_TAG]).toBe(creatorArn);
  });

  it("pre-creates the control-plane log group with retention and KMS", async () => {
    const group = one(
      (await synth({ logRetentionDays: 14 })).resources,
      "aws:cloudwatch/logGroup:LogGroup",
      "tap-eks-control-plane-logs-dev",
    );
    expect(group.inputs).toMatchObject({
      name: "/aws/eks/tap-eks-dev/cluster",
      retentionInDays: 14,
      kmsKeyId: KEY_ARN,
    });
  });

  it("builds the one Kubernetes provider from the cluster's kubeconfig", async () => {
    const provider = one((await synth()).resources, "pulumi:providers:kubernetes");
    expect(JSON.parse(String(provider.inputs.kubeconfig))).toMatchObject({
      kind: "Config",
      clusters: [{ name: "tap-eks-dev" }],
    });
  });
});
