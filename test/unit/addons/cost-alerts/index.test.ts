/**
 * Cost alerts: a budget on the stack's Environment tag with actual and forecast thresholds, an
 * anomaly monitor on the same tag with an immediate subscription, both to a topic encrypted with
 * tap's key that only AWS Budgets (for this budget) and Cost Anomaly Detection (for this account)
 * may publish to; the budget is required.
 */
import { PolicyDocument } from "../../../../lib/iam/policy";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate } from "../../../helpers/iam-sim";
import { ACCOUNT, REGION, RecordedResource, ofType, synthStack } from "../../../helpers/mocks";

const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: {
    costAlerts: { monthlyBudgetUsd: 900, anomalyThresholdUsd: 50, email: "ops@example.com" },
  },
};
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:tap-cost-alerts-dev`;
const one = (resources: readonly RecordedResource[], type: string) => {
  const all = ofType(resources, type);
  if (all.length !== 1) throw new Error(`${all.length} of ${type}`);
  return all[0];
};

describe("the cost alerts' config", () => {
  it("requires a budget and reports every bad setting at once", () => {
    expect(configProblems({ enableAppMesh: "false", addons: { costAlerts: true } })).toEqual([
      expect.stringMatching(/^tap:addons\.costAlerts\.monthlyBudgetUsd: .*is required/),
    ]);
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { costAlerts: { monthlyBudgetUsd: -5, anomalyThresholdUsd: "lots", email: "ops" } },
      }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.costAlerts\.monthlyBudgetUsd: .*above 0 \(got -5\)/),
      expect.stringMatching(/^tap:addons\.costAlerts\.anomalyThresholdUsd: .*"lots"/),
      expect.stringMatching(/^tap:addons\.costAlerts\.email: .*"ops"/),
    ]);
  });
});

describe("the cost alerts on", () => {
  const synth = () => synthStack(ON);

  it("budgets the stack's tagged spend, alerting on actual and forecast", async () => {
    const { resources } = await synth();
    const budget = one(resources, "aws:budgets/budget:Budget").inputs;
    expect(budget).toMatchObject({
      name: "tap-budget-dev",
      budgetType: "COST",
      limitAmount: "900",
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$dev"] }],
    });
    expect(
      (
        budget.notifications as {
          notificationType: string;
          threshold: number;
          subscriberSnsTopicArns: string[];
        }[]
      ).map((n) => [n.notificationType, n.threshold, n.subscriberSnsTopicArns]),
    ).toEqual([
      ["ACTUAL", 80, [TOPIC]],
      ["ACTUAL", 100, [TOPIC]],
      ["FORECASTED", 100, [TOPIC]],
    ]);
    const monitor = one(resources, "aws:costexplorer/anomalyMonitor:AnomalyMonitor").inputs;
    expect(monitor.monitorType).toBe("CUSTOM");
    expect(JSON.parse(String(monitor.monitorSpecification))).toEqual({
      Tags: { Key: "Environment", Values: ["dev"], MatchOptions: ["EQUALS"] },
    });
    const sub = one(resources, "aws:costexplorer/anomalySubscription:AnomalySubscription").inputs;
    expect(sub).toMatchObject({
      frequency: "IMMEDIATE",
      subscribers: [{ type: "SNS", address: TOPIC }],
      thresholdExpression: {
        dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", values: ["50"] },
      },
    });
    expect(one(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      protocol: "email",
      endpoint: "ops@example.com",
    });
  });

  it("lets only Budgets (this budget) and Cost Anomaly Detection (this account) publish", async () => {
    const { resources } = await synth();
    const policy = JSON.parse(
      String(one(resources, "aws:sns/topicPolicy:TopicPolicy").inputs.policy),
    ) as PolicyDocument;
    const none: PolicyDocument = { Version: "2012-10-17", Statement: [] };
    const publish = (principal: string, context: Record<string, string>) =>
      simulate(none, {
        action: "sns:Publish",
        resource: TOPIC,
        principal,
        context,
        resourcePolicy: policy,
      });
    const budgetArn = `arn:aws:budgets::${ACCOUNT}:budget/tap-budget-dev`;
    await expect(
      publish("budgets.amazonaws.com", {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": budgetArn,
      }),
    ).resolves.toBe("Allowed");
    await expect(
      publish("budgets.amazonaws.com", {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": `arn:aws:budgets::${ACCOUNT}:budget/someone-elses`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(
      publish("costalerts.amazonaws.com", { "aws:SourceAccount": ACCOUNT }),
    ).resolves.toBe("Allowed");
    await expect(
      publish("costalerts.amazonaws.com", { "aws:SourceAccount": "210987654321" }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(publish("events.amazonaws.com", { "aws:SourceAccount": ACCOUNT })).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(publish(`arn:aws:iam::210987654321:root`, {})).resolves.toBe("ImplicitlyDenied");
    // The topic is encrypted with a key of its own, which exactly these two services may use.
    const key = ofType(resources, "aws:kms/key:Key").find(
      (k) => k.name === "tap-cost-alerts-kms-dev",
    );
    const keyPolicy = JSON.parse(String(key?.inputs.policy)) as PolicyDocument;
    expect(keyPolicy.Statement.find((s) => s.Sid === "AlertServicesUseKey")).toMatchObject({
      Principal: { Service: ["budgets.amazonaws.com", "costalerts.amazonaws.com"] },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    });
    expect(one(resources, "aws:sns/topic:Topic").inputs.kmsMasterKeyId).toBe(
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-cost-alerts-kms-dev`,
    );
    // tap's own key (EKS secrets, logs) grants them nothing.
    const tapKey = ofType(resources, "aws:kms/key:Key").find((k) => k.name === "tap-kms-dev");
    expect(String(tapKey?.inputs.policy)).not.toMatch(/budgets|costalerts/);
  });

  it("passes tap's policy pack", async () => {
    const { resources } = await synth();
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-03" } },
    });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });
});
