/**
 * The cost alerts topic's policy, pure so tests simulate it: AWS Budgets may publish for this
 * stack's budget and Cost Anomaly Detection for this account, nothing else may publish. Service
 * principals and conditions as AWS's guides give them (Budgets: "Creating an Amazon SNS topic for
 * budget notifications", aws:SourceArn arn:aws:budgets::<account>:*; Cost Anomaly Detection:
 * costalerts.amazonaws.com), read 2026-12-03.
 */
import { PolicyDocument, accountAdministersKey } from "../../iam/policy";

export const BUDGETS_PRINCIPAL = "budgets.amazonaws.com";
export const COST_ALERTS_PRINCIPAL = "costalerts.amazonaws.com";

/**
 * The topic's own key: the account administers it; Budgets and Cost Anomaly Detection make and
 * read its data keys (an encrypted topic takes their messages only so: SNS Developer Guide,
 * "Enable compatibility between event sources from AWS services and encrypted topics"). No
 * aws:SourceAccount condition: not every service sends it to KMS (EventBridge does not, and
 * AWS says so), and a condition the request lacks would drop every alert without a trace. A key
 * of its own is what keeps that unconditioned grant from reaching anything but this topic.
 */
export function costAlertsKeyPolicy(partition: string, accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountAdministersKey(partition, accountId),
      {
        Sid: "AlertServicesUseKey",
        Effect: "Allow",
        Principal: { Service: [BUDGETS_PRINCIPAL, COST_ALERTS_PRINCIPAL] },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
      },
    ],
  };
}

export function costAlertsTopicPolicy(args: {
  readonly topicArn: string;
  readonly accountId: string;
  readonly partition: string;
  readonly budgetName: string;
}): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BudgetsPublishForTapsBudget",
        Effect: "Allow",
        Principal: { Service: BUDGETS_PRINCIPAL },
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": args.accountId },
          ArnLike: {
            "aws:SourceArn": `arn:${args.partition}:budgets::${args.accountId}:budget/${args.budgetName}`,
          },
        },
      },
      {
        Sid: "AnomalyDetectionPublish",
        Effect: "Allow",
        Principal: { Service: COST_ALERTS_PRINCIPAL },
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
      },
    ],
  };
}
