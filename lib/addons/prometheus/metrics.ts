/**
 * What tap's Prometheus path scrapes and what it alerts on, as data (pure): the collector's scrape
 * jobs, the metrics each job keeps, the platform alerts as Prometheus rules over those metrics, and
 * the workspace's alert manager configuration. A test checks every metric an alert reads against
 * the ones a job keeps and against facts/prometheus.md (the names the exporters document).
 */
import * as YAML from "yaml";

/** kube-state-metrics: its release, its Service's port (the chart's `service.port`). */
export const KUBE_STATE_METRICS = {
  releaseName: "kube-state-metrics",
  port: 8080,
  /** Only the objects the alerts read: its RBAC is generated from this list (the chart's `collectors`). */
  collectors: ["nodes", "pods"],
} as const;

/** The kubelet's resource metrics endpoint (what metrics-server reads): one series per node. */
export const KUBELET_RESOURCE_METRICS_PATH = "/metrics/resource";
/** Fluent Bit's HTTP server (aws-for-fluent-bit's `service.extraService`, its Service's port). */
export const FLUENT_BIT_METRICS = {
  port: 2020,
  portName: "monitor-agent",
  path: "/api/v1/metrics/prometheus",
} as const;

export interface ScrapeJob {
  readonly job: string;
  /** The series it keeps (metric_relabel_configs keep on __name__): what the rules read. */
  readonly keeps: readonly string[];
}

/** Each job and the metrics it keeps; the fluent-bit job only with Fluent Bit on. */
export function scrapeJobs(fluentBit: boolean): ScrapeJob[] {
  return [
    {
      job: "kube-state-metrics",
      keeps: [
        "kube_node_info",
        "kube_node_status_condition",
        "kube_node_status_capacity",
        "kube_pod_status_phase",
      ],
    },
    { job: "kubelet", keeps: ["node_cpu_usage_seconds_total", "node_memory_working_set_bytes"] },
    ...(fluentBit
      ? [
          {
            job: "fluent-bit",
            keeps: ["fluentbit_output_errors_total", "fluentbit_output_retries_failed_total"],
          },
        ]
      : []),
  ];
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** metric_relabel_configs that keep only `names` (a `$` free regex: the collector expands `$`). */
const keepOnly = (names: readonly string[]) => [
  { source_labels: ["__name__"], regex: names.join("|"), action: "keep" },
];

/**
 * The Prometheus receiver's scrape_configs. KSM by its Service name; every node's kubelet on its
 * InternalIP:10250 (the node role's address) with the collector's own token, verified against the
 * cluster CA; Fluent Bit's pods through its chart's Service (the endpointslice role, its port).
 */
export function scrapeConfigs(args: {
  readonly namespace: string;
  readonly fluentBitNamespace?: string;
  readonly fluentBitService?: string;
  readonly intervalSeconds: number;
}): Record<string, unknown>[] {
  const jobs = scrapeJobs(args.fluentBitNamespace !== undefined);
  const keeps = (job: string) => keepOnly(jobs.find((j) => j.job === job)?.keeps ?? []);
  const k = KUBE_STATE_METRICS;
  const interval = `${args.intervalSeconds}s`;
  return [
    {
      job_name: "kube-state-metrics",
      scrape_interval: interval,
      static_configs: [{ targets: [`${k.releaseName}.${args.namespace}.svc:${k.port}`] }],
      metric_relabel_configs: keeps("kube-state-metrics"),
    },
    {
      job_name: "kubelet",
      scrape_interval: interval,
      scheme: "https",
      metrics_path: KUBELET_RESOURCE_METRICS_PATH,
      authorization: { credentials_file: `${SA_DIR}/token` },
      tls_config: { ca_file: `${SA_DIR}/ca.crt` },
      kubernetes_sd_configs: [{ role: "node" }],
      // The node's name as `node`, the label kube-state-metrics puts on its node series.
      relabel_configs: [{ source_labels: ["__meta_kubernetes_node_name"], target_label: "node" }],
      metric_relabel_configs: keeps("kubelet"),
    },
    ...(args.fluentBitNamespace !== undefined
      ? [
          {
            job_name: "fluent-bit",
            scrape_interval: interval,
            metrics_path: FLUENT_BIT_METRICS.path,
            kubernetes_sd_configs: [
              { role: "endpointslice", namespaces: { names: [args.fluentBitNamespace] } },
            ],
            relabel_configs: [
              {
                source_labels: [
                  "__meta_kubernetes_service_name",
                  "__meta_kubernetes_endpointslice_port_name",
                ],
                regex: `${args.fluentBitService};${FLUENT_BIT_METRICS.portName}`,
                action: "keep",
              },
              { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
            ],
            metric_relabel_configs: keeps("fluent-bit"),
          },
        ]
      : []),
  ];
}

/** The API the collector's service account reads: discovery, and the kubelets' metrics. */
export const COLLECTOR_CLUSTER_RULES = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
  // The kubelet authorizes /metrics/* as nodes/metrics (SubjectAccessReview); never nodes/proxy.
  { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
  { apiGroups: [""], resources: ["services", "pods"], verbs: ["get", "list", "watch"] },
  {
    apiGroups: ["discovery.k8s.io"],
    resources: ["endpointslices"],
    verbs: ["get", "list", "watch"],
  },
] as const;

export interface AlertRule {
  /** The alert's name (PascalCase, Prometheus's habit). */
  readonly alert: string;
  readonly expr: string;
  /** How long it must hold: Prometheus's `for`. */
  readonly for: string;
  readonly summary: string;
  /** The metrics `expr` reads (checked against what the jobs keep). */
  readonly reads: readonly string[];
}

/** The platform alerts (the same five conditions as Container Insights' alarms, and a sixth). */
export function platformAlertRules(fluentBit: boolean): AlertRule[] {
  return [
    {
      alert: "TapNodeNotReady",
      expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0',
      for: "5m",
      summary: "Node {{ $labels.node }} is not Ready",
      reads: ["kube_node_status_condition"],
    },
    {
      alert: "TapPodsPending",
      expr: 'sum(kube_pod_status_phase{phase="Pending"}) > 0',
      for: "15m",
      summary: "{{ $value }} pods have been Pending for 15 minutes",
      reads: ["kube_pod_status_phase"],
    },
    {
      alert: "TapNodeCpuSaturated",
      expr:
        "sum by (node) (rate(node_cpu_usage_seconds_total[5m]))" +
        ' / sum by (node) (kube_node_status_capacity{resource="cpu"}) > 0.8',
      for: "15m",
      summary: "Node {{ $labels.node }} uses more than 80% of its CPU",
      reads: ["node_cpu_usage_seconds_total", "kube_node_status_capacity"],
    },
    {
      alert: "TapNodeMemorySaturated",
      expr:
        "sum by (node) (node_memory_working_set_bytes)" +
        ' / sum by (node) (kube_node_status_capacity{resource="memory"}) > 0.8',
      for: "15m",
      summary: "Node {{ $labels.node }} uses more than 80% of its memory",
      reads: ["node_memory_working_set_bytes", "kube_node_status_capacity"],
    },
    ...(fluentBit
      ? [
          {
            alert: "TapFluentBitOutputErrors",
            expr:
              "sum by (node) (increase(fluentbit_output_errors_total[10m]))" +
              " + sum by (node) (increase(fluentbit_output_retries_failed_total[10m])) > 0",
            for: "5m",
            summary: "Fluent Bit on {{ $labels.node }} fails to ship logs to CloudWatch",
            reads: ["fluentbit_output_errors_total", "fluentbit_output_retries_failed_total"],
          },
        ]
      : []),
    // Silence is not health: with no node series at all, the alerts above cannot fire.
    {
      alert: "TapMetricsMissing",
      expr: "absent(kube_node_info)",
      for: "10m",
      summary: "No node metrics have reached the workspace for 10 minutes",
      reads: ["kube_node_info"],
    },
  ];
}

/** The rule group namespace's data: one group of the platform alerts. */
export function rulesYaml(rules: readonly AlertRule[], cluster: string): string {
  return YAML.stringify({
    groups: [
      {
        name: "tap-platform",
        rules: rules.map((r) => ({
          alert: r.alert,
          expr: r.expr,
          for: r.for,
          labels: { severity: "warning", cluster },
          annotations: { summary: r.summary },
        })),
      },
    ],
  });
}

/** The workspace's alert manager definition: every alert to the SNS topic, grouped by name. */
export function alertManagerYaml(args: {
  readonly topicArn: string;
  readonly region: string;
}): string {
  const config = {
    route: {
      receiver: "tap-sns",
      group_by: ["alertname", "cluster"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
    },
    receivers: [
      {
        name: "tap-sns",
        sns_configs: [
          {
            topic_arn: args.topicArn,
            sigv4: { region: args.region },
            subject: "tap: {{ .CommonLabels.alertname }} ({{ .CommonLabels.cluster }})",
            send_resolved: true,
          },
        ],
      },
    ],
  };
  return YAML.stringify({ alertmanager_config: YAML.stringify(config) });
}
