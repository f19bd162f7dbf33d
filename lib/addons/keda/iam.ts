/**
 * IAM policy of the KEDA operator (IRSA role of keda/keda-operator). KEDA's `aws-cloudwatch`
 * scaler reads metrics with one call, `cloudwatch:GetMetricData` (keda-docs, scalers/aws-cloudwatch.md,
 * "IAM permissions"); nothing else is granted. Scalers for other AWS services (SQS, Kinesis, ...)
 * would need their own, resource-scoped statements added here when a service asks for them.
 */
import { AwsScope, PolicyDocument } from "../../iam/policy";

/**
 * Read-only CloudWatch metrics for the KEDA operator.
 *
 * `Resource: "*"` is the only valid form: GetMetricData defines no resource type and no
 * resource-level condition keys in the IAM Service Authorization Reference, so it cannot be scoped
 * to an ARN. It is a read of metric values only; it cannot write, delete or change alarms.
 */
export function kedaOperatorPolicy(_scope: AwsScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadCloudWatchMetricsForScaling",
        Effect: "Allow",
        Action: "cloudwatch:GetMetricData",
        Resource: "*",
      },
    ],
  };
}
