/**
 * The front door's resource policies, pure so tests simulate them: the frontend bucket admits
 * reads (and listing, so a missing file is S3's 404, not its 403, and CloudFront can tell a
 * missing path from a WAF block) from its one CloudFront distribution (origin access control signs
 * them as the CloudFront service, with the distribution's ARN as aws:SourceArn) and nothing else; the edge log key serves
 * CloudWatch Logs for the one WAF log group in us-east-1.
 */
import {
  AwsScope,
  PolicyDocument,
  accountAdministersKey,
  denyWithoutTls,
  logsUseKey,
} from "../../iam/policy";

export function frontendBucketPolicy(bucketArn: string, distributionArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadByItsDistributionOnly",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      },
      {
        Sid: "ListByItsDistributionOnly",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      },
      denyWithoutTls("DenyWithoutTLS", "s3:*", [bucketArn, `${bucketArn}/*`]),
    ],
  };
}

/** CloudFront's WAF logs live in us-east-1, where tap's key is not (keys are regional). */
export function edgeLogKeyPolicy(scope: AwsScope, logGroupName: string): PolicyDocument {
  const region = "us-east-1";
  return {
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(scope.partition, scope.accountId),
      logsUseKey({ ...scope, region }, [logGroupName]),
    ],
  };
}
