/**
 * Argo CD (argoproj/argo-helm `argo-cd`, tap:addons.argocd): GitOps for the platform's
 * applications. HA: Redis HA (three Redis + HAProxy, spread over nodes where there are enough,
 * soft anti-affinity so a small on-demand group still schedules them), two application
 * controllers' worth of nothing (the controller is one replica: more needs sharding), the API
 * server and the repo server autoscaled 2-5, two ApplicationSet controllers, budgets for each; all
 * on on-demand nodes. RBAC: read-only for everyone signed in, admin for `adminGroup`. SSO: OIDC
 * straight to the provider when `oidc` is set (its client secret only in argocd-secret, from a
 * Pulumi secret). The API server is a ClusterIP Service: `argocdPortForwardCommand`.
 * Then tap's projects, the root app-of-apps and the environments' ApplicationSet (apps.ts), after
 * the release (its CRDs).
 *
 * Chart keys (charts/argo-cd/values.yaml at the pinned version; facts/charts/argo-cd.json):
 * `global.nodeSelector`, `redis.enabled`, `redis-ha.{enabled,hardAntiAffinity,haproxy.*}`,
 * `controller.replicas`, `server.autoscaling.*`, `repoServer.autoscaling.*`,
 * `applicationSet.replicas`, `<component>.pdb.*`, `dex.enabled`, `configs.cm.*`,
 * `configs.rbac.*`, `configs.secret.extra`, `configs.params`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../../naming";
import { Values, deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR, inCluster } from "../types";
import { ARGOCD_NAMESPACE, argoCdObjects } from "./apps";
import { ArgoCdIngressPlan } from "./ingress";
import { ArgoCdSettings } from "./settings";

export * from "./apps";
export * from "./ingress";

export const ARGOCD_DEFAULTS = {
  releaseName: "argocd",
  namespace: ARGOCD_NAMESPACE,
  autoscaling: { min: 2, max: 5 },
  applicationSetReplicas: 2,
  /** The key in argocd-secret the OIDC config reads its client secret from (`$oidc.tap.clientSecret`). */
  oidcSecretKey: "oidc.tap.clientSecret",
  /** The address of the port-forward (argocdPortForwardCommand). */
  url: "https://localhost:8080",
} as const;

export interface ArgoCdResult extends AddonResult {
  readonly objects: readonly k8s.apiextensions.CustomResource[];
  /** The line that reaches the UI and API without a load balancer. */
  readonly portForwardCommand: string;
  /** The line that prints the initial admin password (argocd-initial-admin-secret). */
  readonly adminPasswordCommand: string;
  /** Where users reach it: `https://argocd.<zone>` behind the ALB, else the port-forward's address. */
  readonly url: pulumi.Output<string>;
  /** The ALB Ingress to make once the admission policy admits it (ingress.ts); absent: none. */
  readonly ingress?: ArgoCdIngressPlan;
}

/** RBAC (argocd-rbac-cm): read-only by default, admin for the group, groups from the token. */
export function argoCdRbac(adminGroup: string | undefined): Values {
  return {
    "policy.default": "role:readonly",
    "policy.csv": adminGroup ? `g, ${adminGroup}, role:admin\n` : "",
    scopes: "[groups]",
  };
}

/** The chart's tap values, without secrets (pure: tests read them without deploying). */
export function argoCdValues(settings: ArgoCdSettings): Values {
  const d = ARGOCD_DEFAULTS;
  const nodeSelector = { "kubernetes.io/os": "linux", ...ON_DEMAND_SELECTOR };
  const autoscaled = {
    autoscaling: {
      enabled: true,
      minReplicas: d.autoscaling.min,
      maxReplicas: d.autoscaling.max,
      targetCPUUtilizationPercentage: 70,
    },
    pdb: { enabled: true, minAvailable: 1 },
  };
  return {
    global: { nodeSelector },
    // Redis HA replaces the single Redis (every redis/ template requires redis-ha off); soft
    // anti-affinity: three replicas spread over the on-demand nodes there are (hard anti-affinity
    // would leave them Pending on fewer than three).
    "redis-ha": {
      enabled: true,
      hardAntiAffinity: false,
      // Its own key (global.nodeSelector does not reach the subchart); HAProxy reads it too.
      nodeSelector,
      haproxy: { hardAntiAffinity: false },
    },
    controller: { replicas: 1, pdb: { enabled: true, minAvailable: 1 } },
    server: autoscaled,
    repoServer: autoscaled,
    applicationSet: {
      replicas: d.applicationSetReplicas,
      pdb: { enabled: true, minAvailable: 1 },
    },
    // SSO is OIDC to the provider itself (configs.cm."oidc.config"); no Dex to run.
    dex: { enabled: false },
    configs: {
      cm: {
        // Where users reach it (the port-forward line): SSO's redirect is <url>/auth/callback, so
        // the chart's placeholder domain (argocd.example.com) must not be what the provider sees.
        url: ARGOCD_DEFAULTS.url,
        // The local admin stays for the first login (its password: README); with SSO, users sign in there.
        "admin.enabled": true,
        ...(settings.oidc
          ? {
              "oidc.config": [
                "name: SSO",
                `issuer: ${settings.oidc.issuer}`,
                `clientID: ${settings.oidc.clientId}`,
                `clientSecret: $${ARGOCD_DEFAULTS.oidcSecretKey}`,
                "requestedScopes: [openid, profile, email, groups]",
              ].join("\n"),
            }
          : {}),
      },
      rbac: argoCdRbac(settings.adminGroup),
    },
  };
}

export function deployArgoCd(
  ctx: AddonContext,
  args: { readonly ingress?: ArgoCdIngressPlan } = {},
): ArgoCdResult {
  const pin = ctx.pins.argocd;
  const d = ARGOCD_DEFAULTS;
  const settings = ctx.config.addonSettings.argocd;
  const repoUrl = settings.repoUrl;
  if (!repoUrl) throw new Error("argocd: tap:addons.argocd.repoUrl is required (config check)");
  const secret = settings.oidc ? pulumi.secret(settings.oidc.clientSecret) : undefined;
  // Behind the ALB, SSO's redirect and the links Argo CD writes name the ALB's host.
  const url = args.ingress
    ? args.ingress.host.apply((h) => `https://${h}`)
    : pulumi.output<string>(d.url);
  const base = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    values: argoCdValues(settings),
    lockedValues: () => ({
      global: { image: { repository: pin.image.repository, tag: pin.image.tag } },
      configs: {
        ...(args.ingress ? { cm: { url } } : {}),
        ...(secret ? { secret: { extra: secret.apply((s) => ({ [d.oidcSecretKey]: s })) } } : {}),
      },
    }),
  });
  const labels = ownershipLabels(ctx.config.environmentSuffix);
  const objects: k8s.apiextensions.CustomResource[] = [];
  for (const o of argoCdObjects({ ...settings, repoUrl }, labels)) {
    // Projects before what names them; everything after the release (its CRDs).
    objects.push(
      new k8s.apiextensions.CustomResource(
        ctx.name(`argocd-${o.metadata.name}-${o.kind.toLowerCase()}`),
        { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec },
        inCluster(ctx, [base.release, ...objects.filter((x) => x !== undefined)]),
      ),
    );
  }
  return {
    ...base,
    objects,
    portForwardCommand: `kubectl -n ${d.namespace} port-forward svc/${d.releaseName}-server 8080:443`,
    adminPasswordCommand: `kubectl -n ${d.namespace} get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d`,
    url,
    ...(args.ingress ? { ingress: args.ingress } : {}),
  };
}
