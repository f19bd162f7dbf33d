/**
 * Every custom resource tap creates, and every CR the tigera-operator chart renders from tap's Helm
 * values (Installation, APIServer, FelixConfiguration), validated against the CRD schemas the
 * pinned chart versions ship (facts/crds/**, re-derived by tools/upstream/crds/extract.ts). The API
 * server prunes unknown fields silently and Pulumi mocks accept anything, so an unknown field is an
 * error here. Generic: it validates whatever tap synthesizes, at every supported Kubernetes minor,
 * once with App Mesh on and the default service catalog, once with Karpenter on (its NodePools and
 * EC2NodeClass against karpenter-crd's CRDs, CEL rules included), and with Kyverno on (1.31+, a
 * cosign key set: its ValidatingPolicies and ImageValidatingPolicy against the kyverno chart's
 * policies.kyverno.io CRDs; a Pulumi secret is validated as its value). A Helm release maps to its facts
 * by chart name: the basename of the release's chart (`oci://public.ecr.aws/karpenter/karpenter-crd`
 * -> `karpenter-crd`) is the `chart` field of a facts/crds/<dir>/<version>/index.json.
 */
import * as fs from "fs";
import * as path from "path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { TapStack } from "../../../lib/tap-stack";
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../lib/addons/versions";
import { RecordedResource, mockTap, ofType } from "../../helpers/mocks";
import {
  CrdFact,
  StructuralSchema,
  UnevaluatedRule,
  evaluateRule,
  isEvaluableRule,
  schemaOf,
  validateCustomResource,
  validateSchema,
  whyNotEvaluable,
} from "../../helpers/crd-schema";

const FACTS = path.resolve(__dirname, "..", "..", "..", "facts", "crds");
const RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * CEL rules of recorded CRDs outside crd-schema.ts's subset, each with the reason: "<crd> <schema
 * path>: <rule>" exactly as celRules records it. The test fails on any other rule outside the
 * subset, and on any rule met on tap's objects that was not evaluated and is not listed here.
 */
const NOT_EVALUATED: readonly { readonly rule: string; readonly reason: string }[] = [
  {
    rule: "nodepools.karpenter.sh .spec.template.spec.nodeClassRef: self.group == oldSelf.group",
    reason: "transition rule (oldSelf): the API server runs it on update only; these are creates",
  },
  {
    rule: "nodepools.karpenter.sh .spec.template.spec.nodeClassRef: self.kind == oldSelf.kind",
    reason: "transition rule (oldSelf): the API server runs it on update only; these are creates",
  },
  {
    rule: "nodepools.karpenter.sh .spec: has(self.replicas) == has(oldSelf.replicas)",
    reason: "transition rule (oldSelf): the API server runs it on update only; these are creates",
  },
  {
    rule: "rollouts.argoproj.io .spec.selector: self == oldSelf",
    reason: "transition rule (oldSelf): the API server runs it on update only; these are creates",
  },
];

/** The chart name a Helm release's `chart` input names (an OCI reference's last segment). */
const chartName = (chart: unknown): string => path.posix.basename(String(chart));

/** facts/crds/<dir>/<version>/index.json by the chart its `chart` field names. */
function factDirs(): Map<string, { dir: string; versions: string[] }> {
  const out = new Map<string, { dir: string; versions: string[] }>();
  for (const dir of fs.readdirSync(FACTS).sort()) {
    if (!fs.statSync(path.join(FACTS, dir)).isDirectory()) continue;
    for (const version of fs.readdirSync(path.join(FACTS, dir)).sort()) {
      const file = path.join(FACTS, dir, version, "index.json");
      const { chart } = JSON.parse(fs.readFileSync(file, "utf8")) as { chart: string };
      const known = out.get(chart);
      if (known && known.dir !== dir) {
        throw new Error(`chart ${chart} is recorded in facts/crds/${known.dir} and /${dir}`);
      }
      out.set(chart, { dir, versions: [...(known?.versions ?? []), version] });
    }
  }
  return out;
}
const FACT_DIRS = factDirs();
/** Charts whose CRDs are recorded (tigera-operator, keda, appmesh-controller, karpenter-crd). */
const CRD_CHARTS = [...FACT_DIRS.keys()];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The object as the API server gets it: a Pulumi secret (recorded by the mocks in its wire form,
 * `{ [specialSigKey]: specialSecretSig, value }`, e.g. Kyverno's ImageValidatingPolicy spec, which
 * holds the configured cosign key) is its value; the provider sends the value.
 */
function unsecret(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unsecret);
  if (!isObject(v)) return v;
  if (v[specialSigKey] === specialSecretSig) return unsecret(v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]));
}

interface ValuesToSpec {
  readonly valuesKey: string;
  readonly omits: readonly string[];
  readonly sets: Record<string, { fromValues?: string; imagePullSecretsHelper?: boolean }>;
  readonly renders: { apiVersion: string; kind: string; name: string };
  readonly source: string;
}

interface ReleaseIndex {
  readonly chart: string;
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
  const rel = `${FACT_DIRS.get(chart)?.dir ?? chart}/${version}`;
  const dir = path.join(FACTS, rel);
  if (!fs.existsSync(path.join(dir, "index.json"))) {
    throw new Error(
      `no recorded CRD schemas for ${chart} ${version} (facts/crds/${rel}); add it to tools/upstream/crds/extract.ts and run: ${REDERIVE}`,
    );
  }
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as unknown;
  const index = read("index.json") as ReleaseIndex;
  if (index.chart !== chart || index.version !== version) {
    throw new Error(`facts/crds/${rel}/index.json records ${index.chart} ${index.version}`);
  }
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

const recordedVersions = (chart: string): string[] => FACT_DIRS.get(chart)?.versions ?? [];

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
  /** The CRD it was validated against (absent when none is recorded: then `errors` says so). */
  readonly crd?: string;
  readonly errors: string[];
  /** "<crd> <schema path>: <rule>" of the CEL rules evaluated on it (and passed or not). */
  readonly evaluated: string[];
  readonly unevaluated: UnevaluatedRule[];
}

/** Validates tap's CRs and the chart-rendered CRs against the given release per chart. */
function checkAll(
  resources: readonly RecordedResource[],
  releaseFor: (chart: string, pinned: string) => string,
): Checked[] {
  const releases = new Map<string, CrdRelease>();
  const groupOwner = new Map<string, string>();
  for (const chart of CRD_CHARTS) {
    const r = ofType(resources, RELEASE).find((x) => chartName(x.inputs.chart) === chart);
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
        evaluated: [],
        unevaluated: [],
      });
      return;
    }
    const schemaVersion = rel?.aliases.get(apiVersion) ?? apiVersion;
    const { errors, evaluated, unevaluated } = validateCustomResource(obj, crd, schemaVersion);
    checked.push({
      what,
      apiVersion,
      kind,
      crd: crd.name,
      errors,
      evaluated: evaluated.map((e) => `${crd.name} ${e.schemaPath}: ${e.rule}`),
      unevaluated,
    });
  };
  for (const r of resources) {
    const t = customType(r.type);
    if (t) check(`${r.type} ${r.name}`, unsecret(r.inputs) as Obj, t.group);
  }
  const calico = releases.get("tigera-operator");
  const calicoRelease = ofType(resources, RELEASE).find(
    (x) => chartName(x.inputs.chart) === "tigera-operator",
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

/** Rules met on tap's objects that were not evaluated and are not in NOT_EVALUATED. */
const unlisted = (checked: readonly Checked[]) =>
  checked.flatMap((c) =>
    c.unevaluated
      .filter((u) => !NOT_EVALUATED.some((n) => n.rule === `${c.crd} ${u.schemaPath}: ${u.rule}`))
      .map((u) => `${c.what} ${u.path}: ${u.rule} (${u.why})`),
  );

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
/** With Karpenter on (App Mesh off): its kinds, and Calico's and KEDA's still there. */
const KARPENTER_EXPECTED_KINDS = [
  "karpenter.sh/v1 NodePool",
  "karpenter.k8s.aws/v1 EC2NodeClass",
  ...EXPECTED_KINDS.filter((k) => !k.startsWith("appmesh.")),
];
const KARPENTER_CONFIG = { addons: { karpenter: true, clusterAutoscaler: false } };
const KARPENTER_CR = /^kubernetes:karpenter\.(sh|k8s\.aws)\/v1:(NodePool|EC2NodeClass)$/;

const synth = async (config: Obj) =>
  (await mockTap(() => new TapStack("tap", { config, context: { stackName: "dev" } }))).resources;

describe.each(SUPPORTED_KUBERNETES_VERSIONS)("custom resources on Kubernetes %s", (version) => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = await synth({ kubernetesVersion: version, enableAppMesh: true });
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

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "custom resources with Karpenter on, Kubernetes %s",
  (version) => {
    let resources: readonly RecordedResource[];
    let checked: Checked[];
    beforeAll(async () => {
      resources = await synth({
        kubernetesVersion: version,
        enableAppMesh: false,
        ...KARPENTER_CONFIG,
      });
      checked = checkAll(resources, (_chart, pinned) => pinned);
    });

    it("are validated against karpenter-crd at the pinned version, named by the OCI chart", () => {
      const crd = ofType(resources, RELEASE).find(
        (r) => chartName(r.inputs.chart) === "karpenter-crd",
      );
      expect(crd?.inputs.chart).toBe(
        `${VERSION_PINS[version].karpenterCrd.repo}/${VERSION_PINS[version].karpenterCrd.chart}`,
      );
      expect(crd?.inputs.version).toBe(VERSION_PINS[version].karpenterCrd.version);
      const karpenter = checked.filter((c) => KARPENTER_CR.test(c.what.split(" ")[0]));
      expect(karpenter.map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`).sort()).toEqual([
        "karpenter.k8s.aws/v1 EC2NodeClass -> ec2nodeclasses.karpenter.k8s.aws",
        ...Array(4).fill("karpenter.sh/v1 NodePool -> nodepools.karpenter.sh"),
      ]);
    });

    it("match the CRD schemas of the pinned chart versions (unknown fields, CEL rules)", () => {
      expect(checked.map((c) => `${c.apiVersion} ${c.kind}`)).toEqual(
        expect.arrayContaining(KARPENTER_EXPECTED_KINDS),
      );
      expect(problems(checked)).toEqual([]);
      expect(unlisted(checked)).toEqual([]);
    });

    it("have Karpenter's CEL rules evaluated, not skipped (every rule met is evaluated or listed)", () => {
      const evaluated = new Set(checked.flatMap((c) => c.evaluated));
      const rel = loadRelease("karpenter-crd", VERSION_PINS[version].karpenterCrd.version);
      // The rules on the fields tap sets, each of which must have been evaluated on its objects.
      const onTapFields = [
        "nodepools.karpenter.sh .spec.template.spec.requirements: self.all(x, (x.operator == 'Gt' || x.operator == 'Lt' || x.operator == 'Gte' || x.operator == 'Lte') ? (x.values.size() == 1 && int(x.values[0]) >= 0) : true)",
        "nodepools.karpenter.sh .spec.template.spec.requirements: self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)",
        'nodepools.karpenter.sh .spec.template.spec.requirements[*].key: self in ["karpenter.sh/capacity-type", "karpenter.sh/nodepool"] || !self.find("^([^/]+)").endsWith("karpenter.sh")',
        'nodepools.karpenter.sh .spec.template.metadata.labels: self.all(x, x != "kubernetes.io/hostname")',
        "nodepools.karpenter.sh .spec.disruption.budgets: self.all(x, has(x.schedule) == has(x.duration))",
        "nodepools.karpenter.sh .spec: !has(self.replicas) || !has(self.weight)",
        "ec2nodeclasses.karpenter.k8s.aws .spec.amiSelectorTerms[*].alias: self.matches('^[a-zA-Z0-9]+@.+$')",
        "ec2nodeclasses.karpenter.k8s.aws .spec.amiSelectorTerms[*].alias: self.split('@')[0] in ['al2','al2023','bottlerocket','windows2019','windows2022','windows2025']",
        "ec2nodeclasses.karpenter.k8s.aws .spec.amiSelectorTerms: !(self.exists(x, has(x.alias)) && self.size() != 1)",
        "ec2nodeclasses.karpenter.k8s.aws .spec.blockDeviceMappings: self.filter(x, has(x.rootVolume)?x.rootVolume==true:false).size() <= 1",
        "ec2nodeclasses.karpenter.k8s.aws .spec.subnetSelectorTerms[*].tags: self.all(k, k != '' && self[k] != '')",
        "ec2nodeclasses.karpenter.k8s.aws .spec.tags: self.all(k, !k.startsWith('kubernetes.io/cluster') )",
        "ec2nodeclasses.karpenter.k8s.aws .spec: (has(self.role) && !has(self.instanceProfile)) || (!has(self.role) && has(self.instanceProfile))",
      ];
      const recorded = rel.crds.flatMap((c) =>
        c.celRules.map((r) => `${c.name} ${r.path}: ${r.rule}`),
      );
      expect(onTapFields.filter((r) => !recorded.includes(r))).toEqual([]);
      expect(onTapFields.filter((r) => !evaluated.has(r))).toEqual([]);
      // What was not evaluated is exactly the listed transition rules on the fields tap sets.
      expect(
        [
          ...new Set(
            checked.flatMap((c) => c.unevaluated.map((u) => `${c.crd} ${u.schemaPath}: ${u.rule}`)),
          ),
        ].sort(),
      ).toEqual(
        NOT_EVALUATED.map((n) => n.rule)
          .filter((r) => /^[\w.]+\.karpenter\.(sh|k8s\.aws) /.test(r))
          .sort(),
      );
    });

    it("fail on a NodePool or EC2NodeClass of tap's changed to break a field check or a CEL rule", () => {
      const rel = loadRelease("karpenter-crd", VERSION_PINS[version].karpenterCrd.version);
      const cr = (kind: string) => {
        const r = resources.find((x) => KARPENTER_CR.test(x.type) && x.inputs.kind === kind);
        return JSON.parse(JSON.stringify(r?.inputs)) as Obj & { spec: Obj };
      };
      const errorsOf = (obj: Obj) =>
        validateCustomResource(obj, crdOf(rel.byType, String(obj.apiVersion), String(obj.kind)))
          .errors;
      const pool = cr("NodePool");
      expect(errorsOf(pool)).toEqual([]);
      const template = pool.spec.template as {
        metadata: { labels: Obj };
        spec: { requirements: Obj[] };
      };
      template.spec.requirements.push(
        // Gt with two values; a restricted key (exactly); a key of a restricted domain.
        { key: "karpenter.k8s.aws/instance-cpu", operator: "Gt", values: ["2", "4"] },
        { key: "karpenter.sh/nodepool", operator: "In", values: ["x"] },
        { key: "node.karpenter.sh/pool", operator: "Exists" },
      );
      // karpenter.k8s.aws/instance-family is one of the allowed well-known labels; this one is not.
      template.metadata.labels["karpenter.k8s.aws/instance-family"] = "m5";
      template.metadata.labels["karpenter.k8s.aws/team"] = "a";
      // A static pool (replicas) may not have a weight nor a cpu limit.
      pool.spec.replicas = 2;
      const n = template.spec.requirements.length;
      expect(errorsOf(pool)).toEqual([
        `.spec.template.metadata.labels: label domain "karpenter.k8s.aws" is restricted`,
        `.spec.template.spec.requirements[${n - 2}].key: label "karpenter.sh/nodepool" is restricted`,
        `.spec.template.spec.requirements[${n - 1}].key: label domain "karpenter.sh" is restricted`,
        ".spec.template.spec.requirements: requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value",
        ".spec: only 'limits.nodes' is supported on static NodePools",
        ".spec: 'weight' is not supported on static NodePools",
      ]);

      const nodeClass = cr("EC2NodeClass");
      expect(errorsOf(nodeClass)).toEqual([]);
      nodeClass.spec.amiSelectorTerms = [{ alias: "windows2022@v20250101" }, { id: "ami-1" }];
      nodeClass.spec.instanceProfile = "tap";
      nodeClass.spec.tags = { "kubernetes.io/cluster/tap": "owned" };
      (nodeClass.spec.metadataOptions as Obj).httpTokenz = "required";
      expect(errorsOf(nodeClass)).toEqual([
        ".spec.amiSelectorTerms[0].alias: windows families may only specify version 'latest'",
        ".spec.amiSelectorTerms: 'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms",
        ".spec.metadataOptions.httpTokenz: unknown field (the API server prunes it)",
        ".spec.tags: tag contains a restricted tag matching kubernetes.io/cluster/",
        ".spec: must specify exactly one of ['role', 'instanceProfile']",
      ]);
    });
  },
);

describe("recorded CRD facts (facts/crds)", () => {
  const all = CRD_CHARTS.flatMap((chart) =>
    recordedVersions(chart).map((v) => ({ chart, v, rel: loadRelease(chart, v) })),
  );

  it("are found by the chart their index.json names (karpenter-crd in facts/crds/karpenter)", () => {
    expect([...CRD_CHARTS].sort()).toEqual(
      [
        "appmesh-controller",
        "argo-cd",
        "argo-rollouts",
        "base",
        "karpenter-crd",
        "keda",
        "kyverno",
        "secrets-store-csi-driver",
        "tigera-operator",
      ].sort(),
    );
    expect(FACT_DIRS.get("karpenter-crd")).toEqual({ dir: "karpenter", versions: ["1.14.1"] });
  });

  it("cover every chart version the pin table uses", () => {
    const pinned = SUPPORTED_KUBERNETES_VERSIONS.flatMap((k) => {
      const p = VERSION_PINS[k];
      return [
        `tigera-operator ${p.calico.version}`,
        `keda ${p.keda.version}`,
        `appmesh-controller ${p.appMeshController.version}`,
        `${p.karpenterCrd.chart} ${p.karpenterCrd.version}`,
        ...(p.kyverno ? [`kyverno ${p.kyverno.version}`] : []),
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
    expect([...new Set(outside)].sort()).toEqual(NOT_EVALUATED.map((n) => n.rule).sort());
    // Each listed reason starts with the evaluator's own (whyNotEvaluable), so none is stale.
    const ruleOf = (n: { rule: string }) => n.rule.slice(n.rule.indexOf(": ") + 2);
    expect(
      NOT_EVALUATED.filter((n) => !n.reason.startsWith(whyNotEvaluable(ruleOf(n)) ?? "\0")),
    ).toEqual([]);
  });

  it("flag a custom resource whose group or kind no installed chart records", () => {
    const cr = (type: string, apiVersion: string, kind: string): RecordedResource =>
      ({
        type,
        name: "x",
        inputs: { apiVersion, kind, metadata: { name: "x" }, spec: {} },
      }) as never;
    // Without the karpenter-crd release its kinds have no schema; an unknown group never has one.
    const pool = cr("kubernetes:karpenter.sh/v1:NodePool", "karpenter.sh/v1", "NodePool");
    const thing = cr("kubernetes:example.io/v1:Thing", "example.io/v1", "Thing");
    expect(problems(checkAll([pool, thing], (_chart, pinned) => pinned))).toEqual([
      "kubernetes:karpenter.sh/v1:NodePool x: no recorded schema: no chart tap installs records CRDs of group karpenter.sh",
      "kubernetes:example.io/v1:Thing x: no recorded schema: no chart tap installs records CRDs of group example.io",
    ]);
    // With the release installed, a kind of its groups that the release does not record.
    const release = {
      type: RELEASE,
      name: "karpenter-crd",
      inputs: { chart: "oci://public.ecr.aws/karpenter/karpenter-crd", version: "1.14.1" },
    } as never as RecordedResource;
    const claim = cr("kubernetes:karpenter.sh/v1:NodeClaim", "karpenter.sh/v1", "NodeClaim");
    expect(problems(checkAll([release, claim], (_chart, pinned) => pinned))).toEqual([
      "kubernetes:karpenter.sh/v1:NodeClaim x: no recorded schema: karpenter-crd 1.14.1 records no CRD for karpenter.sh/v1 NodeClaim",
    ]);
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

  it("fills defaults in before checking, as the API server does on create (required, list-map keys, CEL)", () => {
    const ports: StructuralSchema = {
      type: "object",
      properties: {
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
          items: {
            type: "object",
            required: ["containerPort", "protocol"],
            properties: {
              containerPort: { type: "integer" },
              protocol: { type: "string", default: "TCP", enum: ["TCP", "UDP"] },
            },
          },
        },
        mode: { type: "string", default: "a" },
      },
      "x-kubernetes-validations": [{ rule: "self.mode == 'a'", message: "mode must be a" }],
    };
    expect(validateSchema({ ports: [{ containerPort: 80 }] }, ports).errors).toEqual([]);
    expect(
      validateSchema(
        { ports: [{ containerPort: 80 }, { containerPort: 80, protocol: "TCP" }] },
        ports,
      ).errors,
    ).toEqual(['.ports: item [1] duplicates [80,"TCP"] (x-kubernetes-list-type map)']);
    expect(validateSchema({ mode: "b" }, ports).errors).toEqual([".: mode must be a"]);
    // The recorded argo-rollouts schema keeps the default the API server requires on this key.
    const rel = loadRelease("argo-rollouts", "2.41.0");
    const rollout = rel.byType.get("argoproj.io/v1alpha1 Rollout") as CrdFact;
    const port = schemaOf(rollout, "argoproj.io/v1alpha1").properties?.spec?.properties?.template
      ?.properties?.spec?.properties?.containers?.items?.properties?.ports?.items?.properties
      ?.protocol;
    expect(port?.default).toBe("TCP");
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
    expect(evaluateRule("self == oldSelf", 1)).toBe("unsupported");
    expect(evaluateRule("size(self.a) > 1 && self.b in ['x', 'y']", { a: "ab", b: "y" })).toBe(
      true,
    );
  });

  it("evaluates macros, regexes, split, int() and CEL's error semantics (Karpenter's rules)", () => {
    // all / exists / exists_one / filter / map over a list's items and a map's keys.
    expect(evaluateRule("self.all(x, x > 0)", [1, 2])).toBe(true);
    expect(evaluateRule("self.all(x, x > 0)", [1, 0])).toBe(false);
    expect(evaluateRule("self.all(k, k != '' && self[k] != '')", { a: "b" })).toBe(true);
    expect(evaluateRule("self.all(k, k != '' && self[k] != '')", { a: "" })).toBe(false);
    expect(evaluateRule("self.exists(x, has(x.alias))", [{ id: "a" }, { alias: "b" }])).toBe(true);
    expect(evaluateRule("self.exists_one(x, x == 1)", [1, 1])).toBe(false);
    expect(evaluateRule("self.filter(x, x > 1).size() == 2", [1, 2, 3])).toBe(true);
    expect(evaluateRule("self.map(x, x * 2) == [2, 4]", [1, 2])).toBe(true);
    expect(evaluateRule("self.all(e, e in ['a', 'b'])", { a: "1", c: "2" })).toBe(false);
    // matches is an RE2 search; find returns the first match or ""; split as cel-go's strings.
    expect(evaluateRule("self.matches('^[a-z]+@.+$')", "bottlerocket@v1.64.0")).toBe(true);
    expect(evaluateRule("self.matches('@')", "a@b")).toBe(true);
    expect(evaluateRule("self.matches('^[a-z]+@.+$')", "bottlerocket")).toBe(false);
    expect(evaluateRule('self.find("^([^/]+)") == "karpenter.sh"', "karpenter.sh/x")).toBe(true);
    expect(evaluateRule("self.find('[0-9]+') == ''", "abc")).toBe(true);
    expect(evaluateRule("self.split('@')[1] == 'latest'", "windows2022@latest")).toBe(true);
    expect(evaluateRule("self.split('@', 1) == ['a@b@c']", "a@b@c")).toBe(true);
    // int() of a string: base-10 only; anything else is an error, which the API server rejects.
    expect(evaluateRule("int(self[0]) >= 0", ["4"])).toBe(true);
    expect(evaluateRule("int(self[0]) >= 0", ["-1"])).toBe(false);
    expect(evaluateRule("int(self[0]) >= 0", ["four"])).toBe(
      'rule errored: int() cannot convert "four"',
    );
    expect(evaluateRule("self.size() == 1 && int(self[0]) >= 0", [])).toBe(false);
    // && and || are commutative over errors: the deciding side wins, else the error stands.
    expect(evaluateRule("self.a == 1 || true", {})).toBe(true);
    expect(evaluateRule("self.a == 1 && false", {})).toBe(false);
    expect(evaluateRule("self.a == 1 || false", {})).toBe("rule errored: no such key: a");
    expect(evaluateRule("self.all(x, x.a == 1)", [{ a: 2 }, {}])).toBe(false);
    expect(evaluateRule("self.all(x, x.a == 1)", [{ a: 1 }, {}])).toBe(
      "rule errored: no such key: a",
    );
    // Outside the subset: transition rules, unknown functions, RE2-only regex syntax.
    expect(evaluateRule("self.all(x, x == oldSelf)", [1])).toBe("unsupported");
    expect(evaluateRule("quantity(self).isGreaterThan(quantity('1'))", "2")).toBe("unsupported");
    expect(evaluateRule("self.matches('(?i)^a')", "A")).toBe("unsupported");
    expect(whyNotEvaluable("duration(self) > duration('1s')")).toBe("function duration");
    expect(whyNotEvaluable("self.all(x, y > 0)")).toBe("identifier y");
  });
});

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "custom resources with the secrets store on, Kubernetes %s",
  (version) => {
    it("a service's SecretProviderClass validates against the driver's CRD at the pinned version", async () => {
      const resources = await synth({
        kubernetesVersion: version,
        enableAppMesh: false,
        addons: { secretsStore: true },
        services: [
          {
            name: "ledger",
            image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
            secrets: [
              "arn:${partition}:secretsmanager:${region}:${account}:secret:ledger/db-AbCdEf",
              {
                arn: "arn:${partition}:secretsmanager:${region}:${account}:secret:ledger/key-x1Y2z3",
                file: "key",
              },
            ],
          },
        ],
      });
      const driver = ofType(resources, RELEASE).find(
        (r) => r.inputs.chart === "secrets-store-csi-driver",
      );
      expect(driver?.inputs.version).toBe(VERSION_PINS[version].secretsStoreDriver.version);
      const checked = checkAll(resources, (_chart, pinned) => pinned);
      expect(
        checked
          .filter((c) => c.kind === "SecretProviderClass")
          .map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`),
      ).toEqual([
        "secrets-store.csi.x-k8s.io/v1 SecretProviderClass -> secretproviderclasses.secrets-store.csi.x-k8s.io",
      ]);
      expect(problems(checked)).toEqual([]);
    });
  },
);

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "custom resources with Istio ambient on, Kubernetes %s",
  (version) => {
    it("AuthorizationPolicies and PeerAuthentications validate against Istio's base chart at the pin, CEL rules evaluated", async () => {
      const resources = await synth({
        kubernetesVersion: version,
        enableAppMesh: false,
        addons: { istio: true, loadBalancerController: true },
      });
      const base = ofType(resources, RELEASE).find((r) => r.inputs.chart === "base");
      expect(base?.inputs.version).toBe(VERSION_PINS[version].istio.version);
      const checked = checkAll(resources, (_chart, pinned) => pinned);
      const istio = checked.filter((c) => c.apiVersion.startsWith("security.istio.io/"));
      expect(istio.map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`).sort()).toEqual([
        ...Array(3).fill(
          "security.istio.io/v1 AuthorizationPolicy -> authorizationpolicies.security.istio.io",
        ),
        // mesh-wide STRICT, and the public gateway's port
        ...Array(2).fill(
          "security.istio.io/v1 PeerAuthentication -> peerauthentications.security.istio.io",
        ),
      ]);
      expect(problems(checked)).toEqual([]);
      expect(unlisted(checked)).toEqual([]);
      const evaluated = new Set(checked.flatMap((c) => c.evaluated));
      // The rule that a port-level mode needs a selector (tap's public PeerAuthentication) ran.
      expect(
        [...evaluated].some(
          (r) =>
            r.startsWith("peerauthentications.security.istio.io") &&
            /portLevelMtls/.test(r.split(": ").slice(1).join(": ")),
        ),
      ).toBe(true);
    });
  },
);

/** A cosign public key in PEM form (its content is never checked against a signature here). */
const COSIGN_PEM =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEabc123DEF456ghi789JKL==\n-----END PUBLIC KEY-----\n";
/** Kubernetes minors with a Kyverno chart pinned (tap:addons.kyverno is refused on 1.28). */
const KYVERNO_VERSIONS = SUPPORTED_KUBERNETES_VERSIONS.filter((v) => VERSION_PINS[v].kyverno);

describe.each(KYVERNO_VERSIONS)("custom resources with Kyverno on, Kubernetes %s", (version) => {
  let resources: readonly RecordedResource[];
  let checked: Checked[];
  beforeAll(async () => {
    resources = await synth({
      kubernetesVersion: version,
      enableAppMesh: false,
      // With a cosign key: the ImageValidatingPolicy too.
      addons: { kyverno: { cosignPublicKey: COSIGN_PEM } },
    });
    checked = checkAll(resources, (_chart, pinned) => pinned);
  });

  it("ValidatingPolicies and the ImageValidatingPolicy validate against the kyverno chart's CRDs at the pin", () => {
    const release = ofType(resources, RELEASE).find((r) => chartName(r.inputs.chart) === "kyverno");
    expect(release?.inputs.version).toBe(VERSION_PINS[version].kyverno?.version);
    const kyverno = checked.filter((c) => c.apiVersion.startsWith("policies.kyverno.io/"));
    expect(kyverno.map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`).sort()).toEqual([
      "policies.kyverno.io/v1beta1 ImageValidatingPolicy -> imagevalidatingpolicies.policies.kyverno.io",
      ...Array(8).fill(
        "policies.kyverno.io/v1beta1 ValidatingPolicy -> validatingpolicies.policies.kyverno.io",
      ),
    ]);
    expect(problems(checked)).toEqual([]);
    expect(unlisted(checked)).toEqual([]);
  });

  it("match the newest recorded patch of the pinned chart line too", () => {
    expect(problems(checkAll(resources, newestPatch))).toEqual([]);
  });

  it("fail on a policy of tap's with an unknown field or a value the schema refuses", () => {
    const rel = loadRelease("kyverno", String(VERSION_PINS[version].kyverno?.version));
    const cr = (kind: string) => {
      const r = resources.find(
        (x) => x.type.startsWith("kubernetes:policies.kyverno.io/") && x.inputs.kind === kind,
      );
      return JSON.parse(JSON.stringify(unsecret(r?.inputs))) as Obj & { spec: Obj };
    };
    const errorsOf = (obj: Obj) =>
      validateCustomResource(obj, crdOf(rel.byType, String(obj.apiVersion), String(obj.kind)))
        .errors;
    const vpol = cr("ValidatingPolicy");
    expect(errorsOf(vpol)).toEqual([]);
    vpol.spec.validationActions = ["Enforce"];
    vpol.spec.failurePolicy = "Never";
    vpol.spec.validationz = [];
    expect(errorsOf(vpol)).toEqual([
      expect.stringMatching(/^\.spec\.failurePolicy: "Never" is not one of/),
      expect.stringMatching(/^\.spec\.validationActions\[0\]: "Enforce" is not one of/),
      ".spec.validationz: unknown field (the API server prunes it)",
    ]);
    const ivpol = cr("ImageValidatingPolicy");
    expect(errorsOf(ivpol)).toEqual([]);
    (ivpol.spec.attestors as Obj[])[0].cosign = { keyz: { data: COSIGN_PEM } };
    expect(errorsOf(ivpol)).toEqual([
      ".spec.attestors[0].cosign.keyz: unknown field (the API server prunes it)",
    ]);
  });
});

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "custom resources with Argo CD on, Kubernetes %s",
  (version) => {
    let resources: readonly RecordedResource[];
    let checked: Checked[];
    beforeAll(async () => {
      resources = await synth({
        kubernetesVersion: version,
        enableAppMesh: false,
        addons: { argocd: { repoUrl: "https://github.com/acme/platform.git" } },
      });
      checked = checkAll(resources, (_chart, pinned) => pinned);
    });

    it("the projects, the root app-of-apps and the ApplicationSet validate against the argo-cd chart's CRDs at the pin", () => {
      const release = ofType(resources, RELEASE).find(
        (r) => chartName(r.inputs.chart) === "argo-cd",
      );
      expect(release?.inputs.version).toBe(VERSION_PINS[version].argocd.version);
      const argo = checked.filter((c) => c.apiVersion.startsWith("argoproj.io/"));
      expect(argo.map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`).sort()).toEqual([
        "argoproj.io/v1alpha1 AppProject -> appprojects.argoproj.io",
        "argoproj.io/v1alpha1 AppProject -> appprojects.argoproj.io",
        "argoproj.io/v1alpha1 Application -> applications.argoproj.io",
        "argoproj.io/v1alpha1 ApplicationSet -> applicationsets.argoproj.io",
      ]);
      expect(problems(checked)).toEqual([]);
      expect(unlisted(checked)).toEqual([]);
    });

    it("fail on an object of tap's with an unknown field", () => {
      const rel = loadRelease("argo-cd", VERSION_PINS[version].argocd.version);
      const cr = (kind: string) => {
        const r = resources.find(
          (x) => x.type.startsWith("kubernetes:argoproj.io/") && x.inputs.kind === kind,
        );
        return JSON.parse(JSON.stringify(unsecret(r?.inputs))) as Obj & { spec: Obj };
      };
      const errorsOf = (obj: Obj) =>
        validateCustomResource(obj, crdOf(rel.byType, String(obj.apiVersion), String(obj.kind)))
          .errors;
      const app = cr("Application");
      expect(errorsOf(app)).toEqual([]);
      (app.spec.source as Obj).repoUrl = "https://example.com/x.git";
      expect(errorsOf(app)).toEqual([
        ".spec.source.repoUrl: unknown field (the API server prunes it)",
      ]);
      const appset = cr("ApplicationSet");
      expect(errorsOf(appset)).toEqual([]);
    });
  },
);

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "custom resources with Argo Rollouts on, Kubernetes %s",
  (version) => {
    let resources: readonly RecordedResource[];
    let checked: Checked[];
    beforeAll(async () => {
      resources = await synth({
        kubernetesVersion: version,
        enableAppMesh: false,
        addons: { argoRollouts: true },
      });
      checked = checkAll(resources, (_chart, pinned) => pinned);
    });

    it("the canary's Rollout and AnalysisTemplate validate against the argo-rollouts chart's CRDs at the pin", () => {
      const release = ofType(resources, RELEASE).find(
        (r) => chartName(r.inputs.chart) === "argo-rollouts",
      );
      expect(release?.inputs.version).toBe(VERSION_PINS[version].argoRollouts.version);
      const argo = checked.filter((c) => c.apiVersion.startsWith("argoproj.io/"));
      expect(argo.map((c) => `${c.apiVersion} ${c.kind} -> ${c.crd}`).sort()).toEqual([
        "argoproj.io/v1alpha1 AnalysisTemplate -> analysistemplates.argoproj.io",
        "argoproj.io/v1alpha1 Rollout -> rollouts.argoproj.io",
      ]);
      expect(problems(checked)).toEqual([]);
      expect(unlisted(checked)).toEqual([]);
    });

    it("fail on a field the schema does not have", () => {
      const rel = loadRelease("argo-rollouts", VERSION_PINS[version].argoRollouts.version);
      const r = resources.find(
        (x) => x.type.startsWith("kubernetes:argoproj.io/") && x.inputs.kind === "Rollout",
      );
      const obj = JSON.parse(JSON.stringify(unsecret(r?.inputs))) as Obj & { spec: Obj };
      (obj.spec.strategy as Obj).canary = { stepz: [] };
      expect(
        validateCustomResource(obj, crdOf(rel.byType, String(obj.apiVersion), String(obj.kind)))
          .errors,
      ).toEqual([".spec.strategy.canary.stepz: unknown field (the API server prunes it)"]);
    });
  },
);
