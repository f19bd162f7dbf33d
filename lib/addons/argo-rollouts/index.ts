/**
 * Argo Rollouts (argoproj/argo-helm `argo-rollouts`, tap:addons.argoRollouts): progressive
 * delivery. Two controllers (leader-elected) on on-demand nodes with a budget; an IRSA role that
 * may only read CloudWatch metrics (cloudwatch:GetMetricData, all its CloudWatch provider calls:
 * argoproj/argo-rollouts@v1.9.0:metricproviders/cloudwatch/cloudwatch.go; the action takes no
 * resource ARN). One catalog service is released as a canary (canary.ts): its Rollout and analysis
 * are written with the catalog (lib/services/workloads.ts), and its ScaledObject scales the Rollout.
 *
 * Chart keys (charts/argo-rollouts/values.yaml at the pin; facts/charts/argo-rollouts.json):
 * `controller.{replicas,nodeSelector,extraEnv,pdb,image}`, `serviceAccount.{create,name,annotations}`,
 * `dashboard.enabled`, `installCRDs`.
 */
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon, imageParts, Values } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";

export * from "./canary";

export const ARGO_ROLLOUTS_DEFAULTS = {
  releaseName: "argo-rollouts",
  namespace: "argo-rollouts",
  serviceAccountName: "argo-rollouts",
  replicas: 2,
} as const;

export interface ArgoRolloutsResult extends AddonResult {
  /** The catalog service released as a canary (absent: the controller only). */
  readonly canaryService?: string;
}

/** The chart's tap values except the locked keys (pure). */
export function argoRolloutsValues(): Values {
  const d = ARGO_ROLLOUTS_DEFAULTS;
  return {
    controller: {
      replicas: d.replicas,
      nodeSelector: { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR },
      pdb: { enabled: true, minAvailable: 1 },
    },
    dashboard: { enabled: false },
  };
}

export function deployArgoRollouts(ctx: AddonContext): ArgoRolloutsResult {
  const d = ARGO_ROLLOUTS_DEFAULTS;
  const pin = ctx.pins.argoRollouts;
  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    serviceAccount: {
      name: d.serviceAccountName,
      policy: () => ({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ReadMetricsForAnalysis",
            Effect: "Allow",
            Action: "cloudwatch:GetMetricData",
            // GetMetricData supports no resource-level permissions (service authorization data).
            Resource: "*",
          },
        ],
      }),
    },
    values: argoRolloutsValues(),
    lockedValues: (roleArn) => ({
      controller: {
        image: imageParts(pin.image.repository, pin.image.tag),
        // Pods cannot reach IMDS: the CloudWatch provider is given its region.
        extraEnv: [{ name: "AWS_REGION", value: ctx.region }],
      },
      serviceAccount: {
        create: true,
        name: d.serviceAccountName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
    }),
  });
  const canaryService =
    ctx.config.addonSettings.argoRollouts.canaryService ??
    ctx.config.services.find((s) => s.cloudwatchMetric)?.name;
  return { ...result, ...(canaryService ? { canaryService } : {}) };
}
