/**
 * Tracing (open-telemetry/opentelemetry-helm-charts `opentelemetry-collector`, tap:addons.tracing):
 * an OpenTelemetry Collector (the contrib distribution, the image the chart ships) that takes the
 * catalog's OTLP spans and writes them to AWS X-Ray, whether App Mesh is on or not. Two replicas
 * on on-demand nodes with a budget, PSS restricted, an IRSA role that may only put trace segments.
 *
 * Why this and not the alternatives the issue names: the ADOT EKS add-on needs cert-manager and
 * the OpenTelemetry operator's CRDs and webhooks before a single collector exists; the CloudWatch
 * agent's OTLP endpoint comes only with the CloudWatch Observability add-on (tap:addons.
 * containerInsights, off by default) and its wider managed policy. The collector chart is one
 * Deployment and one Service, with the same awsxray exporter ADOT builds in.
 *
 * Upstream facts (facts/charts/opentelemetry-collector.json holds what the chart reads and
 * renders; facts/opentelemetry-collector-distributions.json what each image builds in):
 * - the image: the chart has no default (`image.repository` is "", required); the contrib
 *   distribution is the one of the chart's community images with the awsxray exporter (the k8s
 *   one the chart suggests has none: open-telemetry/opentelemetry-collector-releases@v0.158.0
 *   distributions/otelcol-{contrib,k8s}/manifest.yaml), runs as 10001:10001 (its Dockerfile);
 * - the config: `alternateConfig` replaces the chart's default `config` whole (no Helm nulls to
 *   delete its jaeger/zipkin/prometheus receivers and debug exporter); the chart still requires
 *   `mode` and `image.repository` (templates/NOTES.txt fails without them) and probes
 *   `health_check` on 13133 (values.yaml livenessProbe/readinessProbe);
 * - the OTLP receiver listens on localhost unless told (go.opentelemetry.io/collector/receiver/
 *   otlpreceiver@v0.158.0 factory.go), so its endpoints are the pod IP, as the chart's own default;
 * - the awsxray exporter calls only xray:PutTraceSegments, and PutTelemetryRecords only with
 *   `telemetry.enabled` (off here) (open-telemetry/opentelemetry-collector-contrib
 *   exporter/awsxrayexporter@v0.156.0 and @v0.159.0, which bracket 0.158.0: awsxray.go); it takes
 *   IRSA from the SDK's default chain (internal/aws/awsutil conn.go) and gets the region here;
 * - W3C trace IDs (what every OpenTelemetry SDK makes) are exported: the gate
 *   `exporter.awsxray.skiptimestampvalidation` that skips X-Ray's old epoch check on the first 32
 *   bits is beta, on by default, since v0.84.0 (exporter/awsxrayexporter metadata.yaml).
 */
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon, Values } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";

import { TRACING_OTLP_PORTS } from "./settings";

export * from "./settings";

export const TRACING_DEFAULTS = {
  releaseName: "otel-collector",
  namespace: "opentelemetry",
  /** fullnameOverride: the Deployment, Service, ConfigMap and service account are all this. */
  fullName: "otel-collector",
  replicas: 2,
  otlpGrpcPort: TRACING_OTLP_PORTS.grpc,
  otlpHttpPort: TRACING_OTLP_PORTS.http,
  healthPort: 13133,
  /** The image runs as this user and group (its Dockerfile's USER 10001:10001). */
  runAsUser: 10001,
} as const;

/** Pod labels the chart's selector puts on the collector (its NetworkPolicy peer). */
export const TRACING_POD_LABELS = {
  "app.kubernetes.io/name": "opentelemetry-collector",
  "app.kubernetes.io/instance": TRACING_DEFAULTS.releaseName,
} as const;

/** The collector's OTLP/HTTP address in the cluster (SDKs append /v1/traces). */
export function tracesEndpoint(): string {
  const d = TRACING_DEFAULTS;
  return `http://${d.fullName}.${d.namespace}.svc.cluster.local:${d.otlpHttpPort}`;
}

export interface TracingResult extends AddonResult {
  /** OTLP/HTTP endpoint the catalog's services export to. */
  readonly endpoint: string;
  /** OTLP ports the collector serves (the services' egress). */
  readonly ports: readonly number[];
  readonly samplingRatio: number;
}

/** The collector's configuration: OTLP in, memory limit and batches, X-Ray out; nothing else. */
export function collectorConfig(region: pulumi.Input<string>): Values {
  const d = TRACING_DEFAULTS;
  return {
    extensions: { health_check: { endpoint: `\${env:MY_POD_IP}:${d.healthPort}` } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `\${env:MY_POD_IP}:${d.otlpGrpcPort}` },
          http: { endpoint: `\${env:MY_POD_IP}:${d.otlpHttpPort}` },
        },
      },
    },
    processors: {
      memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters: { awsxray: { region } },
    service: {
      extensions: ["health_check"],
      pipelines: {
        traces: {
          receivers: ["otlp"],
          processors: ["memory_limiter", "batch"],
          exporters: ["awsxray"],
        },
      },
    },
  };
}

/**
 * A collector pod as tap runs it (the chart's values): bounded, the image's non-root user, PSS
 * restricted. The tracing collector's and Prometheus's (lib/addons/prometheus) both.
 */
export function collectorPodValues(): Values {
  const d = TRACING_DEFAULTS;
  return {
    resources: {
      requests: { cpu: "100m", memory: "256Mi" },
      // GOMEMLIMIT follows at 80 % of this (the chart's useGOMEMLIMIT, default true).
      limits: { cpu: "1", memory: "512Mi" },
    },
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: d.runAsUser,
      runAsGroup: d.runAsUser,
      seccompProfile: { type: "RuntimeDefault" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
}

/** The chart's tap values except the locked keys (pure). */
export function tracingValues(): Values {
  const d = TRACING_DEFAULTS;
  return {
    mode: "deployment",
    replicaCount: d.replicas,
    nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    ...collectorPodValues(),
    // OTLP only: the chart's Jaeger and Zipkin ports have no receiver here.
    ports: {
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: false },
    },
  };
}

export function deployTracing(ctx: AddonContext): TracingResult {
  const d = TRACING_DEFAULTS;
  const pin = ctx.pins.tracing;
  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    serviceAccount: {
      name: d.fullName,
      policy: () => ({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "PutTraceSegments",
            Effect: "Allow",
            Action: "xray:PutTraceSegments",
            // PutTraceSegments supports no resource-level permissions (service authorization data).
            Resource: "*",
          },
        ],
      }),
    },
    values: tracingValues(),
    lockedValues: (roleArn) => ({
      fullnameOverride: d.fullName,
      image: { repository: pin.image.repository, tag: pin.image.tag },
      alternateConfig: collectorConfig(ctx.region),
      serviceAccount: {
        create: true,
        name: d.fullName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
    }),
  });
  return {
    ...result,
    endpoint: tracesEndpoint(),
    ports: [d.otlpGrpcPort, d.otlpHttpPort],
    samplingRatio: ctx.config.addonSettings.tracing.samplingRatio,
  };
}
