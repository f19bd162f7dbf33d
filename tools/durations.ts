/**
 * Typical create durations per resource type, for the first `pulumi up`'s critical path
 * (tools/critical-path.ts). Each figure says where it comes from and how sure it is: AWS states
 * few durations, so most are estimates, with the provider's default timeout as the upper bound
 * (hashicorp/terraform-provider-aws, which @pulumi/aws wraps: internal/service/eks/cluster.go 30m,
 * node_group.go 60m, addon.go 20m; internal/service/ec2/vpc_nat_gateway.go 10m).
 */

export interface Duration {
  readonly seconds: number;
  readonly source: string;
  readonly confidence: "sourced" | "estimate";
}

export const CREATE_DURATIONS: { readonly [type: string]: Duration } = {
  "aws:eks/cluster:Cluster": {
    seconds: 900,
    source:
      "aws/containers-roadmap#1227: 'EKS cluster control plane provisioning time currently averages 15 minutes' (upper bound 30m)",
    confidence: "sourced",
  },
  "aws:eks/nodeGroup:NodeGroup": {
    seconds: 240,
    source: "estimate: instances launch, boot and join (upper bound 60m)",
    confidence: "estimate",
  },
  "aws:eks/addon:Addon": {
    seconds: 60,
    source: "estimate: EKS applies the manifests and waits for ACTIVE (upper bound 20m)",
    confidence: "estimate",
  },
  "aws:ec2/natGateway:NatGateway": {
    seconds: 120,
    source: "estimate: pending -> available (upper bound 10m)",
    confidence: "estimate",
  },
  "kubernetes:helm.sh/v3:Release": {
    seconds: 120,
    source:
      "estimate: image pulls and readiness of the chart's workloads (Helm's --wait; tap's timeout is 600 s)",
    confidence: "estimate",
  },
  "kubernetes:apps/v1:Deployment": {
    seconds: 60,
    source: "estimate: image pull and the readiness probe (Pulumi waits for the rollout)",
    confidence: "estimate",
  },
  "kubernetes:operator.tigera.io/v1:APIServer": {
    seconds: 90,
    source: "estimate: the operator rolls out calico-apiserver; tap waits for status.state Ready",
    confidence: "estimate",
  },
  "aws:kms/key:Key": {
    seconds: 10,
    source: "estimate: synchronous API call",
    confidence: "estimate",
  },
};

/** API calls that return at once (IAM, log groups, subnets, route tables, Kubernetes objects). */
export const QUICK: Duration = {
  seconds: 3,
  source: "estimate: a synchronous API call",
  confidence: "estimate",
};

export function createSeconds(type: string): number {
  if (type.startsWith("pulumi:providers:")) return 0;
  return (CREATE_DURATIONS[type] ?? QUICK).seconds;
}
