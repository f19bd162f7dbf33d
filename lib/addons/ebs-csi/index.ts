/**
 * The Amazon EBS CSI driver as the EKS managed add-on `aws-ebs-csi-driver` (its controller's
 * service account kube-system/ebs-csi-controller-sa has its own IRSA role, iam.ts) and tap's
 * default StorageClass `gp3`: encrypted with tap's KMS key, WaitForFirstConsumer (a volume is made
 * in the zone of the pod's node), expandable, deleted with its claim. EKS's own `gp2` class (the
 * in-tree provisioner's name) stays; on 1.28 EKS marks it default, so tap unmarks it there; from
 * 1.30 EKS no longer annotates it (awsdocs/amazon-eks-user-guide@4d52b4d0:
 * latest/ug/clusters/kubernetes-versions-standard.adoc L62).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { addonVersion } from "../../cluster";
import { minorOf } from "../../config";
import { createIrsaRole } from "../../iam/irsa";
import { AddonContext, inCluster } from "../types";
import { EBS_CSI_MANAGED_POLICY, ebsCsiKmsPolicy } from "./iam";

export const EBS_CSI_DEFAULTS = {
  addonName: "aws-ebs-csi-driver",
  namespace: "kube-system",
  serviceAccountName: "ebs-csi-controller-sa",
  storageClassName: "gp3",
  /** The annotation that makes a StorageClass the cluster default. */
  defaultClassAnnotation: "storageclass.kubernetes.io/is-default-class",
} as const;

export interface EbsCsiResult {
  readonly addon: aws.eks.Addon;
  readonly roleArn: pulumi.Output<string>;
  readonly namespace: string;
  readonly storageClass: k8s.storage.v1.StorageClass;
  readonly storageClassName: string;
}

/** tap's default StorageClass (a plain object: tests and the plan read it). */
export function gp3StorageClass(
  kmsKeyArn: pulumi.Input<string>,
  tags: Readonly<Record<string, string>> = {},
) {
  const d = EBS_CSI_DEFAULTS;
  return {
    apiVersion: "storage.k8s.io/v1" as const,
    kind: "StorageClass" as const,
    metadata: { name: d.storageClassName, annotations: { [d.defaultClassAnnotation]: "true" } },
    provisioner: "ebs.csi.aws.com",
    parameters: {
      type: "gp3",
      encrypted: "true",
      kmsKeyId: kmsKeyArn,
      // The stack's tags on every volume the driver makes (the driver's tagSpecification_<n>
      // parameters, "key=value" each), so volumes carry Environment/Team/CostCenter too.
      ...Object.fromEntries(
        Object.entries(tags).map(([k, v], i) => [`tagSpecification_${i + 1}`, `${k}=${v}`]),
      ),
    },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

export function deployEbsCsi(
  ctx: AddonContext,
  args: { readonly kmsKeyArn: pulumi.Input<string> },
): EbsCsiResult {
  const d = EBS_CSI_DEFAULTS;
  const opts = { parent: ctx.parent };
  const partition = aws.getPartitionOutput({}, opts).partition;
  const irsa = createIrsaRole(ctx, "tap-ebs-csi", {
    oidcProviderArn: ctx.oidcProviderArn,
    oidcIssuer: ctx.oidcIssuer,
    namespace: d.namespace,
    serviceAccount: d.serviceAccountName,
    policy: () => pulumi.output(args.kmsKeyArn).apply((arn) => ebsCsiKmsPolicy(arn)),
    description: `IRSA role of ${d.namespace}/${d.serviceAccountName} (EBS CSI driver)`,
  });
  const managed = new aws.iam.RolePolicyAttachment(
    ctx.name("tap-ebs-csi-managed"),
    {
      role: irsa.role.name,
      policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${EBS_CSI_MANAGED_POLICY}`,
    },
    opts,
  );
  const addon = new aws.eks.Addon(
    ctx.name("tap-ebs-csi"),
    {
      clusterName: ctx.clusterName,
      addonName: d.addonName,
      addonVersion: addonVersion(ctx, d.addonName),
      serviceAccountRoleArn: irsa.arn,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
    },
    // Its controller pods need nodes (the add-on would wait DEGRADED) and their credentials.
    { ...opts, dependsOn: [ctx.cluster, ...ctx.nodeGroups, irsa.role, irsa.rolePolicy, managed] },
  );
  const storageClass = new k8s.storage.v1.StorageClass(
    ctx.name("tap-gp3"),
    gp3StorageClass(args.kmsKeyArn, ctx.tags),
    inCluster(ctx, [addon]),
  );
  if (minorOf(ctx.config.kubernetesVersion) < 30) {
    new k8s.storage.v1.StorageClassPatch(
      ctx.name("tap-gp2-not-default"),
      {
        metadata: {
          name: "gp2",
          annotations: {
            [d.defaultClassAnnotation]: "false",
            // EKS's manager owns the annotation (it set "true"): a server-side apply patch that
            // changes another manager's field is a conflict unless forced (pulumi-kubernetes Patch
            // resources: the pulumi.com/patchForce annotation).
            "pulumi.com/patchForce": "true",
          },
        },
      },
      inCluster(ctx, [storageClass]),
    );
  }
  return {
    addon,
    roleArn: irsa.arn,
    namespace: d.namespace,
    storageClass,
    storageClassName: d.storageClassName,
  };
}
