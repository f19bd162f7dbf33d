/**
 * Fluent Bit (aws-for-fluent-bit chart) on every node: tails container logs, enriches them with
 * Kubernetes metadata and ships them to CloudWatch Logs with the C plugin `cloudwatch_logs`, one
 * stream per namespace/pod. tap creates the log group (retention + KMS); Fluent Bit may only create
 * streams in it and write to them (iam.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { clusterLogGroupNames, logGroupNames } from "../../naming";
import { deployHelmAddon, Values } from "../helm-addon";
import { fluentBitPolicy } from "./iam";
import { AddonContext, AddonResult, ContainerResources } from "../types";

export interface FluentBitArgs {
  /** REQUIRED. ARN of tap's KMS key; the log group is encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Container requests/limits; default FLUENT_BIT_DEFAULTS.resources. */
  readonly resources?: ContainerResources;
}

export interface FluentBitResult extends AddonResult {
  /** The groups Fluent Bit writes to (created here, never by Fluent Bit). */
  readonly logGroups: { readonly application: aws.cloudwatch.LogGroup };
}

export const FLUENT_BIT_DEFAULTS = {
  releaseName: "fluent-bit",
  /** Its own namespace: it needs PSS `privileged` (hostPath), which kube-system should not get. */
  namespace: "amazon-cloudwatch",
  serviceAccountName: "fluent-bit",
  /** Stream per pod: `<namespace>.<pod>` (only `.` or `,` may follow a record-accessor variable). */
  logStreamTemplate: "$kubernetes['namespace_name'].$kubernetes['pod_name']",
  /** Stream prefix used when a record has no `kubernetes` metadata (the tag is appended). */
  logStreamPrefix: "fallback-",
  /** Chart defaults (limits: memory only in the chart; a CPU limit is added). */
  resources: {
    requests: { cpu: "50m", memory: "50Mi" },
    limits: { cpu: "500m", memory: "250Mi" },
  } satisfies ContainerResources,
  timeoutSeconds: 600,
} as const;

/** `/aws/eks/<cluster>/application`: the group every container's logs go to. */
export function applicationLogGroupName(environmentSuffix: string): string {
  return logGroupNames(environmentSuffix).application;
}

/** The add-on's default values (everything except the locked keys). */
export function fluentBitValues(args: Pick<FluentBitArgs, "resources"> = {}): Values {
  const d = FLUENT_BIT_DEFAULTS;
  return {
    fullnameOverride: d.releaseName,
    // Logs from every node, spot and on-demand, tainted or not (NoExecute included: the agent
    // stays on a node being drained until the end, so its last logs are shipped).
    tolerations: [{ operator: "Exists" }],
    priorityClassName: "system-node-critical",
    resources: args.resources ?? d.resources,
    containerSecurityContext: { allowPrivilegeEscalation: false },
    // containerd keeps container logs under /var/log/pods (linked from /var/log/containers), so
    // the chart's second hostPath (/var/lib/docker/containers, dockershim-era) is dropped. /var/log
    // stays writable: the tail input keeps its offsets DB there (input.db).
    volumes: [{ name: "varlog", hostPath: { path: "/var/log" } }],
    volumeMounts: [{ name: "varlog", mountPath: "/var/log" }],
    filter: {
      enabled: true,
      match: "kube.*",
      // JSON log lines become structured fields (nested under `data`, so an application's own
      // keys cannot overwrite `kubernetes`, which the stream template reads); the raw `log`
      // string is dropped once parsed.
      mergeLog: "On",
      mergeLogKey: "data",
      keepLog: "Off",
      // Pods may pick a parser by annotation, but may NOT exclude their own logs from shipping
      // (fluentbit.io/exclude): every workload's logs reach CloudWatch.
      k8sLoggingParser: "On",
      k8sLoggingExclude: "Off",
      // The chart has no keys for these; extraFilters lines are rendered inside the kubernetes
      // [FILTER] block. Labels identify the workload; annotations are often large and may carry
      // configuration that does not belong in logs.
      extraFilters: "Labels On\nAnnotations Off",
    },
  };
}

export function deployFluentBit(ctx: AddonContext, args: FluentBitArgs): FluentBitResult {
  const d = FLUENT_BIT_DEFAULTS;
  const pin = ctx.pins.fluentBit;
  const groupName = clusterLogGroupNames(ctx).application;

  const application = new aws.cloudwatch.LogGroup(
    ctx.name("tap-application-logs"),
    {
      name: groupName,
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: ctx.tags,
    },
    { parent: ctx.parent },
  );

  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    // PSS `privileged`: the DaemonSet mounts the node's /var/log (hostPath), which both
    // `baseline` and `restricted` forbid.
    createNamespace: { podSecurity: "privileged" },
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) => fluentBitPolicy(scope, [groupName]),
    },
    values: fluentBitValues(args),
    lockedValues: (roleArn) => ({
      image: { repository: pin.image.repository, tag: pin.image.tag },
      serviceAccount: {
        create: true,
        name: d.serviceAccountName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
      cloudWatchLogs: {
        enabled: true,
        match: "kube.*",
        // Pods cannot reach IMDS (hop limit 1): the region is given, never discovered.
        region: ctx.region,
        logGroupName: groupName,
        // Set explicitly (chart defaults differ between versions): no group template, so every
        // record goes to the one group the IAM policy covers; streams per namespace/pod.
        logGroupTemplate: "",
        logStreamTemplate: d.logStreamTemplate,
        logStreamPrefix: d.logStreamPrefix,
        // tap owns the group and its retention: no CreateLogGroup/PutRetentionPolicy needed. The
        // chart omits auto_create_group when false; the plugin's default is false too.
        autoCreateGroup: false,
      },
      // Only CloudWatch Logs: the Go plugin and every other output are off (and not permitted).
      cloudWatch: { enabled: false },
      firehose: { enabled: false },
      kinesis: { enabled: false },
      kinesis_streams: { enabled: false },
      elasticsearch: { enabled: false },
      s3: { enabled: false },
      opensearch: { enabled: false },
    }),
    timeoutSeconds: d.timeoutSeconds,
    // autoCreateGroup is off: the group must exist before the first record is shipped.
    dependsOn: [application],
  });

  return { ...result, logGroups: { application } };
}
