/**
 * Prometheus (tap:addons.prometheus, off by default; the option to Container Insights): an Amazon
 * Managed Service for Prometheus workspace encrypted with a key of its own; kube-state-metrics
 * (pinned per Kubernetes minor, only the nodes and pods collectors) and an OpenTelemetry Collector
 * (the tracing chart and contrib image, one replica on on-demand nodes) that scrapes it, every
 * kubelet's resource metrics and Fluent Bit, keeps only the series the alerts read, and
 * remote-writes them to the workspace with an IRSA role that may write there and nowhere else; the
 * platform alerts (metrics.ts) as the workspace's rules, its alert manager publishing to an SNS
 * topic encrypted with a key of its own that takes nothing but that workspace's alerts; with
 * `grafana`, an Amazon Managed Grafana workspace whose role reads tap's workspace only.
 *
 * Why a collector in the cluster and not AMP's managed scraper: the scraper's writes are AWS's
 * service-linked role (no role of tap's to scope to the workspace), it reaches pods from ENIs in
 * the node subnets (a VPC-wide hole in every namespace it scrapes) and cAdvisor through the API
 * server's node proxy (nodes/proxy, which also reaches the kubelet's exec). The collector reads
 * the kubelets as nodes/metrics only. Why the contrib collector and not a Prometheus server in
 * agent mode: it is already pinned, verified and run by tap (tracing), with the prometheus
 * receiver, the remote-write exporter and SigV4 built in (facts/opentelemetry-collector-
 * distributions.json). Upstream facts: facts/prometheus.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION, awsScope } from "../../iam/irsa";
import { mergeTags, nameTag } from "../../naming";
import { createEncryptedTopic } from "../encrypted-topic";
import { FLUENT_BIT_DEFAULTS } from "../fluent-bit";
import { deployHelmAddon, Values } from "../helm-addon";
import { TRACING_DEFAULTS, collectorPodValues } from "../tracing";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";
import {
  COLLECTOR_CLUSTER_RULES,
  KUBE_STATE_METRICS,
  alertManagerYaml,
  platformAlertRules,
  rulesYaml,
  scrapeConfigs,
} from "./metrics";
import {
  alertTopicKeyPolicy,
  alertTopicPolicy,
  grafanaReadPolicy,
  grafanaTrustPolicy,
  remoteWritePolicy,
  workspaceKeyPolicy,
} from "./policy";

export * from "./metrics";
export * from "./policy";
export * from "./settings";

export const PROMETHEUS_DEFAULTS = {
  namespace: "prometheus",
  /** The collector's release, Deployment and service account (fullnameOverride). */
  collectorName: "prometheus-agent",
  scrapeIntervalSeconds: 30,
  /** The chart's probes' port (the same collector chart as tracing's). */
  healthPort: TRACING_DEFAULTS.healthPort,
} as const;

export interface PrometheusResult extends AddonResult {
  readonly workspace: aws.amp.Workspace;
  readonly kubeStateMetrics: AddonResult;
  readonly alarmTopic: aws.sns.Topic;
  readonly grafanaUrl?: pulumi.Output<string>;
}

/** The collector's configuration: Prometheus scrapes in, memory limit and batches, AMP out. */
export function agentConfig(args: {
  readonly region: pulumi.Input<string>;
  readonly remoteWriteUrl: pulumi.Input<string>;
  readonly cluster: pulumi.Input<string>;
  readonly fluentBit: boolean;
}): Values {
  const d = PROMETHEUS_DEFAULTS;
  return {
    extensions: {
      health_check: { endpoint: `\${env:MY_POD_IP}:${d.healthPort}` },
      sigv4auth: { region: args.region, service: "aps" },
    },
    receivers: {
      prometheus: {
        config: {
          scrape_configs: scrapeConfigs({
            namespace: d.namespace,
            intervalSeconds: d.scrapeIntervalSeconds,
            ...(args.fluentBit
              ? {
                  fluentBitNamespace: FLUENT_BIT_DEFAULTS.namespace,
                  fluentBitService: FLUENT_BIT_DEFAULTS.releaseName,
                }
              : {}),
          }),
        },
      },
    },
    processors: {
      memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters: {
      prometheusremotewrite: {
        endpoint: args.remoteWriteUrl,
        auth: { authenticator: "sigv4auth" },
        external_labels: { cluster: args.cluster },
      },
    },
    service: {
      extensions: ["health_check", "sigv4auth"],
      pipelines: {
        metrics: {
          receivers: ["prometheus"],
          processors: ["memory_limiter", "batch"],
          exporters: ["prometheusremotewrite"],
        },
      },
    },
  };
}

/** The collector chart's tap values except the locked keys (pure). */
export function agentValues(): Values {
  return {
    mode: "deployment",
    // One scraper: two would write every sample twice (AMP deduplicates only labelled HA pairs).
    replicaCount: 1,
    nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
    ...collectorPodValues(),
    // It serves nothing: no receiver port, no Service.
    ports: {
      otlp: { enabled: false },
      "otlp-http": { enabled: false },
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: false },
    },
    service: { enabled: false },
    clusterRole: { create: true, rules: COLLECTOR_CLUSTER_RULES },
  };
}

/** kube-state-metrics' tap values (pure): the two collectors, on on-demand nodes. */
export function kubeStateMetricsValues(): Values {
  return {
    collectors: [...KUBE_STATE_METRICS.collectors],
    nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
    resources: {
      requests: { cpu: "10m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "256Mi" },
    },
  };
}

export function deployPrometheus(ctx: AddonContext): PrometheusResult {
  const d = PROMETHEUS_DEFAULTS;
  const opts = { parent: ctx.parent };
  const scope = awsScope(ctx.parent);
  const settings = ctx.config.addonSettings.prometheus;
  const fluentBit = ctx.config.addons.fluentBit;

  const keyName = ctx.name("tap-prometheus-kms");
  const key = new aws.kms.Key(
    keyName,
    {
      description: `tap ${ctx.config.environmentSuffix}: the Prometheus workspace`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: scope.apply((s) => JSON.stringify(workspaceKeyPolicy(s))),
      tags: mergeTags(ctx.tags, nameTag(keyName)),
    },
    opts,
  );
  const workspace = new aws.amp.Workspace(
    ctx.name("tap-prometheus"),
    { alias: ctx.name("tap-prometheus"), kmsKeyArn: key.arn, tags: ctx.tags },
    opts,
  );

  const ksmPin = ctx.pins.kubeStateMetrics;
  const ksm = deployHelmAddon(ctx, {
    name: KUBE_STATE_METRICS.releaseName,
    pin: ksmPin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    values: kubeStateMetricsValues(),
    lockedValues: () => ({
      fullnameOverride: KUBE_STATE_METRICS.releaseName,
      image: { tag: ksmPin.image.tag },
    }),
  });

  const pin = ctx.pins.tracing;
  const remoteWriteUrl = pulumi.interpolate`${workspace.prometheusEndpoint}api/v1/remote_write`;
  const agent = deployHelmAddon(ctx, {
    name: d.collectorName,
    pin,
    namespace: d.namespace,
    serviceAccount: {
      name: d.collectorName,
      policy: () => workspace.arn.apply(remoteWritePolicy),
    },
    values: agentValues(),
    lockedValues: (roleArn) => ({
      fullnameOverride: d.collectorName,
      image: { repository: pin.image.repository, tag: pin.image.tag },
      alternateConfig: agentConfig({
        region: ctx.region,
        remoteWriteUrl,
        cluster: ctx.clusterName,
        fluentBit,
      }),
      serviceAccount: {
        create: true,
        name: d.collectorName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
    }),
    // In the namespace kube-state-metrics' release made.
    dependsOn: [ksm.release],
  });

  const { topic, policy: topicPolicy } = createEncryptedTopic(ctx, {
    role: "tap-alarms",
    description: "the platform alerts topic (Prometheus)",
    keyPolicy: alertTopicKeyPolicy,
    topicPolicy: (topicArn, s) =>
      workspace.arn.apply((arn) =>
        alertTopicPolicy({ topicArn, accountId: s.accountId, workspaceArn: arn }),
      ),
  });
  new aws.amp.RuleGroupNamespace(
    ctx.name("tap-prometheus-rules"),
    {
      name: ctx.name("tap-platform"),
      workspaceId: workspace.id,
      data: pulumi
        .output(ctx.clusterName)
        .apply((cluster) => rulesYaml(platformAlertRules(fluentBit), cluster)),
      tags: ctx.tags,
    },
    opts,
  );
  new aws.amp.AlertManagerDefinition(
    ctx.name("tap-prometheus-alertmanager"),
    {
      workspaceId: workspace.id,
      definition: pulumi
        .all([topic.arn, ctx.region])
        .apply(([topicArn, region]) => alertManagerYaml({ topicArn, region })),
    },
    // It publishes only once the topic admits it.
    { ...opts, dependsOn: [topicPolicy] },
  );

  let grafanaUrl: pulumi.Output<string> | undefined;
  if (settings.grafana) {
    const roleName = ctx.name("tap-grafana-reader");
    const role = new aws.iam.Role(
      roleName,
      {
        name: roleName,
        description: "Amazon Managed Grafana: reads tap's Prometheus workspace",
        assumeRolePolicy: scope.apply((s) => JSON.stringify(grafanaTrustPolicy(s))),
        tags: ctx.tags,
      },
      opts,
    );
    const read = new aws.iam.RolePolicy(
      ctx.name("tap-grafana-reader-policy"),
      {
        role: role.id,
        policy: workspace.arn.apply((arn) => JSON.stringify(grafanaReadPolicy(arn))),
      },
      opts,
    );
    const grafana = new aws.grafana.Workspace(
      ctx.name("tap-grafana"),
      {
        name: ctx.name("tap-grafana"),
        description: `tap ${ctx.config.environmentSuffix}: the platform's metrics`,
        accountAccessType: "CURRENT_ACCOUNT",
        authenticationProviders: ["AWS_SSO"],
        permissionType: "CUSTOMER_MANAGED",
        roleArn: role.arn,
        dataSources: ["PROMETHEUS"],
        tags: ctx.tags,
      },
      { ...opts, dependsOn: [read] },
    );
    grafanaUrl = pulumi.interpolate`https://${grafana.endpoint}`;
  }

  return {
    ...agent,
    workspace,
    kubeStateMetrics: ksm,
    alarmTopic: topic,
    ...(grafanaUrl ? { grafanaUrl } : {}),
  };
}
