/**
 * What a stack will cost per month before it exists: the plan's resources (tools/plan.ts, the same
 * synthesis `pulumi up` would run) priced from one table, facts/pricing/aws.json (every price with
 * its source and the day it was read). Fixed costs (control plane, NAT gateways and their public
 * IPv4 addresses, interface endpoints, KMS keys, load balancers) and the nodes at desired size and
 * at max, spot as a range (the table's expected discount range, never a point); usage-based prices
 * (per GB processed, ingested, per request) are shown per unit, never multiplied by an invented
 * volume. Anything the table cannot price is listed with the reason, never guessed; the totals then
 * say they are incomplete. 730 hours a month, as AWS's pricing pages count.
 */
import * as fs from "fs";
import * as path from "path";
import { phaseOn } from "../lib/support";
import type { RecordedResource } from "./offline-mocks";

export const HOURS_PER_MONTH = 730;

export interface Price {
  readonly key: string;
  readonly region: string;
  readonly unit: string;
  readonly usd: number;
  readonly source: string;
  readonly excerpt?: string;
  readonly sourceDate?: string;
}

export interface PriceRange {
  readonly key: string;
  /** null: the source states only a ceiling ("up to 90%"); the range then starts at 0. */
  readonly lowPercent: number | null;
  readonly highPercent: number;
  readonly source: string;
  readonly excerpt?: string;
}

export interface PriceTable {
  readonly read: string;
  readonly currency: "USD";
  readonly prices: readonly Price[];
  readonly ranges: readonly PriceRange[];
}

/** A money range (equal ends for a certain amount). */
export interface Usd {
  readonly low: number;
  readonly high: number;
}

export interface CostLine {
  readonly component: string;
  readonly what: string;
  readonly quantity: number;
  readonly unit: string;
  /** Price per unit (a range for spot nodes). */
  readonly unitUsd: Usd;
  readonly monthlyUsd: Usd;
  readonly sources: readonly string[];
}

/** A price that applies per use (GB, request, LCU): shown per unit, never multiplied. */
export interface UsageLine {
  readonly component: string;
  readonly what: string;
  readonly unit: string;
  readonly usd: number;
  readonly source: string;
}

export interface Unpriced {
  readonly component: string;
  readonly why: string;
}

export interface NodeCost {
  readonly lines: readonly CostLine[];
  readonly monthlyUsd: Usd;
  /** The same nodes all on-demand (each group at its first instance type). */
  readonly allOnDemandUsd: Usd;
  /** What the spot split saves against all on-demand. */
  readonly spotSavingUsd: Usd;
}

export interface CostEstimate {
  readonly region: string;
  readonly pricesRead: string;
  readonly table: string;
  readonly hoursPerMonth: number;
  readonly fixed: readonly CostLine[];
  readonly fixedMonthlyUsd: Usd;
  readonly nodesAtDesired: NodeCost;
  readonly nodesAtMax: NodeCost;
  readonly totalAtDesiredUsd: Usd;
  readonly totalAtMaxUsd: Usd;
  readonly usage: readonly UsageLine[];
  readonly unpriced: readonly Unpriced[];
  /** False when something is unpriced: the totals leave it out. */
  readonly complete: boolean;
  /** The spot discount range the node lines assume, as the table states it. */
  readonly spotDiscount?: PriceRange;
}

export const PRICE_TABLE_PATH = path.join("facts", "pricing", "aws.json");

/** The repository root: the nearest directory up from here holding package.json. */
function repoRoot(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export function loadPriceTable(file = path.join(repoRoot(), PRICE_TABLE_PATH)): PriceTable {
  return JSON.parse(fs.readFileSync(file, "utf8")) as PriceTable;
}

const usd = (n: number): Usd => ({ low: n, high: n });

/** How many of a price's units a month holds: 730 hours, or one month. */
function monthsOf(price: Price): number {
  if (/-hour\b/.test(price.unit)) return HOURS_PER_MONTH;
  if (/-month\b/.test(price.unit)) return 1;
  throw new Error(`${price.key}: unit "${price.unit}" is neither per hour nor per month`);
}
const add = (a: Usd, b: Usd): Usd => ({ low: a.low + b.low, high: a.high + b.high });
const sum = (xs: readonly Usd[]): Usd => xs.reduce(add, usd(0));
const times = (u: Usd, n: number): Usd => ({ low: u.low * n, high: u.high * n });

type Inputs = Record<string, unknown>;
const inputsOf = (r: RecordedResource): Inputs => r.inputs as Inputs;
const ofType = (rs: readonly RecordedResource[], type: string) => rs.filter((r) => r.type === type);

export interface EstimateArgs {
  /** The plan's resources, remote components expanded (NAT gateways, EIPs are awsx's children). */
  readonly resources: readonly RecordedResource[];
  readonly region: string;
  readonly kubernetesVersion: string;
  /** The day the support phase (standard or extended price) is judged on. */
  readonly date: string;
  readonly prices: PriceTable;
  /**
   * Each resource's region (tools/regions.ts): those of another region (tap:dr's) are named
   * unpriced, not priced at this region's prices. Absent: every resource is in `region`.
   */
  readonly regionOf?: (r: RecordedResource) => string;
}

export function estimateCost(args: EstimateArgs): CostEstimate {
  const { region, prices } = args;
  const unpriced: Unpriced[] = [];
  const regionOf = args.regionOf ?? (() => region);
  const elsewhere = new Map<string, number>();
  for (const r of args.resources) {
    const at = regionOf(r);
    if (at !== region && r.custom) elsewhere.set(at, (elsewhere.get(at) ?? 0) + 1);
  }
  for (const [at, n] of elsewhere)
    unpriced.push({
      component: `Region ${at}`,
      why: `${PRICE_TABLE_PATH} prices ${region} only: its ${n} resources (tap:dr) are left out of the totals, not priced as ${region}'s`,
    });
  const resources = args.resources.filter((r) => regionOf(r) === region);
  const find = (key: string): Price | undefined =>
    prices.prices.find((p) => p.key === key && p.region === region);
  const need = (key: string, component: string): Price | undefined => {
    const p = find(key);
    if (!p)
      unpriced.push({
        component,
        why: `${PRICE_TABLE_PATH} has no ${key} price for ${region}`,
      });
    return p;
  };
  const fixed: CostLine[] = [];
  // A recurring price: per hour (x 730) or per month, as its unit says; any other unit is an error.
  // Looked up (and named unpriced when the table lacks it) only for something the stack has.
  const recurring = (component: string, what: string, quantity: number, key: string) => {
    if (quantity === 0) return;
    const price = need(key, component);
    if (!price) return;
    fixed.push({
      component,
      what,
      quantity,
      unit: price.unit,
      unitUsd: usd(price.usd),
      monthlyUsd: usd(price.usd * quantity * monthsOf(price)),
      sources: [price.source],
    });
  };

  // The control plane: standard or extended support by the EKS calendar (lib/support.ts).
  const clusters = ofType(resources, "aws:eks/cluster:Cluster").length;
  const phase = phaseOn(args.kubernetesVersion, args.date);
  if (phase === "standard" || phase === "extended") {
    recurring(
      "EKS control plane",
      `Kubernetes ${args.kubernetesVersion}, ${phase} support on ${args.date}`,
      clusters,
      `eks.cluster.${phase}`,
    );
  } else {
    unpriced.push({
      component: "EKS control plane",
      why: `Kubernetes ${args.kubernetesVersion} is ${phase === "ended" ? "past extended support: EKS no longer offers it" : "not in the EKS calendar"} on ${args.date}`,
    });
  }

  const nats = ofType(resources, "aws:ec2/natGateway:NatGateway").length;
  recurring("NAT gateways", "one per AZ or one (tap:natGatewayStrategy)", nats, "nat.hour");
  const eips = ofType(resources, "aws:ec2/eip:Eip").length;
  recurring("Public IPv4", "the NAT gateways' Elastic IPs", eips, "ipv4.hour");

  const interfaceAzs = ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
    .filter((r) => inputsOf(r).vpcEndpointType === "Interface")
    .map((r) =>
      Array.isArray(inputsOf(r).subnetIds) ? (inputsOf(r).subnetIds as unknown[]).length : 0,
    );
  const endpointAzHours = interfaceAzs.reduce((a, b) => a + b, 0);
  recurring(
    "VPC endpoints",
    `${interfaceAzs.length} interface endpoints, one ENI per AZ each`,
    endpointAzHours,
    "endpoint.interface.azHour",
  );

  const keys = ofType(resources, "aws:kms/key:Key").length;
  recurring("KMS", "customer managed keys", keys, "kms.key.month");

  // One ALB per Ingress of class alb (tap writes no group.name annotation), one public IPv4 per AZ.
  const albs = ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress").filter(
    (r) => (inputsOf(r).spec as Inputs | undefined)?.ingressClassName === "alb",
  ).length;
  // The VPC's public subnets (awsx's children, modeled as <vpc>-public-<n>: tools/remote-model.ts).
  const publicSubnets = ofType(resources, "aws:ec2/subnet:Subnet").filter((r) =>
    /-public-\d+$/.test(r.name),
  ).length;
  recurring("Load balancers", "an internet-facing ALB per public service", albs, "alb.hour");
  recurring(
    "Public IPv4",
    "the ALBs' addresses, one per public subnet each",
    albs * publicSubnets,
    "ipv4.hour",
  );

  const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").length;
  recurring(
    "CloudWatch alarms",
    "standard-resolution metric alarms",
    alarms,
    "cloudwatch.alarm.month",
  );

  // Aurora Serverless v2: each instance bills at least its floor (minCapacity; 0 when paused).
  const dbInstances = ofType(resources, "aws:rds/clusterInstance:ClusterInstance").length;
  const dbCluster = ofType(resources, "aws:rds/cluster:Cluster")[0];
  const scaling = dbCluster
    ? (inputsOf(dbCluster).serverlessv2ScalingConfiguration as Inputs | undefined)
    : undefined;
  const floor = Number(scaling?.minCapacity ?? 0);
  recurring(
    "Database",
    `${dbInstances} Aurora Serverless v2 instances at their floor of ${floor} ACU (minCapacity)`,
    dbInstances * floor,
    "rds.aurora.serverlessV2.acuHour",
  );

  // AWS WAF: each web ACL and each of its rules (a managed rule group is one) bills monthly.
  const acls = ofType(resources, "aws:wafv2/webAcl:WebAcl");
  const wafRules = acls.reduce(
    (n, r) => n + (Array.isArray(inputsOf(r).rules) ? (inputsOf(r).rules as unknown[]).length : 0),
    0,
  );
  recurring(
    "WAF",
    "web ACLs (CloudFront's, and the API's with the load balancer controller)",
    acls.length,
    "waf.webAcl.month",
  );
  recurring(
    "WAF",
    "their rules (managed rule groups and the rate limit)",
    wafRules,
    "waf.rule.month",
  );

  if (ofType(resources, "aws:budgets/budget:Budget").length > 0)
    unpriced.push({
      component: "Cost alerts",
      why: `the AWS Budgets budget: ${PRICE_TABLE_PATH} has no Budgets price (Cost Anomaly Detection bills nothing)`,
    });

  if (ofType(resources, "aws:guardduty/detector:Detector").length > 0)
    unpriced.push({
      component: "Threat detection: GuardDuty",
      why: `billed by use (EKS audit-log events analysed, runtime monitoring per vCPU of the monitored nodes): ${PRICE_TABLE_PATH} has no GuardDuty prices`,
    });
  if (ofType(resources, "aws:securityhub/account:Account").length > 0)
    unpriced.push({
      component: "Threat detection: Security Hub",
      why: `billed by use (security checks run by the two standards, findings ingested): ${PRICE_TABLE_PATH} has no Security Hub prices`,
    });

  const nodesAtDesired = nodeCost(resources, "desired", find, prices, unpriced);
  const nodesAtMax = nodeCost(resources, "max", find, prices, unpriced);
  if (ofType(resources, "kubernetes:karpenter.sh/v1:NodePool").length > 0)
    unpriced.push({
      component: "Nodes: Karpenter's NodePools",
      why: "Karpenter launches what the pods ask for (up to the NodePools' limits): only its system group is counted",
    });

  const usage: UsageLine[] = [];
  const perUse = (component: string, what: string, key: string, present: boolean) => {
    if (!present) return;
    const p = need(key, component);
    if (p) usage.push({ component, what, unit: p.unit, usd: p.usd, source: p.source });
  };
  perUse(
    "NAT gateways",
    "data processed (every byte to the internet or a public AWS API without an endpoint)",
    "nat.gb",
    nats > 0,
  );
  perUse(
    "VPC endpoints",
    "data processed through the interface endpoints",
    "endpoint.interface.gb",
    endpointAzHours > 0,
  );
  const logGroups = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").length;
  perUse(
    "CloudWatch Logs",
    `ingestion into the ${logGroups} log groups (control plane, flow logs, containers)`,
    "logs.ingest.gb",
    logGroups > 0,
  );
  perUse(
    "CloudWatch Logs",
    "storage, for the retention tap:logRetentionDays sets",
    "logs.store.gbMonth",
    logGroups > 0,
  );
  perUse(
    "KMS",
    "requests (EBS, Secrets, S3 and EKS envelope encryption call it)",
    "kms.requests.10k",
    keys > 0,
  );
  perUse("Load balancers", "load balancer capacity units", "alb.lcuHour", albs > 0);
  perUse(
    "Database",
    `ACU-hours above the floor, up to ${String(scaling?.maxCapacity ?? "?")} ACU per instance`,
    "rds.aurora.serverlessV2.acuHour",
    dbInstances > 0,
  );
  perUse("Database", "storage (Aurora Standard)", "rds.aurora.storage.gbMonth", dbInstances > 0);
  perUse("Database", "I/O requests (Aurora Standard)", "rds.aurora.io.million", dbInstances > 0);
  perUse("WAF", "requests the web ACLs inspect", "waf.requests.million", acls.length > 0);
  const distributions = ofType(resources, "aws:cloudfront/distribution:Distribution").length;
  perUse(
    "CloudFront",
    "data out to the internet (US and Europe, the first 10 TB)",
    "cloudfront.dataOut.gb",
    distributions > 0,
  );
  perUse("CloudFront", "HTTPS requests (US)", "cloudfront.https.10k", distributions > 0);
  const repositories = ofType(resources, "aws:ecr/repository:Repository").length;
  perUse(
    "Registry",
    `image storage in the ${repositories} ECR repositories (basic scanning and same-region pulls cost nothing)`,
    "ecr.storage.gbMonth",
    repositories > 0,
  );

  const fixedMonthlyUsd = sum(fixed.map((l) => l.monthlyUsd));
  const spotDiscount = prices.ranges.find((r) => r.key === "ec2.spot.discount");
  return {
    region,
    pricesRead: prices.read,
    table: PRICE_TABLE_PATH,
    hoursPerMonth: HOURS_PER_MONTH,
    fixed,
    fixedMonthlyUsd,
    nodesAtDesired,
    nodesAtMax,
    totalAtDesiredUsd: add(fixedMonthlyUsd, nodesAtDesired.monthlyUsd),
    totalAtMaxUsd: add(fixedMonthlyUsd, nodesAtMax.monthlyUsd),
    usage,
    unpriced: dedupe(unpriced),
    complete: unpriced.length === 0,
    ...(spotDiscount ? { spotDiscount } : {}),
  };
}

function dedupe(xs: readonly Unpriced[]): Unpriced[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.component}|${x.why}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * The managed node groups at `size` (desired or max): on-demand at the first instance type (EKS
 * launches on-demand in the listed order), spot anywhere between the cheapest and the dearest of
 * its types less the table's expected discount range; each node's EBS volumes (the launch
 * template's) at gp3's price. Karpenter's nodes are not counted: they follow the pods' demand.
 */
function nodeCost(
  resources: readonly RecordedResource[],
  size: "desired" | "max",
  find: (key: string) => Price | undefined,
  prices: PriceTable,
  unpriced: Unpriced[],
): NodeCost {
  const lines: CostLine[] = [];
  let allOnDemand = usd(0);
  const discount = prices.ranges.find((r) => r.key === "ec2.spot.discount");
  const volumeGb = ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate")
    .flatMap((r) => (inputsOf(r).blockDeviceMappings as Inputs[] | undefined) ?? [])
    .reduce((a, m) => a + Number((m.ebs as Inputs | undefined)?.volumeSize ?? 0), 0);
  const gp3 = find("ebs.gp3.gbMonth");
  let nodes = 0;
  // pulumi-eks's ManagedNodeGroup components hold the inputs (their modeled aws:eks NodeGroup
  // children only mirror them).
  const components = ofType(resources, "eks:index:ManagedNodeGroup");
  const groups =
    components.length > 0 ? components : ofType(resources, "aws:eks/nodeGroup:NodeGroup");
  for (const g of groups) {
    const p = inputsOf(g);
    const scaling = (p.scalingConfig ?? {}) as Inputs;
    const count = Number(scaling[`${size}Size`] ?? 0);
    const types = (p.instanceTypes as string[] | undefined) ?? [];
    const spot = p.capacityType === "SPOT";
    const name = String(p.nodeGroupName ?? g.name);
    const typePrices = types.map((t) => find(`ec2.${t}.hour`));
    const missing = types.filter((_, i) => typePrices[i] === undefined);
    const first = typePrices[0];
    if (!first || (spot && missing.length > 0) || (spot && !discount)) {
      unpriced.push({
        component: `Nodes: ${name}`,
        why:
          missing.length > 0
            ? `${PRICE_TABLE_PATH} has no on-demand price for ${missing.join(", ")}`
            : `${PRICE_TABLE_PATH} has no ec2.spot.discount range`,
      });
      continue;
    }
    if (count === 0) continue;
    nodes += count;
    const all = typePrices.map((x) => (x as Price).usd);
    // All on-demand: the first type for an on-demand group (EKS launches in the listed order), any
    // of a spot group's types (the same basis as its spot range).
    const onDemandEach = spot ? { low: Math.min(...all), high: Math.max(...all) } : usd(first.usd);
    allOnDemand = add(allOnDemand, times(onDemandEach, count * HOURS_PER_MONTH));
    let each = onDemandEach;
    if (spot && discount) {
      each = {
        low: Math.min(...all) * (1 - discount.highPercent / 100),
        // Spot is billed at most the on-demand price: with no sourced typical discount the
        // range's expensive end is on-demand itself.
        high: Math.max(...all) * (1 - (discount.lowPercent ?? 0) / 100),
      };
    }
    lines.push({
      component: `Nodes: ${name}`,
      what: `${count} ${spot ? "spot" : "on-demand"} nodes (${spot ? types.join(", ") : types[0]}) at ${size}`,
      quantity: count,
      unit: "node-hour",
      unitUsd: each,
      monthlyUsd: times(each, count * HOURS_PER_MONTH),
      sources: [
        ...new Set([
          ...(spot ? typePrices.map((x) => (x as Price).source) : [first.source]),
          ...(spot && discount ? [discount.source] : []),
        ]),
      ],
    });
  }
  if (nodes > 0 && volumeGb > 0) {
    if (gp3) {
      lines.push({
        component: "Node volumes",
        what: `${nodes} nodes x ${volumeGb} GiB gp3 (the launch template's volumes)`,
        quantity: nodes * volumeGb,
        unit: gp3.unit,
        unitUsd: usd(gp3.usd),
        monthlyUsd: usd(gp3.usd * nodes * volumeGb),
        sources: [gp3.source],
      });
      const volumes = usd(gp3.usd * nodes * volumeGb);
      allOnDemand = add(allOnDemand, volumes);
    } else {
      unpriced.push({
        component: "Node volumes",
        why: `${PRICE_TABLE_PATH} has no ebs.gp3.gbMonth price`,
      });
    }
  }
  const monthlyUsd = sum(lines.map((l) => l.monthlyUsd));
  return {
    lines,
    monthlyUsd,
    allOnDemandUsd: allOnDemand,
    // Spot never costs more than on-demand: a negative end is a range artefact, shown as 0.
    spotSavingUsd: {
      low: Math.max(0, allOnDemand.low - monthlyUsd.high),
      high: allOnDemand.high - monthlyUsd.low,
    },
  };
}

const money = (n: number): string =>
  n.toLocaleString("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
export const formatUsd = (u: Usd): string =>
  Math.abs(u.high - u.low) < 0.5 ? money(u.low) : `${money(u.low)}–${money(u.high)}`;

/** The plan's cost section. */
export function renderCost(c: CostEstimate): string[] {
  const out = [
    `cost per month (${c.region}, ${c.hoursPerMonth} h, USD; prices read ${c.pricesRead} from ${c.table}):`,
  ];
  for (const l of c.fixed)
    out.push(`  ${l.component}: ${l.what}: ${l.quantity} ${l.unit} -> ${formatUsd(l.monthlyUsd)}`);
  out.push(`  fixed: ${formatUsd(c.fixedMonthlyUsd)}`);
  const d = c.spotDiscount;
  if (d)
    out.push(
      `  spot assumed ${d.lowPercent ?? 0}–${d.highPercent}% below on-demand` +
        (d.lowPercent === null
          ? ` (AWS states only "up to ${d.highPercent}%": at worst spot costs what on-demand does)`
          : "") +
        ` (${d.source})`,
    );
  for (const [label, n] of [
    ["at desired size", c.nodesAtDesired],
    ["at max", c.nodesAtMax],
  ] as const) {
    for (const l of n.lines) out.push(`  ${l.component}: ${l.what} -> ${formatUsd(l.monthlyUsd)}`);
    out.push(
      `  nodes ${label}: ${formatUsd(n.monthlyUsd)} (all on-demand ${formatUsd(n.allOnDemandUsd)}; the spot split saves ${formatUsd(n.spotSavingUsd)})`,
    );
  }
  out.push(
    `  total: ${formatUsd(c.totalAtDesiredUsd)} at desired size, ${formatUsd(c.totalAtMaxUsd)} at max${c.complete ? "" : " (incomplete: see unpriced)"}`,
  );
  if (c.usage.length > 0) out.push("  plus, by use:");
  for (const u of c.usage)
    out.push(`    ${u.component}: ${u.what}: ${money2(u.usd)} per ${u.unit}`);
  for (const u of c.unpriced) out.push(`  unpriced: ${u.component}: ${u.why}`);
  return out;
}

const money2 = (n: number): string =>
  `$${n < 0.01 ? n.toFixed(4) : n.toFixed(3).replace(/0$/, "")}`;
