/**
 * The canary release of one catalog service (pure, so tests validate it against the Rollout and
 * AnalysisTemplate CRDs at the pinned chart): a Rollout that takes over the service's Deployment
 * (`workloadRef`, scaling the Deployment down as its own pods come up), steps 20 % -> 50 % -> 100 %
 * with pauses, and a background analysis on the service's own CloudWatch metric (the one it
 * scales on) that aborts the release when the metric runs above twice its per-replica target.
 * Without traffic routing a weight is a share of the pods behind the service's one Service.
 * Fields: argoproj/argo-rollouts@v1.9.0:pkg/apis/rollouts/v1alpha1/types.go (CanaryStep),
 * analysis_types.go (CloudWatchMetric); CloudWatch results are `result[i].Values`
 * (metricproviders/cloudwatch, docs/analysis/cloudwatch.md).
 */
import { ServiceSpec } from "../../services/types";

export const ROLLOUTS_API_VERSION = "argoproj.io/v1alpha1";

export const CANARY_STEPS = [
  { setWeight: 20 },
  { pause: { duration: "2m" } },
  { setWeight: 50 },
  { pause: { duration: "2m" } },
] as const;

/** The release aborts when the metric runs above this many times its per-replica target. */
export const ANALYSIS_LIMIT_FACTOR = 2;

export function analysisTemplateName(service: string): string {
  return `${service}-canary`;
}

/** The metric query of a service's CloudWatch metric, as the analysis reads it. */
export function analysisTemplateSpec(service: ServiceSpec): Record<string, unknown> {
  const m = service.cloudwatchMetric;
  if (!m) throw new Error(`service ${service.name} has no cloudwatchMetric to analyse`);
  const limit = m.targetValue * ANALYSIS_LIMIT_FACTOR;
  return {
    metrics: [
      {
        name: m.metricName,
        interval: "1m",
        count: 5,
        failureLimit: 1,
        // No datapoints (nothing reported yet) is not a failure: all() of nothing holds.
        successCondition: `all(result[0].Values, {# <= ${limit}})`,
        provider: {
          cloudWatch: {
            interval: "5m",
            metricDataQueries: [
              {
                id: "m1",
                metricStat: {
                  metric: {
                    namespace: m.namespace,
                    metricName: m.metricName,
                    dimensions: Object.entries(m.dimensions).map(([name, value]) => ({
                      name,
                      value,
                    })),
                  },
                  period: 60,
                  stat: m.statistic ?? "Average",
                },
                returnData: true,
              },
            ],
          },
        },
      },
    ],
  };
}

export function canaryRolloutSpec(service: ServiceSpec): Record<string, unknown> {
  return {
    workloadRef: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: service.name,
      scaleDown: "progressively",
    },
    revisionHistoryLimit: 3,
    strategy: {
      canary: {
        steps: CANARY_STEPS.map((s) => ({ ...s })),
        analysis: {
          templates: [{ templateName: analysisTemplateName(service.name) }],
          startingStep: 1,
        },
      },
    },
  };
}
