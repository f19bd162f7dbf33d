/**
 * Every custom resource tap creates, and every CR the tigera-operator chart renders from tap's Helm
 * values (Installation, APIServer, FelixConfiguration), validated against the CRD schemas the
 * pinned chart versions ship (facts/crds/**, re-derived by tools/upstream/crds/extract.ts). The API
 * server prunes unknown fields silently and Pulumi mocks accept anything, so an unknown field is an
 * error here. Generic: it validates whatever tap synthesizes, at every supported Kubernetes minor,
 * with App Mesh on and the default service catalog.
 */
import * as fs from "fs";
import * as path from "path";
import { TapStack } from "../../../lib/tap-stack";
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../lib/addons/versions";
import { RecordedResource, mockTap, ofType } from "../../helpers/mocks";
import {
  CrdFact,
  StructuralSchema,
  evaluateRule,
  isEvaluableRule,
  validateCustomResource,
  validateSchema,
} from "../../helpers/crd-schema";

const FACTS = path.resolve(__dirname, "..", "..", "..", "facts", "crds");
const RELEASE = "kubernetes:helm.sh/v3:Release";
/** Charts whose CRDs tap's custom resources use. */
const CRD_CHARTS = ["tigera-operator", "keda", "appmesh-controller"] as const;
type CrdChart = (typeof CRD_CHARTS)[number];
/** CEL rules of recorded CRDs outside crd-schema.ts's subset ("<crd> <path>: <rule>"); none today. */
const NOT_EVALUATED: readonly string[] = [];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

interface ValuesToSpec {
  readonly valuesKey: string;
  readonly omits: readonly string[];
  readonly sets: Record<string, { fromValues?: string; imagePullSecretsHelper?: boolean }>;
  readonly renders: { apiVersion: string; kind: string; name: string };
  readonly source: string;
}

interface ReleaseIndex {
  readonly chart: CrdChart;
  readonly version: string;
  readonly crds: readonly { apiVersions: readonly string[]; kind: string; file: string }[];
  readonly apiVersionAliases?: Record<string, { validateAs: string; source: string }>;
  readonly helmValuesToSpecs?: readonly ValuesToSpec[];
  readonly chartDefaults?: Obj;
}

interface CrdRelease {
  readonly index: ReleaseIndex;
  /** "<group>/<version> <Kind>" -> CRD, aliases included. */
  readonly byType: Map<string, CrdFact>;
  /** apiVersion served elsewhere -> the CRD apiVersion whose schema it is validated against. */
  readonly aliases: Map<string, string>;
  readonly crds: readonly CrdFact[];
}

const REDERIVE = "node tools/transpile.js && node dist/tools/upstream/crds/extract.js";

function loadRelease(chart: string, version: string): CrdRelease {
  const dir = path.join(FACTS, chart, version);
  if (!fs.existsSync(path.join(dir, "index.json"))) {
    throw new Error(
      `no recorded CRD schemas for ${chart} ${version} (facts/crds/${chart}/${version}); add it to tools/upstream/crds/extract.ts and run: ${REDERIVE}`,
    );
  }
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as unknown;
  const index = read("index.json") as ReleaseIndex;
  const byType = new Map<string, CrdFact>();
  const crds: CrdFact[] = [];
  for (const entry of index.crds) {
    const crd = read(entry.file) as CrdFact;
    crds.push(crd);
    for (const v of entry.apiVersions) byType.set(`${v} ${entry.kind}`, crd);
  }
  for (const [alias, { validateAs }] of Object.entries(index.apiVersionAliases ?? {})) {
    for (const entry of index.crds) {
      if (entry.apiVersions.includes(validateAs))
        byType.set(`${alias} ${entry.kind}`, crdOf(byType, validateAs, entry.kind));
    }
  }
  const aliases = new Map(
    Object.entries(index.apiVersionAliases ?? {}).map(([a, { validateAs }]) => [a, validateAs]),
  );
  return { index, byType, aliases, crds };
}

function crdOf(byType: Map<string, CrdFact>, apiVersion: string, kind: string): CrdFact {
  const crd = byType.get(`${apiVersion} ${kind}`);
  if (!crd) throw new Error(`no ${apiVersion} ${kind}`);
  return crd;
}

const recordedVersions = (chart: string): string[] =>
  fs.existsSync(path.join(FACTS, chart)) ? fs.readdirSync(path.join(FACTS, chart)).sort() : [];

/** The newest recorded release of the same major.minor as `version` (the likely bump). */
function newestPatch(chart: string, version: string): string {
  const num = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  const line = (v: string) => num(v).slice(0, 2).join(".");
  const same = recordedVersions(chart).filter((v) => line(v) === line(version));
  same.sort((a, b) => num(a)[2] - num(b)[2]);
  return same[same.length - 1] ?? version;
}

/** Helm's value coalescing: the release's values over the chart defaults (null deletes a key). */
function helmMerge(defaults: unknown, values: unknown): unknown {
  if (!isObject(defaults) || !isObject(values)) return values === undefined ? defaults : values;
  const keys = new Set([...Object.keys(defaults), ...Object.keys(values)]);
  return Object.fromEntries(
    [...keys].filter((k) => values[k] !== null).map((k) => [k, helmMerge(defaults[k], values[k])]),
  );
}

/** The CRs the chart's templates/crs/*.yaml render from these values (index.helmValuesToSpecs). */
function renderChartCrs(index: ReleaseIndex, values: Obj): Obj[] {
  const defaults = { ...(index.chartDefaults ?? {}) };
  delete defaults.source;
  delete defaults.tigeraOperatorVersion;
  const merged = helmMerge(defaults, values) as Obj;
  const out: Obj[] = [];
  for (const m of index.helmValuesToSpecs ?? []) {
    const v = merged[m.valuesKey];
    if (!isObject(v) || v.enabled !== true) continue;
    const spec: Obj = Object.fromEntries(Object.entries(v).filter(([k]) => !m.omits.includes(k)));
    for (const [k, how] of Object.entries(m.sets)) {
      if (how.fromValues) spec[k] = merged[how.fromValues];
      if (how.imagePullSecretsHelper) {
        const own = (merged.installation as Obj | undefined)?.imagePullSecrets;
        const named = Object.keys((merged.imagePullSecrets as Obj | undefined) ?? {});
        spec[k] = [...(Array.isArray(own) ? own : []), ...named.map((name) => ({ name }))];
      }
    }
    out.push({
      apiVersion: m.renders.apiVersion,
      kind: m.renders.kind,
      metadata: { name: m.renders.name },
      spec,
    });
  }
  return out;
}

/** kubernetes:<group>/<version>:<Kind> of a custom (non built-in) API group, else undefined. */
function customType(type: string): { apiVersion: string; kind: string; group: string } | undefined {
  const m = /^kubernetes:([^:/]+)\/([^:]+):(\w+)$/.exec(type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  const builtIn = !group.includes(".") || group.endsWith(".k8s.io") || group === "helm.sh";
  return builtIn ? undefined : { apiVersion: `${group}/${version}`, kind, group };
}

interface Checked {
  readonly what: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly errors: string[];
  readonly unevaluated: string[];
}

/** Validates tap's CRs and the chart-rendered CRs against the given release per chart. */
function checkAll(
  resources: readonly RecordedResource[],
  releaseFor: (chart: CrdChart, pinned: string) => string,
): Checked[] {
  const releases = new Map<CrdChart, CrdRelease>();
  const groupOwner = new Map<string, CrdChart>();
  for (const chart of CRD_CHARTS) {
    const r = ofType(resources, RELEASE).find((x) => x.inputs.chart === chart);
    if (!r) continue;
    const rel = loadRelease(chart, releaseFor(chart, String(r.inputs.version)));
    releases.set(chart, rel);
    for (const key of rel.byType.keys()) groupOwner.set(key.split("/")[0], chart);
  }
  const checked: Checked[] = [];
  const check = (what: string, obj: Obj, group: string) => {
    const apiVersion = String(obj.apiVersion);
    const kind = String(obj.kind);
    const chart = groupOwner.get(group);
    const rel = chart ? releases.get(chart) : undefined;
    const crd = rel?.byType.get(`${apiVersion} ${kind}`);
    if (!crd) {
      const why = chart
        ? `${chart} ${releases.get(chart)?.index.version} records no CRD for ${apiVersion} ${kind}`
        : `no chart tap installs records CRDs of group ${group}`;
      checked.push({
        what,
        apiVersion,
        kind,
        errors: [`no recorded schema: ${why}`],
        unevaluated: [],
      });
      return;
    }
    const schemaVersion = rel?.aliases.get(apiVersion) ?? apiVersion;
    const { errors, unevaluated } = validateCustomResource(obj, crd, schemaVersion);
    checked.push({ what, apiVersion, kind, errors, unevaluated });
  };
  for (const r of resources) {
    const t = customType(r.type);
    if (t) check(`${r.type} ${r.name}`, r.inputs, t.group);
  }
  const calico = releases.get("tigera-operator");
  const calicoRelease = ofType(resources, RELEASE).find(
    (x) => x.inputs.chart === "tigera-operator",
  );
  if (calico && calicoRelease) {
    for (const cr of renderChartCrs(calico.index, (calicoRelease.inputs.values ?? {}) as Obj)) {
      const group = String(cr.apiVersion).split("/")[0];
      check(`helm values of ${calicoRelease.name} -> ${cr.kind}/default`, cr, group);
    }
  }
  return checked;
}

const problems = (checked: readonly Checked[]) =>
  checked.flatMap((c) => c.errors.map((e) => `${c.what}: ${e}`));

/** Every kind tap is expected to produce today (guards against a vacuous pass). */
const EXPECTED_KINDS = [
  "operator.tigera.io/v1 Installation",
  "operator.tigera.io/v1 APIServer",
  "crd.projectcalico.org/v1 FelixConfiguration",
  "projectcalico.org/v3 GlobalNetworkPolicy",
  "keda.sh/v1alpha1 ScaledObject",
  "keda.sh/v1alpha1 ClusterTriggerAuthentication",
  "appmesh.k8s.aws/v1beta2 Mesh",
  "appmesh.k8s.aws/v1beta2 VirtualNode",
  "appmesh.k8s.aws/v1beta2 VirtualRouter",
  "appmesh.k8s.aws/v1beta2 VirtualService",
];

describe.each(SUPPORTED_KUBERNETES_VERSIONS)("custom resources on Kubernetes %s", (version) => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (
      await mockTap(
        () =>
          new TapStack("tap", {
            config: { kubernetesVersion: version, enableAppMesh: true },
            context: { stackName: "dev" },
          }),
      )
    ).resources;
  });

  it("match the CRD schemas of the pinned chart versions (unknown fields are errors)", () => {
    const checked = checkAll(resources, (_chart, pinned) => pinned);
    expect(checked.map((c) => `${c.apiVersion} ${c.kind}`)).toEqual(
      expect.arrayContaining(EXPECTED_KINDS),
    );
    expect(problems(checked)).toEqual([]);
    expect(checked.flatMap((c) => c.unevaluated)).toEqual([]);
  });

  it("match the CRD schemas of the newest recorded patch of each pinned chart line", () => {
    expect(problems(checkAll(resources, newestPatch))).toEqual([]);
  });

  it("are validated against the schemas of the versions the pin table names", () => {
    const pins = VERSION_PINS[version];
    const releaseVersion = (chart: string) =>
      ofType(resources, RELEASE).find((r) => r.inputs.chart === chart)?.inputs.version;
    expect(releaseVersion("tigera-operator")).toBe(pins.calico.version);
    expect(releaseVersion("keda")).toBe(pins.keda.version);
    expect(releaseVersion("appmesh-controller")).toBe(pins.appMeshController.version);
  });
});

describe("recorded CRD facts (facts/crds)", () => {
  const all = CRD_CHARTS.flatMap((chart) =>
    recordedVersions(chart).map((v) => ({ chart, v, rel: loadRelease(chart, v) })),
  );

  it("cover every chart version the pin table uses", () => {
    const pinned = SUPPORTED_KUBERNETES_VERSIONS.flatMap((k) => {
      const p = VERSION_PINS[k];
      return [
        `tigera-operator ${p.calico.version}`,
        `keda ${p.keda.version}`,
        `appmesh-controller ${p.appMeshController.version}`,
      ];
    });
    const recorded = all.map((x) => `${x.chart} ${x.v}`);
    expect([...new Set(pinned)].filter((p) => !recorded.includes(p))).toEqual([]);
  });

  it("name their upstream source as owner/repo@ref:path", () => {
    const bad = all.flatMap(({ rel }) =>
      rel.crds.filter((c) => !/^[\w.-]+\/[\w.-]+@[^:\s]+:\S+/.test(c.source)).map((c) => c.name),
    );
    expect(bad).toEqual([]);
  });

  it("list every CEL rule, each in the evaluated subset or in NOT_EVALUATED", () => {
    const outside = all.flatMap(({ rel }) =>
      rel.crds.flatMap((c) =>
        c.celRules
          .filter((r) => !isEvaluableRule(r.rule))
          .map((r) => `${c.name} ${r.path}: ${r.rule}`),
      ),
    );
    expect([...new Set(outside)].sort()).toEqual([...NOT_EVALUATED].sort());
  });
});

describe("the structural-schema validator", () => {
  const schema: StructuralSchema = {
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: {
        type: "object",
        required: ["action"],
        properties: {
          action: { type: "string", enum: ["Allow", "Deny"] },
          order: { type: "number" },
          port: {
            "x-kubernetes-int-or-string": true,
            anyOf: [{ type: "integer" }, { type: "string" }],
          },
          labels: { type: "object", additionalProperties: { type: "string" } },
          free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          name: { type: "string", pattern: "^[a-z]+$", maxLength: 5 },
          items: { type: "array", maxItems: 1, items: { type: "integer", minimum: 1 } },
        },
      },
    },
  };
  const cr = (spec: Obj) => ({ apiVersion: "x.io/v1", kind: "X", metadata: { name: "x" }, spec });
  const errorsOf = (spec: Obj) => validateSchema(cr(spec), schema, { root: true }).errors;

  it("accepts a valid object, int-or-string, additionalProperties and preserved unknown fields", () => {
    expect(
      errorsOf({
        action: "Allow",
        order: 1.5,
        port: "http",
        labels: { a: "b" },
        free: { any: [1] },
      }),
    ).toEqual([]);
    expect(errorsOf({ action: "Deny", port: 80, name: "abc", items: [2] })).toEqual([]);
  });

  it("flags an unknown field, a wrong type and a bad enum, naming the path", () => {
    expect(errorsOf({ action: "Log", order: "1", extra: true })).toEqual([
      '.spec.action: "Log" is not one of ["Allow","Deny"]',
      '.spec.order: must be of type number, got "1"',
      ".spec.extra: unknown field (the API server prunes it)",
    ]);
    expect(validateSchema({ top: 1 }, schema, { root: true }).errors).toEqual([
      ".top: unknown field (the API server prunes it)",
    ]);
  });

  it("flags required, pattern, length, item count, minimum, int-or-string and null", () => {
    expect(
      errorsOf({ name: "ABCDEF", items: [0, 1], port: 1.5, labels: { a: 1 }, order: null }),
    ).toEqual([
      '.spec: required field "action" is missing',
      ".spec.name: longer than 5",
      '.spec.name: "ABCDEF" does not match "^[a-z]+$"',
      ".spec.items: more than 1 items",
      ".spec.items[0]: 0 is below the minimum 1",
      ".spec.port: must be an integer or a string, got 1.5",
      ".spec.labels.a: must be of type string, got 1",
      ".spec.order: null is not allowed (not nullable)",
    ]);
  });

  it("flags an unknown field and a wrong type in a recorded schema (Calico GlobalNetworkPolicy)", () => {
    const rel = loadRelease("tigera-operator", VERSION_PINS["1.35"].calico.version);
    const gnp = rel.byType.get("projectcalico.org/v3 GlobalNetworkPolicy") as CrdFact;
    const obj = {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkPolicy",
      metadata: { name: "x" },
      spec: { order: "100", egress: [{ action: "Deny", destination: { netz: [] } }] },
    };
    // The CRD has no enum for action/types: the Calico API server checks those in Go.
    expect(validateCustomResource(obj, gnp, "crd.projectcalico.org/v1").errors).toEqual([
      '.spec.order: must be of type number, got "100"',
      ".spec.egress[0].destination.netz: unknown field (the API server prunes it)",
    ]);
  });

  it("evaluates the simple CEL rules (KEDA's minReplicaCount <= maxReplicaCount)", () => {
    const rule =
      "!has(self.minReplicaCount) || self.minReplicaCount <= (has(self.maxReplicaCount) ? self.maxReplicaCount : 100)";
    expect(evaluateRule(rule, { minReplicaCount: 2, maxReplicaCount: 4 })).toBe(true);
    expect(evaluateRule(rule, { minReplicaCount: 5, maxReplicaCount: 4 })).toBe(false);
    expect(evaluateRule(rule, { minReplicaCount: 101 })).toBe(false);
    expect(evaluateRule(rule, {})).toBe(true);
    expect(evaluateRule("self.all(x, x > 0)", [1])).toBe("unsupported");
    expect(evaluateRule("self == oldSelf", 1)).toBe("unsupported");
    expect(evaluateRule("size(self.a) > 1 && self.b in ['x', 'y']", { a: "ab", b: "y" })).toBe(
      true,
    );
  });
});
