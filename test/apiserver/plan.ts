/**
 * What test/apiserver applies: tap's Kubernetes objects from a synthesis under Pulumi mocks, in
 * dependency order, and the CustomResourceDefinitions built from the recorded schemas in
 * facts/crds (facts/crds/README.md) for the chart versions that synthesis pins.
 */
import * as fs from "fs";
import * as path from "path";
import type { RecordedResource } from "../../tools/offline-mocks";

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
const FACTS = path.resolve(__dirname, "..", "..", "facts", "crds");
/** Charts that install CRDs tap's custom resources use, and their directory under facts/crds. */
export const CRD_CHARTS = [
  "tigera-operator",
  "keda",
  "appmesh-controller",
  "karpenter-crd",
  "secrets-store-csi-driver",
  "base",
  "kyverno",
  "argo-cd",
  "argo-rollouts",
] as const;
const FACTS_DIR_OF: Readonly<Record<string, string>> = {
  "karpenter-crd": "karpenter",
  // Istio's `base` chart (its CRDs).
  base: "istio-base",
};

/** A release's chart name: an OCI reference's last segment (oci://public.ecr.aws/karpenter/karpenter-crd). */
export const chartName = (chart: string): string => chart.split("/").pop() ?? chart;

/**
 * Kubernetes object types tap may create that this API server cannot serve, each with why; the
 * test fails on any other unserved type (nothing is skipped silently). Empty today: the one group
 * served by an aggregated API server, projectcalico.org/v3, is applied through its CRD equivalent
 * (index.json `apiVersionAliases`, see `crdApiVersionFor`).
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {};

/**
 * Objects EKS creates on every new cluster and tap only patches (a `*Patch` resource), applied
 * first as EKS would: the `gp2` StorageClass of the in-tree provisioner ("With each new cluster,
 * Amazon EKS applies a kubernetes.io/aws-ebs based StorageClass named gp2":
 * awsdocs/amazon-eks-user-guide@4d52b4d0:latest/ug/storage/ebs-csi-migration-faq.adoc L126),
 * marked default up to 1.29 (latest/ug/clusters/kubernetes-versions-standard.adoc L62).
 */
export const EKS_PROVIDED: readonly Obj[] = [
  {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: "gp2",
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "kubernetes.io/aws-ebs",
    parameters: { type: "gp2", fsType: "ext4" },
    volumeBindingMode: "WaitForFirstConsumer",
  },
];

/** A Kubernetes object tap registers: not a Helm release, not a provider, not a component. */
export const isKubernetesObject = (r: RecordedResource): boolean =>
  r.custom && /^kubernetes:[^:]+:[A-Z]/.test(r.type) && !r.type.startsWith("kubernetes:helm.sh/");

/**
 * Every resource in an order the engine could create them: each after all its `dependencies`
 * (Kahn's algorithm). Among resources that are ready, the LAST registered goes first: the engine
 * creates everything in parallel except along dependencies, so an object that needs another
 * (its Namespace, a CRD's release) without depending on it must not pass by registering later.
 * Throws on a cycle.
 */
export function topologicalOrder(resources: readonly RecordedResource[]): RecordedResource[] {
  const index = new Map(resources.map((r, i) => [r.urn, i]));
  const waiting = resources.map(
    (r) => new Set(r.dependencies.filter((d) => index.has(d) && d !== r.urn)),
  );
  const dependents = new Map<string, number[]>();
  resources.forEach((_, i) => {
    for (const d of waiting[i]) dependents.set(d, [...(dependents.get(d) ?? []), i]);
  });
  const ready = resources.map((_, i) => i).filter((i) => waiting[i].size === 0);
  const out: RecordedResource[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => b - a);
    const i = ready.shift() as number;
    out.push(resources[i]);
    for (const j of dependents.get(resources[i].urn) ?? []) {
      waiting[j].delete(resources[i].urn);
      if (waiting[j].size === 0) ready.push(j);
    }
  }
  if (out.length !== resources.length) {
    const stuck = resources.filter((r) => !out.includes(r)).map((r) => `${r.type} ${r.name}`);
    throw new Error(`dependency cycle among: ${stuck.join(", ")}`);
  }
  return out;
}

interface CrdFact {
  readonly source: string;
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly scope: "Namespaced" | "Cluster";
  readonly versions: readonly { name: string; served: boolean; storage: boolean; schema: Obj }[];
}

interface ReleaseIndex {
  readonly crds: readonly { apiVersions: readonly string[]; kind: string; file: string }[];
  readonly apiVersionAliases?: Record<string, { validateAs: string; source: string }>;
}

export interface CrdSet {
  /** `<chart>@<version>` for each chart whose CRDs these are. */
  readonly releases: readonly string[];
  readonly crds: readonly Obj[];
  /** apiVersion served by an aggregated API server -> the CRD apiVersion applied instead. */
  readonly aliases: ReadonlyMap<string, { apiVersion: string; source: string }>;
  /** Charts tap installs at a version with no recorded CRDs (a test failure). */
  readonly missing: readonly string[];
}

/** facts/crds/<chart>/<version>/<plural>.<group>.json as an apiextensions.k8s.io/v1 CRD. */
export function crdOf(fact: CrdFact, chart: string, version: string): Obj {
  const plural = fact.name.slice(0, fact.name.length - fact.group.length - 1);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: fact.name,
      labels: { "app.kubernetes.io/managed-by": "tap-test" },
      annotations: { "tap.test/source": fact.source, "tap.test/chart": `${chart}@${version}` },
    },
    spec: {
      group: fact.group,
      scope: fact.scope,
      names: {
        plural,
        singular: fact.kind.toLowerCase(),
        kind: fact.kind,
        listKind: `${fact.kind}List`,
      },
      versions: fact.versions.map((v) => ({
        name: v.name,
        served: v.served,
        storage: v.storage,
        schema: { openAPIV3Schema: v.schema },
      })),
    },
  };
}

/** One recorded CRD, e.g. `recordedCrd("keda", "2.20.2", "scaledobjects.keda.sh")`. */
export function recordedCrd(chart: string, version: string, name: string): Obj {
  const file = path.join(FACTS, chart, version, `${name}.json`);
  return crdOf(JSON.parse(fs.readFileSync(file, "utf8")) as CrdFact, chart, version);
}

/** The CRDs of the chart versions tap's Helm releases pin in this synthesis. */
export function crdsFor(resources: readonly RecordedResource[]): CrdSet {
  const releases: string[] = [];
  const crds: Obj[] = [];
  const missing: string[] = [];
  const aliases = new Map<string, { apiVersion: string; source: string }>();
  for (const r of resources.filter((x) => x.type === RELEASE_TYPE)) {
    const chart = chartName(String(r.inputs.chart));
    const version = String(r.inputs.version);
    if (!(CRD_CHARTS as readonly string[]).includes(chart)) continue;
    const factsDir = FACTS_DIR_OF[chart] ?? chart;
    const dir = path.join(FACTS, factsDir, version);
    if (!fs.existsSync(path.join(dir, "index.json"))) {
      missing.push(
        `${chart} ${version} (no facts/crds/${factsDir}/${version}; see facts/crds/README.md)`,
      );
      continue;
    }
    releases.push(`${chart}@${version}`);
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as unknown;
    const index = read("index.json") as ReleaseIndex;
    for (const entry of index.crds) crds.push(crdOf(read(entry.file) as CrdFact, chart, version));
    for (const [alias, { validateAs, source }] of Object.entries(index.apiVersionAliases ?? {}))
      aliases.set(alias, { apiVersion: validateAs, source });
  }
  return { releases, crds, aliases, missing };
}

export interface PlannedObject {
  readonly resource: RecordedResource;
  /** The manifest as applied (apiVersion rewritten when aliased). */
  readonly manifest: Obj;
  /** Set when applied through its CRD equivalent: the apiVersion tap wrote, and why. */
  readonly aliasedFrom?: string;
}

/** tap's manifest for one recorded object, minus SDK-internal keys. */
export function manifestOf(r: RecordedResource): Obj {
  return Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !k.startsWith("__")));
}

/** The Pod a workload's template would create, or undefined for a kind with none. */
export function podOfTemplate(o: Obj): Obj | undefined {
  const spec = isObject(o.spec) ? o.spec : undefined;
  let template: unknown;
  switch (o.kind) {
    case "Deployment":
    case "DaemonSet":
    case "StatefulSet":
    case "ReplicaSet":
    case "Job":
    case "ReplicationController":
      template = spec?.template;
      break;
    case "CronJob":
      template = ((spec?.jobTemplate as Obj | undefined)?.spec as Obj | undefined)?.template;
      break;
    default:
      return undefined;
  }
  if (!isObject(template)) return undefined;
  const md = (o.metadata ?? {}) as Obj;
  const tmd = isObject(template.metadata) ? template.metadata : {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...tmd,
      name: `${String(md.name)}-template`,
      namespace: md.namespace,
    },
    spec: template.spec,
  };
}
