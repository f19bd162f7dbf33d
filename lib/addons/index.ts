/**
 * The capability registry: how each capability of lib/capabilities.ts is deployed. The stack asks
 * for the enabled ones; they come in dependency order (a capability after those it needs), each
 * after the node groups and its IRSA role. A capability that is off is never called: nothing of
 * it exists (no release, role, namespace or policy).
 */
import * as pulumi from "@pulumi/pulumi";
import { CapabilityName, deploymentOrder } from "../capabilities";
import { AppMeshControllerResult, deployAppMeshController } from "./app-mesh-controller";
import { CalicoResult, deployCalico } from "./calico";
import { deployClusterAutoscaler } from "./cluster-autoscaler";
import { FluentBitResult, deployFluentBit } from "./fluent-bit";
import { KEDA_PROBE_DEFAULTS, KedaProbe, KedaResult, deployKeda, kedaProbe } from "./keda";
import { EbsCsiResult, deployEbsCsi } from "./ebs-csi";
import { KarpenterResult, deployKarpenter } from "./karpenter";
import {
  LoadBalancerControllerResult,
  deployLoadBalancerController,
} from "./load-balancer-controller";
import { deployMetricsServer } from "./metrics-server";
import { ExternalDnsResult, deployExternalDns } from "./external-dns";
import { SecretsStoreResult, deploySecretsStore } from "./secrets-store";
import { IstioResult, deployIstio } from "./istio";
import { ContainerInsightsResult, deployContainerInsights } from "./container-insights";
import { RegistryResult, deployRegistry } from "./registry";
import { DataSubnets, DatabaseResult, deployDatabase } from "./database";
import { EdgeResult, deployEdge } from "./edge";
import { CostAlertsResult, deployCostAlerts } from "./cost-alerts";
import {
  AccountSecurityState,
  EMPTY_ACCOUNT,
  ThreatDetectionResult,
  deployThreatDetection,
} from "./threat-detection";
import { KyvernoResult, deployKyverno } from "./kyverno";
import { FalcoResult, deployFalco } from "./falco";
import {
  ARGOCD_HOST_LABEL,
  ArgoCdResult,
  argoCdIngressOn,
  deployArgoCd,
  planArgoCdIngress,
} from "./argocd";
import { ArgoRolloutsResult, deployArgoRollouts } from "./argo-rollouts";
import { TracingResult, deployTracing } from "./tracing";
import { PrometheusResult, deployPrometheus } from "./prometheus";
import { AddonContext, AddonResult } from "./types";

/** What the enabled capabilities built; a capability that is off leaves its fields absent. */
export interface PlatformAddons {
  readonly calico?: CalicoResult;
  readonly fluentBit?: FluentBitResult;
  readonly clusterAutoscaler?: AddonResult;
  readonly metricsServer?: AddonResult;
  readonly keda?: KedaResult;
  readonly kedaProbe?: KedaProbe;
  readonly appMeshController?: AppMeshControllerResult;
  readonly karpenter?: KarpenterResult;
  readonly ebsCsi?: EbsCsiResult;
  readonly loadBalancerController?: LoadBalancerControllerResult;
  readonly externalDns?: ExternalDnsResult;
  readonly secretsStore?: SecretsStoreResult;
  readonly istio?: IstioResult;
  readonly containerInsights?: ContainerInsightsResult;
  readonly registry?: RegistryResult;
  readonly database?: DatabaseResult;
  readonly edge?: EdgeResult;
  readonly costAlerts?: CostAlertsResult;
  readonly threatDetection?: ThreatDetectionResult;
  readonly kyverno?: KyvernoResult;
  readonly falco?: FalcoResult;
  readonly argocd?: ArgoCdResult;
  readonly argoRollouts?: ArgoRolloutsResult;
  readonly tracing?: TracingResult;
  readonly prometheus?: PrometheusResult;
}

export interface InstallAddonsArgs {
  /** The tap KMS key: Fluent Bit's log group is encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The VPC (the load balancer controller is given it: pods cannot reach IMDS). */
  readonly vpcId: pulumi.Input<string>;
  /** The private subnets (the GuardDuty agent's endpoint). */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** GuardDuty and Security Hub as the account had them before this stack (bin/tap.ts reads it). */
  readonly accountSecurity?: AccountSecurityState;
  /** The managed node groups' role (the registry lets it pull). */
  readonly nodeRoleArn: pulumi.Input<string>;
  /** The isolated data subnets (present with the database on). */
  readonly dataSubnets?: DataSubnets;
}

/** Deploys one capability; `built` holds what the capabilities before it built. */
type Deploy = (ctx: AddonContext, args: InstallAddonsArgs, built: PlatformAddons) => PlatformAddons;

/** One line per capability: what deploying it means. */
const REGISTRY: Readonly<Record<CapabilityName, Deploy>> = {
  calico: (ctx) => ({ calico: deployCalico(ctx) }),
  fluentBit: (ctx, args) => ({ fluentBit: deployFluentBit(ctx, { kmsKeyArn: args.kmsKeyArn }) }),
  clusterAutoscaler: (ctx) => ({ clusterAutoscaler: deployClusterAutoscaler(ctx) }),
  metricsServer: (ctx) => ({ metricsServer: deployMetricsServer(ctx) }),
  keda: (ctx) => {
    const keda = deployKeda(ctx);
    return { keda, kedaProbe: kedaProbe(ctx, keda) };
  },
  // The controller; the mesh's own objects come from the service catalog (lib/services/mesh.ts).
  appMesh: (ctx) => ({ appMeshController: deployAppMeshController(ctx) }),
  karpenter: (ctx) => ({ karpenter: deployKarpenter(ctx) }),
  ebsCsi: (ctx, args) => ({ ebsCsi: deployEbsCsi(ctx, { kmsKeyArn: args.kmsKeyArn }) }),
  loadBalancerController: (ctx, args) => ({
    loadBalancerController: deployLoadBalancerController(ctx, { vpcId: args.vpcId }),
  }),
  externalDns: (ctx) => ({
    externalDns: deployExternalDns(ctx, {
      // The public services' names, and Argo CD's when its UI is behind the ALB.
      publicServices: [
        ...ctx.config.services.filter((s) => s.public).map((s) => s.name),
        ...(argoCdIngressOn(ctx.config) ? [ARGOCD_HOST_LABEL] : []),
      ],
    }),
  }),
  secretsStore: (ctx) => ({ secretsStore: deploySecretsStore(ctx) }),
  istio: (ctx) => ({ istio: deployIstio(ctx) }),
  containerInsights: (ctx, args) => ({
    containerInsights: deployContainerInsights(ctx, { kmsKeyArn: args.kmsKeyArn }),
  }),
  // Nodes pull: the managed groups' role and, with Karpenter (deployed before it), its nodes' role.
  registry: (ctx, args, built) => ({
    registry: deployRegistry(ctx, {
      kmsKeyArn: args.kmsKeyArn,
      nodeRoleArns: [args.nodeRoleArn, ...(built.karpenter ? [built.karpenter.nodeRole.arn] : [])],
    }),
  }),
  database: (ctx, args) => {
    if (!args.dataSubnets) throw new Error("database: the network made no data subnets");
    return {
      database: deployDatabase(ctx, {
        kmsKeyArn: args.kmsKeyArn,
        vpcId: args.vpcId,
        subnets: args.dataSubnets,
      }),
    };
  },
  edge: (ctx, args) => ({ edge: deployEdge(ctx, { kmsKeyArn: args.kmsKeyArn }) }),
  costAlerts: (ctx) => ({ costAlerts: deployCostAlerts(ctx) }),
  threatDetection: (ctx, args) => ({
    threatDetection: deployThreatDetection(ctx, {
      vpcId: args.vpcId,
      privateSubnetIds: args.privateSubnetIds,
      account: args.accountSecurity ?? EMPTY_ACCOUNT,
    }),
  }),
  kyverno: (ctx) => ({ kyverno: deployKyverno(ctx) }),
  // Threat detection (deployed before it) made the alerts topic when it is on; Falco takes it.
  falco: (ctx, args, built) => ({
    falco: deployFalco(ctx, {
      kmsKeyArn: args.kmsKeyArn,
      ...(built.threatDetection ? { alerts: built.threatDetection.alerts } : {}),
    }),
  }),
  // Behind the load balancer controller's ALB at argocd.<zone> when those are on (deployed before).
  argocd: (ctx, _args, built) => ({
    argocd: deployArgoCd(ctx, {
      ...(argoCdIngressOn(ctx.config) && built.loadBalancerController && built.externalDns
        ? {
            ingress: planArgoCdIngress(
              {
                loadBalancer: built.loadBalancerController,
                dns: built.externalDns,
                certificateArn: ctx.config.addonSettings.loadBalancerController
                  .certificateArn as string,
                scheme: ctx.config.addonSettings.argocd.ingressScheme,
              },
              ctx.tags,
            ),
          }
        : {}),
    }),
  }),
  // The controller; the canary's Rollout and analysis come with the catalog (lib/services).
  argoRollouts: (ctx) => ({ argoRollouts: deployArgoRollouts(ctx) }),
  // The collector; each catalog service's endpoint, sampler and egress come with the catalog.
  tracing: (ctx) => ({ tracing: deployTracing(ctx) }),
  // The workspace, kube-state-metrics and the collector that writes to it, the alert rules.
  prometheus: (ctx) => ({ prometheus: deployPrometheus(ctx) }),
};

/** Deploys the capabilities `ctx.config.addons` turns on, in dependency order. */
export function installAddons(ctx: AddonContext, args: InstallAddonsArgs): PlatformAddons {
  let built: PlatformAddons = {};
  for (const name of deploymentOrder(ctx.config.addons)) {
    built = { ...built, ...REGISTRY[name](ctx, args, built) };
  }
  return built;
}

/** Add-on name -> IRSA role ARN, for the add-ons that call AWS. */
export function addonRoleArns(addons: PlatformAddons): Record<string, pulumi.Output<string>> {
  const out: Record<string, pulumi.Output<string>> = {};
  for (const [name, result] of Object.entries(addons)) {
    const roleArn = (result as Partial<AddonResult> | undefined)?.roleArn;
    if (roleArn) out[name] = roleArn;
  }
  return out;
}

/** The namespaces the add-ons created (cluster-autoscaler and metrics-server live in kube-system). */
export function addonNamespaces(addons: PlatformAddons): string[] {
  return [
    addons.calico?.namespace,
    addons.fluentBit?.namespace,
    addons.keda?.namespace,
    addons.kedaProbe ? KEDA_PROBE_DEFAULTS.namespace : undefined,
    addons.appMeshController?.namespace,
    addons.externalDns?.namespace,
    addons.istio?.namespace,
    addons.kyverno?.namespace,
    addons.falco?.namespace,
    addons.argocd?.namespace,
    addons.argoRollouts?.namespace,
    addons.tracing?.namespace,
    addons.prometheus?.namespace,
  ].filter((n): n is string => n !== undefined);
}
