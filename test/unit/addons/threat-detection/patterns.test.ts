/**
 * The finding rules' patterns against finding events in the shapes AWS delivers them, with
 * EventBridge's matching (test/helpers/event-pattern.ts). The samples are trimmed from:
 * - GuardDuty: the event envelope of the GuardDuty User Guide (awsdocs/amazon-guardduty-user-guide
 *   doc_source/guardduty_findings_cloudwatch.md; `detail` is one finding in the API's camelCase),
 *   and a PrivilegeEscalation:Kubernetes/PrivilegedContainer finding on an EKS cluster as
 *   `aws guardduty get-findings` prints it (the cdk-eks-blueprints GuardDuty pattern's docs).
 * - Security Hub: an FSBP control finding event from aws-solutions/automated-security-response-on-aws
 *   (source/layer/test/test_json_data/afsbp-ec2.7.json), and a GuardDuty finding as Security Hub
 *   imports it (ProductArn product/aws/guardduty).
 */
import {
  GUARDDUTY_FINDINGS_PATTERN,
  securityHubFindingsPattern,
} from "../../../../lib/addons/threat-detection";
import { matchesPattern } from "../../../helpers/event-pattern";

const guardDutyEvent = (
  severity: number,
  type = "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
) => ({
  version: "0",
  id: "cd2d702e-ab31-411b-9344-793ce56b1bc7",
  "detail-type": "GuardDuty Finding",
  source: "aws.guardduty",
  account: "111122223333",
  time: "2023-03-22T21:28:07Z",
  region: "us-east-1",
  resources: [],
  detail: {
    schemaVersion: "2.0",
    accountId: "111122223333",
    region: "us-east-1",
    partition: "aws",
    id: "f2c3859c6ca25b3057d13470a992bbd7",
    arn: "arn:aws:guardduty:us-east-1:111122223333:detector/94c3858788bc1444ceedab472bab5d7e/finding/f2c3859c6ca25b3057d13470a992bbd7",
    type,
    resource: {
      resourceType: "EKSCluster",
      eksClusterDetails: {
        name: "tap-eks-dev",
        arn: "arn:aws:eks:us-east-1:111122223333:cluster/tap-eks-dev",
        vpcId: "vpc-02b68c9ddc1d403ab",
        status: "ACTIVE",
      },
      kubernetesDetails: {
        kubernetesWorkloadDetails: {
          name: "privileged-pod",
          type: "pods",
          namespace: "payments",
          containers: [{ name: "app", image: "centos", securityContext: { privileged: true } }],
        },
      },
    },
    service: {
      serviceName: "guardduty",
      detectorId: "94c3858788bc1444ceedab472bab5d7e",
      action: { actionType: "KUBERNETES_API_CALL" },
      archived: false,
      count: 1,
    },
    severity,
    createdAt: "2023-03-22T21:28:07.748Z",
    updatedAt: "2023-03-22T21:28:07.748Z",
    title: "Privileged container with root level access launched on the EKS Cluster.",
  },
});

interface HubFinding {
  readonly label: string;
  readonly workflow?: string;
  readonly record?: string;
  readonly product?: string;
}
const securityHubEvent = (...findings: HubFinding[]) => ({
  version: "0",
  id: "1622bd23-7237-fdec-8fb0-a019cccfd3cb",
  "detail-type": "Security Hub Findings - Imported",
  source: "aws.securityhub",
  account: "111111111111",
  time: "2020-05-27T03:37:40Z",
  region: "us-east-1",
  resources: [
    "arn:aws:securityhub:us-east-1::product/aws/securityhub/arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.7/finding/0003b335-cf3f-4f93-a025-6b1a7baced06",
  ],
  detail: {
    findings: findings.map((f) => ({
      SchemaVersion: "2018-10-08",
      Id: "arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.7/finding/0003b335-cf3f-4f93-a025-6b1a7baced06",
      ProductArn: `arn:aws:securityhub:us-east-1::product/aws/${f.product ?? "securityhub"}`,
      GeneratorId: "aws-foundational-security-best-practices/v/1.0.0/EC2.7",
      AwsAccountId: "111111111111",
      Types: [
        "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices",
      ],
      Severity: { Product: 0, Label: f.label, Normalized: 0, Original: f.label },
      Title: "EC2.7 EBS default encryption should be enabled",
      ProductFields: {
        StandardsArn:
          "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0",
        ControlId: "EC2.7",
        "aws/securityhub/ProductName": f.product === "guardduty" ? "GuardDuty" : "Security Hub",
      },
      Resources: [{ Type: "AwsAccount", Id: "AWS::::Account:111111111111", Region: "us-east-1" }],
      Compliance: { Status: "FAILED" },
      WorkflowState: f.workflow ?? "NEW",
      Workflow: { Status: f.workflow ?? "NEW" },
      RecordState: f.record ?? "ACTIVE",
    })),
  },
});

describe("the GuardDuty rule", () => {
  const alerts = (event: unknown) => matchesPattern(GUARDDUTY_FINDINGS_PATTERN, event);

  it("alerts on findings above severity 4 (medium 4.1 up, high, critical)", () => {
    for (const s of [4.1, 5, 5.0, 6.9, 7, 8.3, 9.5, 10])
      expect(alerts(guardDutyEvent(s))).toBe(true);
    expect(alerts(guardDutyEvent(8, "Execution:Runtime/NewBinaryExecuted"))).toBe(true);
  });

  it("lets low findings and severity 4 itself pass without an alert", () => {
    for (const s of [1, 2, 3.9, 4, 4.0]) expect(alerts(guardDutyEvent(s))).toBe(false);
  });

  it("takes only GuardDuty's findings", () => {
    expect(alerts({ ...guardDutyEvent(8), source: "aws.securityhub" })).toBe(false);
    expect(alerts({ ...guardDutyEvent(8), "detail-type": "AWS API Call via CloudTrail" })).toBe(
      false,
    );
  });
});

describe("the Security Hub rule", () => {
  const alerts = (event: unknown) =>
    matchesPattern(securityHubFindingsPattern("aws", "us-east-1"), event);

  it("alerts on new, active CRITICAL and HIGH findings", () => {
    expect(alerts(securityHubEvent({ label: "CRITICAL" }))).toBe(true);
    expect(alerts(securityHubEvent({ label: "HIGH" }))).toBe(true);
  });

  it("not on lower severities", () => {
    for (const label of ["MEDIUM", "LOW", "INFORMATIONAL"])
      expect(alerts(securityHubEvent({ label }))).toBe(false);
  });

  it("not again when a finding is worked on, resolved or archived", () => {
    for (const workflow of ["NOTIFIED", "SUPPRESSED", "RESOLVED"])
      expect(alerts(securityHubEvent({ label: "HIGH", workflow }))).toBe(false);
    expect(alerts(securityHubEvent({ label: "CRITICAL", record: "ARCHIVED" }))).toBe(false);
  });

  it("not on GuardDuty's findings, which the GuardDuty rule already sent", () => {
    expect(alerts(securityHubEvent({ label: "HIGH", product: "guardduty" }))).toBe(false);
    expect(alerts(securityHubEvent({ label: "HIGH", product: "inspector" }))).toBe(true);
  });

  it("takes only Security Hub's imported findings", () => {
    expect(alerts({ ...securityHubEvent({ label: "HIGH" }), source: "aws.guardduty" })).toBe(false);
  });
});

describe("the matcher itself", () => {
  // EventBridge User Guide, "Arrays in event patterns": a pattern value matches an event array
  // when the two intersect; a field the event lacks matches nothing.
  it("intersects arrays and misses absent fields", () => {
    expect(matchesPattern({ resources: ["a", "b"] }, { resources: ["c", "a"] })).toBe(true);
    expect(matchesPattern({ resources: ["a"] }, { resources: ["c"] })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ "anything-but": "y" }] } }, { detail: {} })).toBe(
      false,
    );
    expect(matchesPattern({ detail: { x: [{ exists: false }] } }, { detail: {} })).toBe(true);
  });
});
