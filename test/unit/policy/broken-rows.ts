/**
 * Broken-input rows for test/unit/policy/policies.test.ts: each one breaks one rule on the default
 * synthesized stack (or adds a broken resource) and names the policy that must fire.
 */
import { PolicyInput } from "../../../tools/policy-runner";

type Inputs = Record<string, unknown>;
export const TAGS = {
  Environment: "dev",
  Team: "platform",
  CostCenter: "fintech-platform",
  ManagedBy: "pulumi",
};

const clone = (x: Inputs): Inputs => JSON.parse(JSON.stringify(x)) as Inputs;

/** Replaces the inputs of the one resource of `type` (named `name`, if given). */
export function mutate(type: string, fn: (i: Inputs) => Inputs, name?: string) {
  return (rs: readonly PolicyInput[]): PolicyInput[] => {
    const hits = rs.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (hits.length !== 1)
      throw new Error(`expected one ${type} ${name ?? ""}, found ${hits.length}`);
    return rs.map((r) => (r === hits[0] ? { ...r, inputs: fn(clone(r.inputs as Inputs)) } : r));
  };
}
const add =
  (...extra: PolicyInput[]) =>
  (rs: readonly PolicyInput[]) => [...rs, ...extra];
const drop = (type: string, name?: string) => (rs: readonly PolicyInput[]) =>
  rs.filter((r) => !(r.type === type && (name === undefined || r.name === name)));

const trust = (
  condition: Inputs,
  provider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
    ],
  });
const allow = (Action: unknown, Resource: unknown, Condition?: Inputs) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action, Resource, Condition }],
  });

/** A compliant aws.eks.Cluster (what pulumi-eks creates in a real preview), for per-field breaks. */
const rawCluster = (patch: (i: Inputs) => void): PolicyInput => {
  const inputs: Inputs = {
    name: "tap-eks-raw-dev",
    version: "1.35",
    enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryptionConfig: {
      resources: ["secrets"],
      provider: { keyArn: "arn:aws:kms:us-east-1:1:key/k" },
    },
    vpcConfig: {
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    },
    accessConfig: { authenticationMode: "API" },
    tags: TAGS,
  };
  patch(inputs);
  return { type: "aws:eks/cluster:Cluster", name: "tap-eks-raw-dev", inputs };
};
const ec2Trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

export interface Row {
  readonly what: string;
  readonly policy: string;
  readonly resource: string;
  readonly build: (rs: readonly PolicyInput[]) => PolicyInput[];
}

const LT = "aws:ec2/launchTemplate:LaunchTemplate";

/** A Karpenter EC2NodeClass as tap writes it (lib/addons/karpenter/node-pools.ts), patched. */
const nodeClass = (patch: (spec: Inputs) => void): PolicyInput => {
  const spec: Inputs = {
    role: "tap-karpenter-node-dev",
    amiSelectorTerms: [{ alias: "bottlerocket@v1.64.0" }],
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [
      { deviceName: "/dev/xvda", ebs: { volumeSize: "4Gi", encrypted: true } },
      { deviceName: "/dev/xvdb", ebs: { volumeSize: "50Gi", encrypted: true } },
    ],
  };
  patch(spec);
  return {
    type: "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
    name: "tap-karpenter-nodeclass-dev",
    inputs: {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: "tap" },
      spec,
    },
  };
};
export const EKS = "eks:index:Cluster";
export const NS = "kubernetes:core/v1:Namespace";
export const ROWS: Row[] = [
  {
    what: "EC2NodeClass with IMDSv1 allowed",
    policy: "karpenter-node-class-hardened",
    resource: "tap-karpenter-nodeclass-dev",
    build: add(
      nodeClass(
        (s) => (s.metadataOptions = { httpTokens: "optional", httpPutResponseHopLimit: 2 }),
      ),
    ),
  },
  {
    what: "EC2NodeClass with an unencrypted volume",
    policy: "karpenter-node-class-hardened",
    resource: "tap-karpenter-nodeclass-dev",
    build: add(
      nodeClass((s) => ((s.blockDeviceMappings as Inputs[])[1].ebs = { volumeSize: "50Gi" })),
    ),
  },
  {
    what: "EC2NodeClass on bottlerocket@latest",
    policy: "karpenter-node-class-hardened",
    resource: "tap-karpenter-nodeclass-dev",
    build: add(nodeClass((s) => (s.amiSelectorTerms = [{ alias: "bottlerocket@latest" }]))),
  },
  {
    what: "pulumi-eks cluster without a secrets key",
    policy: "eks-secrets-encryption",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({ ...i, encryptionConfigKeyArn: undefined })),
  },
  {
    what: "aws.eks.Cluster without encryptionConfig",
    policy: "eks-secrets-encryption",
    resource: "tap-eks-raw-dev",
    build: add(rawCluster((i) => delete i.encryptionConfig)),
  },
  {
    what: "KMS key without rotation",
    policy: "kms-key-rotation",
    resource: "tap-kms-dev",
    build: mutate("aws:kms/key:Key", (i) => ({ ...i, enableKeyRotation: false })),
  },
  {
    what: "KMS key without a deletion window",
    policy: "kms-key-rotation",
    resource: "tap-kms-dev",
    build: mutate("aws:kms/key:Key", (i) => ({ ...i, deletionWindowInDays: undefined })),
  },
  {
    what: "private endpoint off",
    policy: "eks-private-endpoint",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({ ...i, endpointPrivateAccess: false })),
  },
  {
    what: "aws cluster open to 0.0.0.0/0",
    policy: "eks-public-endpoint-restricted",
    resource: "tap-eks-raw-dev",
    build: add(rawCluster((i) => ((i.vpcConfig as Inputs).publicAccessCidrs = ["0.0.0.0/0"]))),
  },
  {
    what: "cluster missing the scheduler log",
    policy: "eks-control-plane-logging",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({
      ...i,
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager"],
    })),
  },
  {
    what: "log group without KMS",
    policy: "log-group-retention-kms",
    resource: "tap-flow-logs-dev",
    build: mutate(
      "aws:cloudwatch/logGroup:LogGroup",
      (i) => ({ ...i, kmsKeyId: undefined }),
      "tap-flow-logs-dev",
    ),
  },
  {
    what: "log group without retention",
    policy: "log-group-retention-kms",
    resource: "tap-application-logs-dev",
    build: mutate(
      "aws:cloudwatch/logGroup:LogGroup",
      (i) => ({ ...i, retentionInDays: 0 }),
      "tap-application-logs-dev",
    ),
  },
  {
    what: "aws cluster in extended support",
    policy: "eks-supported-version",
    resource: "tap-eks-raw-dev",
    build: add(rawCluster((i) => (i.version = "1.31"))),
  },
  {
    what: "aws-auth ConfigMap mode",
    policy: "eks-access-entries",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({ ...i, authenticationMode: "CONFIG_MAP" })),
  },
  {
    what: "node group with remoteAccess",
    policy: "node-group-no-remote-access",
    resource: "tap-spot-dev",
    build: mutate(
      "eks:index:ManagedNodeGroup",
      (i) => ({ ...i, remoteAccess: { ec2SshKey: "ops" } }),
      "tap-spot-dev",
    ),
  },
  {
    what: "launch template hop limit 2",
    policy: "launch-template-imdsv2",
    resource: "tap-node-lt-dev",
    build: mutate(LT, (i) => ({
      ...i,
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
    })),
  },
  {
    what: "launch template IMDSv1",
    policy: "launch-template-imdsv2",
    resource: "tap-node-lt-dev",
    build: mutate(LT, (i) => ({
      ...i,
      metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 },
    })),
  },
  {
    what: "unencrypted node volume",
    policy: "launch-template-ebs-encrypted",
    resource: "tap-node-lt-dev",
    build: mutate(LT, (i) => ({
      ...i,
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }],
    })),
  },
  {
    what: "CNI policy on another EC2 role",
    policy: "node-role-cni-policy",
    resource: "tap-node2-cni-dev",
    build: add(
      {
        type: "aws:iam/role:Role",
        name: "tap-node2-dev",
        inputs: { name: "tap-node2-dev", assumeRolePolicy: ec2Trust, tags: TAGS },
      },
      {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "tap-node2-cni-dev",
        inputs: {
          role: "tap-node2-dev",
          policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        },
      },
    ),
  },
  {
    what: "VPC without flow logs",
    policy: "vpc-flow-logs",
    resource: "tap-vpc-dev",
    build: drop("aws:ec2/flowLog:FlowLog"),
  },
  {
    what: "default SG with a rule",
    policy: "default-security-group-empty",
    resource: "tap-default-sg-dev",
    build: mutate("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", (i) => ({
      ...i,
      ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, self: true }],
    })),
  },
  {
    what: "VPC with its default SG unmanaged",
    policy: "default-security-group-empty",
    resource: "tap-vpc-dev",
    build: drop("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"),
  },
  {
    what: "SG with 0.0.0.0/0 on 22",
    policy: "security-group-no-world-admin-ports",
    resource: "tap-bastion-sg-dev",
    build: add({
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "tap-bastion-sg-dev",
      inputs: {
        name: "tap-bastion-sg-dev",
        tags: TAGS,
        ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
      },
    }),
  },
  {
    what: "SG rule with all traffic from ::/0",
    policy: "security-group-no-world-admin-ports",
    resource: "tap-any-dev",
    build: add({
      type: "aws:ec2/securityGroupRule:SecurityGroupRule",
      name: "tap-any-dev",
      inputs: { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] },
    }),
  },
  {
    what: "role policy with s3:*",
    policy: "iam-least-privilege",
    resource: "tap-keda-policy-dev",
    build: mutate(
      "aws:iam/rolePolicy:RolePolicy",
      (i) => ({ ...i, policy: allow("s3:*", "arn:aws:s3:::b/*") }),
      "tap-keda-policy-dev",
    ),
  },
  {
    what: "write action on Resource *",
    policy: "iam-least-privilege",
    resource: "tap-keda-policy-dev",
    build: mutate(
      "aws:iam/rolePolicy:RolePolicy",
      (i) => ({ ...i, policy: allow(["sqs:DeleteMessage"], "*") }),
      "tap-keda-policy-dev",
    ),
  },
  {
    what: "iam:PassRole without a condition",
    policy: "iam-least-privilege",
    resource: "tap-keda-policy-dev",
    build: mutate(
      "aws:iam/rolePolicy:RolePolicy",
      (i) => ({ ...i, policy: allow("iam:PassRole", "arn:aws:iam::1:role/x") }),
      "tap-keda-policy-dev",
    ),
  },
  {
    what: "IRSA trust with StringLike",
    policy: "irsa-trust-pinned",
    resource: "tap-keda-dev",
    build: mutate(
      "aws:iam/role:Role",
      (i) => ({
        ...i,
        assumeRolePolicy: trust({
          StringLike: {
            "oidc.eks.us-east-1.amazonaws.com/id/X:sub": "system:serviceaccount:keda:*",
          },
        }),
      }),
      "tap-keda-dev",
    ),
  },
  {
    what: "GitHub Actions trust on every branch of a repository",
    policy: "irsa-trust-pinned",
    resource: "tap-keda-dev",
    build: mutate(
      "aws:iam/role:Role",
      (i) => ({
        ...i,
        assumeRolePolicy: trust(
          {
            StringEquals: {
              "token.actions.githubusercontent.com:sub": "repo:acme/shop:ref:refs/heads/*",
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            },
          },
          "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
        ),
      }),
      "tap-keda-dev",
    ),
  },
  {
    what: "IRSA trust without aud",
    policy: "irsa-trust-pinned",
    resource: "tap-keda-dev",
    build: mutate(
      "aws:iam/role:Role",
      (i) => ({
        ...i,
        assumeRolePolicy: trust({
          StringEquals: { "x:sub": "system:serviceaccount:keda:keda-operator" },
        }),
      }),
      "tap-keda-dev",
    ),
  },
  {
    what: "workload namespace without default-deny",
    policy: "workload-namespace-default-deny",
    resource: "ns-tap-probe-dev",
    build: drop(
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "np-tap-probe-default-deny-all-dev",
    ),
  },
  {
    what: "Namespace without a PSS label",
    policy: "namespace-pod-security",
    resource: "keda-ns-dev",
    build: mutate(NS, (i) => ({ ...i, metadata: { name: "keda", labels: {} } }), "keda-ns-dev"),
  },
  {
    what: "privileged Namespace off the allow-list",
    policy: "namespace-pod-security",
    resource: "keda-ns-dev",
    build: mutate(
      NS,
      (i) => ({
        ...i,
        metadata: { name: "keda", labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
      }),
      "keda-ns-dev",
    ),
  },
  {
    what: "Release without version",
    policy: "helm-release-pinned",
    resource: "keda-dev",
    build: mutate(
      "kubernetes:helm.sh/v3:Release",
      (i) => ({ ...i, version: undefined }),
      "keda-dev",
    ),
  },
  {
    what: "Release with a version range, not atomic",
    policy: "helm-release-pinned",
    resource: "calico-dev",
    build: mutate(
      "kubernetes:helm.sh/v3:Release",
      (i) => ({ ...i, version: "^3.28.0", atomic: false }),
      "calico-dev",
    ),
  },
  {
    what: "the eks.Cluster component passes no tags to its children",
    policy: "required-tags",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({ ...i, tags: { ...TAGS, CostCenter: "" } })),
  },
  {
    what: "KMS key missing the Team tag",
    policy: "required-tags",
    resource: "tap-kms-dev",
    build: mutate("aws:kms/key:Key", (i) => ({ ...i, tags: { ...TAGS, Team: undefined } })),
  },
  {
    what: "resource name without the suffix",
    policy: "name-environment-suffix",
    resource: "tap-kms",
    build: (rs) => rs.map((r) => (r.type === "aws:kms/key:Key" ? { ...r, name: "tap-kms" } : r)),
  },
  {
    what: "cluster with deletionProtection",
    policy: "no-deletion-protection",
    resource: "tap-eks-dev",
    build: mutate(EKS, (i) => ({ ...i, deletionProtection: true })),
  },
  {
    what: "resource retained on delete",
    policy: "no-deletion-protection",
    resource: "tap-kms-dev",
    build: (rs) =>
      rs.map((r) => (r.type === "aws:kms/key:Key" ? { ...r, opts: { retainOnDelete: true } } : r)),
  },
];
