/**
 * Every combination of the capability switches (App Mesh by tap:enableAppMesh; see RELATED) is either a
 * config error whose every problem names a `tap:addons.*` key (or App Mesh's tap:enableAppMesh) (before anything exists), or a stack
 * that synthesizes with exactly the capabilities asked for, no mandatory policy violation, and no
 * trace of a capability that is off. The valid combinations are synthesized one by one.
 */
import {
  CAPABILITIES,
  CAPABILITY_NAMES,
  CapabilityName,
  DEFAULT_CAPABILITIES,
  deploymentOrder,
} from "../../lib/capabilities";
import { TapConfigError, resolveConfig } from "../../lib/config";
import { TapStack } from "../../lib/tap-stack";
import { policies } from "../../policy/policies";
import { runPolicies } from "../../tools/policy-runner";
import { mockTap, valueOf } from "../helpers/mocks";

const ctx = { stackName: "dev", env: {} };
type Combo = Record<CapabilityName, boolean>;
/** The settings a capability cannot be on without (ExternalDNS's zone). */
const ON_WITH: Partial<Record<CapabilityName, Record<string, unknown>>> = {
  externalDns: { enabled: true, hostedZoneId: "Z0123456789ABCDEFGHIJ" },
  costAlerts: { enabled: true, monthlyBudgetUsd: 1000 },
  argocd: { enabled: true, repoUrl: "https://github.com/acme/platform.git" },
};
/**
 * A capability is related when it needs, conflicts with, or is needed by or conflicts with another
 * one, or decides the catalog's validity (KEDA); the rest are independent: by the registry's own
 * data nothing else's validity depends on them. Every combination of the related switches is
 * taken, each with the independent ones at their defaults, each one flipped, every pair of them
 * flipped, and all flipped (every combination within two switches of any related combination). The full product (2^22)
 * took two minutes to resolve and doubled with each capability added.
 */
const RELATED = CAPABILITY_NAMES.filter(
  (n) =>
    n === "keda" ||
    CAPABILITIES[n].needs.length > 0 ||
    CAPABILITIES[n].conflicts.length > 0 ||
    CAPABILITY_NAMES.some(
      (m) => CAPABILITIES[m].needs.includes(n) || CAPABILITIES[m].conflicts.includes(n),
    ),
);
const INDEPENDENT = CAPABILITY_NAMES.filter((n) => !RELATED.includes(n));
/** Which independent switches are flipped from their defaults. */
const independentSets: CapabilityName[][] = [
  [],
  ...INDEPENDENT.map((n) => [n]),
  ...INDEPENDENT.flatMap((a, i) => INDEPENDENT.slice(i + 1).map((b) => [a, b])),
  [...INDEPENDENT],
];
const combos: Combo[] = Array.from({ length: 2 ** RELATED.length }, (_, i) =>
  Object.fromEntries(RELATED.map((n, bit) => [n, ((i >> bit) & 1) === 1])),
).flatMap((related) =>
  independentSets.map(
    (on) =>
      ({
        // Flipped from its default: the sets are changes to the specification's stack.
        ...Object.fromEntries(
          INDEPENDENT.map((n) => [n, on.includes(n) !== DEFAULT_CAPABILITIES[n]]),
        ),
        ...related,
      }) as Combo,
  ),
);
const inputOf = (c: Combo) => ({
  kubernetesVersion: "1.35",
  enableAppMesh: String(c.appMesh),
  addons: Object.fromEntries(
    CAPABILITY_NAMES.filter((n) => n !== "appMesh").map((n) => [
      n,
      c[n] ? (ON_WITH[n] ?? true) : false,
    ]),
  ),
});
const label = (c: Combo) => CAPABILITY_NAMES.filter((n) => c[n]).join("+") || "(none)";

/** What makes a combination invalid, from the registry's own data and the catalog rule. */
function expectedInvalid(c: Combo): boolean {
  for (const n of CAPABILITY_NAMES) {
    if (!c[n]) continue;
    if (CAPABILITIES[n].needs.some((m) => !c[m])) return true;
    if (CAPABILITIES[n].conflicts.some((m) => c[m])) return true;
  }
  return !c.keda; // the default catalog scales every service with KEDA
}

const resolved = combos.map((c) => {
  try {
    return { c, config: resolveConfig(inputOf(c), ctx).config, problems: [] as string[] };
  } catch (e) {
    if (!(e instanceof TapConfigError)) throw e;
    return { c, config: undefined, problems: e.problems.map((p) => p.propertyPath) };
  }
});

describe("every combination of capability switches", () => {
  it("is valid exactly when its needs and conflicts hold (and KEDA serves the catalog)", () => {
    const wrong = resolved
      .filter((r) => (r.config === undefined) !== expectedInvalid(r.c))
      .map((r) => label(r.c));
    expect(wrong).toEqual([]);
    expect(RELATED).toEqual([
      "clusterAutoscaler",
      "metricsServer",
      "keda",
      "appMesh",
      "karpenter",
      "loadBalancerController",
      "externalDns",
      "istio",
      "containerInsights",
      "prometheus",
    ]);
    // 81 valid related combinations (KEDA and metrics-server on; three choices each of autoscaler,
    // mesh, load balancer + DNS, and metrics), each with every independent set (none, 14 alone,
    // 91 pairs, all flipped).
    expect(independentSets.length).toBe(107);
    expect(resolved.filter((r) => r.config).length).toBe(81 * 107);
  });

  it("names only tap:addons keys when it is not", () => {
    for (const r of resolved.filter((x) => x.config === undefined)) {
      expect(r.problems.length).toBeGreaterThan(0);
      // App Mesh's own switch is the specification's tap:enableAppMesh.
      for (const p of r.problems) expect(p).toMatch(/^tap:(addons\.\w+|enableAppMesh)$/);
    }
  });

  // Synthesized: every valid combination within two switches of the specification's stack, so
  // every pair of changes is built together (the resolution above covers all of them).
  const changes = (c: Combo) =>
    CAPABILITY_NAMES.filter((n) => c[n] !== DEFAULT_CAPABILITIES[n]).length;
  const valid = resolved
    .filter((r) => r.config !== undefined && changes(r.c) <= 2)
    .map((r) => [label(r.c), r.c] as const);
  it("synthesizes a pairwise sample of the valid combinations", () => {
    expect(valid.length).toBeGreaterThan(20);
  });
  it.each(valid)("%s synthesizes clean, with those capabilities and no others", async (_, c) => {
    const { resources, value } = await mockTap(
      () => new TapStack("tap", { config: inputOf(c), context: { stackName: "dev" } }),
    );
    expect(await valueOf(value.addons)).toEqual(deploymentOrder(c));
    const releases = resources
      .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
      .map((r) => String(r.inputs.name));
    const expectRelease = (name: string, on: boolean) =>
      on ? expect(releases).toContain(name) : expect(releases).not.toContain(name);
    expectRelease("calico", c.calico);
    expectRelease("fluent-bit", c.fluentBit);
    expectRelease("cluster-autoscaler", c.clusterAutoscaler);
    expectRelease("karpenter", c.karpenter);
    expectRelease("appmesh-controller", c.appMesh);
    const ebs = resources.some(
      (r) => r.type === "aws:eks/addon:Addon" && r.inputs.addonName === "aws-ebs-csi-driver",
    );
    expect(ebs).toBe(c.ebsCsi);
    expectRelease("aws-load-balancer-controller", c.loadBalancerController);
    expectRelease("kyverno", c.kyverno);
    expect(resources.some((r) => r.type === "aws:ecr/repository:Repository")).toBe(c.registry);
    expect(resources.some((r) => r.type.startsWith("aws:rds/"))).toBe(c.database);
    const vpc = resources.find((r) => r.type === "awsx:ec2:Vpc");
    const specs = (vpc?.inputs.subnetSpecs ?? []) as { type: string }[];
    expect(specs.some((s) => s.type === "Isolated")).toBe(c.database);
    expect(resources.some((r) => r.type.startsWith("aws:cloudfront/"))).toBe(c.edge);
    expect(resources.some((r) => r.type === "aws:wafv2/webAcl:WebAcl")).toBe(c.edge);
    expect(resources.some((r) => r.type === "aws:budgets/budget:Budget")).toBe(c.costAlerts);
    expect(resources.some((r) => /^aws:(guardduty|securityhub)\//.test(r.type))).toBe(
      c.threatDetection,
    );
    // The alerts topic is threat detection's and Falco's: there with either of them.
    expect(resources.some((r) => r.name.startsWith("tap-security-alerts"))).toBe(
      c.threatDetection || c.falco,
    );
    expectRelease("falco", c.falco);
    // One metrics path at most: Container Insights' add-on or Prometheus's workspace.
    expect(
      resources.some(
        (r) =>
          r.type === "aws:eks/addon:Addon" &&
          r.inputs.addonName === "amazon-cloudwatch-observability",
      ),
    ).toBe(c.containerInsights);
    expect(resources.some((r) => r.type === "aws:amp/workspace:Workspace")).toBe(c.prometheus);
    expectRelease("kube-state-metrics", c.prometheus);
    expectRelease("argocd", c.argocd);
    expectRelease("argo-rollouts", c.argoRollouts);
    // The canary (payments) is a Rollout only with Argo Rollouts and KEDA (the catalog's services).
    expect(resources.some((r) => r.inputs.kind === "Rollout")).toBe(c.argoRollouts && c.keda);
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-03" } },
    });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });
});
