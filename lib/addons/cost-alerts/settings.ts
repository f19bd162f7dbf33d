/**
 * The cost alerts' settings (`tap:addons.costAlerts`): the monthly budget, the anomaly impact that
 * alerts, and who gets the email. Pure, read by the config contract before anything exists.
 */
import { numberFromConfig, parseEmail, show } from "../../config-parse";

export interface CostAlertsSettings {
  /** The stack's monthly budget in USD (required with the capability on). */
  readonly monthlyBudgetUsd?: number;
  /** A cost anomaly alerts once its total impact reaches this many USD. */
  readonly anomalyThresholdUsd: number;
  /** An address subscribed to the alerts topic (it must confirm the subscription). */
  readonly email?: string;
}

export const DEFAULT_COST_ALERTS_SETTINGS: CostAlertsSettings = { anomalyThresholdUsd: 100 };

export const COST_ALERTS_SETTING_DOCS: Readonly<Record<keyof CostAlertsSettings, string>> = {
  monthlyBudgetUsd:
    "the stack's monthly budget in USD; required (npm run plan prints the estimate to start from)",
  anomalyThresholdUsd: "USD of total impact at which a cost anomaly alerts (default 100)",
  email: "an address subscribed to the alerts (default none; it must confirm the subscription)",
};

export function parseCostAlertsSettings(
  value: Readonly<Record<string, unknown>>,
  on: boolean,
  fail: (key: string, reason: string) => void,
): CostAlertsSettings {
  const d = DEFAULT_COST_ALERTS_SETTINGS;
  const key = (k: string) => `addons.costAlerts.${k}`;
  const usd = (k: "monthlyBudgetUsd" | "anomalyThresholdUsd"): number | undefined => {
    const raw = value[k];
    if (raw === undefined) return undefined;
    const n = numberFromConfig(raw);
    if (typeof n === "number" && Number.isFinite(n) && n > 0 && n <= 10_000_000) return n;
    fail(key(k), `tap:addons.costAlerts.${k} must be a number of USD above 0 (got ${show(raw)})`);
    return undefined;
  };
  const monthlyBudgetUsd = usd("monthlyBudgetUsd");
  if (on && value.monthlyBudgetUsd === undefined)
    fail(
      key("monthlyBudgetUsd"),
      "tap:addons.costAlerts.monthlyBudgetUsd is required: the budget the alerts compare against (npm run plan prints the stack's estimate)",
    );
  const anomalyThresholdUsd = usd("anomalyThresholdUsd") ?? d.anomalyThresholdUsd;
  const email = parseEmail(value.email, key("email"), fail);
  return {
    ...(monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd } : {}),
    anomalyThresholdUsd,
    ...(email ? { email } : {}),
  };
}
