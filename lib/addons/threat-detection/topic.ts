/**
 * The security alerts topic `tap-security-alerts-<suffix>`: GuardDuty's and Security Hub's findings
 * (EventBridge, tap:addons.threatDetection) and Falco's events (Falcosidekick, tap:addons.falco)
 * meet here. Encrypted with a key of its own; its policy admits EventBridge for tap's rules only
 * and nothing over plain HTTP (policy.ts), and Falcosidekick publishes through its IRSA role. One
 * topic whichever of the two is on: the first of them to deploy makes it, the other takes it and
 * subscribes its own address if it is another (lib/addons/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { EncryptedTopic, createEncryptedTopic, emailSubscription } from "../encrypted-topic";
import { AddonContext } from "../types";
import { securityAlertsKeyPolicy, securityAlertsTopicPolicy } from "./policy";

export interface SecurityAlerts extends EncryptedTopic {
  /** The addresses subscribed to it. */
  readonly emails: readonly string[];
}

const ROLE = "tap-security-alerts";

export function createSecurityAlerts(
  ctx: AddonContext,
  args: {
    /** tap's finding rules (none with Falco alone). */
    readonly ruleArns: readonly pulumi.Output<string>[];
    readonly email?: string;
  },
): SecurityAlerts {
  const rules = pulumi.all([...args.ruleArns]);
  const alerts = {
    ...createEncryptedTopic(ctx, {
      role: ROLE,
      description: "the security alerts topic",
      keyPolicy: (s) => securityAlertsKeyPolicy(s.partition, s.accountId),
      topicPolicy: (topicArn, s) =>
        rules.apply((ruleArns) =>
          securityAlertsTopicPolicy({ topicArn, accountId: s.accountId, ruleArns }),
        ),
    }),
    emails: [],
  };
  return args.email ? subscribeEmail(ctx, alerts, args.email) : alerts;
}

/** `alerts` with `email` subscribed (once: an address already subscribed is left as it is). */
export function subscribeEmail(
  ctx: AddonContext,
  alerts: SecurityAlerts,
  email: string,
): SecurityAlerts {
  if (alerts.emails.includes(email)) return alerts;
  emailSubscription(ctx, alerts.topic, ROLE, email, alerts.emails.length + 1);
  return { ...alerts, emails: [...alerts.emails, email] };
}
