/**
 * Cost alerts (tap:addons.costAlerts): an AWS Budget for the stack's resources (cost filtered to
 * its Environment tag) that alerts at 80 % and 100 % of actual spend and 100 % of forecast spend,
 * and a Cost Anomaly Detection monitor over the same tag with an immediate subscription above
 * `anomalyThresholdUsd`; both publish to one SNS topic encrypted with a key of its own (the only
 * one those services may use), whose policy admits only them (policy.ts), and which `email` may
 * subscribe to. Both filter on the
 * Environment cost allocation tag, which the account must have activated (README "Cost alerts").
 */
import * as aws from "@pulumi/aws";
import { createEncryptedTopic, emailSubscription } from "../encrypted-topic";
import { AddonContext } from "../types";
import { costAlertsKeyPolicy, costAlertsTopicPolicy } from "./policy";

export * from "./policy";

/** The thresholds the budget notifies at: what kind of spend, and at what % of the budget. */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: "ACTUAL", threshold: 80 },
  { notificationType: "ACTUAL", threshold: 100 },
  { notificationType: "FORECASTED", threshold: 100 },
] as const;

/** The cost allocation tag both filter on (tap's Environment tag carries the suffix). */
export const COST_TAG = "Environment";

export interface CostAlertsResult {
  readonly topic: aws.sns.Topic;
  readonly budget: aws.budgets.Budget;
  readonly monitor: aws.costexplorer.AnomalyMonitor;
}

export function deployCostAlerts(ctx: AddonContext): CostAlertsResult {
  const opts = { parent: ctx.parent };
  const settings = ctx.config.addonSettings.costAlerts;
  const suffix = ctx.config.environmentSuffix;
  const budgetName = ctx.name("tap-budget");
  const env = ctx.tags[COST_TAG] ?? suffix;

  const { topic, policy: topicPolicy } = createEncryptedTopic(ctx, {
    role: "tap-cost-alerts",
    description: "the cost alerts topic",
    keyPolicy: (s) => costAlertsKeyPolicy(s.partition, s.accountId),
    topicPolicy: (topicArn, s) =>
      costAlertsTopicPolicy({
        topicArn,
        accountId: s.accountId,
        partition: s.partition,
        budgetName,
      }),
  });
  if (settings.email) emailSubscription(ctx, topic, "tap-cost-alerts", settings.email);

  const budget = new aws.budgets.Budget(
    ctx.name("tap-budget"),
    {
      name: budgetName,
      budgetType: "COST",
      limitAmount: String(settings.monthlyBudgetUsd),
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      costFilters: [{ name: "TagKeyValue", values: [`user:${COST_TAG}$${env}`] }],
      notifications: BUDGET_NOTIFICATIONS.map((n) => ({
        ...n,
        comparisonOperator: "GREATER_THAN",
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [topic.arn],
      })),
      tags: ctx.tags,
    },
    // It publishes only once the topic admits it.
    { ...opts, dependsOn: [topicPolicy] },
  );
  const monitor = new aws.costexplorer.AnomalyMonitor(
    ctx.name("tap-cost-anomalies"),
    {
      name: ctx.name("tap-cost-anomalies"),
      monitorType: "CUSTOM",
      monitorSpecification: JSON.stringify({
        Tags: { Key: COST_TAG, Values: [env], MatchOptions: ["EQUALS"] },
      }),
      tags: ctx.tags,
    },
    opts,
  );
  new aws.costexplorer.AnomalySubscription(
    ctx.name("tap-cost-anomalies-alert"),
    {
      name: ctx.name("tap-cost-anomalies-alert"),
      frequency: "IMMEDIATE",
      monitorArnLists: [monitor.arn],
      subscribers: [{ type: "SNS", address: topic.arn }],
      thresholdExpression: {
        dimension: {
          key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
          matchOptions: ["GREATER_THAN_OR_EQUAL"],
          values: [String(settings.anomalyThresholdUsd)],
        },
      },
      tags: ctx.tags,
    },
    { ...opts, dependsOn: [topicPolicy] },
  );
  return { topic, budget, monitor };
}
