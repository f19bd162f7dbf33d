/**
 * Argo CD's UI and API behind the load balancer controller's ALB (tap:addons.argocd with
 * tap:addons.loadBalancerController, its certificateArn, and tap:addons.externalDns): one Ingress,
 * `argocd.<zone>`, HTTPS only on the certificate, to the API server's Service over HTTPS (the
 * server speaks TLS on its own port; plain HTTP there answers a redirect, so the health check is
 * HTTPS too, on /healthz). The CLI reaches it with `--grpc-web` (the ALB forwards HTTP/1.1 and
 * HTTP/2 to one target group; native gRPC would need the second Service and routing condition of
 * argo-cd@v3.4.4:docs/operator-manual/ingress.md L410-455, which tap does not make).
 * The ALB admission policy (lib/addons/load-balancer-controller/ingress-policy.ts) admits exactly
 * this Ingress besides the public services'. No web ACL: tap:addons.edge's is tuned for the API.
 *
 * Annotations: kubernetes-sigs/aws-load-balancer-controller@v3.5.0:docs/guide/ingress/
 * annotations.md (scheme L696-704, backend-protocol L245-249, healthcheck-protocol L875-879).
 * Without the certificate or the zone there is no Ingress (a certificate names a host; the ALB's
 * own name matches none): the config warns and the port-forward line stays the way in.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TapConfig } from "../../config";
import { ownershipLabels } from "../../naming";
import { ExternalDnsResult, publicHost } from "../external-dns";
import { LoadBalancerControllerResult } from "../load-balancer-controller";
import { AllowedAlbIngress } from "../load-balancer-controller/ingress-policy";
import { AddonContext } from "../types";
import { ARGOCD_NAMESPACE } from "./apps";
import { ArgoCdIngressScheme } from "./settings";

/** The API server's Service (`<release>-server`, release `argocd`) and so the Ingress's name. */
export const ARGOCD_SERVER_SERVICE = "argocd-server";
/** Its HTTPS port (the chart's `server.service.servicePortHttps`). */
export const ARGOCD_SERVER_HTTPS_PORT = 443;
/** The host's first label: `argocd.<zone>` (a reserved service name, so no service has it). */
export const ARGOCD_HOST_LABEL = "argocd";

/** Whether the config gives Argo CD its Ingress (pure: ExternalDNS's record names read it too). */
export function argoCdIngressOn(config: Pick<TapConfig, "addons" | "addonSettings">): boolean {
  return (
    config.addons.argocd &&
    config.addons.loadBalancerController &&
    config.addons.externalDns &&
    config.addonSettings.loadBalancerController.certificateArn !== undefined
  );
}

/** Where users reach Argo CD through the ALB. */
export function argoCdHost(zoneName: string): string {
  return publicHost(ARGOCD_HOST_LABEL, zoneName);
}

/** The ALB annotations of the Ingress (strings, as the controller requires). */
export function argoCdIngressAnnotations(
  scheme: ArgoCdIngressScheme,
  certificateArn: string,
  tags: Readonly<Record<string, string>>,
): Record<string, string> {
  const a = "alb.ingress.kubernetes.io";
  return {
    [`${a}/scheme`]: scheme,
    [`${a}/target-type`]: "ip",
    [`${a}/listen-ports`]: '[{"HTTPS": 443}]',
    [`${a}/certificate-arn`]: certificateArn,
    [`${a}/backend-protocol`]: "HTTPS",
    [`${a}/healthcheck-protocol`]: "HTTPS",
    [`${a}/healthcheck-path`]: "/healthz",
    [`${a}/tags`]: Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  };
}

/** The Ingress as the admission policy pins it. */
export function argoCdAllowedIngress(
  host: string,
  annotations: Readonly<Record<string, string>>,
): AllowedAlbIngress {
  return { namespace: ARGOCD_NAMESPACE, name: ARGOCD_SERVER_SERVICE, host, annotations };
}

/** The Ingress's spec: every path of the host to the API server's HTTPS port. */
export function argoCdIngressSpec(ingressClass: string, host: string) {
  return {
    ingressClassName: ingressClass,
    rules: [
      {
        host,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: {
                service: {
                  name: ARGOCD_SERVER_SERVICE,
                  port: { number: ARGOCD_SERVER_HTTPS_PORT },
                },
              },
            },
          ],
        },
      },
    ],
  };
}

/** What deployArgoCd needs to give the UI an ALB (present only when argoCdIngressOn). */
export interface ArgoCdIngressInputs {
  readonly loadBalancer: LoadBalancerControllerResult;
  readonly dns: ExternalDnsResult;
  readonly certificateArn: string;
  readonly scheme: ArgoCdIngressScheme;
}

/** The planned Ingress: its host, and what the ALB admission policy must admit. */
export interface ArgoCdIngressPlan {
  readonly inputs: ArgoCdIngressInputs;
  readonly host: pulumi.Output<string>;
  readonly allowed: pulumi.Output<AllowedAlbIngress>;
}

export function planArgoCdIngress(
  inputs: ArgoCdIngressInputs,
  tags: Readonly<Record<string, string>>,
): ArgoCdIngressPlan {
  const host = inputs.dns.zoneName.apply(argoCdHost);
  const annotations = argoCdIngressAnnotations(inputs.scheme, inputs.certificateArn, tags);
  return { inputs, host, allowed: host.apply((h) => argoCdAllowedIngress(h, annotations)) };
}

/**
 * The Ingress, after the release (its Service), the controller and ExternalDNS (so a destroy
 * deletes it while they run: the controller deletes the ALB and its security groups, ExternalDNS
 * the record with `sync`) and the admission policy that admits it.
 */
export function deployArgoCdIngress(
  ctx: AddonContext,
  plan: ArgoCdIngressPlan,
  after: readonly pulumi.Resource[],
): k8s.networking.v1.Ingress {
  return new k8s.networking.v1.Ingress(
    ctx.name("argocd-ingress"),
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: plan.allowed.apply((a) => ({
        name: a.name,
        namespace: a.namespace,
        labels: ownershipLabels(ctx.config.environmentSuffix),
        annotations: { ...a.annotations },
      })),
      spec: plan.host.apply((h) => argoCdIngressSpec(plan.inputs.loadBalancer.ingressClass, h)),
    },
    {
      parent: ctx.parent,
      provider: ctx.k8sProvider,
      dependsOn: [plan.inputs.loadBalancer.release, plan.inputs.dns.release, ...after],
      customTimeouts: { create: "15m", update: "15m", delete: "15m" },
    },
  );
}
