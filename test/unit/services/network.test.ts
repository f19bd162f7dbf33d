import { DEFAULT_SERVICES } from "../../../lib/services/catalog";
import { CallEdge, SERVICE_POLICY_NAMES, callGraphEdges } from "../../../lib/services/network";
import { ServiceSpec } from "../../../lib/services/types";
import { RecordedResource } from "../../helpers/mocks";
import {
  FAKE_MESH,
  FAN_OUT_CATALOG,
  Obj,
  PUBLIC_SUBNET_CIDRS,
  TYPES,
  objects,
  run,
} from "./fixtures";

type Peer = {
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
};
type Rule = { from?: Peer[]; to?: Peer[]; ports: { protocol: string; port: number }[] };
type PolicySpec = {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
};

const selector = (name: string) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/part-of": "tap",
});

/** The tap-derived (non-baseline) policies of namespace `ns`, by name. */
function policies(resources: readonly RecordedResource[], ns: string): Map<string, PolicySpec> {
  return new Map(
    objects(resources, TYPES.networkPolicy, ns)
      .filter((p) => !["default-deny-all", "allow-dns"].includes(String(p.metadata.name)))
      .map((p) => [String(p.metadata.name), p.spec as unknown as PolicySpec]),
  );
}

/** The service a pod peer names, after checking it selects exactly that service's pods there. */
function peerService(peer: Peer): string {
  const ns = peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"];
  if (!ns || Object.keys(peer).sort().join() !== "namespaceSelector,podSelector") {
    throw new Error(`not a service peer: ${JSON.stringify(peer)}`);
  }
  expect(peer.podSelector?.matchLabels).toEqual(selector(ns));
  return ns;
}

/** Edges as the NetworkPolicies grant them, read from one side (ingress or egress). */
function edgesFrom(
  resources: readonly RecordedResource[],
  services: readonly ServiceSpec[],
  side: "ingress" | "egress",
): { edges: CallEdge[]; lb: { service: string; cidr: string; port: number }[] } {
  const edges: CallEdge[] = [];
  const lb: { service: string; cidr: string; port: number }[] = [];
  const name =
    side === "ingress" ? SERVICE_POLICY_NAMES.fromCallers : SERVICE_POLICY_NAMES.toCallees;
  for (const s of services) {
    const spec = policies(resources, s.name).get(name);
    if (!spec) continue;
    expect(spec.podSelector).toEqual({ matchLabels: selector(s.name) });
    expect(spec.policyTypes).toEqual([side === "ingress" ? "Ingress" : "Egress"]);
    for (const rule of spec[side] ?? []) {
      expect(rule.ports).toHaveLength(1);
      expect(rule.ports[0].protocol).toBe("TCP");
      const port = rule.ports[0].port;
      for (const peer of (side === "ingress" ? rule.from : rule.to) ?? []) {
        if (peer.ipBlock && side === "ingress") {
          lb.push({ service: s.name, cidr: peer.ipBlock.cidr, port });
          expect(peer.ipBlock.except).toBeUndefined();
          continue;
        }
        const other = peerService(peer);
        edges.push(
          side === "ingress"
            ? { from: other, to: s.name, port }
            : { from: s.name, to: other, port },
        );
      }
    }
  }
  edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { edges, lb };
}

describe("callGraphEdges", () => {
  it("lists the default catalog's two edges on the callee's port", () => {
    expect(callGraphEdges(DEFAULT_SERVICES)).toEqual([
      { from: "gateway", to: "payments", port: 8080 },
      { from: "payments", to: "ledger", port: 8080 },
    ]);
  });

  it("lists a fan-out's three edges, sorted, each on the callee's port", () => {
    expect(callGraphEdges(FAN_OUT_CATALOG)).toEqual([
      { from: "edge", to: "catalog", port: 9100 },
      { from: "edge", to: "orders", port: 9000 },
      { from: "orders", to: "catalog", port: 9100 },
    ]);
  });

  it("refuses a call to an undeclared service (parseServiceCatalog reports it first)", () => {
    expect(() => callGraphEdges([{ ...DEFAULT_SERVICES[0], calls: ["nope"] }])).toThrow(
      'service "gateway" calls unknown service "nope"',
    );
  });
});

describe("NetworkPolicies equal the call graph", () => {
  it.each([
    ["default catalog, mesh off", DEFAULT_SERVICES, undefined],
    ["default catalog, mesh on", DEFAULT_SERVICES, FAKE_MESH],
    ["fan-out catalog, mesh off", FAN_OUT_CATALOG, undefined],
    ["fan-out catalog, mesh on", FAN_OUT_CATALOG, FAKE_MESH],
  ] as const)("%s: ingress and egress grant exactly callGraphEdges", async (_, services, mesh) => {
    const { resources } = await run(services, mesh);
    const expected = callGraphEdges(services);
    expect(expected.length).toBeGreaterThan(1);
    expect(edgesFrom(resources, services, "ingress").edges).toEqual(expected);
    expect(edgesFrom(resources, services, "egress").edges).toEqual(expected);
  });

  it("admits the load balancer (its public subnets, IP mode) on the port of public services only, never the whole VPC", async () => {
    const { resources } = await run(FAN_OUT_CATALOG, undefined, { vpcCidr: "10.20.0.0/16" });
    expect(edgesFrom(resources, FAN_OUT_CATALOG, "ingress").lb).toEqual(
      PUBLIC_SUBNET_CIDRS.map((cidr) => ({ service: "edge", cidr, port: 8081 })),
    );
    const def = await run();
    const lb = edgesFrom(def.resources, DEFAULT_SERVICES, "ingress").lb;
    expect(lb).toEqual(
      PUBLIC_SUBNET_CIDRS.map((cidr) => ({ service: "gateway", cidr, port: 8080 })),
    );
    expect(lb.map((l) => l.cidr)).not.toContain("10.0.0.0/16");
  });

  it("creates no empty policy: a service nobody calls and that calls nothing has only the baseline", async () => {
    const { resources } = await run(FAN_OUT_CATALOG);
    const names = (ns: string) => [...policies(resources, ns).keys()].sort();
    expect(names("audit")).toEqual([]);
    expect(names("catalog")).toEqual(["allow-from-callers"]);
    expect(names("orders")).toEqual(["allow-from-callers", "allow-to-callees"]);
    expect(names("edge")).toEqual(["allow-from-callers", "allow-to-callees"]);
    const all = objects(resources, TYPES.networkPolicy, "audit").map((p) => p.metadata.name);
    expect(all.sort()).toEqual(["allow-dns", "default-deny-all"]);
  });

  it("opens HTTPS to AWS APIs (internet minus IMDS) only for a service whose own SDK calls AWS", async () => {
    const { resources } = await run();
    // ledger has catalog permissions, payments publishes its metric; gateway calls no AWS API.
    for (const s of DEFAULT_SERVICES) {
      const aws = policies(resources, s.name).get(SERVICE_POLICY_NAMES.awsApis);
      if (s.name === "gateway") {
        expect(aws).toBeUndefined();
        continue;
      }
      expect(aws).toEqual({
        podSelector: { matchLabels: selector(s.name) },
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }],
            ports: [{ protocol: "TCP", port: 443 }],
          },
        ],
      });
    }
  });

  it("mesh off: no mesh egress anywhere; mesh on: exactly the mesh's extraEgress in every namespace", async () => {
    const off = await run(FAN_OUT_CATALOG);
    for (const s of FAN_OUT_CATALOG) {
      expect(policies(off.resources, s.name).has(SERVICE_POLICY_NAMES.meshEgress)).toBe(false);
    }
    const on = await run(FAN_OUT_CATALOG, FAKE_MESH);
    for (const s of FAN_OUT_CATALOG) {
      expect(policies(on.resources, s.name).get(SERVICE_POLICY_NAMES.meshEgress)).toEqual({
        podSelector: { matchLabels: selector(s.name) },
        policyTypes: ["Egress"],
        egress: FAKE_MESH.extraEgress,
      });
    }
  });

  it("no policy allows any port but the callee's, nor any peer outside the rules above", async () => {
    const { resources } = await run(FAN_OUT_CATALOG, FAKE_MESH);
    const specs = objects(resources, TYPES.networkPolicy).map((p) => p.spec as Obj);
    const ports = new Set(
      specs.flatMap((s) =>
        [...((s.ingress as Rule[]) ?? []), ...((s.egress as Rule[]) ?? [])].flatMap((r) =>
          (r.ports ?? []).map((p) => p.port),
        ),
      ),
    );
    expect([...ports].sort((a, b) => a - b)).toEqual([53, 8081, 9000, 9100, 15443]);
  });
});
