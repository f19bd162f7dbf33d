/**
 * Per-tenant S3 access to one tap bucket: each tenant's workloads may list, read and write under
 * `<tenant>/` only. ListBucket is conditioned on `s3:prefix` being exactly `<tenant>/` or under
 * it (`<tenant>/*`): never "" (the whole bucket) and never `<tenant>*` (which would also match
 * `<tenant>-other/`). Objects are encrypted with tap's KMS key through S3 only.
 */
import { AwsScope, PolicyDocument, denyWithoutTls } from "../iam/policy";

/** The bucket's name: unique per account and region, and known before it exists. */
export function tenantBucketName(environmentSuffix: string, scope: AwsScope): string {
  return `tap-tenants-${environmentSuffix}-${scope.accountId}-${scope.region}`;
}

export const TENANT_OBJECT_ACTIONS = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
] as const;

export function tenantS3Policy(
  scope: AwsScope,
  args: { readonly bucket: string; readonly tenant: string; readonly kmsKeyArn: string },
): PolicyDocument {
  const bucketArn = `arn:${scope.partition}:s3:::${args.bucket}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListOwnPrefixOnly",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${args.tenant}/`, `${args.tenant}/*`] } },
      },
      {
        Sid: "ObjectsUnderOwnPrefix",
        Effect: "Allow",
        Action: [...TENANT_OBJECT_ACTIONS],
        Resource: `${bucketArn}/${args.tenant}/*`,
      },
      {
        // SSE-KMS with an S3 Bucket Key: the encryption context is the bucket's ARN.
        Sid: "TapKeyThroughS3ForThisBucket",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.kmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": `s3.${scope.region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": bucketArn,
          },
        },
      },
    ],
  };
}

/** The bucket's policy: nothing without TLS. */
export function tenantBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [denyWithoutTls("DenyWithoutTLS", "s3:*", [bucketArn, `${bucketArn}/*`])],
  };
}
