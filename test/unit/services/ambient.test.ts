/**
 * The catalog on Istio's ambient mesh: the authorization graph (computed from the synthesized
 * AuthorizationPolicies: who each policy admits, by identity) equals the declared calls, and equals
 * the graph the NetworkPolicies allow (on the app port and HBONE's); a service nobody calls admits
 * nobody; mTLS is STRICT everywhere tap manages (the public service's port excepted, for the ALB's
 * plaintext, which only the public subnets may send); namespaces stay PSS restricted; with the mesh
 * off, no trace of it.
 */
import { TapConfigError, resolveConfig } from "../../../lib/config";
import { ISTIO_DEFAULTS } from "../../../lib/addons/istio";
import { istioSupportWarning } from "../../../lib/preflight";
import { callGraphEdges } from "../../../lib/services/network";
import { parseServiceCatalog } from "../../../lib/services/catalog";
import { Pod, allows, buildModel } from "../../helpers/netpol";
import { RecordedResource, ofType, synthStack } from "../../helpers/mocks";

type Obj = Record<string, unknown>;
const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
/** Fan-out (edge -> api, auth), fan-in (api, auth -> ledger), a chain and a service nobody calls. */
const SERVICES = [
  { name: "edge", image: IMAGE, public: true, calls: ["api", "auth"] },
  { name: "api", image: IMAGE, calls: ["ledger"] },
  { name: "auth", image: IMAGE, port: 9090, calls: ["ledger"] },
  { name: "ledger", image: IMAGE },
  { name: "batch", image: IMAGE, calls: ["ledger"] },
  { name: "orphan", image: IMAGE },
];
const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: { istio: true, loadBalancerController: true },
};
const CR = (kind: string) => `kubernetes:security.istio.io/v1:${kind}`;

const declared = (): string[] => {
  const specs = parseServiceCatalog(SERVICES, () => {
    throw new Error("bad catalog");
  });
  return callGraphEdges(specs)
    .map((e) => `${e.from} -> ${e.to}:${e.port}`)
    .sort();
};

describe("the catalog on the ambient mesh", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synthStack({ ...ON, services: SERVICES })).resources;
  });
  const policies = () => ofType(resources, CR("AuthorizationPolicy"));
  const meta = (r: RecordedResource) => r.inputs.metadata as { name: string; namespace: string };

  it("installs Istio's four charts at one version, in order, istio-system privileged", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release").filter((r) =>
      ["istio-base", "istiod", "istio-cni", "ztunnel"].includes(String(r.inputs.name)),
    );
    expect(releases.map((r) => [r.inputs.name, r.inputs.chart])).toEqual([
      ["istio-base", "base"],
      ["istiod", "istiod"],
      ["istio-cni", "cni"],
      ["ztunnel", "ztunnel"],
    ]);
    expect(new Set(releases.map((r) => r.inputs.version)).size).toBe(1);
    for (let i = 1; i < releases.length; i++)
      expect(releases[i].dependencies).toContain(releases[i - 1].urn);
    for (const name of ["istiod", "istio-cni"])
      expect(releases.find((r) => r.inputs.name === name)?.inputs.values).toMatchObject({
        profile: "ambient",
      });
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find(
      (r) => meta(r).name === "istio-system",
    );
    expect((ns?.inputs.metadata as { labels: Obj }).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "privileged",
    });
  });

  it("authorizes exactly the declared calls, by workload identity (the graph from the policies)", () => {
    const principalRe = /^cluster\.local\/ns\/([a-z0-9-]+)\/sa\/([a-z0-9-]+)$/;
    const edges: string[] = [];
    for (const p of policies()) {
      const spec = p.inputs.spec as {
        selector: { matchLabels: Record<string, string> };
        action: string;
        rules?: { from: { source: Obj }[]; to: { operation: { ports: string[] } }[] }[];
      };
      expect(spec.action).toBe("ALLOW");
      const target = spec.selector.matchLabels["app.kubernetes.io/name"];
      expect(meta(p).namespace).toBe(target);
      for (const rule of spec.rules ?? [])
        for (const from of rule.from)
          for (const principal of (from.source.principals as string[] | undefined) ?? []) {
            const m = principalRe.exec(principal);
            expect(m).not.toBeNull();
            // Each service runs as the service account named after it, in its namespace.
            expect(m?.[1]).toBe(m?.[2]);
            for (const port of rule.to.flatMap((t) => t.operation.ports))
              edges.push(`${m?.[2]} -> ${target}:${port}`);
          }
    }
    expect(edges.sort()).toEqual(declared());
  });

  it("a service nobody calls admits nobody: an ALLOW policy without a rule", () => {
    for (const name of ["orphan", "batch"]) {
      const p = policies().find((x) => meta(x).name === name);
      expect(p?.inputs.spec).toEqual({
        selector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": name }) },
        action: "ALLOW",
      });
    }
    expect(policies()).toHaveLength(SERVICES.length);
  });

  it("the NetworkPolicies allow the same graph, on the app port and HBONE's", () => {
    const model = buildModel(resources);
    const pod = (name: string) => model.pods.find((p) => p.namespace === name) as Pod;
    const names = SERVICES.map((s) => s.name);
    const allowed: string[] = [];
    for (const a of names)
      for (const b of names) {
        if (a === b) continue;
        const port = SERVICES.find((s) => s.name === b)?.port ?? 8080;
        const app = allows(model, pod(a), pod(b), { port, protocol: "TCP" });
        const hbone = allows(model, pod(a), pod(b), {
          port: ISTIO_DEFAULTS.hbonePort,
          protocol: "TCP",
        });
        expect(app).toBe(hbone);
        if (app) allowed.push(`${a} -> ${b}:${port}`);
      }
    expect(allowed.sort()).toEqual(declared());
    // kubelet's probes arrive from the ambient CNI's address: every pod of an enrolled namespace
    // admits it (the namespace baseline), a tenant's own pods too; no other address gets in that way.
    const probe = { ip: "169.254.7.127" };
    expect(allows(model, probe, pod("orphan"), { port: 8080, protocol: "TCP" })).toBe(true);
    expect(
      allows(model, { ip: "169.254.7.128" }, pod("orphan"), { port: 8080, protocol: "TCP" }),
    ).toBe(false);
  });

  it("mTLS is STRICT mesh-wide; only the public service's port takes plaintext, from the public subnets", () => {
    const peers = ofType(resources, CR("PeerAuthentication"));
    const meshWide = peers.find((p) => meta(p).namespace === "istio-system");
    expect(meshWide?.inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(meshWide && meta(meshWide).name).toBe("default");
    const others = peers.filter((p) => p !== meshWide);
    expect(others.map((p) => meta(p).name)).toEqual(["edge"]);
    expect(others[0].inputs.spec).toMatchObject({
      mtls: { mode: "STRICT" },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    const edge = policies().find((p) => meta(p).name === "edge");
    const rules = (edge?.inputs.spec as { rules: { from: { source: Obj }[] }[] }).rules;
    expect(rules.flatMap((r) => r.from.map((f) => Object.keys(f.source)[0]))).toEqual(["ipBlocks"]);
    expect(rules[0].from[0].source.ipBlocks).toEqual([
      "10.0.96.0/20",
      "10.0.112.0/20",
      "10.0.128.0/20",
    ]);
  });

  it("enrols every service namespace, keeping PSS restricted and the pods free of sidecars", () => {
    for (const s of SERVICES) {
      const ns = ofType(resources, "kubernetes:core/v1:Namespace").find(
        (r) => meta(r).name === s.name,
      );
      expect((ns?.inputs.metadata as { labels: Obj }).labels).toMatchObject({
        "istio.io/dataplane-mode": "ambient",
        "pod-security.kubernetes.io/enforce": "restricted",
      });
    }
    const deployment = ofType(resources, "kubernetes:apps/v1:Deployment").find(
      (r) => r.name === "svc-ledger-deployment-dev",
    );
    const template = (deployment?.inputs.spec as { template: { metadata: Obj; spec: Obj } })
      .template;
    expect(template.metadata.annotations).toBeUndefined();
    expect(template.spec.automountServiceAccountToken).toBe(false);
    expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
  });
});

describe("the public service without a load balancer", () => {
  it("takes no plaintext at all: no PERMISSIVE port, no address rule", async () => {
    const { resources } = await synthStack({
      enableAppMesh: "false",
      kubernetesVersion: "1.35",
      addons: { istio: true },
    });
    const peers = ofType(resources, CR("PeerAuthentication"));
    expect(peers.map((p) => (p.inputs.metadata as { namespace: string }).namespace)).toEqual([
      "istio-system",
    ]);
    const gateway = ofType(resources, CR("AuthorizationPolicy")).find(
      (p) => (p.inputs.metadata as { name: string }).name === "gateway",
    );
    expect(JSON.stringify(gateway?.inputs.spec)).not.toMatch(/ipBlocks/);
  });

  it("tenants' namespaces are enrolled and admit kubelet's probes for the tenants' own pods", async () => {
    const { resources } = await synthStack({
      enableAppMesh: "false",
      kubernetesVersion: "1.35",
      addons: { istio: true },
      tenants: [{ name: "retail" }],
    });
    const probes = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find(
      (p) =>
        (p.inputs.metadata as { name: string; namespace: string }).namespace === "retail" &&
        (p.inputs.metadata as { name: string }).name === "allow-ambient-probes",
    );
    expect(probes?.inputs.spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ ipBlock: { cidr: "169.254.7.127/32" } }] }],
    });
  });
});

describe("Istio's own support calendar", () => {
  it("warns when the pinned Istio is out of Istio's support on the day", () => {
    expect(istioSupportWarning("1.35", "2026-11-01")).toBeUndefined();
    expect(istioSupportWarning("1.35", "2026-12-03")).toMatch(
      /Istio 1\.30\.3 \(pinned for Kubernetes 1\.35\) is out of Istio's support since 2026-11-30/,
    );
    expect(istioSupportWarning("1.28", "2026-12-03")).toMatch(/Istio 1\.24\.6 .* since 2025-06-24/);
  });
});

describe("the mesh switch", () => {
  it("refuses Istio with App Mesh (one mesh), naming both keys", () => {
    expect(() =>
      resolveConfig(
        { enableAppMesh: "true", addons: { istio: true } },
        { stackName: "dev", env: {} },
      ),
    ).toThrow(TapConfigError);
    try {
      resolveConfig(
        { enableAppMesh: "true", addons: { istio: true } },
        { stackName: "dev", env: {} },
      );
    } catch (e) {
      expect((e as TapConfigError).message).toMatch(
        /tap:addons\.istio and tap:enableAppMesh cannot both be on|tap:enableAppMesh and tap:addons\.istio cannot both be on/,
      );
    }
  });

  it("leaves no trace when off", async () => {
    const off = await synthStack({ enableAppMesh: "false", kubernetesVersion: "1.35" });
    expect(off.resources.filter((r) => /istio|ztunnel/.test(`${r.type} ${r.name}`))).toEqual([]);
    for (const ns of ofType(off.resources, "kubernetes:core/v1:Namespace"))
      expect(JSON.stringify(ns.inputs)).not.toMatch(/istio/);
    const np = ofType(off.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(JSON.stringify(np.map((p) => p.inputs))).not.toMatch(/15008|169\.254\.7\.127/);
  });
});
