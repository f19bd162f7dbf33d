/**
 * Threat detection (tap:addons.threatDetection): GuardDuty with EKS audit-log monitoring and EKS
 * runtime monitoring, Security Hub with the AWS Foundational Security Best Practices and CIS
 * standards, and two EventBridge rules (patterns.ts) that send GuardDuty findings above severity 4
 * and Security Hub's new CRITICAL and HIGH findings to an SNS topic encrypted with a key of its own,
 * which only those rules may publish to (policy.ts); `email` may subscribe to it.
 *
 * Runtime monitoring runs GuardDuty's agent, an EKS add-on that reports through the guardduty-data
 * interface endpoint. tap installs both itself (EKS_ADDON_MANAGEMENT disabled): with GuardDuty
 * managing the agent, GuardDuty creates that endpoint and its security group in tap's VPC outside
 * the stack, and the VPC's delete then fails on them. A detector or hub the account already has
 * is adopted, not changed (account.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { addonVersion } from "../../cluster";
import { awsScope } from "../../iam/irsa";
import { mergeTags, nameTag } from "../../naming";
import { AddonContext } from "../types";
import {
  AccountSecurityState,
  AccountService,
  formatOwnershipRecord,
  ownershipRecordName,
} from "./account";
import { EventPattern, GUARDDUTY_FINDINGS_PATTERN, securityHubFindingsPattern } from "./patterns";
import { agentEndpointPolicy } from "./policy";
import { SecurityAlerts, createSecurityAlerts } from "./topic";

export * from "./account";
export * from "./patterns";
export * from "./policy";
export * from "./topic";
export * from "./topic";

export const THREAT_DETECTION_DEFAULTS = {
  agentAddonName: "aws-guardduty-agent",
  /** The namespace the agent add-on runs in (it creates it). */
  agentNamespace: "amazon-guardduty",
  /** The interface endpoint the agent reports through (com.amazonaws.<region>.<service>). */
  agentEndpointService: "guardduty-data",
  findingPublishingFrequency: "FIFTEEN_MINUTES",
} as const;

/** The standards tap subscribes Security Hub to (ARN path after `standards/`). */
export const SECURITY_HUB_STANDARDS = [
  { key: "fsbp", path: "aws-foundational-security-best-practices/v/1.0.0" },
  { key: "cis", path: "cis-aws-foundations-benchmark/v/3.0.0" },
] as const;

export interface ThreatDetectionArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** What the account had before this stack (bin/tap.ts reads it). */
  readonly account: AccountSecurityState;
}

export interface ThreatDetectionResult {
  readonly alerts: SecurityAlerts;
  readonly topic: aws.sns.Topic;
  /** This stack's detector; absent when the region's was adopted. */
  readonly detector?: aws.guardduty.Detector;
  /** The agent add-on (runtime monitoring on this stack's detector). */
  readonly agent?: aws.eks.Addon;
  readonly rules: readonly aws.cloudwatch.EventRule[];
}

export function deployThreatDetection(
  ctx: AddonContext,
  args: ThreatDetectionArgs,
): ThreatDetectionResult {
  const opts = { parent: ctx.parent };
  const settings = ctx.config.addonSettings.threatDetection;
  const suffix = ctx.config.environmentSuffix;
  const scope = awsScope(ctx.parent);
  const d = THREAT_DETECTION_DEFAULTS;

  const enables: AccountService[] = [
    ...(args.account.adoptedDetector ? [] : (["guardduty"] as const)),
    ...(settings.securityHub && !args.account.securityHubAdopted ? (["securityhub"] as const) : []),
  ];
  const record =
    enables.length > 0
      ? new aws.ssm.Parameter(
          ctx.name("tap-enabled-account-services"),
          {
            name: ownershipRecordName(suffix),
            type: "String",
            insecureValue: formatOwnershipRecord(enables),
            description: `tap ${suffix}: the account-level services this stack enabled (and disables on destroy)`,
            tags: ctx.tags,
          },
          opts,
        )
      : undefined;
  const afterRecord = { ...opts, dependsOn: record ? [record] : [] };

  // GuardDuty: this stack's detector, or the region's (adopted: nothing of it is changed).
  let detector: aws.guardduty.Detector | undefined;
  let agent: aws.eks.Addon | undefined;
  if (!args.account.adoptedDetector) {
    detector = new aws.guardduty.Detector(
      ctx.name("tap-guardduty"),
      {
        enable: true,
        findingPublishingFrequency: d.findingPublishingFrequency,
        tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-guardduty"))),
      },
      afterRecord,
    );
    new aws.guardduty.DetectorFeature(
      ctx.name("tap-guardduty-eks-audit-logs"),
      { detectorId: detector.id, name: "EKS_AUDIT_LOGS", status: "ENABLED" },
      opts,
    );
    if (settings.runtimeMonitoring) {
      const runtime = new aws.guardduty.DetectorFeature(
        ctx.name("tap-guardduty-runtime"),
        {
          detectorId: detector.id,
          name: "RUNTIME_MONITORING",
          status: "ENABLED",
          // tap installs the agent and its endpoint (above): GuardDuty's would outlive the VPC.
          additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "DISABLED" }],
        },
        opts,
      );
      agent = deployAgent(ctx, args, runtime);
    }
  }

  // Security Hub: enabled here with the two standards, or adopted as it is.
  if (settings.securityHub && !args.account.securityHubAdopted) {
    const hub = new aws.securityhub.Account(
      ctx.name("tap-securityhub"),
      {
        // The two standards below, not whatever the defaults are when it runs.
        enableDefaultStandards: false,
        // One finding per control across standards (not one per standard).
        controlFindingGenerator: "SECURITY_CONTROL",
        autoEnableControls: true,
      },
      afterRecord,
    );
    for (const s of SECURITY_HUB_STANDARDS)
      new aws.securityhub.StandardsSubscription(
        ctx.name(`tap-securityhub-${s.key}`),
        {
          standardsArn: pulumi.interpolate`arn:${scope.partition}:securityhub:${scope.region}::standards/${s.path}`,
        },
        { ...opts, dependsOn: [hub] },
      );
  }

  const rulePatterns: { name: string; pattern: pulumi.Input<EventPattern>; what: string }[] = [
    { name: "tap-guardduty-findings", pattern: GUARDDUTY_FINDINGS_PATTERN, what: "GuardDuty" },
    ...(settings.securityHub
      ? [
          {
            name: "tap-securityhub-findings",
            pattern: scope.apply((s) => securityHubFindingsPattern(s.partition, s.region)),
            what: "Security Hub",
          },
        ]
      : []),
  ];
  const ruleArns = rulePatterns.map(
    (r) =>
      pulumi.interpolate`arn:${scope.partition}:events:${scope.region}:${scope.accountId}:rule/${ctx.name(r.name)}`,
  );
  // The alerts: a topic with a key of its own, which only tap's rules may publish to.
  const alerts = createSecurityAlerts(ctx, { ruleArns, email: settings.email });
  const topic = alerts.topic;
  const rules = rulePatterns.map((r) => {
    const rule = new aws.cloudwatch.EventRule(
      ctx.name(r.name),
      {
        name: ctx.name(r.name),
        description: `tap ${suffix}: ${r.what} findings worth an alert, to the security alerts topic`,
        eventPattern: pulumi.output(r.pattern).apply((p) => JSON.stringify(p)),
        tags: ctx.tags,
      },
      opts,
    );
    // It publishes only once the topic admits it.
    new aws.cloudwatch.EventTarget(
      ctx.name(`${r.name}-to-topic`),
      { rule: rule.name, arn: topic.arn },
      { ...opts, dependsOn: [alerts.policy] },
    );
    return rule;
  });
  return { alerts, topic, rules, ...(detector ? { detector } : {}), ...(agent ? { agent } : {}) };
}

/**
 * The GuardDuty agent: its interface endpoint (private DNS, HTTPS from the VPC only) and the EKS
 * add-on, which starts once the endpoint answers and runtime monitoring is on.
 */
function deployAgent(
  ctx: AddonContext,
  args: ThreatDetectionArgs,
  runtime: aws.guardduty.DetectorFeature,
): aws.eks.Addon {
  const opts = { parent: ctx.parent };
  const d = THREAT_DETECTION_DEFAULTS;
  const sg = new aws.ec2.SecurityGroup(
    ctx.name("tap-guardduty-endpoint"),
    {
      vpcId: args.vpcId,
      description: "GuardDuty agent endpoint: HTTPS from the VPC",
      ingress: [
        {
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: [ctx.config.vpcCidr],
          description: "the GuardDuty agent on tap's nodes",
        },
      ],
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-guardduty-endpoint"))),
    },
    opts,
  );
  const scope = awsScope(ctx.parent);
  const endpoint = new aws.ec2.VpcEndpoint(
    ctx.name("tap-guardduty-data"),
    {
      vpcId: args.vpcId,
      serviceName: pulumi.interpolate`com.amazonaws.${scope.region}.${d.agentEndpointService}`,
      policy: scope.apply((s) => JSON.stringify(agentEndpointPolicy(s.accountId))),
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: args.privateSubnetIds,
      securityGroupIds: [sg.id],
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-guardduty-data"))),
    },
    opts,
  );
  return new aws.eks.Addon(
    ctx.name("tap-guardduty-agent"),
    {
      clusterName: ctx.clusterName,
      addonName: d.agentAddonName,
      addonVersion: addonVersion(ctx, d.agentAddonName),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
    },
    { ...opts, dependsOn: [ctx.cluster, ...ctx.nodeGroups, endpoint, runtime] },
  );
}
