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
import { TapConfigError, resolveConfig } from "../../lib/config";
import { synthStack, valueOf } from "../helpers/mocks";

const ctx = { stackName: "dev", env: {} };
const problems = (input: Record<string, unknown>): string[] => {
  try {
    resolveConfig({ enableAppMesh: "false", ...input }, ctx);
    return [];
  } catch (e) {
    return (e as TapConfigError).problems.map((p) => `${p.propertyPath}: ${p.reason}`);
  }
};

describe("tap:addons", () => {
  it("defaults to the specification's six, App Mesh by tap:enableAppMesh", () => {
    expect(DEFAULT_CAPABILITIES).toEqual({
      calico: true,
      fluentBit: true,
      clusterAutoscaler: true,
      metricsServer: true,
      keda: true,
      appMesh: true,
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
    [{ karpenter: true }, /tap:addons\.karpenter is not a capability; known: calico, fluentBit/],
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
    expect(deploymentOrder(DEFAULT_CAPABILITIES)).toEqual([...CAPABILITY_NAMES]);
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
