/**
 * Falco: the release (modern eBPF, least privileged, every taint, no downloads, tap's rules, every
 * rule evaluated), Falcosidekick's two AWS outputs and the IRSA role that may reach exactly them,
 * the log group and stream tap creates, and the security alerts topic it shares with threat
 * detection. With it off, none of it exists.
 */
import {
  FALCO_DEFAULTS,
  TAP_RULES_FILE,
  falcoLogGroupName,
  tapFalcoRulesText,
} from "../../../../lib/addons/falco";
import { SUPPORTED_KUBERNETES_VERSIONS, pinsFor } from "../../../../lib/addons/versions";
import { PolicyDocument } from "../../../../lib/iam/policy";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  RecordedResource,
  ofType,
  one,
  policyOf,
  synthStack,
  named,
} from "../../../helpers/mocks";

const ON = { enableAppMesh: "false", kubernetesVersion: "1.35", addons: { falco: true } };
const CLUSTER = "tap-eks-dev";
const GROUP = `/aws/eks/${CLUSTER}/falco`;
const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}`;
const STREAM = "falcosidekick-dev";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:tap-security-alerts-dev`;
const ALERTS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-security-alerts-kms-dev`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-falco-dev`;
const SNS_VIA = { "kms:ViaService": `sns.${REGION}.amazonaws.com` };

type Values = {
  readonly [k: string]: unknown;
  falcosidekick: { config: { aws: Record<string, unknown> } } & Record<string, unknown>;
};
const release = (resources: readonly RecordedResource[]) => {
  const r = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
    (x) => x.inputs.name === "falco",
  );
  if (!r) throw new Error("no falco release");
  return r;
};

describe("Falco's config", () => {
  it("reports a priority Falco does not have and a bad address, at once", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { falco: { alertPriority: "severe", email: "soc" } },
      }),
    ).toEqual([
      expect.stringMatching(
        /^tap:addons\.falco\.alertPriority: .*emergency, alert, critical.*"severe"/,
      ),
      expect.stringMatching(/^tap:addons\.falco\.email: .*"soc"/),
    ]);
  });

  it("is pinned to chart 9.1.0 (Falco 0.44.1) on every minor", () => {
    for (const v of SUPPORTED_KUBERNETES_VERSIONS)
      expect(pinsFor(v).falco).toMatchObject({
        chart: "falco",
        version: "9.1.0",
        image: { repository: "docker.io/falcosecurity/falco", tag: "0.44.1" },
      });
  });
});

describe("Falco on", () => {
  it("runs on every node with the modern eBPF driver, least privileged, offline, with tap's rules", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources);
    expect(r.inputs).toMatchObject({
      chart: "falco",
      version: "9.1.0",
      namespace: "falco",
      repositoryOpts: { repo: "https://falcosecurity.github.io/charts" },
    });
    const v = r.inputs.values as Values;
    expect(v).toMatchObject({
      image: { registry: "docker.io", repository: "falcosecurity/falco", tag: "0.44.1" },
      driver: { kind: "modern_ebpf", modernEbpf: { leastPrivileged: true } },
      tolerations: [{ operator: "Exists" }],
      falcoctl: { artifact: { install: { enabled: false }, follow: { enabled: false } } },
      falco: { rule_matching: "all" },
    });
    // The catalog's namespaces are the payments system's.
    const text = (v.customRules as Record<string, string>)[TAP_RULES_FILE];
    expect(text).toBe(tapFalcoRulesText(["gateway", "payments", "ledger"]));
    const ns = named(resources, "falco-ns-dev").inputs.metadata as {
      labels: Record<string, string>;
    };
    expect(ns.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("forwards every event to tap's log group and alerts of alertPriority or worse to the topic", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { falco: { alertPriority: "critical" } },
    });
    const v = release(resources).inputs.values as Values;
    expect(v.falcosidekick).toMatchObject({
      enabled: true,
      replicaCount: 2,
      image: { tag: "2.34.1" },
      nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
    });
    expect(v.falcosidekick.config.aws).toEqual({
      useirsa: true,
      rolearn: ROLE_ARN,
      region: REGION,
      checkidentity: true,
      cloudwatchlogs: { loggroup: GROUP, logstream: STREAM, minimumpriority: "debug" },
      sns: { topicarn: TOPIC, rawjson: false, minimumpriority: "critical" },
    });
    const group = named(resources, "tap-falco-logs-dev");
    expect(group.inputs).toMatchObject({
      name: falcoLogGroupName(CLUSTER),
      kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`,
      retentionInDays: 30,
    });
    expect(named(resources, "tap-falco-log-stream-dev").inputs).toMatchObject({
      name: STREAM,
      logGroupName: GROUP,
    });
    // tap's key lets CloudWatch Logs use it for that group.
    expect(String(named(resources, "tap-kms-dev").inputs.policy)).toContain(GROUP_ARN);
    // The stream and the topic's policy are there before the first event is forwarded.
    const deps = release(resources).dependencies;
    expect(deps).toEqual(
      expect.arrayContaining([
        named(resources, "tap-falco-log-stream-dev").urn,
        named(resources, "tap-security-alerts-policy-dev").urn,
      ]),
    );
  });

  it("lets Falcosidekick write only its stream and publish only to its topic, through SNS", async () => {
    const { resources } = await synthStack(ON);
    const policy = policyOf(named(resources, "tap-falco-policy-dev"));
    const keyPolicy = policyOf(named(resources, "tap-security-alerts-kms-dev"));
    const may = (action: string, resource: string, context: Record<string, string> = {}) =>
      simulate(policy, {
        action,
        resource,
        context,
        ...(action.startsWith("kms:") ? { resourcePolicy: keyPolicy } : {}),
      });
    await expect(may("logs:PutLogEvents", `${GROUP_ARN}:log-stream:${STREAM}`)).resolves.toBe(
      "Allowed",
    );
    for (const [action, resource] of [
      ["logs:PutLogEvents", `${GROUP_ARN}:log-stream:other`],
      [
        "logs:PutLogEvents",
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/eks/${CLUSTER}/application:log-stream:${STREAM}`,
      ],
      ["logs:CreateLogStream", `${GROUP_ARN}:log-stream:${STREAM}`],
      ["logs:CreateLogGroup", GROUP_ARN],
      ["logs:DeleteLogGroup", GROUP_ARN],
      ["sns:Publish", `arn:aws:sns:${REGION}:${ACCOUNT}:tap-cost-alerts-dev`],
      ["sns:Subscribe", TOPIC],
      ["sns:SetTopicAttributes", TOPIC],
    ])
      await expect(may(action, resource)).resolves.toBe("ImplicitlyDenied");
    await expect(may("sns:Publish", TOPIC)).resolves.toBe("Allowed");
    // The topic's key, only as SNS uses it for this publish.
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      await expect(may(action, ALERTS_KEY, SNS_VIA)).resolves.toBe("Allowed");
      await expect(may(action, ALERTS_KEY)).resolves.toBe("ImplicitlyDenied");
      await expect(
        may(action, `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`, SNS_VIA),
      ).resolves.toBe("ImplicitlyDenied");
    }
    await expect(may("kms:Encrypt", ALERTS_KEY, SNS_VIA)).resolves.toBe("ImplicitlyDenied");
  });

  it("trusts exactly falco/falco-falcosidekick with audience sts", async () => {
    const { resources } = await synthStack(ON);
    const trust = policyOf(named(resources, "tap-falco-dev"), "assumeRolePolicy");
    const sim = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud });
    const sa = `system:serviceaccount:falco:${FALCO_DEFAULTS.sidekickServiceAccount}`;
    await expect(sim(sa)).resolves.toBe("Allowed");
    await expect(sim("system:serviceaccount:falco:falco")).resolves.toBe("ImplicitlyDenied");
    await expect(sim(sa, "other")).resolves.toBe("ImplicitlyDenied");
  });

  it("alone, makes the alerts topic, which nothing may publish to without IAM or over plain HTTP", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { falco: { email: "soc@example.com" } },
    });
    const topicPolicy = policyOf(one(resources, "aws:sns/topicPolicy:TopicPolicy"));
    const role = policyOf(named(resources, "tap-falco-policy-dev"));
    const none: PolicyDocument = { Version: "2012-10-17", Statement: [] };
    const publish = (identity: PolicyDocument, principal: string, tls = "true") =>
      simulate(identity, {
        action: "sns:Publish",
        resource: TOPIC,
        principal,
        context: { "aws:SecureTransport": tls },
        resourcePolicy: topicPolicy,
      });
    await expect(publish(role, ROLE_ARN)).resolves.toBe("Allowed");
    await expect(publish(role, ROLE_ARN, "false")).resolves.toBe("ExplicitlyDenied");
    // No statement admits anyone: not EventBridge (no rules), not another role of the account.
    await expect(publish(none, "events.amazonaws.com")).resolves.toBe("ImplicitlyDenied");
    await expect(publish(none, `arn:aws:iam::${ACCOUNT}:role/someone`)).resolves.toBe(
      "ImplicitlyDenied",
    );
    expect(ofType(resources, "aws:cloudwatch/eventRule:EventRule")).toEqual([]);
    expect(one(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({
      topic: TOPIC,
      protocol: "email",
      endpoint: "soc@example.com",
    });
  });

  it("with threat detection, shares its topic and subscribes its own address once", async () => {
    const both = (falco: object, threatDetection: object) =>
      synthStack({ ...ON, addons: { falco, threatDetection } });
    const { resources, value: stack } = await both(
      { email: "falco@example.com" },
      { email: "soc@example.com" },
    );
    expect(ofType(resources, "aws:sns/topic:Topic").map((t) => t.inputs.name)).toEqual([
      "tap-security-alerts-dev",
    ]);
    expect(
      ofType(resources, "aws:sns/topicSubscription:TopicSubscription").map(
        (s) => s.inputs.endpoint,
      ),
    ).toEqual(["soc@example.com", "falco@example.com"]);
    const v = release(resources).inputs.values as Values;
    expect(v.falcosidekick.config.aws).toMatchObject({ sns: { topicarn: TOPIC } });
    await expect(new Promise((done) => stack.securityAlertsTopicArn.apply(done))).resolves.toBe(
      TOPIC,
    );
    const same = await both({ email: "soc@example.com" }, { email: "soc@example.com" });
    expect(ofType(same.resources, "aws:sns/topicSubscription:TopicSubscription")).toHaveLength(1);
  });

  it("passes tap's policy pack", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { falco: true, threatDetection: true },
    });
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-04" } },
    });
    expect(violations.filter((x) => x.enforcementLevel === "mandatory")).toEqual([]);
  });
});

describe("Falco off", () => {
  it("leaves no trace", async () => {
    const { resources, value: stack } = await synthStack({ ...ON, addons: {} });
    expect(resources.filter((r) => /falco/.test(r.name))).toEqual([]);
    expect(ofType(resources, "aws:sns/topic:Topic").map((t) => t.inputs.name)).not.toContain(
      "tap-security-alerts-dev",
    );
    expect(String(named(resources, "tap-kms-dev").inputs.policy)).not.toContain("falco");
    await expect(
      new Promise((done) => stack.securityAlertsTopicArn.apply(done)),
    ).resolves.toBeUndefined();
  });
});
