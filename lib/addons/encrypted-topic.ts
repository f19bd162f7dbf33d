/**
 * An SNS topic encrypted with a KMS key of its own, and the topic policy that replaces SNS's
 * default: the shape of tap's alert topics (cost alerts; security alerts, shared by threat
 * detection and Falco). The key is its own because the services that publish need an
 * unconditioned grant on it (they send KMS no aws:SourceAccount); on a key of its own that grant
 * reaches nothing but this topic. Names: `<role>`, `<role>-kms`, `<role>-policy`, `<role>-email`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsScope } from "../iam/irsa";
import { AwsScope, PolicyDocument } from "../iam/policy";
import { mergeTags, nameTag } from "../naming";
import { AddonContext } from "./types";

export interface EncryptedTopic {
  readonly topic: aws.sns.Topic;
  readonly key: aws.kms.Key;
  /** What may publish: whatever publishes waits for it. */
  readonly policy: aws.sns.TopicPolicy;
}

export function createEncryptedTopic(
  ctx: AddonContext,
  args: {
    /** `tap-cost-alerts`: the topic's name (with the suffix) and its resources' prefix. */
    readonly role: string;
    /** What the topic is, for the key's description. */
    readonly description: string;
    readonly keyPolicy: (scope: AwsScope) => PolicyDocument;
    readonly topicPolicy: (topicArn: string, scope: AwsScope) => pulumi.Input<PolicyDocument>;
  },
): EncryptedTopic {
  const opts = { parent: ctx.parent };
  const scope = awsScope(ctx.parent);
  const keyName = ctx.name(`${args.role}-kms`);
  const key = new aws.kms.Key(
    keyName,
    {
      description: `tap ${ctx.config.environmentSuffix}: ${args.description}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: scope.apply((s) => JSON.stringify(args.keyPolicy(s))),
      tags: mergeTags(ctx.tags, nameTag(keyName)),
    },
    opts,
  );
  const topic = new aws.sns.Topic(
    ctx.name(args.role),
    { name: ctx.name(args.role), kmsMasterKeyId: key.arn, tags: ctx.tags },
    opts,
  );
  const policy = new aws.sns.TopicPolicy(
    ctx.name(`${args.role}-policy`),
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, scope])
        .apply(([topicArn, s]) => pulumi.output(args.topicPolicy(topicArn, s)))
        .apply((doc) => JSON.stringify(doc)),
    },
    opts,
  );
  return { topic, key, policy };
}

/** An email subscription to `topic`, named `<role>-email` (`-email-<n>` for the n-th address). */
export function emailSubscription(
  ctx: AddonContext,
  topic: aws.sns.Topic,
  role: string,
  email: string,
  n = 1,
): aws.sns.TopicSubscription {
  return new aws.sns.TopicSubscription(
    ctx.name(n === 1 ? `${role}-email` : `${role}-email-${n}`),
    { topic: topic.arn, protocol: "email", endpoint: email },
    { parent: ctx.parent },
  );
}
