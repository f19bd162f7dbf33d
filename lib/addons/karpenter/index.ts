/**
 * Karpenter (aws/karpenter-provider-aws, OCI charts `karpenter-crd` then `karpenter`) in
 * kube-system, the other autoscaler: it launches nodes for pending pods from NodePools instead of
 * resizing managed node groups. What it needs, all built here:
 * - a node role (worker + ECR pull, no CNI: aws-node has its own IRSA role) with an EKS access entry
 *   of type EC2_LINUX, so its instances can join;
 * - the interruption queue (SSE, 300 s, TLS only) fed by EventBridge rules, so spot interruptions,
 *   rebalances, health events and state changes drain nodes before they go;
 * - the discovery tag on the cluster security group (the private subnets get theirs in network.ts);
 * - IRSA with upstream's controller policy (iam.ts). IRSA, not EKS Pod Identity: every tap role is
 *   trusted the same way (one helper, `:sub` AND `:aud`), and Pod Identity would add an agent
 *   DaemonSet add-on to the default path for one controller.
 * The controller runs on the on-demand system node group (lib/node-groups.ts), which Karpenter does
 * not manage. NodePools and the EC2NodeClass are NOT deleted with the cluster: on destroy they go
 * first, while the controller still runs, so Karpenter drains and terminates the instances it
 * launched (which Pulumi does not know) before the VPC is deleted.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { vcpusOf } from "../../config";
import { createNodeRole } from "../../node-groups";
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";
import {
  INTERRUPTION_EVENTS,
  INTERRUPTION_RETENTION_SECONDS,
  interruptionQueuePolicy,
  karpenterControllerPolicy,
} from "./iam";
import {
  DISCOVERY_TAG,
  NODE_CLASS_NAME,
  NodePoolManifest,
  ec2NodeClassSpec,
  nodePools,
} from "./node-pools";

export * from "./node-pools";

export const KARPENTER_DEFAULTS = {
  releaseName: "karpenter",
  crdReleaseName: "karpenter-crd",
  namespace: "kube-system",
  serviceAccountName: "karpenter",
  replicas: 2,
  /** Upstream's guidance is 1 CPU / 1 GiB for large clusters; tap's fit in half the CPU. */
  resources: {
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "1", memory: "1Gi" },
  },
  timeoutSeconds: 600,
  /** How long a NodePool / EC2NodeClass delete may take: Karpenter drains and terminates first. */
  deleteTimeout: "45m",
} as const;

/** Managed policies of Karpenter's node role (as the managed groups' role; no SSM, no CNI policy). */
export const KARPENTER_NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEC2ContainerRegistryPullOnly",
] as const;

export interface KarpenterResult extends AddonResult {
  readonly roleArn: pulumi.Output<string>;
  readonly crdRelease: k8s.helm.v3.Release;
  readonly nodeRole: aws.iam.Role;
  readonly interruptionQueue: aws.sqs.Queue;
  readonly nodeClass: k8s.apiextensions.CustomResource;
  readonly nodePools: readonly k8s.apiextensions.CustomResource[];
  readonly manifests: readonly NodePoolManifest[];
}

export function deployKarpenter(ctx: AddonContext): KarpenterResult {
  const d = KARPENTER_DEFAULTS;
  const { config } = ctx;
  const opts = { parent: ctx.parent };

  // --- the node role and its access entry ---
  const { role: nodeRole, attachments: nodeAttachments } = createNodeRole(ctx, {
    prefix: "tap-karpenter-node",
    description: "Nodes Karpenter launches for tap",
    policies: KARPENTER_NODE_POLICIES,
  });
  // EC2_LINUX: EKS maps the role to system:node:{{EC2PrivateDNSName}} in system:nodes (Bottlerocket is Linux).
  const accessEntry = new aws.eks.AccessEntry(
    ctx.name("tap-karpenter-node-access"),
    { clusterName: ctx.clusterName, principalArn: nodeRole.arn, type: "EC2_LINUX", tags: ctx.tags },
    { ...opts, dependsOn: [ctx.cluster] },
  );

  // --- interruption handling ---
  const queue = new aws.sqs.Queue(
    ctx.name("tap-karpenter-interruption"),
    {
      name: ctx.name("tap-karpenter-interruption"),
      messageRetentionSeconds: INTERRUPTION_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      tags: ctx.tags,
    },
    opts,
  );
  const rules = INTERRUPTION_EVENTS.map((event) => {
    const ruleName = ctx.name(`tap-karpenter-${event.role}`);
    const rule = new aws.cloudwatch.EventRule(
      ruleName,
      {
        name: ruleName,
        description: `${event.detailType} -> Karpenter's interruption queue`,
        eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
        tags: ctx.tags,
      },
      opts,
    );
    new aws.cloudwatch.EventTarget(
      ctx.name(`tap-karpenter-${event.role}-target`),
      { rule: rule.name, targetId: "KarpenterInterruptionQueueTarget", arn: queue.arn },
      opts,
    );
    return rule;
  });
  const queuePolicy = new aws.sqs.QueuePolicy(
    ctx.name("tap-karpenter-interruption-policy"),
    {
      queueUrl: queue.url,
      policy: pulumi
        .all([queue.arn, ...rules.map((r) => r.arn)])
        .apply(([arn, ...ruleArns]) => JSON.stringify(interruptionQueuePolicy(arn, ruleArns))),
    },
    opts,
  );

  // Karpenter picks the security groups of its nodes by this tag: the EKS-created cluster group
  // (the one the managed nodes use), tagged here since EKS creates it.
  const sgTag = new aws.ec2.Tag(
    ctx.name("tap-karpenter-sg-discovery"),
    { resourceId: ctx.clusterSecurityGroupId, key: DISCOVERY_TAG, value: ctx.clusterName },
    opts,
  );

  // --- CRDs, then the controller ---
  const crd = deployHelmAddon(ctx, {
    name: d.crdReleaseName,
    pin: ctx.pins.karpenterCrd,
    namespace: d.namespace,
    values: {},
    lockedValues: () => ({}),
    timeoutSeconds: d.timeoutSeconds,
  });
  const pin = ctx.pins.karpenter;
  const controller = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) =>
        karpenterControllerPolicy(scope, {
          clusterName: ctx.clusterName,
          nodeRoleArn: `arn:${scope.partition}:iam::${scope.accountId}:role/${ctx.name("tap-karpenter-node")}`,
          interruptionQueueArn: `arn:${scope.partition}:sqs:${scope.region}:${scope.accountId}:${ctx.name("tap-karpenter-interruption")}`,
        }),
    },
    values: {
      replicas: d.replicas,
      // The chart's own affinity keeps it off Karpenter's nodes (karpenter.sh/nodepool DoesNotExist)
      // and its replicas on different hosts; this keeps it on the on-demand system group.
      nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
      controller: { resources: d.resources },
      logLevel: "info",
    },
    lockedValues: (roleArn) => ({
      settings: { clusterName: ctx.clusterName, interruptionQueue: queue.name },
      serviceAccount: {
        create: true,
        name: d.serviceAccountName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
      controller: {
        image: { repository: pin.image.repository, tag: pin.image.tag, digest: pin.image.digest },
        // Pods cannot reach IMDS (hop limit 1): the region is given, never discovered.
        env: [{ name: "AWS_REGION", value: ctx.region }],
      },
    }),
    timeoutSeconds: d.timeoutSeconds,
    // The CRDs belong to karpenter-crd (upgraded with it); the controller chart's copies are skipped.
    skipCrds: true,
    dependsOn: [crd.release, queue, queuePolicy],
  });

  // --- the node class and the pools: deleted before the controller, never with the cluster ---
  const crOpts = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
    parent: ctx.parent,
    provider: ctx.k8sProvider,
    dependsOn,
    customTimeouts: { create: "10m", update: "10m", delete: d.deleteTimeout },
  });
  const nodeClass = new k8s.apiextensions.CustomResource(
    ctx.name("tap-karpenter-nodeclass"),
    {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: NODE_CLASS_NAME },
      spec: ec2NodeClassSpec({
        clusterName: ctx.clusterName,
        nodeRoleName: ctx.name("tap-karpenter-node"),
        amiAlias: ctx.pins.karpenterAmiAlias.alias,
        // No Name tag: Karpenter names each instance after its node (it skips keys already set).
        tags: { ...ctx.tags },
      }),
    },
    crOpts([controller.release, crd.release, nodeRole, accessEntry, sgTag, ...nodeAttachments]),
  );
  const vcpus = vcpusOf(config.nodeInstanceTypes[0]) ?? 2;
  const manifests = nodePools({
    spotPercentage: config.spotPercentage,
    nodeMaxSize: config.nodeMaxSize,
    instanceTypes: config.nodeInstanceTypes,
    vcpus,
    settings: config.addonSettings.karpenter,
  });
  const pools = manifests.map(
    (m) =>
      new k8s.apiextensions.CustomResource(
        ctx.name(`tap-karpenter-${m.name}`),
        {
          apiVersion: "karpenter.sh/v1",
          kind: "NodePool",
          metadata: { name: m.name },
          spec: m.spec,
        },
        crOpts([nodeClass, controller.release]),
      ),
  );

  return {
    ...controller,
    roleArn: controller.roleArn as pulumi.Output<string>,
    crdRelease: crd.release,
    nodeRole,
    interruptionQueue: queue,
    nodeClass,
    nodePools: pools,
    manifests,
  };
}
