/**
 * The security alerts topic's key and topic policies, pure so tests simulate them: EventBridge may
 * publish there, for tap's finding rules in this account only.
 */
import { PolicyDocument, accountAdministersKey, denyWithoutTls } from "../../iam/policy";

export const EVENTS_PRINCIPAL = "events.amazonaws.com";

/**
 * The topic's own key: the account administers it (IAM policies may then grant its use, as the
 * alert readers need) and EventBridge makes and reads its data keys, without which an encrypted
 * topic drops its messages (SNS Developer Guide, "Enable compatibility between event sources from
 * AWS services and encrypted topics"). No condition: EventBridge sends no aws:SourceAccount or
 * aws:SourceArn to KMS, and a condition the request lacks would drop every alert without a trace;
 * a key of its own keeps the grant from reaching anything but this topic.
 */
export function securityAlertsKeyPolicy(partition: string, accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(partition, accountId),
      {
        Sid: "EventBridgeUsesKey",
        Effect: "Allow",
        Principal: { Service: EVENTS_PRINCIPAL },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
      },
    ],
  };
}

/**
 * EventBridge publishes; a publish that names another account or rule is refused. AWS's EventBridge
 * guide ("Using resource-based policies for Amazon EventBridge", Amazon SNS permissions) says
 * Condition blocks cannot be used in SNS topic policies for EventBridge: the Allow carries none, so
 * delivery never depends on a key EventBridge may not send. EventBridge delivers to a topic under
 * its service principal for rules of the topic's own account (a rule in another account needs an
 * execution role the topic would have to name); the Deny holds the line if a request does carry
 * aws:SourceAccount or aws:SourceArn, applying only where the key is present (Null false).
 */
export function securityAlertsTopicPolicy(args: {
  readonly topicArn: string;
  readonly accountId: string;
  /** tap's finding rules; none (Falco alone) = no statement for EventBridge at all. */
  readonly ruleArns: readonly string[];
}): PolicyDocument {
  const service = { Service: EVENTS_PRINCIPAL };
  // Replacing the topic's default policy (which lets any principal of the account publish and
  // subscribe) leaves publishing to what IAM grants: Falcosidekick's role, through its own policy.
  const tls = denyWithoutTls("PublishOverTlsOnly", "sns:Publish", args.topicArn);
  if (args.ruleArns.length === 0) return { Version: "2012-10-17", Statement: [tls] };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgePublishes",
        Effect: "Allow",
        Principal: service,
        Action: "sns:Publish",
        Resource: args.topicArn,
      },
      {
        Sid: "NotForAnotherAccount",
        Effect: "Deny",
        Principal: service,
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: {
          StringNotEquals: { "aws:SourceAccount": args.accountId },
          Null: { "aws:SourceAccount": "false" },
        },
      },
      {
        Sid: "OnlyForTapsRules",
        Effect: "Deny",
        Principal: service,
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: {
          ArnNotEquals: { "aws:SourceArn": [...args.ruleArns] },
          Null: { "aws:SourceArn": "false" },
        },
      },
      tls,
    ],
  };
}

/**
 * The GuardDuty agent endpoint's policy, as GuardDuty's guide gives it for an agent managed by hand
 * ("Prerequisite: creating an Amazon VPC endpoint", eksrunmon-prereq-deploy-security-agent): any
 * call from this account's principals, none from another's.
 */
export function agentEndpointPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Agent", Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: "*" },
      {
        Sid: "OnlyThisAccount",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "*",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:PrincipalAccount": accountId } },
      },
    ],
  };
}
