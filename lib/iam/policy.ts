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
