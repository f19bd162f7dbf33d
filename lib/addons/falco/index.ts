/**
 * Falco (falcosecurity/charts `falco`, tap:addons.falco): runtime detection on every node with the
 * modern eBPF driver, least privileged (CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE
 * instead of a privileged container), tolerating every taint. It runs the rules its image ships
 * (falco_rules.yaml 5.1.0, and the container plugin 0.7.1 beside them: falcoctl's downloads are
 * off, so nothing unpinned reaches the nodes) and tap's own (rules.ts), every rule evaluated.
 * Falcosidekick, the chart's subchart, forwards every event to a log group tap creates (KMS, one
 * stream tap creates too) and those of `alertPriority` or worse to the security alerts topic, with
 * an IRSA role that may do exactly that (iam.ts).
 *
 * Chart keys (charts/falco/values.yaml at falco-9.1.0, charts/falcosidekick/values.yaml at
 * falcosidekick-0.12.1, the subchart its package carries; facts/charts/falco.json): `driver.kind`,
 * `driver.modernEbpf.leastPrivileged`, `tolerations`, `podPriorityClassName`,
 * `falcoctl.artifact.{install,follow}.enabled`, `customRules.<file>` (mounted in
 * /etc/falco/rules.d, read after the defaults), `falco.rule_matching`, and under `falcosidekick.`:
 * `enabled` (the chart then points Falco's http_output at it), `config.aws.*` (`useirsa` +
 * `rolearn` annotate its service account, `<release>-falcosidekick`; `region` is its AWS_REGION),
 * `image.tag`, `replicaCount`, `nodeSelector`, `resources`, `podSecurityContext`,
 * `securityContext`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceNamespace } from "../../services/types";
import { SecurityAlerts, createSecurityAlerts, subscribeEmail } from "../threat-detection/topic";
import { Values, deployHelmAddon, imageParts } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";
import { falcosidekickPolicy } from "./iam";
import { falcoLogGroupName, falcoLogStreamName } from "./names";
import { TAP_RULES_FILE, tapFalcoRulesText } from "./rules";
import { FalcoPriority } from "./settings";

export { falcoLogGroupName, falcoLogStreamName } from "./names";
export * from "./rules";

export const FALCO_DEFAULTS = {
  namespace: "falco",
  releaseName: "falco",
  /** The subchart's full name for release `falco`: its Deployment, Service and service account. */
  sidekickServiceAccount: "falco-falcosidekick",
  sidekickReplicas: 2,
  /**
   * 2.34.1, not the 2.32.0 the subchart renders: 2.32.0 builds its AWS client with a region and
   * no credentials (outputs/aws.go NewAWSClient, `&aws.Config{Region: region}`), so under IRSA
   * every CloudWatch and SNS call is unsigned and refused; 2.34.1 loads the default chain (the web
   * identity token). falcosecurity/falcosidekick@2.34.1:outputs/aws.go, diff from 2.32.0.
   */
  sidekickImageTag: "2.34.1",
  timeoutSeconds: 600,
} as const;

export interface FalcoResult extends AddonResult {
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The security alerts topic it publishes to (threat detection's, when that is on). */
  readonly alerts: SecurityAlerts;
}

/** The chart's tap values, except the AWS targets (pure: tests read them without deploying). */
export function falcoValues(args: { readonly paymentNamespaces: readonly string[] }): Values {
  const d = FALCO_DEFAULTS;
  return {
    driver: { kind: "modern_ebpf", modernEbpf: { leastPrivileged: true } },
    // Every node, whatever it is tainted with (NoExecute included: it stays while a node drains).
    tolerations: [{ operator: "Exists" }],
    podPriorityClassName: "system-node-critical",
    // No downloads at start or later: the rules and the container plugin the image carries.
    falcoctl: { artifact: { install: { enabled: false }, follow: { enabled: false } } },
    customRules: { [TAP_RULES_FILE]: tapFalcoRulesText(args.paymentNamespaces) },
    // Every rule an event matches fires (with `first`, the defaults' NOTICE "Terminal shell in
    // container" would hide tap's CRITICAL payments rule for the same exec).
    falco: { rule_matching: "all" },
    falcosidekick: {
      enabled: true,
      replicaCount: d.sidekickReplicas,
      image: { tag: d.sidekickImageTag },
      nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
      resources: {
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      },
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: 1234,
        fsGroup: 1234,
        seccompProfile: { type: "RuntimeDefault" },
      },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      },
    },
  };
}

/** Falcosidekick's AWS outputs: only CloudWatch Logs and SNS (every other output stays empty). */
export function falcosidekickAwsConfig(args: {
  readonly roleArn: string;
  readonly region: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly topicArn: string;
  readonly alertPriority: FalcoPriority;
}): Values {
  return {
    useirsa: true,
    rolearn: args.roleArn,
    region: args.region,
    checkidentity: true,
    cloudwatchlogs: {
      loggroup: args.logGroupName,
      logstream: args.logStreamName,
      minimumpriority: "debug",
    },
    sns: { topicarn: args.topicArn, rawjson: false, minimumpriority: args.alertPriority },
  };
}

export function deployFalco(
  ctx: AddonContext,
  args: {
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Threat detection's alerts, when it is on: Falco's events join its findings there. */
    readonly alerts?: SecurityAlerts;
  },
): FalcoResult {
  const pin = ctx.pins.falco;
  const d = FALCO_DEFAULTS;
  const settings = ctx.config.addonSettings.falco;
  const opts = { parent: ctx.parent };
  const created = args.alerts ?? createSecurityAlerts(ctx, { ruleArns: [], email: settings.email });
  const alerts = settings.email ? subscribeEmail(ctx, created, settings.email) : created;

  const groupName = falcoLogGroupName(ctx.clusterName);
  const streamName = falcoLogStreamName(ctx.config.environmentSuffix);
  const logGroup = new aws.cloudwatch.LogGroup(
    ctx.name("tap-falco-logs"),
    {
      name: groupName,
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: ctx.tags,
    },
    opts,
  );
  const stream = new aws.cloudwatch.LogStream(
    ctx.name("tap-falco-log-stream"),
    { name: streamName, logGroupName: logGroup.name },
    opts,
  );

  const paymentNamespaces = [...new Set(ctx.config.services.map(serviceNamespace))];
  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    // PSS `privileged`: Falco mounts the node's /proc, /etc, /dev and /sys (hostPath) and adds
    // capabilities, which both `baseline` and `restricted` forbid.
    createNamespace: { podSecurity: "privileged" },
    serviceAccount: {
      name: d.sidekickServiceAccount,
      policy: (scope) =>
        pulumi.all([alerts.topic.arn, alerts.key.arn]).apply(([topicArn, topicKeyArn]) =>
          falcosidekickPolicy(scope, {
            logGroupName: groupName,
            logStreamName: streamName,
            topicArn,
            topicKeyArn,
          }),
        ),
    },
    values: falcoValues({ paymentNamespaces }),
    lockedValues: (roleArn) => ({
      // The chart joins `registry/repository:tag`.
      image: imageParts(pin.image.repository, pin.image.tag),
      falcosidekick: {
        config: {
          aws: pulumi
            .all([roleArn ?? "", ctx.region, alerts.topic.arn])
            .apply(([role, region, topicArn]) =>
              falcosidekickAwsConfig({
                roleArn: role,
                region,
                logGroupName: groupName,
                logStreamName: streamName,
                topicArn,
                alertPriority: settings.alertPriority,
              }),
            ),
        },
      },
    }),
    timeoutSeconds: d.timeoutSeconds,
    // The stream and the topic's policy exist before the first event is forwarded.
    dependsOn: [stream, alerts.policy],
  });
  return { ...result, logGroup, alerts };
}
