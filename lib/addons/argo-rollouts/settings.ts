/**
 * Argo Rollouts' settings (`tap:addons.argoRollouts`): which catalog service is released as a
 * canary. Pure, read by the config contract before anything exists; that the service exists and
 * has a CloudWatch metric to analyse is checked with the catalog (lib/config.ts).
 */
import { show } from "../../config-parse";

export interface ArgoRolloutsSettings {
  /** The catalog service released as a canary (default: the first with a `cloudwatchMetric`). */
  readonly canaryService?: string;
}

export const DEFAULT_ARGO_ROLLOUTS_SETTINGS: ArgoRolloutsSettings = {};

export const ARGO_ROLLOUTS_SETTING_DOCS: Readonly<Record<keyof ArgoRolloutsSettings, string>> = {
  canaryService:
    "the catalog service released as a canary, analysed on its cloudwatchMetric (default the first service that has one: payments in the default catalog; none: the controller only)",
};

export function parseArgoRolloutsSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): ArgoRolloutsSettings {
  const raw = value.canaryService;
  if (raw === undefined) return {};
  if (typeof raw === "string" && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(raw))
    return { canaryService: raw };
  fail(
    "addons.argoRollouts.canaryService",
    `tap:addons.argoRollouts.canaryService must be the name of a catalog service (got ${show(raw)})`,
  );
  return {};
}
