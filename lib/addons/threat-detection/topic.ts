/**
 * The security alerts topic `tap-security-alerts-<suffix>`: GuardDuty's and Security Hub's findings
 * (EventBridge, tap:addons.threatDetection) and Falco's events (Falcosidekick, tap:addons.falco)
 * meet here. Encrypted with a key of its own; its policy admits EventBridge for tap's rules only
 * and nothing over plain HTTP (policy.ts), and Falcosidekick publishes through its IRSA role. One
 * topic whichever of the two is on: the first of them to deploy makes it, the other takes it and
 * subscribes its own address if it is another (lib/addons/index.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsScope } from "../../iam/irsa";
import { mergeTags, nameTag } from "../../naming";
import { AddonContext } from "../types";
import { securityAlertsKeyPolicy, securityAlertsTopicPolicy } from "./policy";

export interface SecurityAlerts {
  readonly topic: aws.sns.Topic;
  readonly key: aws.kms.Key;
  /** The topic's policy: EventBridge targets wait for it. */
  readonly policy: aws.sns.TopicPolicy;
  /** The addresses subscribed to it. */
  readonly emails: readonly string[];
}

export function createSecurityAlerts(
  ctx: AddonContext,
  args: {
    /** tap's finding rules (none with Falco alone). */
    readonly ruleArns: readonly pulumi.Output<string>[];
    readonly email?: string;
  },
): SecurityAlerts {
  const opts = { parent: ctx.parent };
  const suffix = ctx.config.environmentSuffix;
  const scope = awsScope(ctx.parent);
  const key = new aws.kms.Key(
    ctx.name("tap-security-alerts-kms"),
    {
      description: `tap ${suffix}: the security alerts topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: scope.apply((s) => JSON.stringify(securityAlertsKeyPolicy(s.partition, s.accountId))),
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-security-alerts-kms"))),
    },
    opts,
  );
  const topic = new aws.sns.Topic(
    ctx.name("tap-security-alerts"),
    { name: ctx.name("tap-security-alerts"), kmsMasterKeyId: key.arn, tags: ctx.tags },
    opts,
  );
  const policy = new aws.sns.TopicPolicy(
    ctx.name("tap-security-alerts-policy"),
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, scope, pulumi.all([...args.ruleArns])])
        .apply(([topicArn, s, arns]) =>
          JSON.stringify(
            securityAlertsTopicPolicy({ topicArn, accountId: s.accountId, ruleArns: arns }),
          ),
        ),
    },
    opts,
  );
  const alerts = { topic, key, policy, emails: [] };
  return args.email ? subscribeEmail(ctx, alerts, args.email) : alerts;
}

/** `alerts` with `email` subscribed (once: an address already subscribed is left as it is). */
export function subscribeEmail(
  ctx: AddonContext,
  alerts: SecurityAlerts,
  email: string,
): SecurityAlerts {
  if (alerts.emails.includes(email)) return alerts;
  const n = alerts.emails.length;
  new aws.sns.TopicSubscription(
    ctx.name(n === 0 ? "tap-security-alerts-email" : `tap-security-alerts-email-${n + 1}`),
    { topic: alerts.topic.arn, protocol: "email", endpoint: email },
    { parent: ctx.parent },
  );
  return { ...alerts, emails: [...alerts.emails, email] };
}
