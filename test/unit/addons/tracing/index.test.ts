/**
 * Tracing: the OpenTelemetry Collector (pinned, two on on-demand nodes, PSS restricted, a role
 * that may only put trace segments), the OTLP environment every catalog service gets, the egress
 * that lets its spans out (and App Mesh's Envoy let them by), and nothing at all with it off.
 */
import * as fs from "fs";
import * as path from "path";
import {
  DEFAULT_TRACING_SETTINGS,
  TRACING_DEFAULTS,
  TRACING_POD_LABELS,
  collectorConfig,
  tracesEndpoint,
} from "../../../../lib/addons/tracing";
import { SUPPORTED_KUBERNETES_VERSIONS, pinsFor } from "../../../../lib/addons/versions";
import { EGRESS_IGNORED_PORTS_ANNOTATION } from "../../../../lib/services/mesh";
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

const ON = { enableAppMesh: "false", kubernetesVersion: "1.35", addons: { tracing: true } };
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-otel-collector-dev`;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const IMAGE = "public.ecr.aws/tap/app:1.0.0";
type Obj = Record<string, unknown>;

const collector = (resources: readonly RecordedResource[]) =>
  ofType(resources, RELEASE).find((r) => r.inputs.name === "otel-collector");
const envOf = (resources: readonly RecordedResource[], svc: string): Record<string, string> => {
  const d = named(resources, `svc-${svc}-deployment-dev`).inputs as {
    spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
  };
  return Object.fromEntries(
    (d.spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e.value]),
  );
};

describe("tracing's config", () => {
  it("takes a sampling ratio above 0 and at most 1, naming the key and the bad value", () => {
    for (const bad of [0, -0.1, 1.5, "1.5", "a", "", null])
      expect(
        configProblems({ enableAppMesh: "false", addons: { tracing: { samplingRatio: bad } } }),
      ).toEqual([
        expect.stringMatching(
          new RegExp(
            `^tap:addons\\.tracing\\.samplingRatio: .*above 0 and at most 1 \\(got ${String(JSON.stringify(bad)).replace(/[.]/g, "\\.")}\\)`,
          ),
        ),
      ]);
    for (const good of [1, "0.25"])
      expect(
        configProblems({ enableAppMesh: "false", addons: { tracing: { samplingRatio: good } } }),
      ).toEqual([]);
  });

  it("is pinned to one collector chart on every minor", () => {
    expect(
      Object.fromEntries(
        SUPPORTED_KUBERNETES_VERSIONS.map((v) => [
          v,
          `${pinsFor(v).tracing.version} ${pinsFor(v).tracing.image.tag}`,
        ]),
      ),
    ).toEqual(Object.fromEntries(SUPPORTED_KUBERNETES_VERSIONS.map((v) => [v, "0.170.0 0.158.0"])));
  });
});

describe("tracing with App Mesh", () => {
  it("refuses a service serving on a port Envoy lets by (the OTLP ports with tracing, 443 always)", () => {
    const services = [
      { name: "gateway", image: IMAGE, public: true, calls: ["otlp"] },
      { name: "otlp", image: IMAGE, port: 4318 },
      { name: "tls", image: IMAGE, port: 443 },
    ];
    expect(configProblems({ enableAppMesh: "true", addons: { tracing: true }, services })).toEqual([
      expect.stringMatching(
        /^tap:services: tap:services\[1\]\.port 4318 of "otlp" is left out of App Mesh's Envoy redirect \(OTLP to the tracing collector\).*not 443, 4317, 4318/,
      ),
      expect.stringMatching(
        /^tap:services: tap:services\[2\]\.port 443 of "tls" .*HTTPS to AWS APIs/,
      ),
    ]);
    // Without tracing 4318 is an ordinary port; without the mesh nothing is let by.
    expect(configProblems({ enableAppMesh: "true", services })).toEqual([
      expect.stringMatching(/tap:services\[2\]\.port 443/),
    ]);
    expect(configProblems({ enableAppMesh: "false", addons: { tracing: true }, services })).toEqual(
      [],
    );
  });
});

describe("tracing on", () => {
  it("runs two contrib collectors on on-demand nodes, OTLP in and X-Ray out, and nothing else", async () => {
    const { resources } = await synthStack(ON);
    const r = collector(resources);
    expect(r?.inputs).toMatchObject({
      chart: "opentelemetry-collector",
      version: "0.170.0",
      namespace: "opentelemetry",
      values: {
        mode: "deployment",
        replicaCount: 2,
        fullnameOverride: "otel-collector",
        nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        image: { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" },
        serviceAccount: {
          create: true,
          name: "otel-collector",
          annotations: { "eks.amazonaws.com/role-arn": ROLE_ARN },
        },
      },
    });
    const config = (r?.inputs.values as Obj).alternateConfig as Obj;
    expect(config).toEqual(collectorConfig(REGION));
    expect(Object.keys(config.receivers as Obj)).toEqual(["otlp"]);
    expect(Object.keys(config.exporters as Obj)).toEqual(["awsxray"]);
    expect((config.exporters as Obj).awsxray).toEqual({ region: REGION });
    expect((config.service as Obj).pipelines).toEqual({
      traces: {
        receivers: ["otlp"],
        processors: ["memory_limiter", "batch"],
        exporters: ["awsxray"],
      },
    });
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find(
      (n) => (n.inputs.metadata as Obj).name === "opentelemetry",
    );
    expect((ns?.inputs.metadata as { labels: Obj }).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  it("may put trace segments and nothing else, as opentelemetry/otel-collector alone", async () => {
    const { resources } = await synthStack(ON);
    const policy = policyOf(named(resources, "tap-otel-collector-policy-dev"));
    await expect(
      simulate(policy, { action: "xray:PutTraceSegments", resource: "*" }),
    ).resolves.toBe("Allowed");
    for (const action of [
      "xray:PutTelemetryRecords",
      "xray:GetTraceSummaries",
      "xray:BatchGetTraces",
      "xray:UpdateSamplingRule",
      "cloudwatch:PutMetricData",
      "logs:PutLogEvents",
    ])
      await expect(simulate(policy, { action, resource: "*" })).resolves.toBe("ImplicitlyDenied");
    const trust = policyOf(named(resources, "tap-otel-collector-dev"), "assumeRolePolicy");
    const sim = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud });
    await expect(sim("system:serviceaccount:opentelemetry:otel-collector")).resolves.toBe(
      "Allowed",
    );
    await expect(sim("system:serviceaccount:opentelemetry:default")).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(sim("system:serviceaccount:opentelemetry:otel-collector", "x")).resolves.toBe(
      "ImplicitlyDenied",
    );
  });

  it("points every catalog service at the collector, sampled at the ratio, and exports the endpoint", async () => {
    const { resources, value } = await synthStack({
      ...ON,
      // as `pulumi config set --path` stores it: a string.
      addons: { tracing: { samplingRatio: "0.25" } },
    });
    for (const svc of ["payments", "ledger"])
      expect(envOf(resources, svc)).toEqual({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.opentelemetry.svc.cluster.local:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_SERVICE_NAME: svc,
        OTEL_RESOURCE_ATTRIBUTES: `service.namespace=${svc},deployment.environment.name=dev`,
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
        OTEL_METRICS_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
      });
    await expect(valueOf(value.tracesEndpoint)).resolves.toBe(tracesEndpoint());
    expect(tracesEndpoint()).toBe("http://otel-collector.opentelemetry.svc.cluster.local:4318");
  });

  it("lets each service's spans out to the collector's pods on the OTLP ports only", async () => {
    const { resources } = await synthStack(ON);
    const np = named(resources, "svc-payments-np-allow-traces-dev");
    expect(np.inputs.spec).toEqual({
      podSelector: { matchLabels: expect.any(Object) },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": "opentelemetry" },
              },
              // The labels the chart puts on the collector's pods (facts/charts tapRendered).
              podSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "opentelemetry-collector",
                  "app.kubernetes.io/instance": "otel-collector",
                },
              },
            },
          ],
          ports: [
            { protocol: "TCP", port: 4317 },
            { protocol: "TCP", port: 4318 },
          ],
        },
      ],
    });
  });

  it("with App Mesh on, leaves the OTLP ports out of Envoy's redirect (the collector is no mesh backend)", async () => {
    const { resources } = await synthStack({ ...ON, enableAppMesh: "true" });
    const annotations = (svc: string) =>
      (
        named(resources, `svc-${svc}-deployment-dev`).inputs as {
          spec: { template: { metadata: { annotations?: Obj } } };
        }
      ).spec.template.metadata.annotations ?? {};
    // ledger and payments call AWS APIs (443 left out already: permissions, published metrics);
    // gateway calls none.
    expect(annotations("ledger")[EGRESS_IGNORED_PORTS_ANNOTATION]).toBe("443,4317,4318");
    expect(annotations("payments")[EGRESS_IGNORED_PORTS_ANNOTATION]).toBe("443,4317,4318");
    expect(annotations("gateway")[EGRESS_IGNORED_PORTS_ANNOTATION]).toBe("4317,4318");
  });
});

describe("the recorded opentelemetry-collector facts", () => {
  it("render the Service, pod labels, configuration and Pod Security tap relies on", () => {
    const pin = pinsFor("1.35").tracing;
    const facts = loadChartFacts("opentelemetry-collector")?.versions[pin.version];
    expect(facts?.requiredImageRepositories?.[0].repositories).toContain(pin.image.repository);
    for (const v of SUPPORTED_KUBERNETES_VERSIONS) {
      const readings = facts?.tapRendered?.[v]?.readings as {
        services: { name: string; ports: { port: number }[] }[];
        pods: Record<string, { replicas: number; labels: Record<string, string> }>;
        configs: Record<string, { relay: Obj }>;
        pss: Record<string, string[]>;
      };
      const url = new URL(tracesEndpoint());
      const [svcName, ns] = url.hostname.split(".");
      expect(ns).toBe(TRACING_DEFAULTS.namespace);
      expect(readings.services).toEqual([
        expect.objectContaining({
          name: svcName,
          ports: expect.arrayContaining([
            expect.objectContaining({ port: Number(url.port) }),
            expect.objectContaining({ port: TRACING_DEFAULTS.otlpGrpcPort }),
          ]),
        }),
      ]);
      const pod = readings.pods[`Deployment/${TRACING_DEFAULTS.fullName}`];
      expect(pod.replicas).toBe(TRACING_DEFAULTS.replicas);
      expect(pod.labels).toMatchObject(TRACING_POD_LABELS);
      // The configuration the pods run is tap's, with the region the stack's provider has.
      expect(readings.configs[TRACING_DEFAULTS.fullName].relay).toEqual(
        collectorConfig("us-east-1"),
      );
      expect(readings.pss).toEqual({ [`Deployment/${TRACING_DEFAULTS.fullName}`]: [] });
    }
  });
});

describe("the collector distribution tap runs", () => {
  // The module each component of tap's configuration comes from (its id in the configuration).
  const MODULE_OF: Record<string, string> = {
    "receivers.otlp": "core/receiver/otlpreceiver",
    "processors.memory_limiter": "core/processor/memorylimiterprocessor",
    "processors.batch": "core/processor/batchprocessor",
    "exporters.awsxray": "contrib/exporter/awsxrayexporter",
    "extensions.health_check": "contrib/extension/healthcheckextension",
  };
  const facts = JSON.parse(
    fs.readFileSync(
      path.join(__dirname, "../../../../facts/opentelemetry-collector-distributions.json"),
      "utf8",
    ),
  ) as {
    version: string;
    distributions: Record<string, { modules: string[]; entrypoint?: string; user?: string }>;
  };

  it("builds in every component of tap's configuration, at the image's version", () => {
    const pin = pinsFor("1.35").tracing;
    expect(facts.version).toBe(pin.image.tag);
    const dist = facts.distributions[pin.image.repository];
    const config = collectorConfig(REGION) as Record<string, Obj>;
    const used = ["receivers", "processors", "exporters", "extensions"].flatMap((kind) =>
      Object.keys(config[kind]).map((id) => `${kind}.${id}`),
    );
    for (const c of used) {
      if (!(c in MODULE_OF)) throw new Error(`no module recorded for ${c}: add it to MODULE_OF`);
      expect(dist.modules).toContain(`${MODULE_OF[c]}@v${pin.image.tag}`);
    }
    // The image's user is the pods' (PSS restricted: runAsNonRoot needs a numeric non-root user).
    expect(dist.user).toBe(`${TRACING_DEFAULTS.runAsUser}:${TRACING_DEFAULTS.runAsUser}`);
  });

  it("is contrib because the chart's suggested k8s distribution has no X-Ray exporter", () => {
    const k8s = facts.distributions["otel/opentelemetry-collector-k8s"].modules;
    expect(k8s.some((m) => m.includes("awsxrayexporter"))).toBe(false);
    expect(k8s).toContain(`core/receiver/otlpreceiver@v${facts.version}`);
  });
});

describe("tracing off", () => {
  it("leaves no trace: no collector, role, policy, environment or output", async () => {
    const { resources, value } = await synthStack({ ...ON, addons: {} });
    expect(collector(resources)).toBeUndefined();
    expect(
      resources.filter((r) =>
        /otel|traces|opentelemetry/i.test(`${r.name} ${JSON.stringify(r.inputs)}`),
      ),
    ).toEqual([]);
    expect(envOf(resources, "payments")).toEqual({});
    await expect(valueOf(value.tracesEndpoint)).resolves.toBeUndefined();
    expect(DEFAULT_TRACING_SETTINGS.samplingRatio).toBe(0.05);
  });
});
