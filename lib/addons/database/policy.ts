/**
 * The database's policy documents, pure so tests simulate them. Its KMS key serves exactly two
 * AWS services, RDS (storage, snapshots, Performance Insights) and Secrets Manager (the master
 * secret), in this region, for this account's principals; the account administers the key but
 * cannot use it directly (no Decrypt outside those services, no grants of its own). AWS's own
 * aws/rds key has the same shape (kms:ViaService + kms:CallerAccount); Performance Insights uses
 * the key through rds.<region> (Aurora User Guide, "Changing an AWS KMS policy for Performance
 * Insights", read 2026-12-03).
 */
import { AwsScope, PolicyDocument, PolicyStatement } from "../../iam/policy";

/** What administering a key takes; nothing that encrypts, decrypts or grants. */
export const KEY_ADMIN_ACTIONS = [
  "kms:Describe*",
  "kms:Get*",
  "kms:List*",
  "kms:Enable*",
  "kms:Disable*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
] as const;

/** What RDS and Secrets Manager do with a customer key on a caller's behalf (the aws/rds key's list). */
export const KEY_USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:CreateGrant",
  "kms:ListGrants",
  "kms:DescribeKey",
] as const;

export const POSTGRES_PORT = 5432;

export function databaseKeyPolicy(scope: AwsScope): PolicyDocument {
  const root = `arn:${scope.partition}:iam::${scope.accountId}:root`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [...KEY_ADMIN_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "UseThroughRdsAndSecretsManagerOnly",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [...KEY_USE_ACTIONS],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:CallerAccount": scope.accountId,
            "kms:ViaService": [
              `rds.${scope.region}.amazonaws.com`,
              `secretsmanager.${scope.region}.amazonaws.com`,
            ],
          },
        },
      },
    ],
  };
}

/**
 * What a service declaring the database may do: read the master secret RDS manages (its SDK
 * calls GetSecretValue; DescribeSecret for rotation checks) and decrypt it, only through Secrets
 * Manager and only for that secret (Secrets Manager's encryption context SecretARN).
 */
export function databaseClientStatements(
  secretArn: string,
  keyArn: string,
  scope: AwsScope,
): PolicyStatement[] {
  return [
    {
      Sid: "ReadDatabaseSecret",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: secretArn,
    },
    {
      Sid: "DecryptDatabaseSecret",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: keyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${scope.region}.amazonaws.com`,
          "kms:EncryptionContext:SecretARN": secretArn,
        },
      },
    },
  ];
}
