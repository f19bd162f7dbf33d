/**
 * tap's alert rules and alert manager configuration, as the stack hands them to Amazon Managed
 * Service for Prometheus, checked by Prometheus's own rule parser (every expression through the
 * PromQL parser) and Alertmanager's own configuration loader (strict): tools/prometheus (promcheck,
 * built by tools/prometheus/build.sh at the versions its go.mod pins). Each rule's expression
 * selects exactly the metrics it declares (from the PromQL AST), which the collector keeps.
 */
import { execFileSync } from "child_process";
import * as YAML from "yaml";
import { platformAlertRules, scrapeJobs } from "../../lib/addons/prometheus";
import { RecordedResource, named, synthStack } from "../helpers/mocks";

const BIN = process.env.TAP_PROMCHECK;

interface Check {
  readonly rules: string[];
  readonly alertmanager: string[];
  readonly reads: Record<string, string[]>;
}

function promcheck(rules: string, alertmanager: string): Check {
  if (!BIN) throw new Error("TAP_PROMCHECK is not set: run tools/prometheus/test.sh");
  const out = execFileSync(BIN, [], {
    input: JSON.stringify({ Rules: rules, Alertmanager: alertmanager }),
    encoding: "utf8",
  });
  return JSON.parse(out) as Check;
}

const handed = (resources: readonly RecordedResource[]) => ({
  rules: String(named(resources, "tap-prometheus-rules-dev").inputs.data),
  alertmanager: (
    YAML.parse(String(named(resources, "tap-prometheus-alertmanager-dev").inputs.definition)) as {
      alertmanager_config: string;
    }
  ).alertmanager_config,
});

describe.each([true, false])("tap's Prometheus alerts with Fluent Bit %s", (fluentBit) => {
  let check: Check;
  beforeAll(async () => {
    const { resources } = await synthStack({
      enableAppMesh: "false",
      kubernetesVersion: "1.35",
      addons: { prometheus: true, fluentBit },
    });
    const h = handed(resources);
    check = promcheck(h.rules, h.alertmanager);
  });

  it("parse as Prometheus rules, every expression valid PromQL", () => {
    expect(check.rules).toEqual([]);
  });

  it("load as an Alertmanager configuration (SNS with SigV4)", () => {
    expect(check.alertmanager).toEqual([]);
  });

  it("select exactly the metrics each rule declares, all of them kept by the collector", () => {
    const rules = platformAlertRules(fluentBit);
    expect(check.reads).toEqual(
      Object.fromEntries(rules.map((r) => [r.alert, [...r.reads].sort()])),
    );
    const kept = new Set(scrapeJobs(fluentBit).flatMap((j) => j.keeps));
    for (const names of Object.values(check.reads))
      for (const n of names) expect(kept).toContain(n);
  });
});

describe("promcheck refuses what AMP would refuse", () => {
  const RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n";
  const AM =
    "route:\n  receiver: r\nreceivers:\n  - name: r\n    sns_configs:\n      - topic_arn: arn:aws:sns:us-east-1:123456789012:t\n        sigv4:\n          region: us-east-1\n";

  it("accepts a minimal good pair", () => {
    expect(promcheck(RULES, AM)).toMatchObject({ rules: [], alertmanager: [] });
  });

  it("a broken expression, a rule without a name, a bad duration", () => {
    expect(promcheck(RULES.replace("up == 0", "sum(up"), AM).rules).toEqual([
      expect.stringMatching(/could not parse expression/),
    ]);
    expect(promcheck(RULES.replace("alert: A", "alert: ''"), AM).rules.length).toBeGreaterThan(0);
    expect(
      promcheck(RULES.replace("expr: up == 0", "expr: up == 0\n        for: 5 minutes"), AM).rules
        .length,
    ).toBeGreaterThan(0);
  });

  it("an unknown field, an SNS receiver with no topic, a route to no receiver", () => {
    expect(promcheck(RULES, AM.replace("sigv4:", "sigv5:")).alertmanager).toEqual([
      expect.stringMatching(/sigv5/),
    ]);
    expect(
      promcheck(RULES, AM.replace("topic_arn: arn:aws:sns:us-east-1:123456789012:t", "subject: x"))
        .alertmanager.length,
    ).toBe(1);
    expect(promcheck(RULES, AM.replace("receiver: r", "receiver: nobody")).alertmanager).toEqual([
      expect.stringMatching(/nobody/),
    ]);
  });
});
