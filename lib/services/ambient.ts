/**
 * The catalog on Istio's ambient mesh (tap:addons.istio), derived from the call graph and nothing
 * else, the same graph as the NetworkPolicies (network.ts):
 * - an AuthorizationPolicy `<service>` (ALLOW) per service: its port, from exactly its declared
 *   callers' workload identities (`<trust domain>/ns/<namespace>/sa/<service>`, the service
 *   account each service runs as), and for the public service also from the public subnets (the
 *   load balancer's plaintext connections, see below). ztunnel enforces these at L4. A service
 *   nobody calls gets an ALLOW policy with no rule, which admits nobody.
 * - for the public service, a PeerAuthentication that keeps mTLS STRICT but accepts plaintext on
 *   its port (PERMISSIVE there): the ALB is outside the mesh and connects to the pod IP directly.
 * Pure functions, so a test can compare the graph they encode with the declared calls.
 */
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_DEFAULTS } from "../addons/istio";
import { callGraphEdges } from "./network";
import { ServiceSpec, serviceNamespace, serviceSelector } from "./types";

export const ISTIO_SECURITY_API = "security.istio.io/v1";

/** The SPIFFE identity (without spiffe://) a service's pods have in the mesh. */
export function servicePrincipal(service: Pick<ServiceSpec, "name" | "tenant">): string {
  return `${ISTIO_DEFAULTS.trustDomain}/ns/${serviceNamespace(service)}/sa/${service.name}`;
}

interface Rule {
  readonly from: readonly { readonly source: Record<string, readonly pulumi.Input<string>[]> }[];
  readonly to: readonly { readonly operation: { readonly ports: readonly string[] } }[];
}

/** The AuthorizationPolicy spec of `service`: who may open connections to its port. */
export function authorizationPolicySpec(
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  loadBalancerSources: readonly pulumi.Input<string>[],
): { selector: { matchLabels: Record<string, string> }; action: "ALLOW"; rules?: Rule[] } {
  const byName = new Map(services.map((s) => [s.name, s]));
  const callers = callGraphEdges(services)
    .filter((e) => e.to === service.name)
    .map((e) => servicePrincipal(byName.get(e.from) as ServiceSpec));
  const to = [{ operation: { ports: [String(service.port)] } }];
  const rules: Rule[] = [];
  if (callers.length > 0) rules.push({ from: [{ source: { principals: callers } }], to });
  if (service.public && loadBalancerSources.length > 0)
    rules.push({ from: [{ source: { ipBlocks: [...loadBalancerSources] } }], to });
  return {
    selector: { matchLabels: serviceSelector(service.name) },
    action: "ALLOW",
    // No rule: the policy matches nothing, so nothing is allowed.
    ...(rules.length > 0 ? { rules } : {}),
  };
}

/** The public service's PeerAuthentication: STRICT, except plaintext on its port (the ALB's). */
export function publicPeerAuthenticationSpec(service: ServiceSpec) {
  return {
    selector: { matchLabels: serviceSelector(service.name) },
    mtls: { mode: "STRICT" },
    portLevelMtls: { [String(service.port)]: { mode: "PERMISSIVE" } },
  };
}
