/**
 * The platform dashboard (tap:addons.containerInsights): the state of every platform alarm on top,
 * then one graph per alarm of the metric it watches (the same namespace, dimensions, statistic and
 * period) with its threshold drawn in. Pure: the body is CloudWatch's dashboard body JSON, typed by
 * @pulumi/awsx's model of it (classic/cloudwatch/widgets_json), so a misspelt field fails to
 * compile.
 */
import type {
  AlarmWidgetJson,
  MetricWidgetPropertiesJson,
  WidgetJson,
} from "@pulumi/awsx/classic/cloudwatch/widgets_json";
import { AlarmSpec, CONTAINER_INSIGHTS_NAMESPACE } from "./alarms";

/**
 * A metric widget as awsx models it, with a plain metric array (awsx types a single metric as an
 * Output): `[namespace, metricName, dimensionName, dimensionValue, ...]`.
 */
interface MetricWidget extends WidgetJson {
  type: "metric";
  properties: Omit<MetricWidgetPropertiesJson, "metrics"> & { metrics: string[][] };
}

/** The grid: 24 units wide; graphs two to a row. */
const GRID = { width: 24, alarmsHeight: 3, graphWidth: 12, graphHeight: 6 } as const;

export interface DashboardAlarm {
  readonly spec: AlarmSpec;
  readonly arn: string;
}

export function platformDashboardBody(
  clusterName: string,
  region: string,
  alarms: readonly DashboardAlarm[],
): string {
  const status: AlarmWidgetJson = {
    type: "alarm",
    x: 0,
    y: 0,
    width: GRID.width,
    height: GRID.alarmsHeight,
    properties: {
      title: `tap platform alarms (cluster ${clusterName})`,
      alarms: alarms.map((a) => a.arn),
      sortBy: "stateUpdatedTimestamp",
      states: undefined,
    },
  };
  const graphs = alarms.map(({ spec }, i): MetricWidget => {
    const dims = Object.entries({ ClusterName: clusterName, ...(spec.dimensions ?? {}) }).flat();
    return {
      type: "metric",
      x: (i % 2) * GRID.graphWidth,
      y: GRID.alarmsHeight + Math.floor(i / 2) * GRID.graphHeight,
      width: GRID.graphWidth,
      height: GRID.graphHeight,
      properties: {
        title: spec.description,
        metrics: [[CONTAINER_INSIGHTS_NAMESPACE, spec.metricName, ...dims]],
        stat: spec.statistic,
        period: spec.periodSeconds,
        region,
        view: "timeSeries",
        stacked: false,
        annotations: { horizontal: [{ value: spec.threshold, label: "alarm threshold" }] },
        yAxis: undefined,
      },
    };
  });
  return JSON.stringify({ widgets: [status, ...graphs] });
}

/** Where the dashboard opens in the CloudWatch console. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${name}`;
}
