/**
 * Kyverno (kyverno/kyverno chart `kyverno`): admission policy for the workloads (policies.ts). Three
 * admission controllers and two of each other controller, on on-demand nodes with disruption
 * budgets; its webhooks never see the system namespaces. The policies wait for the release (its
 * CRDs and webhooks), and the catalog's namespaces wait for the policies, so every workload is
 * admitted under them from the first `pulumi up`.
 *
 * Chart keys (charts/kyverno/values.yaml at every pinned version, facts/kyverno.md):
 * `<controller>.replicas`, `.podDisruptionBudget.minAvailable`, `.nodeSelector` (replaces
 * `global.nodeSelector`, so it repeats kubernetes.io/os), `config.webhooks.namespaceSelector`
 * (replaces the default kube-system exclusion: it is listed again), `webhooksCleanup.enabled` (its
 * pre-delete Jobs remove the webhook configurations when the release is uninstalled, so switching
 * Kyverno off leaves no webhook refusing Pods for a service that is gone).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../../naming";
import { awsScope } from "../../iam/irsa";
import { Values, deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR, inCluster } from "../types";
import { SYSTEM_NAMESPACES, imageVerificationPolicy, validatingPolicies } from "./policies";

export * from "./policies";

export const KYVERNO_DEFAULTS = {
  namespace: "kyverno",
  releaseName: "kyverno",
  admissionReplicas: 3,
  /** Background, cleanup and reports controllers (leader-elected: one works, one stands by). */
  controllerReplicas: 2,
} as const;

export interface KyvernoResult extends AddonResult {
  readonly policies: readonly k8s.apiextensions.CustomResource[];
  /** The line that lists what the policies found (Audit results and background scans). */
  readonly policyReportCommand: string;
}

/** The chart's tap values (pure: tests read them without deploying). */
export function kyvernoValues(): Values {
  const d = KYVERNO_DEFAULTS;
  const nodeSelector = { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR };
  const controller = (replicas: number, minAvailable: number) => ({
    replicas,
    nodeSelector,
    // The chart renders a budget for any controller with more than one replica (its
    // poddisruptionbudget.yaml: `if or .enabled (gt replicas 1)`): only its size is set.
    podDisruptionBudget: { minAvailable },
  });
  return {
    // Two of three may be drained at once, never the third: admission keeps answering.
    admissionController: controller(d.admissionReplicas, 2),
    backgroundController: controller(d.controllerReplicas, 1),
    cleanupController: controller(d.controllerReplicas, 1),
    reportsController: controller(d.controllerReplicas, 1),
    config: {
      webhooks: {
        namespaceSelector: {
          matchExpressions: [
            { key: "kubernetes.io/metadata.name", operator: "NotIn", values: SYSTEM_NAMESPACES },
          ],
        },
      },
    },
    // Each policy states its failure policy (Fail for Enforce, Ignore for Audit): no global override.
    features: { forceFailurePolicyIgnore: { enabled: false } },
    webhooksCleanup: { enabled: true, nodeSelector },
  };
}

export function deployKyverno(ctx: AddonContext): KyvernoResult {
  const pin = ctx.pins.kyverno;
  if (!pin)
    throw new Error(`kyverno: no chart pinned for Kubernetes ${ctx.config.kubernetesVersion}`);
  const d = KYVERNO_DEFAULTS;
  const base = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    values: kyvernoValues(),
    lockedValues: () => ({}),
  });
  const labels = ownershipLabels(ctx.config.environmentSuffix);
  const settings = ctx.config.addonSettings.kyverno;
  const policy = (
    m: { apiVersion: string; kind: string; metadata: { name: string } },
    spec: pulumi.Input<object>,
  ) =>
    new k8s.apiextensions.CustomResource(
      ctx.name(`kyverno-${m.metadata.name}`),
      { apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata, spec },
      inCluster(ctx, [base.release]),
    );
  const policies = validatingPolicies(labels).map((p) => policy(p, p.spec));
  if (settings.cosignPublicKey) {
    // The key is public, but it is configured as a Pulumi secret: keep it one in the state.
    const key = pulumi.secret(settings.cosignPublicKey);
    const registries = settings.imageRegistries
      ? pulumi.output([...settings.imageRegistries])
      : awsScope(ctx.parent).apply((s) => [`${s.accountId}.dkr.ecr.${s.region}.amazonaws.com/*`]);
    const shape = imageVerificationPolicy(labels, [], "");
    policies.push(
      policy(
        shape,
        pulumi.all([registries, key]).apply(([r, k]) => imageVerificationPolicy(labels, r, k).spec),
      ),
    );
  }
  return {
    ...base,
    policies,
    policyReportCommand:
      "kubectl get policyreports.wgpolicyk8s.io -A -o wide && kubectl get clusterpolicyreports.wgpolicyk8s.io -o wide",
  };
}
