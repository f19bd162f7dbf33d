/**
 * The cluster-autoscaler's IRSA policy (eks-facts §2a, after aws-eks-best-practices and the
 * upstream AWS cloud-provider README): read actions that cannot be scoped, and the two write
 * actions only on ASGs tagged as belonging to this cluster.
 */
import { AwsScope, PolicyDocument } from "../../iam/policy";

/** The actions CA needs to discover groups, build node templates and read MNG labels/taints. */
export const CLUSTER_AUTOSCALER_READ_ACTIONS = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeAutoScalingInstances",
  "autoscaling:DescribeLaunchConfigurations",
  "autoscaling:DescribeScalingActivities",
  "autoscaling:DescribeTags",
  "ec2:DescribeImages",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeLaunchTemplateVersions",
  "ec2:GetInstanceTypesFromInstanceRequirements",
] as const;

/** The only writes: resize a group, or remove one instance from it. */
export const CLUSTER_AUTOSCALER_WRITE_ACTIONS = [
  "autoscaling:SetDesiredCapacity",
  "autoscaling:TerminateInstanceInAutoScalingGroup",
] as const;

/** The tags EKS puts on every managed node group's ASG (and CA's auto-discovery reads). */
export function clusterAutoscalerTags(clusterName: string): Readonly<Record<string, string>> {
  return {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
  };
}

export function clusterAutoscalerPolicy(scope: AwsScope, clusterName: string): PolicyDocument {
  const arn = (service: string, resource: string): string =>
    `arn:${scope.partition}:${service}:${scope.region}:${scope.accountId}:${resource}`;
  const tagConditions = Object.fromEntries(
    Object.entries(clusterAutoscalerTags(clusterName)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]),
  );
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // These Describe/Get actions support no resource-level permissions: "*" is the only scope.
        Sid: "ReadAutoScalingAndInstanceTypes",
        Effect: "Allow",
        Action: [...CLUSTER_AUTOSCALER_READ_ACTIONS],
        Resource: "*",
      },
      {
        // eks:DescribeNodegroup does support resource-level permissions: this cluster's groups only.
        Sid: "ReadThisClustersNodegroups",
        Effect: "Allow",
        Action: "eks:DescribeNodegroup",
        Resource: arn("eks", `nodegroup/${clusterName}/*`),
      },
      {
        // Any ASG in this account and region, but only if EKS tagged it for this cluster's CA.
        Sid: "ScaleOnlyThisClustersGroups",
        Effect: "Allow",
        Action: [...CLUSTER_AUTOSCALER_WRITE_ACTIONS],
        Resource: arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
        Condition: { StringEquals: tagConditions },
      },
    ],
  };
}
