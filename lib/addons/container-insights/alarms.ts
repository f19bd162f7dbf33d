/**
 * The platform's alarms on Container Insights metrics (namespace ContainerInsights, published by
 * the amazon-cloudwatch-observability add-on with enhanced observability, its default): the names
 * and dimension sets are the ones facts/container-insights.md cites (§3, §4). Pure data, so a test
 * checks each against those facts and the stack's alarms against this list.
 */
export const CONTAINER_INSIGHTS_NAMESPACE = "ContainerInsights";

export interface AlarmSpec {
  /** The alarm's role; its name is `tap-<role>-<suffix>`. */
  readonly role: string;
  readonly description: string;
  readonly metricName: string;
  /** Dimensions besides ClusterName. */
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum";
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: "GreaterThanThreshold" | "LessThanThreshold";
  /** What no data means: a node that stops reporting is as bad as one that reports NotReady. */
  readonly treatMissingData: "breaching" | "notBreaching";
}

/** tap's thresholds (AWS documents no recommended Container Insights alarms: facts §5). */
export function platformAlarms(
  fluentBit: { namespace: string; daemonSet: string } | undefined,
): AlarmSpec[] {
  return [
    {
      role: "nodes-not-ready",
      description:
        "A node's Ready condition is not True (node_status_condition_ready < 1) for 5 minutes",
      metricName: "node_status_condition_ready",
      statistic: "Minimum",
      periodSeconds: 60,
      evaluationPeriods: 5,
      threshold: 1,
      comparison: "LessThanThreshold",
      treatMissingData: "breaching",
    },
    {
      role: "pods-pending",
      description: "Pods have been Pending (unscheduled or not started) for 15 minutes",
      metricName: "pod_status_pending",
      statistic: "Maximum",
      periodSeconds: 300,
      evaluationPeriods: 3,
      threshold: 0,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    },
    {
      role: "node-cpu-saturated",
      description: "Nodes' CPU utilization above 80% for 15 minutes",
      metricName: "node_cpu_utilization",
      statistic: "Average",
      periodSeconds: 300,
      evaluationPeriods: 3,
      threshold: 80,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    },
    {
      role: "node-memory-saturated",
      description: "Nodes' memory utilization above 80% for 15 minutes",
      metricName: "node_memory_utilization",
      statistic: "Average",
      periodSeconds: 300,
      evaluationPeriods: 3,
      threshold: 80,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    },
    // Fluent Bit's output errors reach CloudWatch as no metric; its liveness probe restarts it when
    // they pile up, and restarts are one (facts §4 option B: it also fires when the output is down).
    ...(fluentBit
      ? [
          {
            role: "fluent-bit-restarting",
            description: "Fluent Bit restarted (its liveness probe fails on output errors)",
            metricName: "pod_number_of_container_restarts",
            dimensions: { Namespace: fluentBit.namespace, PodName: fluentBit.daemonSet },
            statistic: "Sum" as const,
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: 0,
            comparison: "GreaterThanThreshold" as const,
            treatMissingData: "notBreaching" as const,
          },
        ]
      : []),
  ];
}
