/**
 * KEDA (kedacore/charts `keda`): lets the HPA scale on CloudWatch metrics. The operator reads them
 * through IRSA (keda/keda-operator, GetMetricData only); one ClusterTriggerAuthentication
 * (`podIdentity.provider: aws`) lets every namespace reuse it. The keys used exist in every pinned
 * chart (2.14.3, 2.18-2.20); the operator SA keys are `serviceAccount.operator.*` since 2.14 (flat
 * before), so older charts are rejected. Spelling is the chart's: `podDisruptionBudget.metricServer`
 * but `topologySpreadConstraints.metricsServer`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../../naming";
import { STS_AUDIENCE } from "../../iam/irsa";
import { Values, deepMerge, deployHelmAddon } from "../helm-addon";
import { kedaOperatorPolicy } from "./iam";
import { createWorkloadNamespace } from "../network-policies";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR, inCluster } from "../types";
import { DEFAULT_HPA_BEHAVIOR, KEDA_DEFAULTS, KEDA_PROBE_DEFAULTS } from "./defaults";

export { DEFAULT_HPA_BEHAVIOR, KEDA_DEFAULTS, KEDA_PROBE_DEFAULTS };

export interface KedaArgs {
  /** Operator replicas (leader election: one active, the rest standby); default 2. */
  readonly operatorReplicas?: number;
  /** Metrics API server replicas; default 2. */
  readonly metricsServerReplicas?: number;
  /** Admission-webhook replicas; default 2. */
  readonly webhooksReplicas?: number;
  /** Name of the cluster-wide trigger authentication; default "tap-aws". */
  readonly clusterTriggerAuthenticationName?: string;
  /** Extra chart values deep-merged over tap's defaults; the IRSA and SA keys stay locked. */
  readonly values?: Values;
  /** Seconds Helm may take before the release is rolled back; default 600. */
  readonly timeoutSeconds?: number;
}

export interface KedaResult extends AddonResult {
  readonly roleArn: pulumi.Output<string>;
  /** keda.sh/v1alpha1 ClusterTriggerAuthentication with `podIdentity.provider: aws`. */
  readonly clusterTriggerAuthentication: k8s.apiextensions.CustomResource;
  /** Its name: services reference `{ name, kind: "ClusterTriggerAuthentication" }`. */
  readonly clusterTriggerAuthenticationName: string;
}

/** The chart's per-component maps (operator, metrics API server, admission webhooks). */
const perComponent = <T>(v: T) => ({ operator: v, metricServer: v, webhooks: v });
/** Restricted-PSS contexts (the chart's "secure by default" values, pinned so they cannot regress). */
const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const POD_SECURITY_CONTEXT = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };

/** Throws unless `version` (e.g. "2.14.2" or "v2.20.2") is a KEDA chart tap's values fit (>= 2.14). */
export function assertSupportedKedaChart(version: string): void {
  const [major, minor] = (/^v?(\d+)\.(\d+)\.\d+/.exec(version) ?? ["", "0", "0"])
    .slice(1)
    .map(Number);
  if (major < 2 || (major === 2 && minor < KEDA_DEFAULTS.minChartMinor)) {
    throw new Error(
      `keda chart "${version}" is not supported: tap locks serviceAccount.operator.*, ` +
        `which exists from chart 2.${KEDA_DEFAULTS.minChartMinor}.0 (older charts use a flat serviceAccount.*)`,
    );
  }
}

const managedLabels = (ctx: AddonContext) => ownershipLabels(ctx.config.environmentSuffix);

/** Soft spread over nodes: replicas land on different nodes when possible, never blocked. */
const spread = (app: string): Values[] => [
  {
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: { app } },
  },
];

/** The chart's tap defaults (pure: tests read them without deploying). */
export function kedaValues(ctx: AddonContext, args: KedaArgs = {}): Values {
  const d = KEDA_DEFAULTS;
  const tag = ctx.pins.keda.image.tag;
  const defaults: Values = {
    // The three images share the KEDA app version of the pin (the chart's tag default is appVersion).
    image: { keda: { tag }, metricsApiServer: { tag }, webhooks: { tag } },
    crds: { install: true },
    operator: { name: d.operatorName, replicaCount: args.operatorReplicas ?? d.operatorReplicas },
    metricsServer: { replicaCount: args.metricsServerReplicas ?? d.metricsServerReplicas },
    webhooks: { enabled: true, replicaCount: args.webhooksReplicas ?? d.webhooksReplicas },
    podDisruptionBudget: perComponent({ maxUnavailable: 1 }),
    nodeSelector: { ...ON_DEMAND_SELECTOR },
    topologySpreadConstraints: {
      operator: spread(d.operatorName),
      metricsServer: spread(`${d.operatorName}-metrics-apiserver`),
      webhooks: spread(d.webhooksName),
    },
    securityContext: perComponent(CONTAINER_SECURITY_CONTEXT),
    podSecurityContext: perComponent(POD_SECURITY_CONTEXT),
  };
  return args.values ? deepMerge(defaults, args.values) : defaults;
}

/** Keys re-applied last: operator SA, its IRSA role, the audience the trust policy checks, region. */
export function kedaLockedValues(
  ctx: AddonContext,
  roleArn: pulumi.Output<string> | undefined,
): pulumi.Input<Values> {
  return {
    serviceAccount: { operator: { create: true, name: KEDA_DEFAULTS.serviceAccountName } },
    podIdentity: { aws: { irsa: { enabled: true, roleArn, audience: STS_AUDIENCE } } },
    clusterName: ctx.clusterName,
    // Pods cannot reach IMDS (hop limit 1): the AWS SDK gets its region from the environment.
    env: [{ name: "AWS_REGION", value: ctx.region }],
  };
}

/** Installs KEDA in `keda` with an IRSA operator role and the cluster-wide AWS trigger auth. */
export function deployKeda(ctx: AddonContext, args: KedaArgs = {}): KedaResult {
  const d = KEDA_DEFAULTS;
  const pin = ctx.pins.keda;
  assertSupportedKedaChart(pin.version);

  const base = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    // restricted: at the chart's defaults every KEDA pod is runAsNonRoot, drops ALL capabilities,
    // disallows privilege escalation, uses RuntimeDefault seccomp (also set explicitly above) and
    // has no hostNetwork, hostPath or hostPort (only Secret volumes).
    createNamespace: { podSecurity: "restricted" },
    serviceAccount: { name: d.serviceAccountName, policy: kedaOperatorPolicy },
    values: kedaValues(ctx, args),
    lockedValues: (roleArn) => kedaLockedValues(ctx, roleArn),
    timeoutSeconds: args.timeoutSeconds,
  });
  if (!base.roleArn) throw new Error("keda: the operator IRSA role was not created");

  const name = args.clusterTriggerAuthenticationName ?? d.clusterTriggerAuthenticationName;
  const clusterTriggerAuthentication = new k8s.apiextensions.CustomResource(
    ctx.name("keda-cluster-trigger-auth"),
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ClusterTriggerAuthentication",
      // Cluster-scoped: no metadata.namespace.
      metadata: { name, labels: managedLabels(ctx) },
      // `aws` (KEDA >= 2.13) with the default identityOwner "keda": the operator's IRSA role.
      // Not the deprecated `aws-eks` provider nor the trigger-level `identityOwner`.
      spec: { podIdentity: { provider: "aws" } },
    },
    inCluster(ctx, [base.release]),
  );

  return {
    ...base,
    roleArn: base.roleArn,
    clusterTriggerAuthentication,
    clusterTriggerAuthenticationName: name,
  };
}

export interface KedaProbe {
  readonly namespace: k8s.core.v1.Namespace;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly scaledObject: k8s.apiextensions.CustomResource;
}

/** "Prove it with one": a hardened probe Deployment scaled by CPU and a CloudWatch metric. */
export function kedaProbe(ctx: AddonContext, keda: KedaResult): KedaProbe {
  const p = KEDA_PROBE_DEFAULTS;
  const opts = inCluster(ctx);
  const common = managedLabels(ctx);
  // The selector stays `app` (immutable); the Pods also carry the set tap's workloads carry
  // (tap:addons.kyverno requires it in workload namespaces).
  const labels = {
    app: p.name,
    "app.kubernetes.io/name": p.name,
    "app.kubernetes.io/part-of": "tap",
    ...common,
  };

  // A workload namespace like any other: PSS restricted, default-deny NetworkPolicies + DNS.
  const { namespace } = createWorkloadNamespace(ctx, p.namespace, {
    podSecurity: "restricted",
    labels: common,
    dependsOn: [keda.release],
  });

  const deployment = new k8s.apps.v1.Deployment(
    ctx.name("keda-probe"),
    {
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: {
        // No `replicas`: the HPA that KEDA creates owns it (Pulumi would fight it on every update).
        selector: { matchLabels: { app: p.name } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { ...POD_SECURITY_CONTEXT, runAsUser: 101 },
            containers: [
              {
                name: "probe",
                image: p.image,
                imagePullPolicy: "Always", // like the catalog's services (CKV_K8S_15)
                ports: [{ name: "http", containerPort: 8080 }],
                readinessProbe: { httpGet: { path: "/", port: "http" } },
                livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10 },
                securityContext: { ...CONTAINER_SECURITY_CONTEXT, runAsNonRoot: true },
                resources: {
                  requests: { cpu: "10m", memory: "16Mi" },
                  limits: { cpu: "100m", memory: "64Mi" },
                },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
          },
        },
      },
    },
    { ...opts, dependsOn: [namespace] },
  );

  const scaledObject = new k8s.apiextensions.CustomResource(
    ctx.name("keda-probe-scaledobject"),
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: p.name },
        minReplicaCount: p.minReplicaCount,
        maxReplicaCount: p.maxReplicaCount,
        advanced: { horizontalPodAutoscalerConfig: { behavior: DEFAULT_HPA_BEHAVIOR } },
        triggers: [
          { type: "cpu", metricType: "Utilization", metadata: { value: p.cpuUtilization } },
          {
            type: "aws-cloudwatch",
            authenticationRef: {
              name: keda.clusterTriggerAuthenticationName,
              kind: "ClusterTriggerAuthentication",
            },
            // Trigger metadata values are strings (the CRD types them map[string]string).
            metadata: {
              awsRegion: ctx.region,
              namespace: p.metricNamespace,
              metricName: p.metricName,
              dimensionName: p.dimensionName,
              dimensionValue: ctx.config.environmentSuffix,
              targetMetricValue: p.targetMetricValue,
              minMetricValue: "0",
              metricStat: "Average",
              metricStatPeriod: "60",
            },
          },
        ],
      },
    },
    { ...opts, dependsOn: [keda.release, keda.clusterTriggerAuthentication, deployment] },
  );

  return { namespace, deployment, scaledObject };
}
