/**
 * Threat detection: GuardDuty (EKS audit logs, runtime monitoring with the agent tap installs and
 * its endpoint), Security Hub with two standards, and the two rules that send findings worth an
 * alert to a topic only EventBridge may publish to; what the account already has is adopted,
 * never changed, and never disabled.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AccountSecurityLookups,
  AccountSecurityState,
  EMPTY_ACCOUNT,
  GUARDDUTY_FINDINGS_PATTERN,
  accountSecurityState,
  adoptionWarnings,
  ownershipRecordName,
  securityHubFindingsPattern,
} from "../../../../lib/addons/threat-detection";
import { resolveConfig } from "../../../../lib/config";
import { PolicyDocument } from "../../../../lib/iam/policy";
import { TapStack } from "../../../../lib/tap-stack";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  mockTap,
  ofType,
  synthStack,
  named,
} from "../../../helpers/mocks";
// bin/tap.ts is a CommonJS `export =` (what the Pulumi runtime calls).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import main = require("../../../../bin/tap");

const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: { threatDetection: { email: "soc@example.com" } },
};
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:tap-security-alerts-dev`;
const RULE = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}-dev`;
const one = (resources: readonly RecordedResource[], type: string) => {
  const all = ofType(resources, type);
  if (all.length !== 1) throw new Error(`${all.length} of ${type}`);
  return all[0];
};

const synthWith = (account: AccountSecurityState, addons: unknown = ON.addons) =>
  mockTap(
    () =>
      new TapStack("tap", {
        resolved: resolveConfig({ ...ON, addons }, { stackName: "dev", env: {} }),
        accountSecurity: account,
      }),
  );

describe("threat detection's config", () => {
  it("reports every bad setting at once", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: {
          threatDetection: { email: "soc", runtimeMonitoring: "sometimes", securityHub: 1 },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.threatDetection\.email: .*"soc"/),
      expect.stringMatching(/^tap:addons\.threatDetection\.runtimeMonitoring: .*"sometimes"/),
      expect.stringMatching(/^tap:addons\.threatDetection\.securityHub: .*true or false \(got 1\)/),
    ]);
  });
});

describe("threat detection in an account that has neither service", () => {
  const synth = () => synthStack(ON);

  it("enables GuardDuty with EKS audit logs and runtime monitoring, the agent managed by tap", async () => {
    const { resources } = await synth();
    expect(one(resources, "aws:guardduty/detector:Detector").inputs).toMatchObject({
      enable: true,
      findingPublishingFrequency: "FIFTEEN_MINUTES",
    });
    const features = ofType(resources, "aws:guardduty/detectorFeature:DetectorFeature").map(
      (f) => f.inputs,
    );
    expect(features).toEqual([
      expect.objectContaining({ name: "EKS_AUDIT_LOGS", status: "ENABLED" }),
      expect.objectContaining({
        name: "RUNTIME_MONITORING",
        status: "ENABLED",
        // GuardDuty's own agent management would leave an endpoint and a group in tap's VPC.
        additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "DISABLED" }],
      }),
    ]);
    const endpoint = named(resources, "tap-guardduty-data-dev");
    expect(endpoint.inputs).toMatchObject({
      serviceName: `com.amazonaws.${REGION}.guardduty-data`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
    });
    const endpointPolicy = JSON.parse(String(endpoint.inputs.policy)) as PolicyDocument;
    expect(endpointPolicy.Statement[1]).toMatchObject({
      Effect: "Deny",
      Condition: { StringNotEquals: { "aws:PrincipalAccount": ACCOUNT } },
    });
    const sg = named(resources, "tap-guardduty-endpoint-dev");
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] }),
    ]);
    const agent = ofType(resources, "aws:eks/addon:Addon").find(
      (a) => a.inputs.addonName === "aws-guardduty-agent",
    );
    // It starts once its endpoint answers and runtime monitoring is on.
    expect(agent?.dependencies).toEqual(
      expect.arrayContaining([endpoint.urn, named(resources, "tap-guardduty-runtime-dev").urn]),
    );
  });

  it("enables Security Hub with exactly the foundational and CIS standards", async () => {
    const { resources } = await synth();
    const hub = one(resources, "aws:securityhub/account:Account");
    expect(hub.inputs).toMatchObject({
      enableDefaultStandards: false,
      controlFindingGenerator: "SECURITY_CONTROL",
    });
    const standards = ofType(
      resources,
      "aws:securityhub/standardsSubscription:StandardsSubscription",
    );
    expect(standards.map((s) => s.inputs.standardsArn)).toEqual([
      `arn:aws:securityhub:${REGION}::standards/aws-foundational-security-best-practices/v/1.0.0`,
      `arn:aws:securityhub:${REGION}::standards/cis-aws-foundations-benchmark/v/3.0.0`,
    ]);
    for (const s of standards) expect(s.dependencies).toContain(hub.urn);
  });

  it("records what it enabled before enabling it, so a later run never mistakes it", async () => {
    const { resources } = await synth();
    const record = named(resources, "tap-enabled-account-services-dev");
    expect(record.inputs).toMatchObject({
      name: ownershipRecordName("dev"),
      insecureValue: "guardduty,securityhub",
    });
    expect(one(resources, "aws:guardduty/detector:Detector").dependencies).toContain(record.urn);
    expect(one(resources, "aws:securityhub/account:Account").dependencies).toContain(record.urn);
  });

  it("routes both rules to the encrypted topic, after the topic admits them", async () => {
    const { resources } = await synth();
    const rules = ofType(resources, "aws:cloudwatch/eventRule:EventRule");
    expect(rules.map((r) => r.inputs.name)).toEqual([
      "tap-guardduty-findings-dev",
      "tap-securityhub-findings-dev",
    ]);
    // What is deployed is what patterns.test.ts matches against the samples.
    expect(rules.map((r) => JSON.parse(String(r.inputs.eventPattern)) as unknown)).toEqual([
      GUARDDUTY_FINDINGS_PATTERN,
      securityHubFindingsPattern("aws", REGION),
    ]);
    const policy = one(resources, "aws:sns/topicPolicy:TopicPolicy");
    for (const t of ofType(resources, "aws:cloudwatch/eventTarget:EventTarget")) {
      expect(t.inputs.arn).toBe(TOPIC);
      expect(t.dependencies).toContain(policy.urn);
    }
    const topic = one(resources, "aws:sns/topic:Topic");
    expect(topic.inputs.kmsMasterKeyId).toBe(
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-security-alerts-kms-dev`,
    );
    expect(one(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      protocol: "email",
      endpoint: "soc@example.com",
    });
  });

  it("lets only EventBridge publish, never for another account or another rule", async () => {
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
    const ev = "events.amazonaws.com";
    // AWS documents no condition keys for this delivery: it must work without them.
    await expect(publish(ev, {})).resolves.toBe("Allowed");
    for (const rule of ["tap-guardduty-findings", "tap-securityhub-findings"])
      await expect(
        publish(ev, { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": RULE(rule) }),
      ).resolves.toBe("Allowed");
    await expect(publish(ev, { "aws:SourceAccount": "210987654321" })).resolves.toBe(
      "ExplicitlyDenied",
    );
    await expect(publish(ev, { "aws:SourceArn": RULE("someone-elses") })).resolves.toBe(
      "ExplicitlyDenied",
    );
    await expect(publish("budgets.amazonaws.com", {})).resolves.toBe("ImplicitlyDenied");
    await expect(publish("arn:aws:iam::210987654321:root", {})).resolves.toBe("ImplicitlyDenied");
    // The key is its own: EventBridge may use it, tap's own key grants EventBridge nothing.
    const key = named(resources, "tap-security-alerts-kms-dev");
    const keyPolicy = JSON.parse(String(key.inputs.policy)) as PolicyDocument;
    expect(keyPolicy.Statement.find((s) => s.Sid === "EventBridgeUsesKey")).toMatchObject({
      Principal: { Service: ev },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    });
    expect(String(named(resources, "tap-kms-dev").inputs.policy)).not.toMatch(/events\./);
  });

  it("passes tap's policy pack", async () => {
    const { resources } = await synth();
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-04" } },
    });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });
});

describe("threat detection in an account that has both", () => {
  const adopted: AccountSecurityState = {
    adoptedDetector: {
      id: "12abc34d567e8fa901bc2d34e56789f0",
      features: { EKS_AUDIT_LOGS: "ENABLED", RUNTIME_MONITORING: "DISABLED" },
    },
    securityHubAdopted: true,
  };

  it("creates, changes and so disables none of them, and still routes their findings", async () => {
    const { resources } = await synthWith(adopted);
    for (const t of [
      "aws:guardduty/detector:Detector",
      "aws:guardduty/detectorFeature:DetectorFeature",
      "aws:securityhub/account:Account",
      "aws:securityhub/standardsSubscription:StandardsSubscription",
      "aws:ec2/vpcEndpoint:VpcEndpoint",
    ])
      expect(ofType(resources, t)).toEqual([]);
    expect(resources.map((r) => r.name)).not.toContain("tap-enabled-account-services-dev");
    expect(ofType(resources, "aws:eks/addon:Addon").map((a) => a.inputs.addonName)).not.toContain(
      "aws-guardduty-agent",
    );
    expect(ofType(resources, "aws:cloudwatch/eventRule:EventRule")).toHaveLength(2);
    // Ten fewer: the record, the detector and its two features, the agent, its endpoint and
    // group, the hub and its two standards (the README's count).
    const { resources: enabling } = await synthWith(EMPTY_ACCOUNT);
    expect(enabling.length - resources.length).toBe(10);
  });

  it("records only what it enables when it adopts one of the two", async () => {
    const { resources } = await synthWith({ securityHubAdopted: true });
    expect(named(resources, "tap-enabled-account-services-dev").inputs.insecureValue).toBe(
      "guardduty",
    );
    expect(ofType(resources, "aws:securityhub/account:Account")).toEqual([]);
  });

  it("says so, and what the adopted detector lacks", () => {
    const [detector, hub] = adoptionWarnings(adopted, {
      runtimeMonitoring: true,
      securityHub: true,
    });
    expect(detector).toMatch(/detector 12abc34d567e8fa901bc2d34e56789f0/);
    expect(detector).toMatch(/RUNTIME_MONITORING is DISABLED/);
    expect(detector).toMatch(/destroy leaves it on/);
    expect(hub).toMatch(/Security Hub is already on/);
    expect(adoptionWarnings(EMPTY_ACCOUNT, { runtimeMonitoring: true, securityHub: true })).toEqual(
      [],
    );
  });

  it("without Security Hub, makes no Security Hub rule", async () => {
    const { resources } = await synthWith(EMPTY_ACCOUNT, {
      threatDetection: { securityHub: false, runtimeMonitoring: false },
    });
    expect(
      ofType(resources, "aws:cloudwatch/eventRule:EventRule").map((r) => r.inputs.name),
    ).toEqual(["tap-guardduty-findings-dev"]);
    expect(ofType(resources, "aws:guardduty/detectorFeature:DetectorFeature")).toHaveLength(1);
    expect(ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")).toEqual([]);
  });
});

describe("reading what the account has", () => {
  const lookups = (
    record: string | undefined,
    detector: boolean,
    hub: boolean,
  ): AccountSecurityLookups & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      record: (name) => (asked.push(`record ${name}`), Promise.resolve(record)),
      detector: () => (
        asked.push("detector"),
        Promise.resolve(detector ? { id: "d-1", features: {} } : undefined)
      ),
      securityHubEnabled: () => (asked.push("hub"), Promise.resolve(hub)),
    };
  };

  it("adopts what is there and this stack did not enable", async () => {
    await expect(
      accountSecurityState("dev", true, lookups(undefined, true, true)),
    ).resolves.toEqual({ adoptedDetector: { id: "d-1", features: {} }, securityHubAdopted: true });
    await expect(
      accountSecurityState("dev", true, lookups(undefined, false, false)),
    ).resolves.toEqual(EMPTY_ACCOUNT);
  });

  it("keeps what its record names as its own, whatever the account shows", async () => {
    const l = lookups("guardduty,securityhub", true, true);
    await expect(accountSecurityState("dev", true, l)).resolves.toEqual(EMPTY_ACCOUNT);
    expect(l.asked).toEqual(["record /tap/dev/enabled-account-services"]);
  });

  it("does not ask about Security Hub with it off", async () => {
    const l = lookups(undefined, false, true);
    await expect(accountSecurityState("dev", false, l)).resolves.toEqual(EMPTY_ACCOUNT);
    expect(l.asked).not.toContain("hub");
  });

  it("is read by the program only with the capability on", async () => {
    const run = (addons: string) =>
      mockTap(async () => {
        pulumi.runtime.setAllConfig({
          "tap:kubernetesVersion": "1.35",
          "tap:enableAppMesh": "false",
          "tap:addons": addons,
        });
        const l = lookups(undefined, true, false);
        await main(undefined, {}, l);
        return l.asked;
      });
    const on = await run(JSON.stringify({ threatDetection: true }));
    expect(on.value).toEqual(["record /tap/dev/enabled-account-services", "detector", "hub"]);
    expect(ofType(on.resources, "aws:guardduty/detector:Detector")).toEqual([]);
    const off = await run("{}");
    expect(off.value).toEqual([]);
  });
});
