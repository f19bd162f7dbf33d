/**
 * ExternalDNS (kubernetes-sigs `external-dns`, pinned in versions.ts) in its own namespace: it
 * publishes `<service>.<zone>` as an alias record of each public service's ALB in the one Route 53
 * zone `tap:addons.externalDns.hostedZoneId` names, owning what it writes with TXT records marked
 * with the cluster's name (`txtOwnerId`), so it never touches another cluster's or a person's
 * records. Its only source is Ingresses (tap writes them; lib/services/workloads.ts adds the host
 * rule); `upsert-only` (the default) never deletes a record, `sync` deletes the records of services
 * that are gone. The IAM policy (iam.ts) allows changes only to those names.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";
import { externalDnsPolicy } from "./iam";

export const EXTERNAL_DNS_DEFAULTS = {
  releaseName: "external-dns",
  namespace: "external-dns",
  serviceAccountName: "external-dns",
  /** How often it reconciles (the chart's default, stated). */
  interval: "1m",
  resources: {
    requests: { cpu: "50m", memory: "64Mi" },
    limits: { cpu: "200m", memory: "128Mi" },
  },
  timeoutSeconds: 300,
} as const;

export interface ExternalDnsResult extends AddonResult {
  readonly roleArn: pulumi.Output<string>;
  /** The zone's name (Route 53's, no trailing dot). */
  readonly zoneName: pulumi.Output<string>;
}

/** The DNS name of a public service: `<service>.<zone>`. */
export function publicHost(service: string, zoneName: string): string {
  return `${service}.${zoneName}`;
}

export function deployExternalDns(
  ctx: AddonContext,
  args: { readonly publicServices: readonly string[] },
): ExternalDnsResult {
  const d = EXTERNAL_DNS_DEFAULTS;
  const pin = ctx.pins.externalDns;
  const settings = ctx.config.addonSettings.externalDns;
  const zoneId = settings.hostedZoneId;
  // The config refuses the capability on without a zone; this guards code paths that skip it.
  if (zoneId === undefined) throw new Error("tap:addons.externalDns.hostedZoneId is required");
  const zone = aws.route53.getZoneOutput({ zoneId }, { parent: ctx.parent });
  const zoneName = zone.name.apply((n) => n.replace(/\.$/, ""));
  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    createNamespace: { podSecurity: "restricted" },
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) =>
        zoneName.apply((name) =>
          externalDnsPolicy(
            scope,
            zoneId,
            args.publicServices.map((s) => publicHost(s, name)),
            settings.policy,
            name,
          ),
        ),
    },
    values: {
      nodeSelector: { ...ON_DEMAND_SELECTOR },
      resources: d.resources,
      interval: d.interval,
      logFormat: "json",
    },
    lockedValues: (roleArn) => ({
      image: { repository: pin.image.repository, tag: pin.image.tag },
      provider: { name: "aws" },
      // tap publishes its public services' Ingresses, nothing else.
      sources: ["ingress"],
      policy: settings.policy,
      registry: "txt",
      txtOwnerId: ctx.clusterName,
      domainFilters: [zoneName],
      extraArgs: {
        "zone-id-filter": zoneId,
        "aws-zone-type": zone.apply((z) => (z.privateZone === true ? "private" : "public")),
      },
      // Pods cannot reach IMDS: the SDK is given the region.
      env: [{ name: "AWS_DEFAULT_REGION", value: ctx.region }],
      serviceAccount: {
        create: true,
        name: d.serviceAccountName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
    }),
    // The chart's crds/ holds DNSEndpoint, which the ingress source does not use.
    skipCrds: true,
    timeoutSeconds: d.timeoutSeconds,
  });
  return {
    ...result,
    roleArn: result.roleArn as pulumi.Output<string>,
    zoneName,
  };
}
