/**
 * Karpenter's IAM, transcribed from upstream at the pinned version
 * (aws/karpenter-provider-aws@v1.14.1:website/content/en/docs/getting-started/
 * getting-started-with-karpenter/cloudformation.yaml): the controller policy (its six managed
 * policies as one inline policy, statement for statement, with the EC2 account narrowed (below);
 * facts/iam/karpenter-1.14.1.json holds the upstream text and a test compares), the interruption
 * queue's policy, and the EventBridge events
 * the queue receives. Every EC2 write is conditioned on this cluster's tags as upstream does;
 * iam:PassRole names only tap's Karpenter node role.
 */
import { AwsScope, PolicyDocument, PolicyStatement, denyWithoutTls } from "../../iam/policy";

export interface KarpenterPolicyArgs {
  readonly clusterName: string;
  /** The node role Karpenter's instances get (the only role it may pass). */
  readonly nodeRoleArn: string;
  readonly interruptionQueueArn: string;
}

/** The controller policy: NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ZonalShift, ResourceDiscovery. */
export function karpenterControllerPolicy(
  scope: AwsScope,
  args: KarpenterPolicyArgs,
): PolicyDocument {
  const { partition: p, region: r, accountId: a } = scope;
  const c = args.clusterName;
  // Upstream writes "*" for the account of every EC2 resource. tap narrows it to the stack's own
  // account for what Karpenter creates or what tap's own VPC holds (instances, volumes, ENIs,
  // fleets, launch templates, spot requests, subnets, security groups, placement groups); only a
  // capacity reservation may belong to another account (shared through RAM). Images and snapshots
  // have no account in their ARN (public AMIs are Amazon's).
  const ec2 = (resource: string) => `arn:${p}:ec2:${r}:${a}:${resource}`;
  const ec2AnyAccount = (resource: string) => `arn:${p}:ec2:${r}:*:${resource}`;
  const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${c}`]: "owned" };
  const requestOwned = {
    [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned",
    "aws:RequestTag/eks:eks-cluster-name": c,
  };
  const nodepool = { "aws:ResourceTag/karpenter.sh/nodepool": "*" };
  const requestNodepool = { "aws:RequestTag/karpenter.sh/nodepool": "*" };
  const taggedLaunchResources = [
    ec2("fleet/*"),
    ec2("instance/*"),
    ec2("volume/*"),
    ec2("network-interface/*"),
    ec2("launch-template/*"),
    ec2("spot-instances-request/*"),
  ];
  const instanceProfile = `arn:${p}:iam::${a}:instance-profile/*`;
  const statements: PolicyStatement[] = [
    // --- NodeLifecyclePolicy ---
    {
      Sid: "AllowScopedEC2InstanceAccessActions",
      Effect: "Allow",
      Resource: [
        `arn:${p}:ec2:${r}::image/*`,
        `arn:${p}:ec2:${r}::snapshot/*`,
        ec2("security-group/*"),
        ec2("subnet/*"),
        ec2AnyAccount("capacity-reservation/*"),
        ec2("placement-group/*"),
      ],
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
    },
    {
      Sid: "AllowScopedEC2LaunchTemplateAccessActions",
      Effect: "Allow",
      Resource: ec2("launch-template/*"),
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Condition: { StringEquals: owned, StringLike: nodepool },
    },
    {
      Sid: "AllowScopedEC2InstanceActionsWithTags",
      Effect: "Allow",
      Resource: taggedLaunchResources,
      Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
      Condition: { StringEquals: requestOwned, StringLike: requestNodepool },
    },
    {
      Sid: "AllowScopedResourceCreationTagging",
      Effect: "Allow",
      Resource: taggedLaunchResources,
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: {
          ...requestOwned,
          "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
        },
        StringLike: requestNodepool,
      },
    },
    {
      Sid: "AllowScopedResourceTagging",
      Effect: "Allow",
      Resource: ec2("instance/*"),
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: owned,
        StringLike: nodepool,
        StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": c },
        "ForAllValues:StringEquals": {
          "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"],
        },
      },
    },
    {
      Sid: "AllowScopedDeletion",
      Effect: "Allow",
      Resource: [ec2("instance/*"), ec2("launch-template/*")],
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Condition: { StringEquals: owned, StringLike: nodepool },
    },
    // --- IAMIntegrationPolicy ---
    {
      Sid: "AllowPassingInstanceRole",
      Effect: "Allow",
      Resource: args.nodeRoleArn,
      Action: "iam:PassRole",
      Condition: {
        StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileCreationActions",
      Effect: "Allow",
      Resource: instanceProfile,
      Action: ["iam:CreateInstanceProfile"],
      Condition: {
        StringEquals: { ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": r },
        StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileTagActions",
      Effect: "Allow",
      Resource: instanceProfile,
      Action: ["iam:TagInstanceProfile"],
      Condition: {
        StringEquals: {
          ...owned,
          "aws:ResourceTag/topology.kubernetes.io/region": r,
          ...requestOwned,
          "aws:RequestTag/topology.kubernetes.io/region": r,
        },
        StringLike: {
          "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
          "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
        },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileActions",
      Effect: "Allow",
      Resource: instanceProfile,
      Action: [
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:DeleteInstanceProfile",
      ],
      Condition: {
        StringEquals: { ...owned, "aws:ResourceTag/topology.kubernetes.io/region": r },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    // --- EKSIntegrationPolicy ---
    {
      Sid: "AllowAPIServerEndpointDiscovery",
      Effect: "Allow",
      Resource: `arn:${p}:eks:${r}:${a}:cluster/${c}`,
      Action: "eks:DescribeCluster",
    },
    // --- InterruptionPolicy ---
    {
      Sid: "AllowInterruptionQueueActions",
      Effect: "Allow",
      Resource: args.interruptionQueueArn,
      Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
    },
    // --- ZonalShiftPolicy (read only; settings.enableZonalShift stays false) ---
    {
      Sid: "AllowZonalShiftStatusReadOnly",
      Effect: "Allow",
      Resource: "*",
      Action: ["arc-zonal-shift:GetManagedResource"],
      Condition: {
        StringEquals: {
          "arc-zonal-shift:ResourceIdentifier": `arn:${p}:eks:${r}:${a}:cluster/${c}`,
        },
      },
    },
    // --- ResourceDiscoveryPolicy: these Describe/Get/List actions take no resource scope ---
    {
      Sid: "AllowRegionalReadActions",
      Effect: "Allow",
      Resource: "*",
      Action: [
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribePlacementGroups",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
      ],
      Condition: { StringEquals: { "aws:RequestedRegion": r } },
    },
    {
      Sid: "AllowSSMReadActions",
      Effect: "Allow",
      Resource: `arn:${p}:ssm:${r}::parameter/aws/service/*`,
      Action: "ssm:GetParameter",
    },
    {
      Sid: "AllowPricingReadActions",
      Effect: "Allow",
      Resource: "*",
      Action: "pricing:GetProducts",
    },
    {
      Sid: "AllowUnscopedInstanceProfileListAction",
      Effect: "Allow",
      Resource: "*",
      Action: "iam:ListInstanceProfiles",
    },
    {
      Sid: "AllowInstanceProfileReadActions",
      Effect: "Allow",
      Resource: instanceProfile,
      Action: "iam:GetInstanceProfile",
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The EventBridge events Karpenter handles, one rule each (upstream's ScheduledChangeRule,
 * SpotInterruptionRule, RebalanceRule, InstanceStateChangeRule, CapacityReservationInterruptionRule).
 */
export const INTERRUPTION_EVENTS = [
  { role: "health", source: "aws.health", detailType: "AWS Health Event" },
  { role: "spot", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { role: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { role: "state", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  {
    role: "reservation",
    source: "aws.ec2",
    detailType: "EC2 Capacity Reservation Instance Interruption Warning",
  },
] as const;

/** Seconds a message is kept: upstream's MessageRetentionPeriod (a stale interruption is useless). */
export const INTERRUPTION_RETENTION_SECONDS = 300;

/**
 * The queue's resource policy: EventBridge may send, and only from tap's own rules (upstream lets
 * any rule of any account's EventBridge, and sqs.amazonaws.com, send; no AWS service sends to this
 * queue as sqs.amazonaws.com, so tap leaves that principal out); nothing may use it without TLS.
 */
export function interruptionQueuePolicy(
  queueArn: string,
  ruleArns: readonly string[],
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeFromTapRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
      denyWithoutTls("DenyHTTP", "sqs:*", queueArn),
    ],
  };
}
