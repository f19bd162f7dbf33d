/**
 * A service's KEDA ScaledObject: CPU utilization always, plus the catalog's CloudWatch metric
 * (read by the KEDA operator's IRSA role through the cluster-wide trigger authentication).
 * Replicas stay within the catalog's min..max; DEFAULT_HPA_BEHAVIOR bounds how fast they move.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_HPA_BEHAVIOR } from "../addons/keda/defaults";
import { ServiceSpec } from "./types";

/** CloudWatch read parameters of every aws-cloudwatch trigger (KEDA metadata, strings). */
export const CLOUDWATCH_TRIGGER_DEFAULTS = {
  metricStatPeriod: "60",
  /** What the scaler reports when the metric has no datapoints yet. */
  minMetricValue: "0",
} as const;

export interface ScaleTrigger {
  readonly type: string;
  readonly metricType?: string;
  readonly authenticationRef?: { readonly name: string; readonly kind: string };
  /** KEDA types trigger metadata map[string]string: every value is a string. */
  readonly metadata: Record<string, pulumi.Input<string>>;
}

/** The triggers of `service`: `cpu` first, then `aws-cloudwatch` when the catalog names a metric. */
export function scaleTriggers(
  service: ServiceSpec,
  region: pulumi.Input<string>,
  triggerAuthenticationName: string,
): ScaleTrigger[] {
  const triggers: ScaleTrigger[] = [
    {
      type: "cpu",
      metricType: "Utilization",
      metadata: { value: String(service.cpuTargetPercent) },
    },
  ];
  const m = service.cloudwatchMetric;
  if (m) {
    const dims = Object.entries(m.dimensions);
    triggers.push({
      type: "aws-cloudwatch",
      authenticationRef: { name: triggerAuthenticationName, kind: "ClusterTriggerAuthentication" },
      metadata: {
        awsRegion: region,
        namespace: m.namespace,
        metricName: m.metricName,
        dimensionName: dims.map(([k]) => k).join(";"),
        dimensionValue: dims.map(([, v]) => v).join(";"),
        targetMetricValue: String(m.targetValue),
        minMetricValue: CLOUDWATCH_TRIGGER_DEFAULTS.minMetricValue,
        metricStat: m.statistic ?? "Average",
        metricStatPeriod: CLOUDWATCH_TRIGGER_DEFAULTS.metricStatPeriod,
      },
    });
  }
  return triggers;
}

/**
 * The ScaledObject spec for `service`'s Deployment (named like the service), or for the workload
 * `target` names instead (its canary Rollout, which has the scale subresource KEDA needs).
 */
export function scaledObjectSpec(
  service: ServiceSpec,
  region: pulumi.Input<string>,
  triggerAuthenticationName: string,
  target: { readonly apiVersion: string; readonly kind: string } = {
    apiVersion: "apps/v1",
    kind: "Deployment",
  },
): Record<string, unknown> {
  return {
    scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: service.name },
    minReplicaCount: service.replicas.min,
    maxReplicaCount: service.replicas.max,
    advanced: { horizontalPodAutoscalerConfig: { behavior: DEFAULT_HPA_BEHAVIOR } },
    triggers: scaleTriggers(service, region, triggerAuthenticationName),
  };
}
