/**
 * Falco's settings (`tap:addons.falco`): from which priority an event also reaches the security
 * alerts topic (every event reaches the log group), and an address subscribed to that topic. Pure,
 * read by the config contract before anything exists.
 */
import { parseEmail, show } from "../../config-parse";

/** Falco's priorities, most severe first (falco.yaml `priority`; Falcosidekick's `minimumpriority`). */
export const FALCO_PRIORITIES = [
  "emergency",
  "alert",
  "critical",
  "error",
  "warning",
  "notice",
  "informational",
  "debug",
] as const;
export type FalcoPriority = (typeof FALCO_PRIORITIES)[number];

export interface FalcoSettings {
  /** Events of this priority or more severe are published to the security alerts topic. */
  readonly alertPriority: FalcoPriority;
  /** An address subscribed to the security alerts topic (it must confirm the subscription). */
  readonly email?: string;
}

export const DEFAULT_FALCO_SETTINGS: FalcoSettings = { alertPriority: "error" };

export const FALCO_SETTING_DOCS: Readonly<Record<keyof FalcoSettings, string>> = {
  alertPriority: `events of this Falco priority or more severe also go to the security alerts topic (${FALCO_PRIORITIES.join(", ")}; default error: tap's three rules and the defaults' ERROR/CRITICAL ones; every event goes to the log group)`,
  email:
    "an address subscribed to the security alerts topic (default none; with tap:addons.threatDetection.email set as well, both are subscribed)",
};

export function parseFalcoSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): FalcoSettings {
  const key = (k: string) => `addons.falco.${k}`;
  let alertPriority = DEFAULT_FALCO_SETTINGS.alertPriority;
  const raw = value.alertPriority;
  if (raw !== undefined) {
    const p = typeof raw === "string" ? raw.toLowerCase() : raw;
    if ((FALCO_PRIORITIES as readonly unknown[]).includes(p)) alertPriority = p as FalcoPriority;
    else
      fail(
        key("alertPriority"),
        `tap:addons.falco.alertPriority must be one of ${FALCO_PRIORITIES.join(", ")} (got ${show(raw)})`,
      );
  }
  const email = parseEmail(value.email, key("email"), fail);
  return { alertPriority, ...(email ? { email } : {}) };
}
