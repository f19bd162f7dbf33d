/**
 * Prometheus (tap:addons.prometheus): an encrypted workspace, kube-state-metrics and a collector
 * that scrapes what the alerts read and may write to that workspace only, the alerts as the
 * workspace's rules to a topic only its alert manager may publish to, Managed Grafana reading that
 * workspace only, and nothing of it with it off.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
  COLLECTOR_CLUSTER_RULES,
  KUBE_STATE_METRICS,
  PROMETHEUS_DEFAULTS,
  agentConfig,
  platformAlertRules,
  scrapeJobs,
} from "../../../../lib/addons/prometheus";
import { SUPPORTED_KUBERNETES_VERSIONS, pinsFor } from "../../../../lib/addons/versions";
import { endpointServices } from "../../../../lib/endpoints";
import { resolveConfig } from "../../../../lib/config";
import { PolicyDocument } from "../../../../lib/iam/policy";
import { loadChartFacts } from "../../../helpers/chart-facts";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  RecordedResource,
  named,
  ofType,
  policyOf,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";

const ON = { enableAppMesh: "false", kubernetesVersion: "1.35", addons: { prometheus: true } };
const GRAFANA = { ...ON, addons: { prometheus: { grafana: true } } };
const RELEASE = "kubernetes:helm.sh/v3:Release";
const WORKSPACE_ID = "tap-prometheus-dev-id";
const WORKSPACE = `arn:aws:aps:${REGION}:${ACCOUNT}:workspace/${WORKSPACE_ID}`;
const OTHER_WORKSPACE = `arn:aws:aps:${REGION}:${ACCOUNT}:workspace/ws-someone-else`;
const AGENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/tap-prometheus-agent-dev`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:tap-alarms-dev`;
const NONE: PolicyDocument = { Version: "2012-10-17", Statement: [] };
type Obj = Record<string, unknown>;

const release = (resources: readonly RecordedResource[], name: string) =>
  ofType(resources, RELEASE).find((r) => r.inputs.name === name);
const docOf = (r: RecordedResource, key = "policy") =>
  JSON.parse(String(r.inputs[key])) as PolicyDocument;

describe("prometheus's config", () => {
  it("takes grafana as true or false, naming the key and the bad value", () => {
    expect(
      configProblems({ enableAppMesh: "false", addons: { prometheus: { grafana: "yes" } } }),
    ).toEqual([
      'tap:addons.prometheus.grafana: tap:addons.prometheus.grafana must be true or false (got "yes")',
    ]);
    const cfg = resolveConfig(
      { enableAppMesh: "false", addons: { prometheus: { grafana: "true" } } },
      { stackName: "dev", env: {} },
    ).config;
    expect(cfg.addons.prometheus).toBe(true);
    expect(cfg.addonSettings.prometheus).toEqual({ grafana: true });
  });

  it("is the option to Container Insights, not a second copy of its alarms", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { prometheus: true, containerInsights: true },
      }),
    ).toEqual([
      expect.stringMatching(
        /tap:addons\.containerInsights and tap:addons\.prometheus cannot both be on: turn one off/,
      ),
    ]);
  });

  it("pins kube-state-metrics per minor: the release whose client-go is that minor", () => {
    expect(
      Object.fromEntries(
        SUPPORTED_KUBERNETES_VERSIONS.map((v) => {
          const p = pinsFor(v).kubeStateMetrics;
          return [v, `${p.version} ${p.image.repository}:${p.image.tag}`];
        }),
      ),
    ).toEqual({
      "1.28": "5.18.0 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.11.0",
      "1.31": "5.29.0 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0",
      "1.32": "6.1.5 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0",
      "1.33": "7.0.1 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0",
      "1.34": "7.3.0 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.18.0",
      "1.35": "8.3.1 registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.19.1",
    });
  });
});

describe("prometheus on", () => {
  it("makes a workspace encrypted with a key of its own that serves only the workspace's service", async () => {
    const { resources } = await synthStack(ON);
    const ws = named(resources, "tap-prometheus-dev");
    expect(ws.inputs).toMatchObject({
      alias: "tap-prometheus-dev",
      kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-prometheus-kms-dev`,
    });
    const key = named(resources, "tap-prometheus-kms-dev");
    expect(key.inputs.enableKeyRotation).toBe(true);
    const policy = docOf(key);
    const use = (context: Record<string, string>, action = "kms:GenerateDataKey") =>
      simulate(NONE, {
        action,
        resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-tap-prometheus-kms-dev`,
        principal: AGENT_ROLE,
        context,
        resourcePolicy: policy,
      });
    const via = { "kms:ViaService": `aps.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT };
    await expect(use(via)).resolves.toBe("Allowed");
    await expect(use(via, "kms:Decrypt")).resolves.toBe("Allowed");
    // Not directly, not through another service, not for another account, and never to encrypt.
    await expect(use({ "kms:CallerAccount": ACCOUNT })).resolves.toBe("ImplicitlyDenied");
    await expect(use({ ...via, "kms:ViaService": `s3.${REGION}.amazonaws.com` })).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(use({ ...via, "kms:CallerAccount": "210987654321" })).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(use(via, "kms:ScheduleKeyDeletion")).resolves.toBe("ImplicitlyDenied");
  });

  it("runs kube-state-metrics with only the nodes and pods collectors, on on-demand nodes", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources, KUBE_STATE_METRICS.releaseName);
    expect(r?.inputs).toMatchObject({
      chart: "kube-state-metrics",
      version: "8.3.1",
      repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
      namespace: "prometheus",
      values: {
        collectors: ["nodes", "pods"],
        fullnameOverride: "kube-state-metrics",
        image: { tag: "v2.19.1" },
        nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
      },
    });
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find(
      (n) => (n.inputs.metadata as Obj).name === "prometheus",
    );
    expect((ns?.inputs.metadata as { labels: Obj }).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  it("runs one contrib collector that scrapes and remote-writes to the workspace, serving nothing", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources, PROMETHEUS_DEFAULTS.collectorName);
    const values = r?.inputs.values as Obj;
    expect(r?.inputs).toMatchObject({
      chart: "opentelemetry-collector",
      version: pinsFor("1.35").tracing.version,
      namespace: "prometheus",
    });
    expect(values).toMatchObject({
      mode: "deployment",
      replicaCount: 1,
      image: { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" },
      service: { enabled: false },
      serviceAccount: {
        create: true,
        name: "prometheus-agent",
        annotations: { "eks.amazonaws.com/role-arn": AGENT_ROLE },
      },
    });
    for (const p of Object.values(values.ports as Record<string, { enabled: boolean }>))
      expect(p.enabled).toBe(false);
    const config = values.alternateConfig as Obj;
    expect(config).toEqual(
      agentConfig({
        region: REGION,
        remoteWriteUrl: `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${WORKSPACE_ID}/api/v1/remote_write`,
        cluster: "tap-eks-dev",
        fluentBit: true,
      }),
    );
    expect((config.exporters as Obj).prometheusremotewrite).toMatchObject({
      endpoint: expect.stringMatching(/^https:\/\/aps-workspaces\..*\/api\/v1\/remote_write$/),
      auth: { authenticator: "sigv4auth" },
    });
    expect((config.extensions as Obj).sigv4auth).toEqual({ region: REGION, service: "aps" });
  });

  it("reads the API as discovery and the kubelets' metrics only: never nodes/proxy, never a write", () => {
    const rules = COLLECTOR_CLUSTER_RULES.flatMap((r) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    );
    expect(rules).toContain("nodes/metrics:get");
    expect(rules.filter((r) => r.startsWith("nodes/proxy"))).toEqual([]);
    expect(rules.filter((r) => !/:(get|list|watch)$/.test(r))).toEqual([]);
    expect(rules.filter((r) => r.startsWith("secrets"))).toEqual([]);
  });

  it("may remote-write to tap's workspace and nothing else, as prometheus/prometheus-agent alone", async () => {
    const { resources } = await synthStack(ON);
    const policy = policyOf(named(resources, "tap-prometheus-agent-policy-dev"));
    await expect(
      simulate(policy, { action: "aps:RemoteWrite", resource: WORKSPACE }),
    ).resolves.toBe("Allowed");
    await expect(
      simulate(policy, { action: "aps:RemoteWrite", resource: OTHER_WORKSPACE }),
    ).resolves.toBe("ImplicitlyDenied");
    for (const action of [
      "aps:QueryMetrics",
      "aps:DeleteWorkspace",
      "aps:PutAlertManagerDefinition",
    ])
      await expect(simulate(policy, { action, resource: WORKSPACE })).resolves.toBe(
        "ImplicitlyDenied",
      );
    await expect(
      simulate(policy, {
        action: "aps:PutRuleGroupsNamespace",
        resource: `arn:aws:aps:${REGION}:${ACCOUNT}:rulegroupsnamespace/${WORKSPACE_ID}/tap-platform-dev`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(
      simulate(policy, { action: "cloudwatch:PutMetricData", resource: "*" }),
    ).resolves.toBe("ImplicitlyDenied");
    const trust = policyOf(named(resources, "tap-prometheus-agent-dev"), "assumeRolePolicy");
    const sim = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, AGENT_ROLE, { sub, aud });
    await expect(sim("system:serviceaccount:prometheus:prometheus-agent")).resolves.toBe("Allowed");
    await expect(sim("system:serviceaccount:prometheus:kube-state-metrics")).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(sim("system:serviceaccount:prometheus:prometheus-agent", "x")).resolves.toBe(
      "ImplicitlyDenied",
    );
    // kube-state-metrics calls no AWS API: no role.
    expect(resources.filter((r) => r.name.startsWith("tap-kube-state-metrics"))).toEqual([]);
  });

  it("puts the platform alerts in the workspace, its alert manager publishing to the alarm topic", async () => {
    const { resources, value } = await synthStack(ON);
    const rules = named(resources, "tap-prometheus-rules-dev");
    expect(rules.inputs).toMatchObject({ name: "tap-platform-dev", workspaceId: WORKSPACE_ID });
    const data = YAML.parse(String(rules.inputs.data)) as {
      groups: { name: string; rules: { alert: string; expr: string; labels: Obj }[] }[];
    };
    expect(data.groups[0].rules.map((r) => r.alert)).toEqual([
      "TapNodeNotReady",
      "TapPodsPending",
      "TapNodeCpuSaturated",
      "TapNodeMemorySaturated",
      "TapFluentBitOutputErrors",
      "TapMetricsMissing",
    ]);
    for (const r of data.groups[0].rules) expect(r.labels.cluster).toBe("tap-eks-dev");

    const am = named(resources, "tap-prometheus-alertmanager-dev");
    expect(am.inputs.workspaceId).toBe(WORKSPACE_ID);
    const outer = YAML.parse(String(am.inputs.definition)) as { alertmanager_config: string };
    expect(Object.keys(outer)).toEqual(["alertmanager_config"]);
    const config = YAML.parse(outer.alertmanager_config) as {
      route: { receiver: string };
      receivers: { name: string; sns_configs: Obj[] }[];
    };
    expect(config.receivers).toEqual([
      {
        name: config.route.receiver,
        sns_configs: [expect.objectContaining({ topic_arn: TOPIC, sigv4: { region: REGION } })],
      },
    ]);
    await expect(valueOf(value.alarmTopicArn)).resolves.toBe(TOPIC);
    await expect(valueOf(value.prometheusWorkspaceId)).resolves.toBe(WORKSPACE_ID);
    await expect(valueOf(value.prometheusEndpoint)).resolves.toBe(
      `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${WORKSPACE_ID}/`,
    );
    await expect(valueOf(value.grafanaUrl)).resolves.toBeUndefined();
  });

  it("lets only tap's workspace publish to the alarm topic, encrypted with a key of its own", async () => {
    const { resources } = await synthStack(ON);
    const policy = docOf(named(resources, "tap-alarms-policy-dev"));
    const publish = (principal: string, context: Record<string, string>, action = "sns:Publish") =>
      simulate(NONE, { action, resource: TOPIC, principal, context, resourcePolicy: policy });
    const ours = { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": WORKSPACE };
    await expect(publish("aps.amazonaws.com", ours)).resolves.toBe("Allowed");
    await expect(publish("aps.amazonaws.com", ours, "sns:GetTopicAttributes")).resolves.toBe(
      "Allowed",
    );
    await expect(
      publish("aps.amazonaws.com", { ...ours, "aws:SourceArn": OTHER_WORKSPACE }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(publish("aps.amazonaws.com", ours, "sns:Subscribe")).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(publish("cloudwatch.amazonaws.com", ours)).resolves.toBe("ImplicitlyDenied");
    await expect(publish(`arn:aws:iam::210987654321:root`, {})).resolves.toBe("ImplicitlyDenied");
    const topic = named(resources, "tap-alarms-dev");
    expect(topic.inputs.kmsMasterKeyId).toBe(
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-alarms-kms-dev`,
    );
    const keyPolicy = docOf(named(resources, "tap-alarms-kms-dev"));
    expect(keyPolicy.Statement.find((s) => s.Sid === "PrometheusAlertManagerUsesKey")).toEqual(
      expect.objectContaining({
        Principal: { Service: "aps.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      }),
    );
  });

  it("reaches the workspace through a VPC endpoint", () => {
    const cfg = resolveConfig(ON, { stackName: "dev", env: {} }).config;
    expect(endpointServices(cfg).map((e) => e.service)).toContain("aps-workspaces");
    const off = resolveConfig({ ...ON, addons: {} }, { stackName: "dev", env: {} }).config;
    expect(endpointServices(off).map((e) => e.service)).not.toContain("aps-workspaces");
  });
});

describe("the alerts read what the collector keeps, and the exporters publish", () => {
  const facts = fs.readFileSync(path.join(__dirname, "../../../../facts/prometheus.md"), "utf8");

  it.each([true, false])("with Fluent Bit %s", (fluentBit) => {
    const kept = new Set(scrapeJobs(fluentBit).flatMap((j) => j.keeps));
    const rules = platformAlertRules(fluentBit);
    for (const r of rules) {
      for (const m of r.reads) {
        expect(kept).toContain(m);
        expect(r.expr).toContain(m);
      }
      // Every metric name in the expression is one it declares.
      const names = r.expr.match(/\b[a-z]+(?:_[a-z]+)+\b/g) ?? [];
      expect(names.filter((n) => !r.reads.includes(n))).toEqual([]);
    }
    // ...and every kept series is read by an alert (nothing written that nothing reads).
    expect([...kept].filter((m) => !rules.some((r) => r.reads.includes(m)))).toEqual([]);
    expect(rules.some((r) => /fluentbit/.test(r.expr))).toBe(fluentBit);
  });

  it("names only metrics facts/prometheus.md records from the exporters' docs", () => {
    for (const m of new Set(platformAlertRules(true).flatMap((r) => r.reads)))
      expect(facts).toContain(`\`${m}`);
  });

  it("scrapes only what the alerts need: Fluent Bit's job goes with Fluent Bit", () => {
    const jobs = (fb: boolean) =>
      (
        (
          agentConfig({ region: REGION, remoteWriteUrl: "u", cluster: "c", fluentBit: fb })
            .receivers as Obj
        ).prometheus as { config: { scrape_configs: { job_name: string }[] } }
      ).config.scrape_configs.map((j) => j.job_name);
    expect(jobs(true)).toEqual(["kube-state-metrics", "kubelet", "fluent-bit"]);
    expect(jobs(false)).toEqual(["kube-state-metrics", "kubelet"]);
  });

  it("writes no `$` the collector would expand in its scrape configuration", () => {
    const text = JSON.stringify(
      agentConfig({ region: REGION, remoteWriteUrl: "u", cluster: "c", fluentBit: true }),
    );
    // The one `${...}` is the health check's pod IP, which the collector is meant to expand.
    expect(text.match(/\$/g)).toHaveLength(1);
    expect(text).toContain("${env:MY_POD_IP}:13133");
  });
});

describe("the collector distribution runs every component of the agent", () => {
  const MODULE_OF: Record<string, string> = {
    "receivers.prometheus": "contrib/receiver/prometheusreceiver",
    "processors.memory_limiter": "core/processor/memorylimiterprocessor",
    "processors.batch": "core/processor/batchprocessor",
    "exporters.prometheusremotewrite": "contrib/exporter/prometheusremotewriteexporter",
    "extensions.health_check": "contrib/extension/healthcheckextension",
    "extensions.sigv4auth": "contrib/extension/sigv4authextension",
  };
  it("at the image's version", () => {
    const facts = JSON.parse(
      fs.readFileSync(
        path.join(__dirname, "../../../../facts/opentelemetry-collector-distributions.json"),
        "utf8",
      ),
    ) as { version: string; distributions: Record<string, { modules: string[] }> };
    const pin = pinsFor("1.35").tracing;
    const config = agentConfig({
      region: REGION,
      remoteWriteUrl: "u",
      cluster: "c",
      fluentBit: true,
    }) as Record<string, Obj>;
    const used = ["receivers", "processors", "exporters", "extensions"].flatMap((kind) =>
      Object.keys(config[kind]).map((id) => `${kind}.${id}`),
    );
    for (const c of used) {
      if (!(c in MODULE_OF)) throw new Error(`no module recorded for ${c}: add it to MODULE_OF`);
      expect(facts.distributions[pin.image.repository].modules).toContain(
        `${MODULE_OF[c]}@v${pin.image.tag}`,
      );
    }
  });
});

describe("the recorded chart facts: what tap's values render", () => {
  type Readings = {
    services: { name: string; ports: { name: string; port: number }[] }[];
    pods: Record<string, { replicas: number; containers: { name: string; args: string[] }[] }>;
    configs: Record<string, { relay: Obj }>;
    pss: Record<string, string[]>;
    clusterRoles: Record<string, unknown>;
  };
  const VARIANT = "enableAppMesh=false, addons.prometheus=true";

  it.each(SUPPORTED_KUBERNETES_VERSIONS)(
    "%s: kube-state-metrics serves the collector's target, watches nodes and pods only, runs restricted",
    (v) => {
      const pin = pinsFor(v).kubeStateMetrics;
      const facts = loadChartFacts("kube-state-metrics")?.versions[pin.version];
      const r = facts?.tapRendered?.[v]?.readings as Readings;
      expect(r.services).toEqual([
        expect.objectContaining({
          name: KUBE_STATE_METRICS.releaseName,
          ports: [expect.objectContaining({ port: KUBE_STATE_METRICS.port })],
        }),
      ]);
      const pod = r.pods[`Deployment/${KUBE_STATE_METRICS.releaseName}`];
      expect(pod.containers[0].args).toContain(
        `--resources=${KUBE_STATE_METRICS.collectors.join(",")}`,
      );
      expect(r.clusterRoles).toEqual({
        [KUBE_STATE_METRICS.releaseName]: [
          { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
          { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
        ],
      });
      expect(r.pss).toEqual({ [`Deployment/${KUBE_STATE_METRICS.releaseName}`]: [] });
      expect(facts?.tapImages[v]).toEqual([
        expect.objectContaining({ repository: pin.image.repository, tag: pin.image.tag }),
      ]);
    },
  );

  it.each(SUPPORTED_KUBERNETES_VERSIONS)(
    "%s: the collector runs tap's configuration, one replica, no Service, tap's ClusterRole, restricted",
    (v) => {
      const facts = loadChartFacts("opentelemetry-collector")?.versions[pinsFor(v).tracing.version];
      const r = facts?.tapRenderedByVariant?.[VARIANT]?.[v]?.readings as Readings;
      const name = PROMETHEUS_DEFAULTS.collectorName;
      expect(r.services).toEqual([]);
      expect(r.pods[`Deployment/${name}`].replicas).toBe(1);
      expect(r.configs[name].relay).toEqual(
        agentConfig({
          region: "us-east-1",
          remoteWriteUrl:
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/tap-prometheus-dev-id/api/v1/remote_write",
          cluster: "tap-eks-dev",
          fluentBit: true,
        }),
      );
      expect(r.clusterRoles).toEqual({ [name]: COLLECTOR_CLUSTER_RULES });
      expect(r.pss).toEqual({ [`Deployment/${name}`]: [] });
    },
  );
});

describe("Managed Grafana (tap:addons.prometheus.grafana)", () => {
  it("reads tap's workspace only, its role assumed by Grafana of this account only", async () => {
    const { resources, value } = await synthStack(GRAFANA);
    const ws = named(resources, "tap-grafana-dev");
    expect(ws.type).toBe("aws:grafana/workspace:Workspace");
    expect(ws.inputs).toMatchObject({
      accountAccessType: "CURRENT_ACCOUNT",
      authenticationProviders: ["AWS_SSO"],
      permissionType: "CUSTOMER_MANAGED",
      roleArn: `arn:aws:iam::${ACCOUNT}:role/tap-grafana-reader-dev`,
      dataSources: ["PROMETHEUS"],
    });
    const policy = docOf(named(resources, "tap-grafana-reader-policy-dev"));
    for (const action of ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels"]) {
      await expect(simulate(policy, { action, resource: WORKSPACE })).resolves.toBe("Allowed");
      await expect(simulate(policy, { action, resource: OTHER_WORKSPACE })).resolves.toBe(
        "ImplicitlyDenied",
      );
    }
    await expect(
      simulate(policy, { action: "aps:RemoteWrite", resource: WORKSPACE }),
    ).resolves.toBe("ImplicitlyDenied");
    const trust = docOf(named(resources, "tap-grafana-reader-dev"), "assumeRolePolicy");
    const assume = (context: Record<string, string>) =>
      simulate(NONE, {
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/tap-grafana-reader-dev`,
        principal: "grafana.amazonaws.com",
        context,
        resourcePolicy: trust,
      });
    const grafanaArn = `arn:aws:grafana:${REGION}:${ACCOUNT}:/workspaces/g-0123456789`;
    await expect(
      assume({ "aws:SourceAccount": ACCOUNT, "aws:SourceArn": grafanaArn }),
    ).resolves.toBe("Allowed");
    await expect(
      assume({
        "aws:SourceAccount": "210987654321",
        "aws:SourceArn": `arn:aws:grafana:${REGION}:210987654321:/workspaces/g-x`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(valueOf(value.grafanaUrl)).resolves.toBe(
      `https://g-0123456789.grafana-workspace.${REGION}.amazonaws.com`,
    );
  });
});

describe("prometheus off", () => {
  it("leaves no trace: no workspace, release, role, topic, endpoint or output", async () => {
    const { resources, value } = await synthStack({ ...ON, addons: {} });
    // By type and name: Calico's own values mention Prometheus (its Felix metrics port).
    expect(
      resources
        .filter(
          (r) =>
            /^aws:(amp|grafana)\//.test(r.type) ||
            /prometheus|kube-state|grafana|alarms/i.test(r.name) ||
            /aps-workspaces/.test(JSON.stringify(r.inputs)),
        )
        .map((r) => r.name),
    ).toEqual([]);
    for (const o of ["alarmTopicArn", "prometheusWorkspaceId", "prometheusEndpoint", "grafanaUrl"])
      await expect(
        valueOf((value as unknown as Record<string, unknown>)[o] as never),
      ).resolves.toBeUndefined();
  });
});
