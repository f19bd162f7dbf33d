/**
 * Container Insights: the managed add-on with its own role and no second log shipper, its
 * performance log group tap's (KMS, retention), and alarms that reference metrics and dimension
 * sets the agent publishes (facts/container-insights.md §3) on a KMS-encrypted SNS topic only this
 * account's tap alarms may publish to; with the capability off, no trace of it.
 */
import * as fs from "fs";
import * as path from "path";
import { platformAlarms } from "../../../../lib/addons/container-insights/alarms";
import { kmsKeyPolicy } from "../../../../lib/cluster";
import { RecordedResource, ofType, synthStack, valueOf } from "../../../helpers/mocks";

type Obj = Record<string, unknown>;
const FACTS = fs.readFileSync(
  path.join(__dirname, "..", "..", "..", "..", "facts", "container-insights.md"),
  "utf8",
);

/** The dimension sets facts/container-insights.md's metric table gives `metric` (§3). */
function publishedDimensionSets(metric: string): string[][] {
  const rows = FACTS.split("\n").filter((l) => l.startsWith("| "));
  const row = rows.find((l) => l.split("|")[1].includes(`\`${metric}\``));
  if (!row) return [];
  // "same as the row above": pod_number_of_container_restarts shares pod_status_pending's sets.
  const cells = /same as the row above/.test(row) ? (rows[rows.indexOf(row) - 1] ?? "") : row;
  return [...cells.split("|")[2].matchAll(/\[([A-Za-z,]+)\]/g)].map((m) => m[1].split(",").sort());
}

describe("the platform's alarms", () => {
  it("each references a metric and a dimension set the agent publishes", () => {
    const alarms = platformAlarms({ namespace: "amazon-cloudwatch", daemonSet: "fluent-bit" });
    expect(alarms.map((a) => a.role)).toEqual([
      "nodes-not-ready",
      "pods-pending",
      "node-cpu-saturated",
      "node-memory-saturated",
      "fluent-bit-restarting",
    ]);
    for (const a of alarms) {
      const dims = ["ClusterName", ...Object.keys(a.dimensions ?? {})].sort();
      expect({ metric: a.metricName, sets: publishedDimensionSets(a.metricName) }).toEqual({
        metric: a.metricName,
        sets: expect.arrayContaining([dims]),
      });
    }
    // The check bites: a metric the table does not have has no published set.
    expect(publishedDimensionSets("cluster_failed_pod_count")).toEqual([]);
    expect(platformAlarms(undefined).map((a) => a.role)).not.toContain("fluent-bit-restarting");
  });
});

describe("Container Insights in the stack", () => {
  let resources: readonly RecordedResource[];
  let topicOutput: unknown;
  let on: Awaited<ReturnType<typeof synthStack>>;
  beforeAll(async () => {
    on = await synthStack({ enableAppMesh: "false", addons: { containerInsights: true } });
    resources = on.resources;
    topicOutput = await valueOf(on.value.alarmTopicArn);
  });

  it("installs the managed add-on with its role and without container logs", () => {
    const addon = ofType(resources, "aws:eks/addon:Addon").find(
      (r) => r.inputs.addonName === "amazon-cloudwatch-observability",
    );
    expect(JSON.parse(String(addon?.inputs.configurationValues))).toEqual({
      containerLogs: { enabled: false },
    });
    expect(addon?.inputs.serviceAccountRoleArn).toMatch(/tap-container-insights/);
    const trust = ofType(resources, "aws:iam/role:Role").find((r) =>
      /tap-container-insights/.test(r.name),
    );
    expect(String(trust?.inputs.assumeRolePolicy)).toContain(
      "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent",
    );
    const attached = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find(
      (r) => /container-insights/.test(r.name),
    );
    expect(attached?.inputs.policyArn).toBe("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy");
  });

  it("pre-creates the performance log group with tap's key and retention; the key serves it", () => {
    const group = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").find(
      (r) => r.inputs.name === "/aws/containerinsights/tap-eks-dev/performance",
    );
    expect(group?.inputs).toMatchObject({ retentionInDays: 30 });
    expect(group?.inputs.kmsKeyId).toBeDefined();
    const key = ofType(resources, "aws:kms/key:Key")[0];
    const policy = String(key.inputs.policy);
    expect(policy).toContain("log-group:/aws/containerinsights/tap-eks-dev/performance");
    expect(policy).toContain("CloudWatchAlarmsPublishToTopic");
    expect(kmsKeyPolicy("aws", "us-east-1", "123456789012", [])).not.toContain(
      "CloudWatchAlarmsPublishToTopic",
    );
  });

  it("alarms publish to the encrypted topic, which takes only this account's tap alarms", () => {
    const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarms).toHaveLength(5);
    for (const a of alarms) {
      expect(a.inputs).toMatchObject({
        namespace: "ContainerInsights",
        dimensions: expect.objectContaining({ ClusterName: "tap-eks-dev" }),
      });
      expect((a.inputs.alarmActions as string[]).length).toBe(1);
      expect(String(a.inputs.name)).toMatch(/^tap-[a-z-]+-dev$/);
    }
    const topic = ofType(resources, "aws:sns/topic:Topic")[0];
    expect(topic.inputs.kmsMasterKeyId).toBeDefined();
    const topicPolicy = JSON.parse(
      String(ofType(resources, "aws:sns/topicPolicy:TopicPolicy")[0].inputs.policy),
    ) as {
      Statement: {
        Principal: unknown;
        Resource: string;
        Condition: Record<string, Record<string, string>>;
      }[];
    };
    expect(topicPolicy.Statement[0].Resource).toBe(topicOutput);
    expect(topicPolicy.Statement).toHaveLength(1);
    expect(topicPolicy.Statement[0].Principal).toEqual({ Service: "cloudwatch.amazonaws.com" });
    expect(topicPolicy.Statement[0].Condition.ArnLike["aws:SourceArn"]).toBe(
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:tap-*",
    );
    expect(topicPolicy.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toBe(
      "123456789012",
    );
    expect(topicOutput).toBe("arn:aws:sns:us-east-1:123456789012:tap-alarms-dev");
    for (const a of alarms) expect(a.inputs.alarmActions).toEqual([topicOutput]);
  });

  it("draws each alarm's metric, threshold and state on one dashboard, and exports its URL", async () => {
    const dashboard = ofType(resources, "aws:cloudwatch/dashboard:Dashboard");
    expect(dashboard.map((d) => d.inputs.dashboardName)).toEqual(["tap-platform-dev"]);
    const body = JSON.parse(String(dashboard[0].inputs.dashboardBody)) as {
      widgets: { type: string; x: number; y: number; width: number; properties: Obj }[];
    };
    const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const [status, ...graphs] = body.widgets;
    expect(status).toMatchObject({ type: "alarm", x: 0, y: 0, width: 24 });
    // The mocks' ARN of each alarm, in the alarms' order.
    expect(status.properties.alarms).toEqual(
      alarms.map((a) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${String(a.inputs.name)}`),
    );
    expect(graphs).toHaveLength(alarms.length);
    graphs.forEach((g, i) => {
      const a = alarms[i].inputs as {
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: string;
        period: number;
        threshold: number;
      };
      expect(g.type).toBe("metric");
      expect(g.properties).toMatchObject({
        metrics: [[a.namespace, a.metricName, ...Object.entries(a.dimensions).flat()]],
        stat: a.statistic,
        period: a.period,
        region: "us-east-1",
        annotations: { horizontal: [{ value: a.threshold, label: "alarm threshold" }] },
      });
      // Two to a row below the alarm states, none overlapping.
      expect([g.x, g.y]).toEqual([(i % 2) * 12, 3 + Math.floor(i / 2) * 6]);
    });
    await expect(valueOf(on.value.metricsDashboardUrl)).resolves.toBe(
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=tap-platform-dev",
    );
  });

  it("leaves no trace when off", async () => {
    const off = await synthStack({ enableAppMesh: "false" });
    expect(
      off.resources.filter((r) =>
        /container-insights|containerinsights|tap-alarms|tap-platform|MetricAlarm|Dashboard|sns/.test(
          `${r.type} ${r.name}`,
        ),
      ),
    ).toEqual([]);
    expect(await valueOf(off.value.alarmTopicArn)).toBeUndefined();
    expect(await valueOf(off.value.metricsDashboardUrl)).toBeUndefined();
  });
});
