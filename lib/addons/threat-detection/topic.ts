/**
 * The security alerts topic `tap-security-alerts-<suffix>`: GuardDuty's and Security Hub's findings
 * (EventBridge, tap:addons.threatDetection) and Falco's events (Falcosidekick, tap:addons.falco)
 * meet here. Encrypted with a key of its own; its policy admits EventBridge for tap's rules only
 * (policy.ts), and Falcosidekick publishes through its IRSA role. One topic whichever of the two
 * is on: the first of them to deploy makes it, the other takes it (lib/addons/index.ts).
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
  /** The topic's policy (present when EventBridge rules publish to it): targets wait for it. */
  readonly policy?: aws.sns.TopicPolicy;
}

export function createSecurityAlerts(
  ctx: AddonContext,
  args: { readonly ruleArns: readonly pulumi.Output<string>[] },
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
  const policy =
    args.ruleArns.length > 0
      ? new aws.sns.TopicPolicy(
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
        )
      : undefined;
  const email = ctx.config.addonSettings.threatDetection.email;
  if (email)
    new aws.sns.TopicSubscription(
      ctx.name("tap-security-alerts-email"),
      { topic: topic.arn, protocol: "email", endpoint: email },
      opts,
    );
  return { topic, key, ...(policy ? { policy } : {}) };
}
