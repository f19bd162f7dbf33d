/**
 * The offline cost estimate: the plan's resources priced from a table, fixed costs per month, nodes
 * at desired and max with spot as a range, the saving of the spot split against all on-demand,
 * usage prices per unit only, and whatever the table cannot price named instead of guessed.
 * Synthetic prices here (round numbers, so every expected sum is written out); the real table is
 * checked for what the shipped stacks need.
 */
import { TapStack } from "../../../lib/tap-stack";
import {
  CostEstimate,
  HOURS_PER_MONTH,
  PriceTable,
  estimateCost,
  loadPriceTable,
  renderCost,
} from "../../../tools/cost";
import { RecordedResource, mockTap } from "../../../tools/offline-mocks";
import { expandRemoteComponents } from "../../../tools/remote-model";

const R = "us-east-1";
const price = (key: string, usd: number, unit: string) => ({
  key,
  region: R,
  unit,
  usd,
  source: `https://example.test/${key}`,
});
const TABLE: PriceTable = {
  read: "2026-12-03",
  currency: "USD",
  prices: [
    price("eks.cluster.standard", 0.1, "cluster-hour"),
    price("eks.cluster.extended", 0.6, "cluster-hour"),
    price("nat.hour", 0.05, "gateway-hour"),
    price("nat.gb", 0.05, "GB"),
    price("ipv4.hour", 0.005, "address-hour"),
    price("endpoint.interface.azHour", 0.01, "endpoint-AZ-hour"),
    price("endpoint.interface.gb", 0.01, "GB"),
    price("ec2.m6i.large.hour", 0.1, "instance-hour"),
    price("ec2.m5.large.hour", 0.1, "instance-hour"),
    price("ec2.m5a.large.hour", 0.08, "instance-hour"),
    price("ec2.m6a.large.hour", 0.09, "instance-hour"),
    price("ebs.gp3.gbMonth", 0.08, "GB-month"),
    price("logs.ingest.gb", 0.5, "GB"),
    price("logs.store.gbMonth", 0.03, "GB-month"),
    price("kms.key.month", 1, "key-month"),
    price("kms.requests.10k", 0.03, "10,000 requests"),
    price("alb.hour", 0.0225, "ALB-hour"),
    price("alb.lcuHour", 0.008, "LCU-hour"),
  ],
  ranges: [
    {
      key: "ec2.spot.discount",
      lowPercent: 50,
      highPercent: 70,
      source: "https://example.test/spot",
    },
  ],
};

const plan = async (config: Record<string, unknown>): Promise<RecordedResource[]> => {
  const { resources } = await mockTap(
    () => new TapStack("tap", { config, context: { stackName: "dev" } }),
  );
  return expandRemoteComponents(resources);
};
const estimate = (
  resources: RecordedResource[],
  over: Partial<Parameters<typeof estimateCost>[0]> = {},
): CostEstimate =>
  estimateCost({
    resources,
    region: R,
    kubernetesVersion: "1.35",
    date: "2026-12-03",
    prices: TABLE,
    ...over,
  });
const line = (c: CostEstimate, component: string) => c.fixed.find((l) => l.component === component);
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 6);

describe("the monthly estimate of the dev stack (1.35, three AZs, 70/30 of 10 nodes)", () => {
  let c: CostEstimate;
  beforeAll(async () => {
    c = estimate(await plan({ kubernetesVersion: "1.35", enableAppMesh: false }));
  });

  it("prices the fixed costs: control plane, three NAT gateways and their addresses, the key", () => {
    close(line(c, "EKS control plane")?.monthlyUsd.low ?? 0, 0.1 * HOURS_PER_MONTH);
    expect(line(c, "NAT gateways")?.quantity).toBe(3);
    close(line(c, "NAT gateways")?.monthlyUsd.low ?? 0, 3 * 0.05 * 730);
    close(line(c, "Public IPv4")?.monthlyUsd.low ?? 0, 3 * 0.005 * 730);
    close(line(c, "KMS")?.monthlyUsd.low ?? 0, 1);
    close(c.fixedMonthlyUsd.low, 73 + 109.5 + 10.95 + 1);
    expect(c.fixedMonthlyUsd.low).toBe(c.fixedMonthlyUsd.high);
  });

  it("prices nodes at desired size: on-demand at the first type, spot as the discount range", () => {
    const d = c.nodesAtDesired;
    const onDemand = d.lines.find((l) => /on-demand/.test(l.what));
    const spot = d.lines.find((l) => /spot/.test(l.what));
    expect(onDemand?.quantity).toBe(3);
    close(onDemand?.monthlyUsd.low ?? 0, 3 * 0.1 * 730);
    expect(spot?.quantity).toBe(7);
    // cheapest 0.08 less 70% .. dearest 0.10 less 50%
    close(spot?.unitUsd.low ?? 0, 0.08 * 0.3);
    close(spot?.unitUsd.high ?? 0, 0.1 * 0.5);
    // Bottlerocket: a 4 GiB OS and a 50 GiB data volume per node.
    const volumes = d.lines.find((l) => l.component === "Node volumes");
    expect(volumes?.quantity).toBe(10 * 54);
    close(volumes?.monthlyUsd.low ?? 0, 540 * 0.08);
  });

  it("says what the spot split saves against the same nodes all on-demand", () => {
    const d = c.nodesAtDesired;
    // The spot group all on-demand is any of its types (the basis of its spot range).
    close(d.allOnDemandUsd.low, 3 * 0.1 * 730 + 7 * 0.08 * 730 + 540 * 0.08);
    close(d.allOnDemandUsd.high, 10 * 0.1 * 730 + 540 * 0.08);
    close(d.spotSavingUsd.high, d.allOnDemandUsd.high - d.monthlyUsd.low);
    close(d.spotSavingUsd.low, d.allOnDemandUsd.low - d.monthlyUsd.high);
    expect(d.spotSavingUsd.low).toBeGreaterThan(0);
    // At max: 21 spot + 9 on-demand.
    expect(c.nodesAtMax.lines.find((l) => /spot/.test(l.what))?.quantity).toBe(21);
    close(c.totalAtMaxUsd.low, c.fixedMonthlyUsd.low + c.nodesAtMax.monthlyUsd.low);
  });

  it("shows usage prices per unit, never multiplied by an invented volume", () => {
    expect(c.usage.map((u) => [u.component, u.unit, u.usd])).toEqual(
      expect.arrayContaining([
        ["NAT gateways", "GB", 0.05],
        ["CloudWatch Logs", "GB", 0.5],
        ["CloudWatch Logs", "GB-month", 0.03],
      ]),
    );
    expect(c.complete).toBe(true);
    const text = renderCost(c).join("\n");
    expect(text).toMatch(/the spot split saves \$\d/);
    expect(text).toMatch(/total: \$[\d,]+–\$[\d,]+ at desired size/);
  });
});

describe("what changes the estimate", () => {
  it("extended support is six times the hourly price; a minor past it is not priced", async () => {
    const resources = await plan({ kubernetesVersion: "1.32", enableAppMesh: false });
    const c = estimate(resources, { kubernetesVersion: "1.32" });
    close(line(c, "EKS control plane")?.monthlyUsd.low ?? 0, 0.6 * 730);
    const ended = estimate(resources, { kubernetesVersion: "1.28" });
    expect(line(ended, "EKS control plane")).toBeUndefined();
    expect(ended.unpriced).toContainEqual({
      component: "EKS control plane",
      why: expect.stringMatching(/1\.28 is past extended support/),
    });
    expect(ended.complete).toBe(false);
  });

  it("one NAT gateway with Single; interface endpoints per AZ; an ALB and its addresses per public service", async () => {
    const c = estimate(
      await plan({
        kubernetesVersion: "1.35",
        enableAppMesh: false,
        natGatewayStrategy: "Single",
        vpcEndpoints: true,
        addons: { loadBalancerController: true },
      }),
    );
    expect(line(c, "NAT gateways")?.quantity).toBe(1);
    const endpoints = line(c, "VPC endpoints");
    expect((endpoints?.quantity ?? 0) % 3).toBe(0);
    expect(endpoints?.quantity).toBeGreaterThanOrEqual(3 * 7);
    expect(line(c, "Load balancers")?.quantity).toBe(1);
    const ipv4 = c.fixed.filter((l) => l.component === "Public IPv4").map((l) => l.quantity);
    expect(ipv4).toEqual([1, 3]);
  });

  it("never shows a negative saving, whatever the order of the spot group's types", async () => {
    const c = estimate(
      await plan({
        kubernetesVersion: "1.35",
        enableAppMesh: false,
        nodeInstanceTypes: ["m5a.large", "m6i.large", "m5.large"],
      }),
      {
        prices: {
          ...TABLE,
          ranges: [{ key: "ec2.spot.discount", lowPercent: 0, highPercent: 90, source: "s" }],
        },
      },
    );
    expect(c.nodesAtDesired.spotSavingUsd.low).toBe(0);
    expect(c.nodesAtDesired.spotSavingUsd.high).toBeGreaterThan(0);
  });

  it("says Karpenter's nodes are not counted", async () => {
    const c = estimate(
      await plan({
        kubernetesVersion: "1.35",
        enableAppMesh: false,
        addons: { karpenter: true, clusterAutoscaler: false },
      }),
    );
    expect(c.unpriced.map((u) => u.component)).toContain("Nodes: Karpenter's NodePools");
    expect(c.complete).toBe(false);
  });

  it("a discount stated only as a ceiling ranges up to the on-demand price itself", async () => {
    const ceilingOnly: PriceTable = {
      ...TABLE,
      ranges: [{ key: "ec2.spot.discount", lowPercent: null, highPercent: 90, source: "s" }],
    };
    const c = estimate(await plan({ kubernetesVersion: "1.35", enableAppMesh: false }), {
      prices: ceilingOnly,
    });
    const spot = c.nodesAtDesired.lines.find((l) => /spot/.test(l.what));
    close(spot?.unitUsd.low ?? 0, 0.08 * 0.1);
    close(spot?.unitUsd.high ?? 0, 0.1);
    close(c.nodesAtDesired.spotSavingUsd.low, 0);
    expect(renderCost(c).join("\n")).toMatch(/AWS states only "up to 90%"/);
  });

  it("names the alarms as unpriced while the table has no alarm price", async () => {
    const c = estimate(
      await plan({
        kubernetesVersion: "1.35",
        enableAppMesh: false,
        addons: { containerInsights: true },
      }),
    );
    expect(c.unpriced).toContainEqual({
      component: "CloudWatch alarms",
      why: "facts/pricing/aws.json has no cloudwatch.alarm.month price for us-east-1",
    });
    const priced = estimate(
      await plan({
        kubernetesVersion: "1.35",
        enableAppMesh: false,
        addons: { containerInsights: true },
      }),
      {
        prices: {
          ...TABLE,
          prices: [...TABLE.prices, price("cloudwatch.alarm.month", 0.1, "alarm-month")],
        },
      },
    );
    expect(line(priced, "CloudWatch alarms")?.quantity).toBe(5);
    close(line(priced, "CloudWatch alarms")?.monthlyUsd.low ?? 0, 0.5);
  });

  it("names what the table cannot price instead of guessing", async () => {
    const resources = await plan({
      kubernetesVersion: "1.35",
      enableAppMesh: false,
      nodeInstanceTypes: ["r7i.large", "m5.large", "m5a.large"],
    });
    const c = estimate(resources);
    expect(c.unpriced).toEqual(
      expect.arrayContaining([
        {
          component: expect.stringMatching(/^Nodes: /),
          why: expect.stringMatching(/no on-demand price for r7i\.large/),
        },
      ]),
    );
    expect(c.complete).toBe(false);
    const elsewhere = estimate(resources, { region: "ap-south-2" });
    expect(elsewhere.fixed).toEqual([]);
    expect(elsewhere.unpriced.map((u) => u.why).join("\n")).toMatch(
      /has no eks\.cluster\.standard price for ap-south-2/,
    );
  });
});

describe("the price table in the repository (facts/pricing/aws.json)", () => {
  let table: PriceTable;
  beforeAll(() => {
    table = loadPriceTable();
  });
  it("cites a source for every price and range", () => {
    expect(table.prices.length).toBeGreaterThan(10);
    for (const p of table.prices) {
      expect(p.source).toMatch(/^(https:\/\/|[\w.-]+\/[\w.-]+@[0-9a-f]{7,}:)/);
      expect(p.usd).toBeGreaterThanOrEqual(0);
    }
    for (const r of table.ranges) expect(r.lowPercent ?? 0).toBeLessThanOrEqual(r.highPercent);
  });

  it("prices the shipped dev stack in us-east-1 completely", async () => {
    const c = estimate(await plan({ kubernetesVersion: "1.35", enableAppMesh: false }), {
      prices: table,
    });
    expect(c.unpriced).toEqual([]);
    expect(c.totalAtDesiredUsd.low).toBeGreaterThan(0);
  });
});
