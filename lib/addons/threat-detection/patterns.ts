/**
 * The EventBridge patterns that turn findings into alerts, pure so tests match them against real
 * finding events (test/unit/addons/threat-detection/patterns.test.ts, samples from AWS's guides).
 *
 * - GuardDuty publishes every finding to the default bus as `GuardDuty Finding` with a numeric
 *   `detail.severity` (Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0): the rule
 *   takes those above 4.
 * - Security Hub publishes `Security Hub Findings - Imported` with a list `detail.findings`; the
 *   rule takes CRITICAL and HIGH ones that are new and active, and not GuardDuty's own (Security
 *   Hub imports those too: they would alert twice). "Each event sends a single finding" (Security
 *   Hub User Guide, securityhub-cwe-event-formats), so the conditions on `findings` hold for one.
 */
export const GUARDDUTY_MIN_SEVERITY = 4;

export type EventPattern = Readonly<Record<string, unknown>>;

export const GUARDDUTY_FINDINGS_PATTERN: EventPattern = {
  source: ["aws.guardduty"],
  "detail-type": ["GuardDuty Finding"],
  detail: { severity: [{ numeric: [">", GUARDDUTY_MIN_SEVERITY] }] },
};

export const SECURITY_HUB_SEVERITIES = ["CRITICAL", "HIGH"] as const;

/**
 * GuardDuty's findings as Security Hub imports them carry its product ARN. ProductArn is required
 * in every finding (ASFF), unlike ProductName, which older findings lack (and a pattern on a field
 * an event lacks never matches: the alert would be lost).
 */
export const guardDutyProductArn = (partition: string, region: string): string =>
  `arn:${partition}:securityhub:${region}::product/aws/guardduty`;

export function securityHubFindingsPattern(partition: string, region: string): EventPattern {
  return {
    source: ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported"],
    detail: {
      findings: {
        Severity: { Label: [...SECURITY_HUB_SEVERITIES] },
        // Imported events also fire on every workflow update and archival: only new, active ones.
        Workflow: { Status: ["NEW"] },
        RecordState: ["ACTIVE"],
        ProductArn: [{ "anything-but": [guardDutyProductArn(partition, region)] }],
      },
    },
  };
}
