/**
 * The platform add-ons, in order: Calico (policy enforcement first), then Fluent Bit,
 * cluster-autoscaler, metrics-server and KEDA, each after the node groups and its IRSA role.
 */
import * as pulumi from "@pulumi/pulumi";
import { CalicoResult, deployCalico } from "./calico";
import { deployClusterAutoscaler } from "./cluster-autoscaler";
import { FluentBitResult, deployFluentBit } from "./fluent-bit";
import { KEDA_PROBE_DEFAULTS, KedaProbe, KedaResult, deployKeda, kedaProbe } from "./keda";
import { deployMetricsServer } from "./metrics-server";
import { AddonContext, AddonResult } from "./types";

export interface PlatformAddons {
  readonly calico: CalicoResult;
  readonly fluentBit: FluentBitResult;
  readonly clusterAutoscaler: AddonResult;
  readonly metricsServer: AddonResult;
  readonly keda: KedaResult;
  readonly kedaProbe: KedaProbe;
}

export interface InstallAddonsArgs {
  /** The tap KMS key: Fluent Bit's log group is encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

export function installAddons(ctx: AddonContext, args: InstallAddonsArgs): PlatformAddons {
  const calico = deployCalico(ctx);
  const fluentBit = deployFluentBit(ctx, { kmsKeyArn: args.kmsKeyArn });
  const clusterAutoscaler = deployClusterAutoscaler(ctx);
  const metricsServer = deployMetricsServer(ctx);
  const keda = deployKeda(ctx);
  return {
    calico,
    fluentBit,
    clusterAutoscaler,
    metricsServer,
    keda,
    kedaProbe: kedaProbe(ctx, keda),
  };
}

/** Add-on name -> IRSA role ARN, for the add-ons that call AWS. */
export function addonRoleArns(addons: PlatformAddons): Record<string, pulumi.Output<string>> {
  const out: Record<string, pulumi.Output<string>> = {};
  for (const [name, result] of Object.entries(addons)) {
    const roleArn = (result as Partial<AddonResult>).roleArn;
    if (roleArn) out[name] = roleArn;
  }
  return out;
}

/** The namespaces the add-ons created (cluster-autoscaler and metrics-server live in kube-system). */
export function addonNamespaces(addons: PlatformAddons): string[] {
  return [
    addons.calico.namespace,
    addons.fluentBit.namespace,
    addons.keda.namespace,
    KEDA_PROBE_DEFAULTS.namespace,
  ];
}
