/**
 * The shared steps of every add-on, written once: namespace (with PSS labels) -> IRSA role ->
 * Helm release with a pinned chart, explicit provider, timeout, atomic + cleanup, ordered after the
 * node groups and the role. Values: the add-on's defaults, deep-merged with its locked keys last.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../naming";
import { AwsScope, PolicyDocument } from "../iam/policy";
import { createIrsaRole } from "../iam/irsa";
import { AddonContext, AddonResult, inCluster, podSecurityLabels } from "./types";
import { ChartPin } from "./versions";

export type Values = { readonly [key: string]: unknown };

export interface HelmAddonSpec {
  /** Role name of the add-on: the release, role and resource names derive from it. */
  readonly name: string;
  readonly pin: ChartPin;
  readonly namespace: string;
  /** Create the namespace with these PSS levels; omit for namespaces that exist (kube-system). */
  readonly createNamespace?: { readonly podSecurity: "restricted" | "baseline" | "privileged" };
  /** The service account the chart creates; with `policy`, tap creates its IRSA role. */
  readonly serviceAccount?: {
    readonly name: string;
    readonly policy?: (scope: AwsScope) => pulumi.Input<PolicyDocument>;
  };
  /** The add-on's default values. */
  readonly values: Values;
  /** Keys that must hold whatever the defaults say (SA name, role annotation, cluster, region); applied last. */
  readonly lockedValues: (roleArn: pulumi.Output<string> | undefined) => pulumi.Input<Values>;
  /** Seconds Helm may take; the release is rolled back (atomic) after that. */
  readonly timeoutSeconds?: number;
  /** Extra resources the release must wait for. */
  readonly dependsOn?: readonly pulumi.Resource[];
  /** Leave the chart's crds/ directory alone (another release owns those CRDs). */
  readonly skipCrds?: boolean;
}

/**
 * Where Helm fetches a pin from: a classic repository (`repositoryOpts.repo` + chart name), or an
 * OCI registry (`oci://<registry>/<chart>` as the chart, no repository options).
 */
export function chartSource(pin: ChartPin): {
  chart: string;
  repositoryOpts?: { repo: string };
} {
  return pin.repo.startsWith("oci://")
    ? { chart: `${pin.repo}/${pin.chart}` }
    : { chart: pin.chart, repositoryOpts: { repo: pin.repo } };
}

export const DEFAULT_HELM_TIMEOUT_SECONDS = 600;

/**
 * A pinned image as charts that join `registry/repository:tag` take it:
 * `docker.io/falcosecurity/falco` -> registry `docker.io`, repository `falcosecurity/falco`.
 */
export function imageParts(
  image: string,
  tag: string,
): { registry: string; repository: string; tag: string } {
  const slash = image.indexOf("/");
  return { registry: image.slice(0, slash), repository: image.slice(slash + 1), tag };
}

function isPlainObject(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` onto `base` (objects merge, everything else replaces); never mutates either. */
export function deepMerge(base: Values, over: Values): Values {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

export function deployHelmAddon(ctx: AddonContext, spec: HelmAddonSpec): AddonResult {
  const opts = inCluster(ctx);
  const waitFor: pulumi.Resource[] = [...ctx.nodeGroups, ...(spec.dependsOn ?? [])];

  if (spec.createNamespace) {
    waitFor.push(
      new k8s.core.v1.Namespace(
        ctx.name(`${spec.name}-ns`),
        {
          metadata: {
            name: spec.namespace,
            labels: {
              ...podSecurityLabels(spec.createNamespace.podSecurity),
              ...ownershipLabels(ctx.config.environmentSuffix),
            },
          },
        },
        opts,
      ),
    );
  }

  let roleArn: pulumi.Output<string> | undefined;
  if (spec.serviceAccount?.policy) {
    const irsa = createIrsaRole(ctx, `tap-${spec.name}`, {
      oidcProviderArn: ctx.oidcProviderArn,
      oidcIssuer: ctx.oidcIssuer,
      namespace: spec.namespace,
      serviceAccount: spec.serviceAccount.name,
      policy: spec.serviceAccount.policy,
      description: `IRSA role of ${spec.namespace}/${spec.serviceAccount.name} (${spec.name})`,
    });
    roleArn = irsa.arn;
    waitFor.push(irsa.role, irsa.rolePolicy);
  }

  const values = pulumi
    .output(spec.lockedValues(roleArn))
    .apply((locked) => deepMerge(spec.values, locked as Values));

  const release = new k8s.helm.v3.Release(
    ctx.name(spec.name),
    {
      name: spec.name,
      ...chartSource(spec.pin),
      version: spec.pin.version,
      namespace: spec.namespace,
      createNamespace: false,
      values,
      timeout: spec.timeoutSeconds ?? DEFAULT_HELM_TIMEOUT_SECONDS,
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 5,
      ...(spec.skipCrds ? { skipCrds: true } : {}),
    },
    inCluster(ctx, waitFor),
  );

  return {
    release,
    namespace: spec.namespace,
    serviceAccountName: spec.serviceAccount?.name,
    roleArn,
  };
}
