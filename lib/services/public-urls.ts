/**
 * The `publicServices` output: how each public catalog service is reached. With ExternalDNS, its
 * own name in the zone; with the load balancer controller alone, its ALB's name once the ALB
 * exists; otherwise what it is without a load balancer (a ClusterIP Service, port-forward).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExternalDnsResult, publicHost } from "../addons/external-dns";
import { LoadBalancerControllerResult } from "../addons/load-balancer-controller";
import { publicAccess } from "./network";
import { ServiceSpec } from "./types";
import { DeployedService } from "./workloads";

export function publicServiceUrls(
  catalog: readonly ServiceSpec[],
  deployed: Readonly<Record<string, DeployedService>>,
  lb: LoadBalancerControllerResult | undefined,
  dns: ExternalDnsResult | undefined,
): pulumi.Output<Record<string, string>> {
  const scheme = lb?.certificateArn ? "https" : "http";
  const withIngress = Object.entries(deployed).filter(([, s]) => s.ingress);
  if (dns)
    return dns.zoneName.apply((zone) =>
      Object.fromEntries(withIngress.map(([n]) => [n, `${scheme}://${publicHost(n, zone)}`])),
    );
  if (lb)
    return pulumi
      .all(
        withIngress.map(([n, s]) =>
          (s.ingress as k8s.networking.v1.Ingress).status.apply(
            (st) =>
              [
                n,
                `${scheme}://${st?.loadBalancer?.ingress?.[0]?.hostname ?? "(pending)"}`,
              ] as const,
          ),
        ),
      )
      .apply((pairs) => Object.fromEntries(pairs));
  return pulumi.output(publicAccess(catalog));
}
