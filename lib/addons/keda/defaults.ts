/**
 * KEDA's names and defaults as data, apart from how KEDA is deployed: the config contract and the
 * service catalog read them (lib/services/catalog.ts, autoscaling.ts) without importing the
 * deploy code (index.ts), so config -> catalog never leads back to config.
 */
export const KEDA_DEFAULTS = {
  namespace: "keda",
  releaseName: "keda",
  /** The chart's operator SA; the IRSA subject is system:serviceaccount:keda:keda-operator. */
  serviceAccountName: "keda-operator",
  /** The chart's component names (Deployment names and `app` labels). */
  operatorName: "keda-operator",
  webhooksName: "keda-admission-webhooks",
  clusterTriggerAuthenticationName: "tap-aws",
  operatorReplicas: 2,
  metricsServerReplicas: 2,
  webhooksReplicas: 2,
  minChartMinor: 14, // first chart (2.14) with `serviceAccount.operator.*`
} as const;

/** HPA behaviour for every ScaledObject: up fast (x2 or +4 pods per 15 s), down slowly (10 %/min). */
export const DEFAULT_HPA_BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    policies: [
      { type: "Percent", value: 100, periodSeconds: 15 },
      { type: "Pods", value: 4, periodSeconds: 15 },
    ],
    selectPolicy: "Max",
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
  },
} as const;

export const KEDA_PROBE_DEFAULTS = {
  namespace: "tap-probe",
  name: "keda-probe",
  // ECR Public mirror of nginxinc/nginx-unprivileged: UID 101, listens on 8080, temp files in /tmp.
  // Tag seen in several public Dockerfiles (code search); it is a minor tag, not a digest.
  image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
  minReplicaCount: 1,
  maxReplicaCount: 3,
  cpuUtilization: "70",
  /** tap's custom CloudWatch namespace; with no datapoints the scaler returns minMetricValue. */
  metricNamespace: "TAP/Probe",
  metricName: "ProbeLoad",
  dimensionName: "Environment",
  targetMetricValue: "100",
} as const;
