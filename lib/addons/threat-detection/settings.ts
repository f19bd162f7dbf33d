/**
 * Threat detection's settings (`tap:addons.threatDetection`): who gets the email, and whether tap
 * turns on GuardDuty's EKS runtime monitoring and Security Hub. Pure, read by the config contract
 * before anything exists.
 */
import { parseEmail, show } from "../../config-parse";

export interface ThreatDetectionSettings {
  /** An address subscribed to the security alerts topic (it must confirm the subscription). */
  readonly email?: string;
  /** GuardDuty EKS runtime monitoring, with the agent add-on tap installs (default true). */
  readonly runtimeMonitoring: boolean;
  /** Security Hub with the AWS Foundational Security Best Practices and CIS standards (default true). */
  readonly securityHub: boolean;
}

export const DEFAULT_THREAT_DETECTION_SETTINGS: ThreatDetectionSettings = {
  runtimeMonitoring: true,
  securityHub: true,
};

export const THREAT_DETECTION_SETTING_DOCS: Readonly<
  Record<keyof ThreatDetectionSettings, string>
> = {
  email:
    "an address subscribed to the security alerts (default none; it must confirm the subscription)",
  runtimeMonitoring:
    "GuardDuty EKS runtime monitoring, with the GuardDuty agent add-on and its VPC endpoint (default true)",
  securityHub:
    "Security Hub with the AWS Foundational Security Best Practices v1.0.0 and CIS AWS Foundations v3.0.0 standards (default true)",
};

export function parseThreatDetectionSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): ThreatDetectionSettings {
  const d = DEFAULT_THREAT_DETECTION_SETTINGS;
  const key = (k: string) => `addons.threatDetection.${k}`;
  const flag = (k: "runtimeMonitoring" | "securityHub"): boolean => {
    const raw = value[k];
    if (raw === undefined) return d[k];
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    fail(key(k), `tap:addons.threatDetection.${k} must be true or false (got ${show(raw)})`);
    return d[k];
  };
  const email = parseEmail(value.email, key("email"), fail);
  return {
    ...(email ? { email } : {}),
    runtimeMonitoring: flag("runtimeMonitoring"),
    securityHub: flag("securityHub"),
  };
}
