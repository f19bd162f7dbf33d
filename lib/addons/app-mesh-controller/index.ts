/**
 * App Mesh controller (aws/eks-charts `appmesh-controller`). AWS DISCONTINUED App Mesh on
 * 2026-09-30 (security checklist §5.10); tap installs it only because the specification asks for
 * it (`tap:enableAppMesh`, warned at config time). With `enableAppMesh=false` nothing here runs.
 *
 * The controller turns the appmesh.k8s.aws/v1beta2 CRs (lib/services/mesh.ts) into App Mesh
 * objects, registers pod IPs into Cloud Map, and its webhook injects Envoy, the proxy-init
 * container and (tracing on) the X-Ray daemon into pods of labelled namespaces. Every image it
 * runs or injects is pinned here: the chart's X-Ray default is `:latest`, which tap never uses.
 * Chart keys: eks-facts §1f and /tmp/research/addon-values.md §6 (the PDB renders only with
 * replicaCount > 1; `tracing.port` is the X-Ray daemon port for provider x-ray).
 */
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION, awsScope } from "../../iam/irsa";
import { meshName as defaultMeshName } from "./names";
import { appMeshControllerPolicy } from "./iam";
import { Values, deepMerge, deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";

export interface ImageRef {
  readonly repository: string;
  readonly tag: string;
}

export interface AppMeshControllerArgs {
  /** The one mesh the controller may manage (its IAM scope); default `meshName(ctx)` = tap-mesh-<suffix>. */
  readonly meshName?: string;
  /** Controller replicas (leader election is always on); default 2. */
  readonly replicas?: number;
  /** Injected Envoy image; default APP_MESH_CONTROLLER_DEFAULTS.envoyImage. */
  readonly envoyImage?: ImageRef;
  /** Injected X-Ray daemon image; default APP_MESH_CONTROLLER_DEFAULTS.xrayImage. */
  readonly xrayImage?: ImageRef;
  /** Extra chart values deep-merged over tap's defaults; SA, IRSA, region, account, cluster stay locked. */
  readonly values?: Values;
  /** Seconds Helm may take before the release is rolled back; default 600. */
  readonly timeoutSeconds?: number;
}

const APP_MESH_ECR = "840364872350.dkr.ecr.us-west-2.amazonaws.com";

export const APP_MESH_CONTROLLER_DEFAULTS = {
  namespace: "appmesh-system",
  releaseName: "appmesh-controller",
  /** The README's SA name; the IRSA subject is system:serviceaccount:appmesh-system:appmesh-controller. */
  serviceAccountName: "appmesh-controller",
  replicas: 2,
  /**
   * App Mesh Envoy v1.29.12.3-prod: the sidecar default of chart 1.13.3
   * (aws/eks-charts@f8c200d:stable/appmesh-controller/values.yaml sidecar.image.tag), set
   * explicitly so the pin is visible and tested (facts/charts/appmesh-controller.json).
   */
  envoyImage: { repository: `${APP_MESH_ECR}/aws-appmesh-envoy`, tag: "v1.29.12.3-prod" },
  /** proxy-init (iptables) image: the controller's built-in default (pkg/inject/config.go). */
  initImage: { repository: `${APP_MESH_ECR}/aws-appmesh-proxy-route-manager`, tag: "v7-prod" },
  /**
   * X-Ray daemon 3.3.12 (aws/aws-xray-daemon release #220, 2024-05), seen as a public ECR tag in
   * several public repositories; newer 3.3.13-3.3.15 exist but no public-ECR use of them was found.
   */
  xrayImage: { repository: "public.ecr.aws/xray/aws-xray-daemon", tag: "3.3.12" },
  /** UDP port of the injected X-Ray daemon (the controller's --xray-daemon-port). */
  xrayDaemonPort: 2000,
  tracingSamplingRate: 0.05,
} as const;

export interface AppMeshControllerResult extends AddonResult {
  readonly roleArn: pulumi.Output<string>;
  /** The mesh the controller's IAM policy is scoped to. */
  readonly meshName: string;
}

/** The chart's tap defaults (pure: tests read them without deploying). */
export function appMeshControllerValues(
  ctx: AddonContext,
  args: AppMeshControllerArgs = {},
): Values {
  const d = APP_MESH_CONTROLLER_DEFAULTS;
  const pin = ctx.pins.appMeshController;
  const envoy = args.envoyImage ?? d.envoyImage;
  const xray = args.xrayImage ?? d.xrayImage;
  const defaults: Values = {
    replicaCount: args.replicas ?? d.replicas,
    // Rendered only when replicaCount > 1; maxUnavailable 1 never blocks a node drain.
    podDisruptionBudget: { maxUnavailable: 1 },
    nodeSelector: { ...ON_DEMAND_SELECTOR },
    image: { repository: pin.image.repository, tag: pin.image.tag, pullPolicy: "IfNotPresent" },
    sidecar: { image: { repository: envoy.repository, tag: envoy.tag }, logLevel: "info" },
    init: { image: { ...d.initImage } },
    xray: { image: { repository: xray.repository, tag: xray.tag } },
    tracing: {
      enabled: true,
      provider: "x-ray",
      port: d.xrayDaemonPort,
      samplingRate: d.tracingSamplingRate,
    },
    // Sidecars are injected only where tap labels a namespace; no CNI mode, no mTLS (SDS).
    sds: { enabled: false },
  };
  return args.values ? deepMerge(defaults, args.values) : defaults;
}

/** Keys re-applied last: SA + IRSA annotation, region and account (IMDS unreachable), cluster. */
export function appMeshControllerLockedValues(
  ctx: AddonContext,
  roleArn: pulumi.Output<string> | undefined,
): pulumi.Input<Values> {
  return {
    serviceAccount: {
      create: true,
      name: APP_MESH_CONTROLLER_DEFAULTS.serviceAccountName,
      annotations: { [IRSA_ANNOTATION]: roleArn },
    },
    region: ctx.region,
    // The chart documents accountId as required for private clusters; tap's API endpoint may be.
    accountId: awsScope(ctx.parent).accountId,
    clusterName: ctx.clusterName,
  };
}

/** Installs the App Mesh controller in `appmesh-system` with an IRSA role scoped to one mesh. */
export function deployAppMeshController(
  ctx: AddonContext,
  args: AppMeshControllerArgs = {},
): AppMeshControllerResult {
  const d = APP_MESH_CONTROLLER_DEFAULTS;
  const mesh = args.meshName ?? defaultMeshName(ctx);
  const base = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin: ctx.pins.appMeshController,
    namespace: d.namespace,
    // baseline: the controller Deployment needs no host namespace, hostPath, hostPort or added
    // capability (only a Secret volume for its webhook certificate); the chart does not set the
    // runAsNonRoot/seccomp/drop-ALL contexts that restricted requires, so restricted would reject
    // it. Injection never happens here (the namespace lacks the injector label).
    createNamespace: { podSecurity: "baseline" },
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) => appMeshControllerPolicy(scope, mesh),
    },
    values: appMeshControllerValues(ctx, args),
    lockedValues: (roleArn) => appMeshControllerLockedValues(ctx, roleArn),
    timeoutSeconds: args.timeoutSeconds,
  });
  if (!base.roleArn) throw new Error("appmesh-controller: the IRSA role was not created");
  return { ...base, roleArn: base.roleArn, meshName: mesh };
}
