/**
 * Checks of a deployed tap stack against AWS. Each takes SDK clients, the stack outputs and the
 * expectations, and returns findings: one readable line per problem, `[]` when healthy. An SDK error
 * on one resource (not found, access denied) is a finding about that resource, not a thrown error.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  Nodegroup,
} from "@aws-sdk/client-eks";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { STS_AUDIENCE } from "../../lib/iam/irsa";
import { Sizes, splitCapacity } from "../../lib/node-groups";
import { StackOutputsFile } from "./outputs";

export type Findings = string[];

const errorText = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}` : JSON.stringify(e);
const stripScheme = (url: string): string => url.replace(/^https:\/\//, "").replace(/\/$/, "");

export interface ClusterExpectations {
  readonly version: string;
  readonly logTypes: readonly string[];
}

/** DescribeCluster: ACTIVE, version, OIDC issuer, secrets encrypted with the KMS key, log types. */
export async function checkCluster(
  eks: EKSClient,
  outputs: StackOutputsFile,
  expected: ClusterExpectations,
): Promise<Findings> {
  const where = `cluster ${outputs.clusterName}`;
  let cluster;
  try {
    cluster = (await eks.send(new DescribeClusterCommand({ name: outputs.clusterName }))).cluster;
  } catch (e) {
    return [`${where}: DescribeCluster failed (${errorText(e)})`];
  }
  if (!cluster) return [`${where}: DescribeCluster returned no cluster`];
  const findings: Findings = [];
  if (cluster.status !== "ACTIVE")
    findings.push(`${where}: status is ${cluster.status}, expected ACTIVE`);
  if (cluster.version !== expected.version) {
    findings.push(`${where}: version is ${cluster.version}, expected ${expected.version}`);
  }
  if (outputs.clusterVersion !== expected.version) {
    findings.push(
      `${where}: the clusterVersion output is ${outputs.clusterVersion}, expected ${expected.version} (stale outputs file?)`,
    );
  }
  const issuer = cluster.identity?.oidc?.issuer;
  if (!issuer || stripScheme(issuer) !== stripScheme(outputs.oidcIssuerUrl)) {
    findings.push(`${where}: OIDC issuer is ${issuer}, expected ${outputs.oidcIssuerUrl}`);
  } else if (!outputs.oidcProviderArn.endsWith(`:oidc-provider/${stripScheme(issuer)}`)) {
    findings.push(
      `${where}: oidcProviderArn ${outputs.oidcProviderArn} is not the provider of issuer ${issuer}`,
    );
  }
  const secrets = (cluster.encryptionConfig ?? []).filter((c) => c.resources?.includes("secrets"));
  if (secrets.length === 0) {
    findings.push(
      `${where}: secrets are not envelope-encrypted (no encryptionConfig for "secrets")`,
    );
  } else if (!secrets.some((c) => c.provider?.keyArn === outputs.kmsKeyArn)) {
    const keys = secrets.map((c) => c.provider?.keyArn).join(", ");
    findings.push(`${where}: secrets are encrypted with ${keys}, expected ${outputs.kmsKeyArn}`);
  }
  const enabled = new Set<string>(
    (cluster.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []),
  );
  for (const type of expected.logTypes) {
    if (!enabled.has(type))
      findings.push(`${where}: control-plane log type "${type}" is not enabled`);
  }
  if (cluster.resourcesVpcConfig?.endpointPrivateAccess !== true) {
    findings.push(`${where}: the private API endpoint is not enabled`);
  }
  const clusterSg = cluster.resourcesVpcConfig?.clusterSecurityGroupId;
  if (
    outputs.clusterSecurityGroupId !== undefined &&
    outputs.clusterSecurityGroupId !== clusterSg
  ) {
    findings.push(
      `${where}: the clusterSecurityGroupId output is ${outputs.clusterSecurityGroupId}, but the EKS cluster security group is ${clusterSg}`,
    );
  }
  return findings;
}

export interface NodeGroupExpectations {
  /** Total nodes over both groups, as configured (tap:nodeMinSize/DesiredSize/MaxSize). */
  readonly totals: Sizes;
  readonly spotPercentage: number;
}

async function describeNodegroups(
  eks: EKSClient,
  outputs: StackOutputsFile,
  findings: Findings,
): Promise<Nodegroup[]> {
  const groups: Nodegroup[] = [];
  for (const name of outputs.nodeGroupNames) {
    try {
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({ clusterName: outputs.clusterName, nodegroupName: name }),
      );
      if (nodegroup) groups.push(nodegroup);
      else findings.push(`node group ${name}: DescribeNodegroup returned no node group`);
    } catch (e) {
      findings.push(`node group ${name}: DescribeNodegroup failed (${errorText(e)})`);
    }
  }
  return groups;
}

/**
 * DescribeNodegroup for every name: ACTIVE, one SPOT and one ON_DEMAND group (only the side that
 * has nodes at 0 or 100 % spot), min and max exactly as `splitCapacity` computes, desired within
 * [min, max] (cluster-autoscaler owns desired after creation), subnets among the private subnets,
 * Kubernetes version equal to the cluster's.
 */
export async function checkNodeGroups(
  eks: EKSClient,
  outputs: StackOutputsFile,
  expected: NodeGroupExpectations,
): Promise<Findings> {
  const findings: Findings = [];
  const groups = await describeNodegroups(eks, outputs, findings);
  const split = splitCapacity(expected.totals, expected.spotPercentage);
  const plan = [
    { capacityType: "SPOT", sizes: split.spot },
    { capacityType: "ON_DEMAND", sizes: split.onDemand },
  ].filter((p) => p.sizes.max > 0);
  const privateSubnets = new Set(outputs.privateSubnetIds);

  for (const { capacityType, sizes } of plan) {
    const matching = groups.filter((g) => g.capacityType === capacityType);
    if (matching.length !== 1) {
      findings.push(
        `node groups: expected exactly one ${capacityType} group, found ${matching.length}` +
          ` (${groups.map((g) => `${g.nodegroupName}=${g.capacityType}`).join(", ") || "none"})`,
      );
      continue;
    }
    const g = matching[0];
    const where = `node group ${g.nodegroupName} (${capacityType})`;
    const s = g.scalingConfig ?? {};
    if (s.minSize !== sizes.min || s.maxSize !== sizes.max) {
      findings.push(
        `${where}: min/max is ${s.minSize}/${s.maxSize}, expected ${sizes.min}/${sizes.max} ` +
          `(${expected.spotPercentage}% spot of ${expected.totals.min}/${expected.totals.max})`,
      );
    }
    const desired = s.desiredSize ?? -1;
    if (desired < sizes.min || desired > sizes.max) {
      findings.push(
        `${where}: desired size ${s.desiredSize} is outside ${sizes.min}..${sizes.max}`,
      );
    }
  }
  const unexpected = groups.filter((g) => !plan.some((p) => p.capacityType === g.capacityType));
  for (const g of unexpected) {
    findings.push(
      `node group ${g.nodegroupName}: capacity type ${g.capacityType} is not expected at ${expected.spotPercentage}% spot`,
    );
  }
  for (const g of groups) {
    if (g.status !== "ACTIVE") {
      findings.push(`node group ${g.nodegroupName}: status is ${g.status}, expected ACTIVE`);
    }
    // Node groups follow the control plane (tap passes the cluster's version explicitly).
    if (g.version !== outputs.clusterVersion) {
      findings.push(
        `node group ${g.nodegroupName}: Kubernetes ${g.version}, expected the cluster's ${outputs.clusterVersion}`,
      );
    }
    const outside = (g.subnets ?? []).filter((s) => !privateSubnets.has(s));
    if (outside.length > 0 || (g.subnets ?? []).length === 0) {
      findings.push(
        `node group ${g.nodegroupName}: subnets ${outside.join(", ") || "(none)"} are not private subnets of the stack`,
      );
    }
  }
  return findings;
}

/** The ASGs behind the node groups carry cluster-autoscaler's auto-discovery tags. */
export async function checkAutoscalingTags(
  eks: EKSClient,
  asg: AutoScalingClient,
  outputs: StackOutputsFile,
): Promise<Findings> {
  const findings: Findings = [];
  const groups = await describeNodegroups(eks, outputs, findings);
  const required: Record<string, string> = {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${outputs.clusterName}`]: "owned",
  };
  for (const g of groups) {
    const names = (g.resources?.autoScalingGroups ?? []).flatMap((a) => (a.name ? [a.name] : []));
    if (names.length === 0) {
      findings.push(`node group ${g.nodegroupName}: has no Auto Scaling group`);
      continue;
    }
    try {
      const { AutoScalingGroups = [] } = await asg.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }),
      );
      for (const name of names) {
        const group = AutoScalingGroups.find((a) => a.AutoScalingGroupName === name);
        if (!group) {
          findings.push(`Auto Scaling group ${name}: not found`);
          continue;
        }
        for (const [key, value] of Object.entries(required)) {
          const tag = (group.Tags ?? []).find((t) => t.Key === key);
          if (tag?.Value !== value) {
            findings.push(
              `Auto Scaling group ${name} (node group ${g.nodegroupName}): tag ${key} is ${tag?.Value}, expected ${value}`,
            );
          }
        }
      }
    } catch (e) {
      findings.push(
        `node group ${g.nodegroupName}: DescribeAutoScalingGroups failed (${errorText(e)})`,
      );
    }
  }
  return findings;
}

export interface LogGroupExpectations {
  readonly retentionDays: number;
}

async function findLogGroup(
  logs: CloudWatchLogsClient,
  name: string,
): Promise<LogGroup | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken }),
    );
    const found = page.logGroups?.find((g) => g.logGroupName === name);
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** Control-plane, flow-log and (when output) application and Falco log groups: retention and KMS key. */
export async function checkLogGroups(
  logs: CloudWatchLogsClient,
  outputs: StackOutputsFile,
  expected: LogGroupExpectations,
): Promise<Findings> {
  const findings: Findings = [];
  const names = [
    ["control-plane", outputs.controlPlaneLogGroupName],
    ["flow-log", outputs.flowLogGroupName],
    ...(outputs.applicationLogGroupName ? [["application", outputs.applicationLogGroupName]] : []),
    ...(outputs.falcoLogGroupName ? [["falco", outputs.falcoLogGroupName]] : []),
  ];
  for (const [role, name] of names) {
    const where = `${role} log group ${name}`;
    let group: LogGroup | undefined;
    try {
      group = await findLogGroup(logs, name);
    } catch (e) {
      findings.push(`${where}: DescribeLogGroups failed (${errorText(e)})`);
      continue;
    }
    if (!group) {
      findings.push(`${where}: does not exist`);
      continue;
    }
    if (group.retentionInDays !== expected.retentionDays) {
      findings.push(
        `${where}: retention is ${group.retentionInDays ?? "never expire"} days, expected ${expected.retentionDays}`,
      );
    }
    if (group.kmsKeyId !== outputs.kmsKeyArn) {
      findings.push(
        `${where}: ${group.kmsKeyId ? `encrypted with ${group.kmsKeyId}` : "not encrypted with KMS"}, expected ${outputs.kmsKeyArn}`,
      );
    }
  }
  return findings;
}

/** `ns/sa` or `ns:sa` keys name the exact service account a role must trust. */
export function subjectForKey(key: string): string | undefined {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)[/:]([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(key);
  return m ? `system:serviceaccount:${m[1]}:${m[3]}` : undefined;
}

const SUBJECT_RE = /^system:serviceaccount:[a-z0-9][-a-z0-9]*:[a-z0-9][-.a-z0-9]*$/;

interface TrustStatement {
  Effect?: string;
  Principal?: { Federated?: string | string[] };
  Action?: string | string[];
  Condition?: Record<string, Record<string, string | string[]> | undefined>;
}

/** The trust policy of one IRSA role, against the stack's OIDC provider and issuer. */
export function trustPolicyFindings(
  where: string,
  document: string,
  outputs: StackOutputsFile,
  expectedSubject: string | undefined,
): Findings {
  let policy: { Statement?: TrustStatement | TrustStatement[] };
  try {
    policy = JSON.parse(decodeURIComponent(document)) as typeof policy;
  } catch (e) {
    return [`${where}: trust policy is not JSON (${errorText(e)})`];
  }
  const statements = ([] as TrustStatement[]).concat(policy.Statement ?? []);
  const allows = statements.filter((s) => s.Effect === "Allow");
  if (allows.length === 0) return [`${where}: trust policy has no Allow statement`];
  const issuer = stripScheme(outputs.oidcIssuerUrl);
  const findings: Findings = [];
  allows.forEach((s, i) => {
    const at = allows.length > 1 ? `${where} statement ${i}` : where;
    const federated = ([] as string[]).concat(s.Principal?.Federated ?? []);
    if (federated.length !== 1 || federated[0] !== outputs.oidcProviderArn) {
      findings.push(
        `${at}: Federated principal is ${JSON.stringify(federated)}, expected ${outputs.oidcProviderArn}`,
      );
    }
    const actions = ([] as string[]).concat(s.Action ?? []);
    if (actions.length !== 1 || actions[0] !== "sts:AssumeRoleWithWebIdentity") {
      findings.push(
        `${at}: Action is ${JSON.stringify(actions)}, expected sts:AssumeRoleWithWebIdentity`,
      );
    }
    for (const operator of Object.keys(s.Condition ?? {})) {
      if (operator !== "StringEquals") {
        findings.push(`${at}: uses ${operator}; only StringEquals on :sub and :aud is allowed`);
      }
    }
    const equals = s.Condition?.StringEquals ?? {};
    const sub = equals[`${issuer}:sub`];
    const aud = equals[`${issuer}:aud`];
    if (
      expectedSubject ? sub !== expectedSubject : typeof sub !== "string" || !SUBJECT_RE.test(sub)
    ) {
      findings.push(
        `${at}: StringEquals ${issuer}:sub is ${JSON.stringify(sub)}, expected ${expectedSubject ?? "one system:serviceaccount:<ns>:<sa>"}`,
      );
    }
    if (aud !== STS_AUDIENCE) {
      findings.push(
        `${at}: StringEquals ${issuer}:aud is ${JSON.stringify(aud)}, expected ${STS_AUDIENCE}`,
      );
    }
  });
  return findings;
}

/** GetRole for every `irsaRoleArns` entry: trust = the stack's OIDC provider, one service account. */
export async function checkIrsaRoles(iam: IAMClient, outputs: StackOutputsFile): Promise<Findings> {
  const findings: Findings = [];
  for (const [key, arn] of Object.entries(outputs.irsaRoleArns ?? {})) {
    const where = `IRSA role ${key} (${arn})`;
    const roleName = arn.split("/").pop() ?? arn;
    try {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
      if (!Role?.AssumeRolePolicyDocument) {
        findings.push(`${where}: GetRole returned no trust policy`);
        continue;
      }
      if (Role.Arn !== arn) findings.push(`${where}: GetRole returned ${Role.Arn}`);
      findings.push(
        ...trustPolicyFindings(where, Role.AssumeRolePolicyDocument, outputs, subjectForKey(key)),
      );
    } catch (e) {
      findings.push(`${where}: GetRole failed (${errorText(e)})`);
    }
  }
  return findings;
}
