/**
 * The Prometheus path's IAM, pure so tests simulate it (facts/prometheus.md holds the sources):
 * the collector may remote-write to tap's workspace and nothing else; the workspace's key serves
 * Amazon Managed Service for Prometheus in this account and region only; the alert topic takes
 * the workspace's alert manager only; Managed Grafana's role reads tap's workspace only.
 */
import { PolicyDocument, PolicyStatement, accountAdministersKey } from "../../iam/policy";
import { AwsScope } from "../../iam/policy";

export const APS_PRINCIPAL = "aps.amazonaws.com";
export const GRAFANA_PRINCIPAL = "grafana.amazonaws.com";

/** `arn:<partition>:aps:<region>:<account>:workspace/<id>` (service authorization data). */
export function workspaceArn(scope: AwsScope, workspaceId: string): string {
  return `arn:${scope.partition}:aps:${scope.region}:${scope.accountId}:workspace/${workspaceId}`;
}

/** The collector: aps:RemoteWrite on tap's workspace, nothing more. */
export function remoteWritePolicy(workspace: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RemoteWriteTapWorkspace",
        Effect: "Allow",
        Action: "aps:RemoteWrite",
        Resource: workspace,
      },
    ],
  };
}

/**
 * The workspace's own key, as AWS documents it for a workspace (facts/prometheus.md §2e): the
 * account administers it; any principal of this account may use it, but only through Amazon
 * Managed Service for Prometheus in this region (kms:ViaService, kms:CallerAccount): the
 * collector's writes and Grafana's queries decrypt through the workspace, never directly. The
 * workspace's ARN is not known before it exists, so no encryption-context condition; a key of its
 * own keeps the grant from reaching anything else.
 */
export function workspaceKeyPolicy(scope: AwsScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(scope.partition, scope.accountId),
      {
        Sid: "PrometheusUsesKey",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:ViaService": `aps.${scope.region}.amazonaws.com`,
            "kms:CallerAccount": scope.accountId,
          },
        },
      },
    ],
  };
}

/** The alert topic's own key: the account administers it; the alert manager encrypts with it. */
export function alertTopicKeyPolicy(scope: AwsScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(scope.partition, scope.accountId),
      {
        Sid: "PrometheusAlertManagerUsesKey",
        Effect: "Allow",
        Principal: { Service: APS_PRINCIPAL },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
      },
    ],
  };
}

/** Only tap's workspace (its alert manager) may publish to the alert topic. */
export function alertTopicPolicy(args: {
  readonly topicArn: string;
  readonly accountId: string;
  readonly workspaceArn: string;
}): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TapWorkspaceAlertManagerPublishes",
        Effect: "Allow",
        Principal: { Service: APS_PRINCIPAL },
        Action: ["sns:Publish", "sns:GetTopicAttributes"],
        Resource: args.topicArn,
        Condition: {
          ArnEquals: { "aws:SourceArn": args.workspaceArn },
          StringEquals: { "aws:SourceAccount": args.accountId },
        },
      },
    ],
  };
}

/** Managed Grafana's workspace role: assumed by Grafana for a workspace of this account only. */
export function grafanaTrustPolicy(scope: AwsScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ManagedGrafanaOfThisAccount",
        Effect: "Allow",
        Principal: { Service: GRAFANA_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": scope.accountId },
          ArnLike: {
            "aws:SourceArn": `arn:${scope.partition}:grafana:${scope.region}:${scope.accountId}:/workspaces/*`,
          },
        },
      },
    ],
  };
}

/** Its Prometheus data source: query tap's workspace; list workspaces to find it. */
export function grafanaReadPolicy(workspace: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "FindWorkspaces",
      Effect: "Allow",
      Action: "aps:ListWorkspaces",
      // ListWorkspaces has no resource type (service authorization data).
      Resource: "*",
    },
    {
      Sid: "QueryTapWorkspace",
      Effect: "Allow",
      Action: [
        "aps:DescribeWorkspace",
        "aps:QueryMetrics",
        "aps:GetLabels",
        "aps:GetSeries",
        "aps:GetMetricMetadata",
      ],
      Resource: workspace,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
