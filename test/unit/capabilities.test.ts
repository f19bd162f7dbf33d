import { readFileSync } from "fs";
import { join } from "path";
/** The capability registry: switches, needs and conflicts as config errors, and off leaving no trace. */
import {
  CAPABILITIES,
  CAPABILITY_NAMES,
  DEFAULT_CAPABILITIES,
  deploymentOrder,
  parseCapabilities,
} from "../../lib/capabilities";
import { resolveConfig } from "../../lib/config";
import { synthStack, valueOf } from "../helpers/mocks";
import { configProblems } from "../helpers/config";

const ctx = { stackName: "dev", env: {} };
const problems = (input: Record<string, unknown>): string[] =>
  configProblems({ enableAppMesh: "false", ...input }, ctx);

describe("tap:addons", () => {
  it("defaults to the specification's six, App Mesh by tap:enableAppMesh, Karpenter off", () => {
    expect(DEFAULT_CAPABILITIES).toEqual({
      calico: true,
      fluentBit: true,
      clusterAutoscaler: true,
      metricsServer: true,
      keda: true,
      appMesh: true,
      karpenter: false,
      ebsCsi: false,
      loadBalancerController: false,
      externalDns: false,
      secretsStore: false,
      istio: false,
      containerInsights: false,
      registry: false,
      database: false,
      edge: false,
      costAlerts: false,
      threatDetection: false,
      kyverno: false,
      falco: false,
      argocd: false,
      argoRollouts: false,
      tracing: false,
      prometheus: false,
    });
    expect(resolveConfig({ enableAppMesh: "false" }, ctx).config.addons.appMesh).toBe(false);
  });

  it("takes true/false, their text and { enabled }, as a map or the JSON text Pulumi passes", () => {
    const cfg = (addons: unknown) =>
      resolveConfig({ enableAppMesh: "false", addons }, ctx).config.addons;
    expect(cfg({ fluentBit: false }).fluentBit).toBe(false);
    expect(cfg('{"clusterAutoscaler":"false"}').clusterAutoscaler).toBe(false);
    expect(cfg({ calico: { enabled: false } }).calico).toBe(false);
    expect(cfg({ calico: {} }).calico).toBe(true);
  });

  it.each([
    [
      { metricsServr: false },
      /tap:addons\.metricsServr is not a capability \(did you mean metricsServer\?\)/,
    ],
    [{ karpentr: true }, /tap:addons\.karpentr is not a capability \(did you mean karpenter\?\)/],
    [
      { karpenter: true },
      /^tap:addons\.karpenter: tap:addons\.clusterAutoscaler and tap:addons\.karpenter cannot both be on: turn one off$/,
    ],
    [
      { karpenter: { architectures: ["arm64", "riscv"] }, clusterAutoscaler: false },
      /^tap:addons\.karpenter\.architectures: .*non-empty list of distinct values from amd64, arm64 \(got \["arm64","riscv"\]\)/,
    ],
    [
      { karpenter: { architectures: [] }, clusterAutoscaler: false },
      /^tap:addons\.karpenter\.architectures: /,
    ],
    [
      { karpenter: { systemNodes: 1 }, clusterAutoscaler: false },
      /^tap:addons\.karpenter\.systemNodes: .*integer from 2 to 10.*\(got 1\)/,
    ],
    [
      { karpenter: { pools: 3 }, clusterAutoscaler: false },
      /tap:addons\.karpenter has unknown settings pools; allowed: enabled, architectures, systemNodes/,
    ],
    [
      { karpenter: { enabled: "maybe" }, clusterAutoscaler: false },
      /^tap:addons\.karpenter\.enabled: tap:addons\.karpenter\.enabled must be true, false/,
    ],
    [{ appMesh: true }, /App Mesh's is the specification's tap:enableAppMesh/],
    [
      { keda: "yes" },
      /tap:addons\.keda must be true, false or \{ enabled: true\/false \} \(got "yes"\)/,
    ],
    [{ keda: { replicas: 3 } }, /tap:addons\.keda has unknown settings replicas; allowed: enabled/],
    [
      { metricsServer: false },
      /tap:addons\.keda is on and needs tap:addons\.metricsServer, which is off/,
    ],
    [
      { keda: false },
      /tap:addons\.keda is off, but the service catalog scales every service with KEDA.*gateway, payments, ledger/,
    ],
  ])("refuses %j, naming the key", (addons, message) => {
    expect(problems({ addons })).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it("reports every problem at once", () => {
    expect(problems({ addons: { nope: true, keda: "x" }, spotPercentage: "150" })).toHaveLength(3);
  });

  it("refuses a value that is not a map", () => {
    expect(problems({ addons: "[1]" })).toEqual([
      expect.stringMatching(/^tap:addons: tap:addons must be a map/),
    ]);
  });

  it("orders a capability after what it needs, and checks a declared conflict", () => {
    expect(deploymentOrder(DEFAULT_CAPABILITIES)).toEqual(
      CAPABILITY_NAMES.filter((n) => CAPABILITIES[n].defaultOn),
    );
    expect(
      deploymentOrder({ ...DEFAULT_CAPABILITIES, clusterAutoscaler: false, karpenter: true }),
    ).toEqual(["calico", "fluentBit", "metricsServer", "keda", "appMesh", "karpenter"]);
    const failures: string[] = [];
    // A conflict is data: declared on one side, reported once naming both switches.
    const saved = CAPABILITIES.fluentBit.conflicts;
    (CAPABILITIES.fluentBit as { conflicts: readonly string[] }).conflicts = ["calico"];
    try {
      parseCapabilities({}, false, (k, r) => failures.push(`${k}: ${r}`));
    } finally {
      (CAPABILITIES.fluentBit as { conflicts: readonly string[] }).conflicts = saved;
    }
    expect(failures).toEqual([
      "addons.calico: tap:addons.fluentBit and tap:addons.calico cannot both be on: turn one off",
    ]);
  });

  it("takes Karpenter's settings, defaults applied, and keeps them apart from the switch", () => {
    const resolved = (addons: unknown) =>
      resolveConfig({ enableAppMesh: "false", addons }, ctx).config;
    const on = resolved({
      karpenter: { architectures: ["arm64"], systemNodes: "3" },
      clusterAutoscaler: false,
    });
    expect(on.addons.karpenter).toBe(true);
    expect(on.addonSettings.karpenter).toEqual({ architectures: ["arm64"], systemNodes: 3 });
    expect(resolved({ karpenter: true, clusterAutoscaler: false }).addonSettings.karpenter).toEqual(
      {
        architectures: ["amd64", "arm64"],
        systemNodes: 2,
      },
    );
    expect(resolved({}).addons.karpenter).toBe(false);
  });

  it("conflicts are declared on both sides of the autoscalers", () => {
    expect(CAPABILITIES.karpenter.conflicts).toContain("clusterAutoscaler");
    expect(CAPABILITIES.clusterAutoscaler.conflicts).toContain("karpenter");
    // Reported once, not twice.
    expect(problems({ addons: { karpenter: true } })).toHaveLength(1);
  });

  it("every capability names its folder, and its needs are capabilities", () => {
    for (const c of Object.values(CAPABILITIES)) {
      expect(c.folder).toMatch(/^lib\/addons\/[a-z-]+\/$/);
      for (const n of [...c.needs, ...c.conflicts]) expect(CAPABILITY_NAMES).toContain(n);
    }
  });
});

describe("a capability off leaves no trace of it, the rest intact", () => {
  const base = { enableAppMesh: "false" };
  const text = (r: { type: string; name: string; inputs: unknown }) =>
    `${r.type} ${r.name} ${JSON.stringify(r.inputs)}`;

  it.each([
    ["fluentBit", /fluent-bit|fluentbit|\/application"/i],
    ["clusterAutoscaler", /cluster-autoscaler/i],
    ["calico", /calico|tigera|annotate.pod.ip/i],
  ])("%s", async (name, trace) => {
    const on = await synthStack(base);
    const off = await synthStack({ ...base, addons: { [name]: false } });
    expect(on.resources.filter((r) => trace.test(text(r))).length).toBeGreaterThan(0);
    expect(off.resources.filter((r) => trace.test(text(r))).map((r) => r.name)).toEqual([]);
    // Everything else is still there.
    const names = new Set(off.resources.map((r) => r.name));
    const missing = on.resources.filter((r) => !trace.test(text(r)) && !names.has(r.name));
    expect(missing.map((r) => r.name)).toEqual([]);
    const outputs = await valueOf(off.value.addons);
    expect(outputs).not.toContain(name);
  });
});

describe("App Mesh and Karpenter: off leaves no trace, on replaces only what they replace", () => {
  const text = (r: { type: string; name: string; inputs: unknown }) =>
    `${r.type} ${r.name} ${JSON.stringify(r.inputs)}`;

  it("appMesh (tap:enableAppMesh)", async () => {
    const trace = /appmesh|app-mesh|-mesh-|cloudmap/i;
    const on = await synthStack({ enableAppMesh: "true" });
    const off = await synthStack({ enableAppMesh: "false" });
    expect(on.resources.filter((r) => trace.test(text(r))).length).toBeGreaterThan(5);
    expect(off.resources.filter((r) => trace.test(text(r))).map((r) => r.name)).toEqual([]);
    // The rest is intact; the one other addition is the gateway's role, which exists only so its
    // Envoy may read the mesh (a service without AWS permissions has no role otherwise).
    const names = new Set(off.resources.map((r) => r.name));
    expect(
      on.resources.filter((r) => !trace.test(text(r)) && !names.has(r.name)).map((r) => r.name),
    ).toEqual(["tap-svc-gateway-dev"]);
  });

  it("karpenter", async () => {
    const trace = /karpenter/i;
    const off = await synthStack({ enableAppMesh: "false", addons: { clusterAutoscaler: false } });
    const on = await synthStack({
      enableAppMesh: "false",
      addons: { clusterAutoscaler: false, karpenter: true },
    });
    expect(off.resources.filter((r) => trace.test(text(r))).map((r) => r.name)).toEqual([]);
    expect(on.resources.filter((r) => trace.test(text(r))).length).toBeGreaterThan(15);
    // What Karpenter replaces: the two 70/30 groups become the system group.
    const onNames = new Set(on.resources.map((r) => r.name));
    const gone = off.resources.filter((r) => !onNames.has(r.name)).map((r) => r.name);
    expect(gone.filter((n) => !/^tap-(spot|ondemand)-dev/.test(n))).toEqual([]);
    expect(gone.length).toBeGreaterThan(0);
    expect(await valueOf(on.value.addons)).toContain("karpenter");
    expect(await valueOf(off.value.karpenterNodeRoleName)).toBeUndefined();
    expect(await valueOf(on.value.karpenterNodeRoleName)).toBeDefined();
  });
});

describe("the README's capabilities table", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("### Capabilities"),
    readme.indexOf("### The service catalog"),
  );
  const rows = [
    ...section.matchAll(/^\| (\w+)\s+\| `(tap:[\w.]+)`\s+\| ([^|]+?)\s+\| ([^|]+?)\s+\|/gm),
  ];

  it("lists every capability with its switch, default and needs, as lib/capabilities.ts has them", () => {
    expect(rows.map((r) => r[1])).toEqual([...CAPABILITY_NAMES]);
    for (const [, name, key, def, needs] of rows) {
      const c = CAPABILITIES[name as keyof typeof CAPABILITIES];
      expect(key).toBe(c.configKey);
      expect(def.startsWith(c.defaultOn ? "on" : "off")).toBe(true);
      expect(needs === "–" ? [] : needs.split(/,\s*/)).toEqual([...c.needs]);
    }
  });
});
