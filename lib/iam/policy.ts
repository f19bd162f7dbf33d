/** IAM policy document types (JSON shape) shared by the IRSA helper and every add-on's policy. */

export type ConditionBlock = Readonly<
  Record<string, Readonly<Record<string, string | readonly string[]>>>
>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** Where an add-on's policy is evaluated: the ARNs it builds need these. */
export interface AwsScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** The resource-policy statement that refuses every request to `resource` made without TLS. */
export function denyWithoutTls(
  sid: string,
  action: string,
  resource: string | readonly string[],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Deny",
    Principal: { AWS: "*" },
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The key-policy statement that lets the account administer and use a key through IAM policies. */
export function accountAdministersKey(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/**
 * The key-policy statement that lets CloudWatch Logs in `region` use a key for exactly the named
 * log groups (its encryption context carries the group's ARN).
 */
export function logsUseKey(scope: AwsScope, logGroups: readonly string[]): PolicyStatement {
  return {
    Sid: "CloudWatchLogsUsesKey",
    Effect: "Allow",
    Principal: { Service: `logs.${scope.region}.amazonaws.com` },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
    Resource: "*",
    Condition: {
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": logGroups.map(
          (group) =>
            `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${group}`,
        ),
      },
    },
  };
}
