/**
 * Every example stack in the repository (each Pulumi.<name>.yaml) plans offline, as
 * `npm run plan -- --stack <name>` would: the ones that deploy today pass the preflight with no
 * mandatory violation; the specification's own stack is stopped by the preflight, naming the keys.
 */
import * as fs from "fs";
import * as path from "path";
import { buildPlan } from "../../../tools/plan";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const DATE = "2026-12-03";
const stacks = fs
  .readdirSync(ROOT)
  .filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))
  .map((f) => f.replace(/^Pulumi\.|\.yaml$/g, ""))
  .sort();

/** What each example is for; a stack file without an entry here fails the test. */
const EXPECTED: Record<string, { deploys: boolean; capabilities?: string[] }> = {
  dev: { deploys: true },
  try: { deploys: true },
  karpenter: { deploys: true },
  tenants: { deploys: true },
  private: { deploys: true },
  edge: { deploys: true },
  full: { deploys: true },
  spec: { deploys: false },
};

const plan = (stack: string) =>
  buildPlan({ stack, overrides: [], date: DATE }, { cwd: ROOT, env: {} });

describe("the example stacks", () => {
  it("are the ones this test knows", () => {
    expect(stacks).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(stacks.filter((s) => EXPECTED[s]?.deploys))(
    "%s plans: preflight passes, no mandatory violation",
    async (stack) => {
      const p = await plan(stack);
      expect(p.preflight.problems).toEqual([]);
      expect(p.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
      expect(p.resources.total).toBeGreaterThan(100);
    },
  );

  it("edge: the ALB on HTTPS under the zone, the ambient mesh, a secret as a file", async () => {
    const p = await plan("edge");
    expect(p.capabilities.on).toEqual(
      expect.arrayContaining(["loadBalancerController", "externalDns", "secretsStore", "istio"]),
    );
    expect(p.capabilities.on).not.toContain("appMesh");
    expect(p.addons.map((a) => a.chart)).toEqual(
      expect.arrayContaining(["external-dns", "secrets-store-csi-driver", "istiod", "ztunnel"]),
    );
    expect(p.cost.fixed.map((l) => l.component)).toContain("Load balancers");
  });

  it("full: node classes beside the 70/30 groups and every capability but the ones it replaces", async () => {
    const p = await plan("full");
    expect(
      p.nodeGroups.map((g) => `${g.name} ${g.capacityType} ${g.min}/${g.desired}/${g.max}`).sort(),
    ).toEqual([
      "tap-gpu-full ON_DEMAND 0/0/2",
      "tap-gpu-full-us-west-2 ON_DEMAND 0/0/2",
      "tap-ondemand-full ON_DEMAND 1/3/9",
      "tap-ondemand-full-us-west-2 ON_DEMAND 1/3/9",
      "tap-spot-full SPOT 2/7/21",
      "tap-spot-full-us-west-2 SPOT 2/7/21",
      "tap-system-full ON_DEMAND 2/2/3",
      "tap-system-full-us-west-2 ON_DEMAND 2/2/3",
    ]);
    // Both regions, the recovery one with the same node groups.
    expect(Object.keys(p.resources.byRegion).sort()).toEqual(["us-east-1", "us-west-2"]);
    // Every capability is on except the ones another replaces or conflicts with, and App Mesh.
    expect(p.capabilities.off.map((c) => c.name).sort()).toEqual(
      ["appMesh", "containerInsights", "karpenter"].sort(),
    );
    expect(p.resources.total).toBeGreaterThan(400);
    // Every node group is priced (other capabilities say what the table cannot price): the GPU
    // group costs nothing at rest and its on-demand price at max.
    expect(p.cost.unpriced.filter((u) => u.component.startsWith("Nodes"))).toEqual([]);
    const gpu = (lines: readonly { component: string; monthlyUsd: { low: number } }[]) =>
      lines.find((l) => l.component.includes("tap-gpu-full"));
    expect(gpu(p.cost.nodesAtDesired.lines)).toBeUndefined();
    expect(gpu(p.cost.nodesAtMax.lines)?.monthlyUsd.low).toBeCloseTo(2 * 1.006 * 730, 2);
  });

  it("karpenter: Karpenter instead of cluster-autoscaler, x86 and Graviton pools, one system group", async () => {
    const p = await plan("karpenter");
    expect(p.capabilities.on).toContain("karpenter");
    expect(p.capabilities.on).not.toContain("clusterAutoscaler");
    expect(p.nodeGroups.map((g) => `${g.name} ${g.capacityType}`)).toEqual([
      "tap-system-karp ON_DEMAND",
    ]);
    expect(p.addons.map((a) => a.release).sort()).toEqual(
      ["calico", "fluent-bit", "karpenter", "karpenter-crd", "keda", "metrics-server"].sort(),
    );
    expect(p.capabilities.off.map((c) => c.name)).toEqual([
      "clusterAutoscaler",
      "appMesh",
      "ebsCsi",
      "loadBalancerController",
      "externalDns",
      "secretsStore",
      "istio",
      "containerInsights",
      "registry",
      "database",
      "edge",
      "costAlerts",
      "threatDetection",
      "kyverno",
      "falco",
      "argocd",
      "argoRollouts",
      "tracing",
      "prometheus",
    ]);
  });

  it("spec: the specification's stack is stopped by the preflight, naming what to set", async () => {
    const p = await plan("spec");
    const problems = p.preflight.problems.join("\n");
    expect(problems).toMatch(/pulumi config set tap:kubernetesVersion 1\.35/);
    expect(problems).toMatch(/pulumi config set tap:enableAppMesh false/);
    expect(p.capabilities.on).toEqual([
      "calico",
      "fluentBit",
      "clusterAutoscaler",
      "metricsServer",
      "keda",
      "appMesh",
    ]);
  });
});
