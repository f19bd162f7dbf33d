/**
 * Prometheus's settings (`tap:addons.prometheus`): whether Amazon Managed Grafana reads the
 * workspace. Pure, read by the config contract before anything exists.
 */
import { show } from "../../config-parse";

export interface PrometheusSettings {
  /**
   * An Amazon Managed Grafana workspace whose Prometheus data source reads tap's workspace only.
   * Its users sign in through AWS IAM Identity Center, which the account must have enabled.
   */
  readonly grafana: boolean;
}

export const DEFAULT_PROMETHEUS_SETTINGS: PrometheusSettings = { grafana: false };

export const PROMETHEUS_SETTING_DOCS: Readonly<Record<keyof PrometheusSettings, string>> = {
  grafana:
    "an Amazon Managed Grafana workspace reading tap's Prometheus workspace only, its users signing in through AWS IAM Identity Center (which the account must have enabled) (default false)",
};

export function parsePrometheusSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): PrometheusSettings {
  const raw = value.grafana;
  if (raw === undefined) return DEFAULT_PROMETHEUS_SETTINGS;
  if (raw === true || raw === "true") return { grafana: true };
  if (raw === false || raw === "false") return { grafana: false };
  fail(
    "addons.prometheus.grafana",
    `tap:addons.prometheus.grafana must be true or false (got ${show(raw)})`,
  );
  return DEFAULT_PROMETHEUS_SETTINGS;
}
