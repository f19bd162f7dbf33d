/**
 * The one private S3 bucket shape tap creates (the tenants' bucket, the frontend's): encrypted by
 * default, every public access blocked, ACLs off (owner enforced), versioned, TLS-only through its
 * policy, emptied and deleted by `pulumi destroy`. The configuration resources run one after the
 * other: S3 refuses concurrent configuration changes on one bucket (OperationAborted: "a
 * conflicting conditional operation is in progress").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TapContext } from "./context";
import { PolicyDocument } from "./iam/policy";
import { mergeTags, nameTag } from "./naming";

export interface PrivateBucketArgs {
  readonly bucket: pulumi.Input<string>;
  /** Default encryption: SSE-KMS with this key (and a bucket key), else SSE-S3. */
  readonly kmsKeyArn?: pulumi.Input<string>;
}

export interface PrivateBucket {
  readonly bucket: aws.s3.Bucket;
  /**
   * Its policy, given the bucket's ARN (the policy must carry the TLS-only deny itself): set once,
   * after the configuration (a policy is judged against the public access block), possibly once
   * what it names exists (the frontend's names its CloudFront distribution).
   */
  setPolicy(policy: (bucketArn: string) => pulumi.Input<PolicyDocument>): aws.s3.BucketPolicy;
}

/** `<role>-<suffix>` and its configuration, each named `<role>-<what>-<suffix>`. */
export function createPrivateBucket(
  ctx: TapContext,
  role: string,
  args: PrivateBucketArgs,
): PrivateBucket {
  const opts = { parent: ctx.parent };
  const bucket = new aws.s3.Bucket(
    ctx.name(`${role}-bucket`),
    {
      bucket: args.bucket,
      // Destroyable: a stack destroy empties it (every version) and deletes it.
      forceDestroy: true,
      tags: mergeTags(ctx.tags, nameTag(ctx.name(role))),
    },
    opts,
  );
  const sse = new aws.s3.BucketServerSideEncryptionConfiguration(
    ctx.name(`${role}-sse`),
    {
      bucket: bucket.id,
      rules: [
        args.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: args.kmsKeyArn,
              },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    },
    opts,
  );
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    ctx.name(`${role}-public-access`),
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { ...opts, dependsOn: [sse] },
  );
  const ownership = new aws.s3.BucketOwnershipControls(
    ctx.name(`${role}-ownership`),
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    { ...opts, dependsOn: [publicAccess] },
  );
  const versioning = new aws.s3.BucketVersioning(
    ctx.name(`${role}-versioning`),
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    { ...opts, dependsOn: [ownership] },
  );
  return {
    bucket,
    setPolicy: (policy) =>
      new aws.s3.BucketPolicy(
        ctx.name(`${role}-policy`),
        {
          bucket: bucket.id,
          policy: bucket.arn.apply((arn) =>
            pulumi.output(policy(arn)).apply((doc) => JSON.stringify(doc)),
          ),
        },
        // After the public access block: a policy is judged against it.
        { ...opts, dependsOn: [versioning] },
      ),
  };
}
