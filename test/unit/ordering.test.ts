/**
 * Ordering a real engine needs, asserted from the resource graph the SDK sends it (dependencies
 * and deletedWith, recorded by tools/offline-mocks.ts from each registration request). The engine
 * creates everything in parallel except along these edges, and deletes in reverse.
 */
import { TapStack } from "../../lib/tap-stack";
import { RecordedResource, mockTap } from "../helpers/mocks";

const RELEASE = "kubernetes:helm.sh/v3:Release";

interface Graph {
  readonly resources: readonly RecordedResource[];
  /** Every URN `r` waits for, directly or through others. */
  readonly upstream: (r: RecordedResource) => Set<string>;
}

function graphOf(resources: readonly RecordedResource[]): Graph {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const memo = new Map<string, Set<string>>();
  const upstream = (r: RecordedResource): Set<string> => {
    const hit = memo.get(r.urn);
    if (hit) return hit;
    const out = new Set<string>();
    memo.set(r.urn, out);
    for (const dep of r.dependencies) {
      out.add(dep);
      const d = byUrn.get(dep);
      if (d) for (const u of upstream(d)) out.add(u);
    }
    return out;
  };
  return { resources, upstream };
}

const synth = async (config: Record<string, unknown>) =>
  graphOf(
    (await mockTap(() => new TapStack("tap", { config, context: { stackName: "dev" } }))).resources,
  );

const ofType = (g: Graph, type: string) => g.resources.filter((r) => r.type === type);
const release = (g: Graph, chart: string) => {
  const found = ofType(g, RELEASE).filter((r) => r.inputs.chart === chart);
  if (found.length !== 1) throw new Error(`expected one ${chart} release`);
  return found[0];
};
const waitsFor = (g: Graph, r: RecordedResource, on: RecordedResource) => g.upstream(r).has(on.urn);
const describeR = (r: RecordedResource) => `${r.type} ${r.name}`;

describe.each([
  ["1.35, App Mesh on (the specification's mesh)", { kubernetesVersion: "1.35" }],
  ["1.28, App Mesh off", { kubernetesVersion: "1.28", enableAppMesh: false }],
])("the resource graph at %s", (_label, config) => {
  let g: Graph;
  beforeAll(async () => {
    g = await synth(config);
  });

  it("creates CoreDNS after every node group (inside eks.Cluster it would wait for nodes that cannot start)", () => {
    const cluster = ofType(g, "eks:index:Cluster")[0];
    expect((cluster.inputs.corednsAddonOptions as { enabled: boolean }).enabled).toBe(false);
    const coredns = ofType(g, "aws:eks/addon:Addon").filter(
      (a) => a.inputs.addonName === "coredns",
    );
    expect(coredns).toHaveLength(1);
    const groups = ofType(g, "eks:index:ManagedNodeGroup");
    expect(groups).toHaveLength(2);
    for (const group of [...groups, cluster]) expect(waitsFor(g, coredns[0], group)).toBe(true);
  });

  it("starts every Helm release after the node groups (and so the VPC CNI), not after the add-ons adopting kube-proxy and CoreDNS", () => {
    const addon = (name: string) =>
      ofType(g, "aws:eks/addon:Addon").filter((a) => a.inputs.addonName === name);
    const needs = [...ofType(g, "eks:index:ManagedNodeGroup"), ...addon("vpc-cni")];
    expect(needs).toHaveLength(3);
    const releases = ofType(g, RELEASE);
    expect(releases.length).toBeGreaterThanOrEqual(5);
    const early = releases.flatMap((r) =>
      needs.filter((n) => !waitsFor(g, r, n)).map((n) => `${r.name} before ${n.name}`),
    );
    expect(early).toEqual([]);
    // EKS bootstraps kube-proxy and CoreDNS with the cluster; waiting for their add-ons only delays.
    const cluster = ofType(g, "eks:index:Cluster")[0];
    expect(cluster.inputs.bootstrapSelfManagedAddons).toBe(true);
    const adopters = [...addon("kube-proxy"), ...addon("coredns")];
    expect(adopters).toHaveLength(2);
    const late = [...releases, ...ofType(g, "eks:index:ManagedNodeGroup")].flatMap((r) =>
      adopters.filter((a) => waitsFor(g, r, a)).map((a) => `${r.name} after ${a.name}`),
    );
    expect(late).toEqual([]);
  });

  it("sends every custom resource after the release that installs its CRD (and its webhooks)", () => {
    const installer: Record<string, string> = {
      "keda.sh": "keda",
      "operator.tigera.io": "tigera-operator",
      "projectcalico.org": "tigera-operator",
      "appmesh.k8s.aws": "appmesh-controller",
    };
    const crs = g.resources
      .filter((r) => /^kubernetes:[a-z.]+\.[a-z]+\/v/.test(r.type))
      .filter(
        (r) =>
          !/^kubernetes:(helm\.sh|rbac\.authorization\.k8s\.io|networking\.k8s\.io|policy)\//.test(
            r.type,
          ),
      );
    expect(crs.length).toBeGreaterThan(2);
    const problems = crs.flatMap((r) => {
      const group = r.type.split(":")[1].split("/")[0];
      const chart = installer[group];
      if (!chart) return [`${describeR(r)}: no known installer for ${group}`];
      return waitsFor(g, r, release(g, chart))
        ? []
        : [`${describeR(r)} does not wait for ${chart}`];
    });
    expect(problems).toEqual([]);
  });

  it("sends the projectcalico.org/v3 policies only after the APIServer that serves them is Ready", () => {
    const apiServer = ofType(g, "kubernetes:operator.tigera.io/v1:APIServer");
    expect(apiServer).toHaveLength(1);
    expect(apiServer[0].inputs.metadata).toMatchObject({
      annotations: { "pulumi.com/waitFor": "jsonpath={.status.state}=Ready" },
    });
    const gnps = ofType(g, "kubernetes:projectcalico.org/v3:GlobalNetworkPolicy");
    expect(gnps).toHaveLength(2);
    for (const p of gnps) expect(waitsFor(g, p, apiServer[0])).toBe(true);
  });

  it("starts service workloads after Calico (policy is enforced from their first packet)", () => {
    const calico = release(g, "tigera-operator");
    const deployments = ofType(g, "kubernetes:apps/v1:Deployment");
    expect(deployments.length).toBeGreaterThanOrEqual(3);
    const early = deployments.filter((d) => !waitsFor(g, d, calico)).map(describeR);
    // The KEDA probe is an add-on's smoke test in its own namespace; it waits for KEDA.
    expect(early.filter((n) => !n.includes("keda-probe"))).toEqual([]);
  });

  it("deletes every in-cluster object with the cluster (destroy never waits on a finalizer)", () => {
    const cluster = ofType(g, "eks:index:Cluster")[0];
    const inCluster = g.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes",
    );
    expect(inCluster.length).toBeGreaterThan(20);
    const loose = inCluster.filter((r) => r.deletedWith !== cluster.urn).map(describeR);
    expect(loose).toEqual([]);
  });
});

describe("the resource graph with App Mesh on", () => {
  it("starts mesh workloads after the controller whose webhook injects Envoy", async () => {
    const g = await synth({ kubernetesVersion: "1.35" });
    const controller = release(g, "appmesh-controller");
    const services = ofType(g, "kubernetes:apps/v1:Deployment").filter(
      (d) => !d.name.includes("keda-probe"),
    );
    expect(services.length).toBe(3);
    for (const d of services) expect(waitsFor(g, d, controller)).toBe(true);
  });
});
