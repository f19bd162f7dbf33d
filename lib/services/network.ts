/**
 * NetworkPolicies derived from the catalog's call graph. On top of each service namespace's
 * baseline (default-deny + DNS, from createWorkloadNamespace) a service gets exactly:
 * - `allow-from-callers`: ingress on its port from each declared caller's pods in the caller's
 *   namespace; for a public service also from the public subnets' CIDRs (an internet-facing load
 *   balancer in IP mode sends traffic from its ENIs there to the pod IP, on the pod port). Not the
 *   whole VPC: pods have VPC addresses (VPC CNI), so a VPC-wide rule would admit any pod whose
 *   egress reaches the internet (an `allow-aws-apis` pod) on that port.
 * - `allow-to-callees`: egress on each callee's port to the callee's pods in its namespace.
 * - `allow-aws-apis`: only for a service whose own SDK calls AWS (catalog permissions, published
 *   metrics, the database's secret): HTTPS (443) to the internet minus IMDS, so it reaches STS
 *   (IRSA) and the AWS API it was granted.
 * - `allow-database`: only for a service that declares the database (tap:addons.database):
 *   PostgreSQL (5432) to the data subnets, where nothing but the database lives.
 * - `allow-mesh-egress`: only with the mesh on: the data plane's `extraEgress`.
 * - `allow-traces`: only with tracing on (tap:addons.tracing): the collector's OTLP ports, to the
 *   collector's pods in its namespace.
 * With Istio's ambient mesh (tap:addons.istio) every caller -> callee rule also admits the HBONE
 * port (ztunnel carries the call to the callee pod there, from the caller pod's address); kubelet's
 * probes are the namespace baseline's (allow-ambient-probes, lib/addons/network-policies.ts).
 * A policy with no rule is not created (default-deny stays the answer).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { internetEgressPeer } from "../addons/network-policies";
import { MeshBinding, ServiceSpec, callsAwsApis, serviceNamespace, serviceSelector } from "./types";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type IngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** One allowed call: `from`'s pods may open TCP connections to `to`'s pods on `port`. */
export interface CallEdge {
  readonly from: string;
  readonly to: string;
  readonly port: number;
}

export const SERVICE_POLICY_NAMES = {
  fromCallers: "allow-from-callers",
  toCallees: "allow-to-callees",
  awsApis: "allow-aws-apis",
  meshEgress: "allow-mesh-egress",
  database: "allow-database",
  traces: "allow-traces",
} as const;

/** Where spans go (tap:addons.tracing): the collector's namespace, pod labels and OTLP ports. */
export interface TracesEgress {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ports: readonly number[];
}

/** Where the database is (tap:addons.database): its subnets' CIDRs and its port. */
export interface DatabaseEgress {
  readonly cidrs: readonly pulumi.Input<string>[];
  readonly port: number;
}

/** Every edge of the call graph, sorted by caller then callee (the port is the callee's). */
export function callGraphEdges(services: readonly ServiceSpec[]): CallEdge[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const edges: CallEdge[] = [];
  for (const s of services) {
    for (const callee of s.calls) {
      const target = byName.get(callee);
      if (!target) throw new Error(`service "${s.name}" calls unknown service "${callee}"`);
      edges.push({ from: s.name, to: callee, port: target.port });
    }
  }
  return edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** The pods of `service`, seen from any namespace (its own or its tenant's). */
export function servicePeer(service: Pick<ServiceSpec, "name" | "tenant">): NetworkPolicyPeer {
  return {
    namespaceSelector: {
      matchLabels: { "kubernetes.io/metadata.name": serviceNamespace(service) },
    },
    podSelector: { matchLabels: serviceSelector(service.name) },
  };
}

const lookup = (services: readonly ServiceSpec[], name: string): ServiceSpec => {
  const found = services.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service "${name}"`);
  return found;
};

const tcp = (port: number) => [{ protocol: "TCP", port }];

/** What Istio's ambient data plane needs from the call graph's NetworkPolicies (lib/addons/istio). */
export interface AmbientPorts {
  /** ztunnel's HBONE port on the destination pod. */
  readonly hbonePort: number;
}

/** The ports of one call: the callee's, and HBONE's in the ambient mesh. */
const callPorts = (port: number, ambient: AmbientPorts | undefined) =>
  ambient ? [...tcp(port), ...tcp(ambient.hbonePort)] : tcp(port);

/** `allow-from-callers` for `service`, or undefined when nothing may reach it. */
export function ingressPolicySpec(
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  loadBalancerSources: readonly pulumi.Input<string>[],
  ambient?: AmbientPorts,
): NetworkPolicySpec | undefined {
  const ingress: IngressRule[] = callGraphEdges(services)
    .filter((e) => e.to === service.name)
    .map((e) => ({
      from: [servicePeer(lookup(services, e.from))],
      ports: callPorts(e.port, ambient),
    }));
  if (service.public && loadBalancerSources.length > 0)
    ingress.push({
      from: loadBalancerSources.map((cidr) => ({ ipBlock: { cidr } })),
      ports: tcp(service.port),
    });
  if (ingress.length === 0) return undefined;
  return {
    podSelector: { matchLabels: serviceSelector(service.name) },
    policyTypes: ["Ingress"],
    ingress,
  };
}

/** `allow-to-callees` for `service`, or undefined when it calls nothing. */
export function egressPolicySpec(
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  ambient?: AmbientPorts,
): NetworkPolicySpec | undefined {
  const egress: EgressRule[] = callGraphEdges(services)
    .filter((e) => e.from === service.name)
    .map((e) => ({
      to: [servicePeer(lookup(services, e.to))],
      ports: callPorts(e.port, ambient),
    }));
  return egress.length === 0 ? undefined : egressSpec(service.name, egress);
}

/**
 * `allow-aws-apis`: HTTPS to the internet minus IMDS, for a service whose own SDK calls AWS: its
 * catalog permissions, the metrics it publishes, its database's secret.
 */
export function awsApiEgressSpec(service: ServiceSpec): NetworkPolicySpec | undefined {
  if (!callsAwsApis(service)) return undefined;
  return egressSpec(service.name, [{ to: [internetEgressPeer()], ports: tcp(443) }]);
}

/** `allow-mesh-egress`: what the mesh data plane needs, when the mesh is on and needs anything. */
export function meshEgressSpec(
  service: ServiceSpec,
  mesh: MeshBinding | undefined,
): NetworkPolicySpec | undefined {
  if (!mesh || mesh.extraEgress.length === 0) return undefined;
  return egressSpec(service.name, [...mesh.extraEgress]);
}

/** `allow-database`: the database's port in its subnets, for a service that declares it. */
export function databaseEgressSpec(
  service: ServiceSpec,
  database: DatabaseEgress | undefined,
): NetworkPolicySpec | undefined {
  if (service.database === undefined || !database) return undefined;
  return egressSpec(service.name, [
    { to: database.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(database.port) },
  ]);
}

/** `allow-traces`: the collector's OTLP ports on its pods, for every service while tracing is on. */
export function tracesEgressSpec(
  service: ServiceSpec,
  traces: TracesEgress | undefined,
): NetworkPolicySpec | undefined {
  if (!traces) return undefined;
  return egressSpec(service.name, [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": traces.namespace } },
          podSelector: { matchLabels: { ...traces.podLabels } },
        },
      ],
      ports: traces.ports.map((port) => ({ protocol: "TCP", port })),
    },
  ]);
}

function egressSpec(name: string, egress: EgressRule[]): NetworkPolicySpec {
  return { podSelector: { matchLabels: serviceSelector(name) }, policyTypes: ["Egress"], egress };
}

/** Every policy of `service` by name (absent = not created). */
export function servicePolicySpecs(
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  loadBalancerSources: readonly pulumi.Input<string>[],
  mesh: MeshBinding | undefined,
  ambient?: AmbientPorts,
  database?: DatabaseEgress,
  traces?: TracesEgress,
): [string, NetworkPolicySpec][] {
  const n = SERVICE_POLICY_NAMES;
  const all: [string, NetworkPolicySpec | undefined][] = [
    [n.fromCallers, ingressPolicySpec(service, services, loadBalancerSources, ambient)],
    [n.toCallees, egressPolicySpec(service, services, ambient)],
    [n.awsApis, awsApiEgressSpec(service)],
    [n.meshEgress, meshEgressSpec(service, mesh)],
    [n.database, databaseEgressSpec(service, database)],
    [n.traces, tracesEgressSpec(service, traces)],
  ];
  return all.filter((e): e is [string, NetworkPolicySpec] => e[1] !== undefined);
}

/**
 * What a `public: true` service is without the load balancer controller, said plainly: a ClusterIP
 * Service with a NetworkPolicy hole for the public subnets, where a load balancer's traffic would
 * come from; nothing outside the cluster reaches it (tap:addons.loadBalancerController gives it an
 * ALB, and the stack then outputs its URL instead).
 */
export function publicAccess(services: readonly ServiceSpec[]): Record<string, string> {
  return Object.fromEntries(
    services
      .filter((s) => s.public)
      .map((s) => [
        s.name,
        `not reachable from outside the cluster: a ClusterIP Service, no load balancer ` +
          `(turn on tap:addons.loadBalancerController); ` +
          `try it with: kubectl -n ${serviceNamespace(s)} port-forward svc/${s.name} ${s.port}`,
      ]),
  );
}
