/**
 * The EBS CSI driver's IAM (Amazon EKS User Guide, storage/ebs-csi.adoc, "Create an Amazon EBS CSI
 * driver IAM role"; awsdocs/amazon-eks-user-guide@4d52b4d0:latest/ug/storage/ebs-csi.adoc L89-L130):
 * the AWS managed `service-role/AmazonEBSCSIDriverPolicy` (volume and snapshot actions, writes
 * conditioned on the driver's own tags) plus, because tap's StorageClass encrypts with tap's KMS
 * key, the guide's key policy statements scoped to that one key.
 */
import { PolicyDocument } from "../../iam/policy";

/** The managed policy, with its `service-role/` path (iam:::aws:policy/service-role/...). */
export const EBS_CSI_MANAGED_POLICY = "service-role/AmazonEBSCSIDriverPolicy";

export function ebsCsiKmsPolicy(kmsKeyArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // EBS keeps a grant on the key for each encrypted volume it attaches.
        Sid: "GrantsForEbsOnly",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Resource: kmsKeyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: "UseTapKeyForVolumes",
        Effect: "Allow",
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:DescribeKey",
        ],
        Resource: kmsKeyArn,
      },
    ],
  };
}
