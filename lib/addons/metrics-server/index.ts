/**
 * metrics-server (kubernetes-sigs/metrics-server chart) in kube-system: the resource-metrics API
 * (`metrics.k8s.io`) that `kubectl top`, the HPA and KEDA's `cpu`/`memory` triggers read.
 * It calls no AWS API, so it has no IRSA role.
 *
 * Chart keys (values.yaml of the 3.10-3.13 line): `replicas` (not replicaCount),
 * `podDisruptionBudget.{enabled,maxUnavailable}`, `securityContext` (container-level; the chart
 * has no `containerSecurityContext`), `priorityClassName`, `nodeSelector`, `resources`,
 * `topologySpreadConstraints`, `image.{repository,tag}`, `serviceAccount.{create,name}`.
 */
import { Values, deepMerge, deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";

export interface MetricsServerArgs {
  /** Pod replicas; default 2 (with a PDB of maxUnavailable 1, a drain is never blocked). */
  readonly replicas?: number;
  /** Container requests/limits; default METRICS_SERVER_DEFAULTS.resources. */
  readonly resources?: Values;
  /** Extra chart values deep-merged over tap's defaults; the service-account keys stay locked. */
  readonly values?: Values;
  /** Seconds Helm may take before the release is rolled back; default 600. */
  readonly timeoutSeconds?: number;
}

export const METRICS_SERVER_DEFAULTS = {
  namespace: "kube-system",
  releaseName: "metrics-server",
  /** The chart's fullname for release "metrics-server"; locked so it never drifts. */
  serviceAccountName: "metrics-server",
  replicas: 2,
  priorityClassName: "system-cluster-critical",
  /** The upstream sizing (100m/200Mi covers ~100 nodes), with a memory ceiling. */
  resources: {
    requests: { cpu: "100m", memory: "200Mi" },
    limits: { memory: "400Mi" },
  },
} as const;

/** Restricted-PSS container context (also the chart's default; pinned here so it cannot regress). */
export const METRICS_SERVER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: "RuntimeDefault" },
  capabilities: { drop: ["ALL"] },
} as const;

/** The chart's tap defaults (pure: tests read them without deploying). */
export function metricsServerValues(ctx: AddonContext, args: MetricsServerArgs = {}): Values {
  const d = METRICS_SERVER_DEFAULTS;
  const pin = ctx.pins.metricsServer;
  const defaults: Values = {
    image: { repository: pin.image.repository, tag: pin.image.tag },
    replicas: args.replicas ?? d.replicas,
    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    nodeSelector: { ...ON_DEMAND_SELECTOR },
    // Soft spread: two replicas on two nodes when possible, without blocking scheduling.
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: {
          matchLabels: {
            "app.kubernetes.io/name": "metrics-server",
            "app.kubernetes.io/instance": d.releaseName,
          },
        },
      },
    ],
    priorityClassName: d.priorityClassName,
    resources: args.resources ?? d.resources,
    securityContext: METRICS_SERVER_SECURITY_CONTEXT,
  };
  return args.values ? deepMerge(defaults, args.values) : defaults;
}

/** Installs metrics-server (2 replicas, PDB, on-demand nodes, pinned image) into kube-system. */
export function deployMetricsServer(ctx: AddonContext, args: MetricsServerArgs = {}): AddonResult {
  const d = METRICS_SERVER_DEFAULTS;
  return deployHelmAddon(ctx, {
    name: d.releaseName,
    pin: ctx.pins.metricsServer,
    namespace: d.namespace,
    // kube-system exists: no namespace is created, and no policy means no IRSA role.
    serviceAccount: { name: d.serviceAccountName },
    values: metricsServerValues(ctx, args),
    lockedValues: () => ({
      serviceAccount: { create: true, name: d.serviceAccountName },
    }),
    timeoutSeconds: args.timeoutSeconds,
  });
}
