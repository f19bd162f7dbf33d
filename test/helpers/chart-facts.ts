/**
 * Recorded upstream facts about the Helm charts tap pins (facts/charts/<chart>.json, derived by
 * tools/upstream/derive-chart-facts.ts) and the checks that hold tap's Helm releases against them.
 * Pure and offline: no helm, no network. Used by test/unit/upstream/charts.test.ts and by the
 * derivation (which must synthesize tap exactly as the test does).
 */
import * as fs from "fs";
import * as path from "path";
import { TapStack } from "../../lib/tap-stack";
import { isSupportedKubernetesVersion, pinsFor } from "../../lib/addons/versions";
import { mockTap } from "../../tools/offline-mocks";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const FACTS_DIR = path.resolve(__dirname, "../../facts/charts");
export const REDERIVE_COMMAND =
  "HELM=/root/.cache/tap-tools/helm node tools/upstream/run.js (see facts/charts/README.md)";

export type Values = { readonly [key: string]: unknown };

/** One Helm release as tap registers it (resolved under Pulumi mocks). */
export interface TapRelease {
  readonly name: string;
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
  readonly namespace: string;
  readonly values: Values;
}

export interface ImageRef {
  /** Full reference as rendered, e.g. "registry.k8s.io/metrics-server/metrics-server:v0.8.0". */
  readonly ref: string;
  readonly repository: string;
  readonly tag: string;
  /** `sha256:...` when the reference pins a digest (`repo:tag@sha256:...`). */
  readonly digest?: string;
}

export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly string[];
}

/** Facts about one chart version, from its source at a commit or tag. */
export interface ChartVersionFacts {
  /** `owner/repo@<commit-or-tag>:path` of the chart directory. */
  readonly source: string;
  /** The git tag or branch the source commit was read from, when not a packaged .tgz. */
  readonly ref?: string;
  readonly appVersion: string;
  readonly kubeVersion?: string;
  /** Images rendered with the chart's defaults (`helm template --kube-version`). */
  readonly defaultImages: readonly ImageRef[];
  /** Images rendered with tap's values (per Kubernetes minor where they differ). */
  readonly tapImages: { readonly [kubernetesMinor: string]: readonly ImageRef[] };
  readonly crds: readonly Crd[];
  /** For each leaf path tap sets: does a change of it alone change the rendered output? */
  readonly valuesRead: { readonly [leafPath: string]: boolean };
  /** For each read path: the kinds of the rendered objects its change altered. */
  readonly valuesReadInto?: { readonly [leafPath: string]: readonly string[] };
  /**
   * Image defaults of values.yaml by path: `repository`/`tag` (tigera: registry/image + version),
   * `registry` where the chart keeps it beside `repository` (falco's `image.registry`), and
   * `digest` where the chart declares one (karpenter's `controller.image.digest`). The defaults of
   * a vendored subchart are recorded under its name (falco's `falcosidekick.image`), merged with
   * what the parent's values.yaml sets there, as helm coalesces them.
   */
  readonly valuesImages: {
    readonly [path: string]: {
      readonly registry?: string;
      readonly repository?: string;
      readonly tag?: string;
      readonly digest?: string;
    };
  };
  /**
   * Image tags tap may set although the chart neither defaults to nor renders them (the chart's
   * recorded exceptions, each with its reason and evidence): only that tag at that path, the
   * repository (and registry) left as the chart's default, no digest.
   */
  readonly allowedImageOverrides?: readonly AllowedImageOverride[];
  /**
   * Where the chart has no default repository and requires one (opentelemetry-collector:
   * `image.repository` is "" and templates/NOTES.txt fails without it): the repositories the
   * chart's own templates name as its distributions, with where they say so. A repository of the
   * list is accepted there; the tag must still be the chart's default or its appVersion.
   */
  readonly requiredImageRepositories?: readonly RequiredImageRepository[];
  /**
   * What tap's values render, per Kubernetes minor, for the charts whose object names tap relies
   * on elsewhere (falco: the IRSA service account, the rules ConfigMap, falco.yaml's http_output).
   */
  readonly tapRendered?: { readonly [kubernetesMinor: string]: RenderedInventory };
  /**
   * Where another variant's values of the same chart version render differently from
   * `tapRendered` (the first variant of TAP_VARIANTS that installs the chart): variant (as
   * describeVariant says it) -> Kubernetes minor -> what it renders (argo-cd: SSO's oidc.config).
   */
  readonly tapRenderedByVariant?: {
    readonly [variant: string]: { readonly [kubernetesMinor: string]: RenderedInventory };
  };
  /** Leaf paths of the chart's values.yaml whose change alters the rendered output. */
  readonly defaultLeavesRead?: readonly string[];
  /** Leaf paths of values.yaml (so a tap path missing here is one the chart does not declare). */
  readonly defaultLeaves?: readonly string[];
  /** Paths read only into a custom resource the chart renders (e.g. an Installation CR). */
  readonly readOnlyIntoCustomResource?: readonly string[];
  readonly notes?: readonly string[];
}

/** The repositories a chart that requires one names as its own (see requiredImageRepositories). */
export interface RequiredImageRepository {
  /** The values path of the image object (`image`). */
  readonly path: string;
  readonly repositories: readonly string[];
  /** `owner/repo@<commit>:<file>` of the list (at the chart's version). */
  readonly source: string;
}

/** An image tag a chart's facts allow tap to set although the chart does not ship it. */
export interface AllowedImageOverride {
  /** The values path of the image object, as imageOverrides names it (`falcosidekick.image`). */
  readonly path: string;
  /** The one tag allowed there. */
  readonly tag: string;
  /** The chart's default tag there, which the exception replaces (checked when derived). */
  readonly insteadOf: string;
  /** The chart's default repository (and registry) there: an override may not change them. */
  readonly repository?: string;
  readonly registry?: string;
  readonly reason: string;
  /** `owner/repo@<commit>:<file>` of the evidence for the reason (at the allowed tag). */
  readonly source: string;
  /** What that file says at both tags (checked when derived). */
  readonly evidence?: string;
}

/** The objects tap's values render that other parts of tap name (see tapRendered). */
export interface RenderedInventory {
  readonly serviceAccounts: readonly {
    readonly name: string;
    readonly namespace: string;
    readonly annotations: { readonly [key: string]: string };
  }[];
  /** ConfigMaps and the keys of their data (and binaryData). */
  readonly configMaps: readonly { readonly name: string; readonly keys: readonly string[] }[];
  readonly services: readonly { readonly name: string; readonly ports: readonly number[] }[];
  /** Pod templates: the service account each runs as, its images and mounted ConfigMaps. */
  readonly workloads: readonly {
    readonly kind: string;
    readonly name: string;
    readonly serviceAccountName: string;
    readonly images: readonly string[];
    /** ConfigMap name -> the paths it is mounted at (any container). */
    readonly configMapMounts: { readonly [configMap: string]: readonly string[] };
  }[];
  /** Readings particular to the chart (falco: falco.yaml's http_output, rules_files). */
  readonly readings?: { readonly [name: string]: unknown };
}

export interface PublishedVersion {
  readonly version: string;
  readonly appVersion: string;
}

export interface ChartFactsFile {
  readonly chart: string;
  readonly repo: string;
  readonly published: {
    /** `owner/repo@<commit>:index.yaml`, or for tigera-operator the git tags read. */
    readonly source: string;
    readonly versions: readonly PublishedVersion[];
  };
  /** How an image tag tap sets must relate to the chart: "exact" or "same-minor-as-appVersion". */
  readonly imageTagRule: "exact" | "same-minor-as-appVersion";
  readonly imageTagRuleReason?: string;
  /** Where tap's values name this chart's main image: path of the repository and tag leaves. */
  readonly versions: { readonly [version: string]: ChartVersionFacts };
  /** Newest published version per line tap uses (line -> version). */
  readonly newestPerLine?: { readonly [line: string]: string };
}

export function loadChartFacts(chart: string, dir = FACTS_DIR): ChartFactsFile | undefined {
  const file = path.join(dir, `${chart}.json`);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as ChartFactsFile;
}

function isPlainObject(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Renders a key path: dotted, with keys that hold `.`, `/`, `[` or spaces bracket-quoted. */
export function formatPath(keys: readonly string[]): string {
  return keys
    .map((k, i) =>
      /^[A-Za-z0-9_-]+$/.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`,
    )
    .join("");
}

export interface Leaf {
  readonly keys: readonly string[];
  readonly path: string;
  readonly value: unknown;
}

/** Every leaf of `values` (arrays and empty objects are leaves). */
export function leafPaths(values: Values, prefix: readonly string[] = []): Leaf[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const keys = [...prefix, key];
    return isPlainObject(value) && Object.keys(value).length > 0
      ? leafPaths(value, keys)
      : [{ keys, path: formatPath(keys), value }];
  });
}

/** Options of a synthesized tap besides the Kubernetes minor and App Mesh. */
export interface SynthesizeOptions {
  /**
   * Karpenter as the autoscaler: `tap:addons` `{ karpenter: true, clusterAutoscaler: false }`
   * (they conflict). Only with App Mesh off.
   */
  readonly karpenter?: boolean;
  /** The AWS Load Balancer Controller (off by default): `tap:addons` `{ loadBalancerController: true }`. */
  readonly loadBalancerController?: boolean;
  /** ExternalDNS (needs the load balancer controller), with a hosted zone. */
  readonly externalDns?: boolean;
  /** The Secrets Store CSI driver and ASCP (off by default). */
  readonly secretsStore?: boolean;
  /** Istio's ambient mesh (off by default; App Mesh must be off). */
  readonly istio?: boolean;
  /**
   * Kyverno (off by default): `tap:addons` `{ kyverno: true }`. Only on the minors that pin a
   * chart (1.31+; on 1.28 `tap:addons.kyverno` is a config error): see kyvernoOn.
   */
  readonly kyverno?: boolean;
  /** Falco and Falcosidekick (off by default): `tap:addons` `{ falco: true }`. */
  readonly falco?: boolean;
  /**
   * Argo CD (off by default): `tap:addons` `{ argocd: { repoUrl: ARGOCD_REPO_URL } }` (repoUrl is
   * required with it on).
   */
  readonly argocd?: boolean;
  /**
   * With `argocd`: single sign-on and an admin group as well (ARGOCD_SSO: `adminGroup`, `oidc`),
   * which add `configs.cm["oidc.config"]`, a `policy.csv` line and the client secret in
   * `configs.secret.extra` (a Pulumi secret: the release's values arrive wrapped, see
   * unwrapSecrets).
   */
  readonly argocdSso?: boolean;
  /** Argo Rollouts (off by default): `tap:addons` `{ argoRollouts: true }`. */
  readonly argoRollouts?: boolean;
  /** The OpenTelemetry Collector to X-Ray (off by default): `tap:addons` `{ tracing: true }`. */
  readonly tracing?: boolean;
  /**
   * Amazon Managed Prometheus (off by default): `tap:addons` `{ prometheus: true }`, whose
   * kube-state-metrics and collector (the tracing chart, other values) are releases.
   */
  readonly prometheus?: boolean;
  /**
   * The system node class (`tap:nodeClasses` `{ system: true }`): Calico's control plane and
   * cluster-autoscaler select its label and tolerate its taint.
   */
  readonly nodeClassesSystem?: boolean;
}

/** The repository the Argo CD variants deploy from (any valid URL: tap reads it only into CRs). */
export const ARGOCD_REPO_URL = "https://github.com/acme/platform.git";
/** The SSO settings of the Argo CD SSO variant. */
export const ARGOCD_SSO = {
  adminGroup: "platform-admins",
  oidc: { issuer: "https://login.example.com", clientId: "x", clientSecret: "y" },
} as const;

/** The variants of tap the chart facts cover, at every supported Kubernetes minor. */
export interface TapVariant {
  readonly enableAppMesh: boolean;
  readonly karpenter: boolean;
  readonly loadBalancerController: boolean;
  readonly externalDns: boolean;
  readonly secretsStore: boolean;
  readonly istio: boolean;
  readonly kyverno: boolean;
  readonly falco: boolean;
  readonly argocd: boolean;
  readonly argocdSso: boolean;
  readonly argoRollouts: boolean;
  readonly tracing: boolean;
  readonly prometheus: boolean;
  readonly nodeClassesSystem: boolean;
}
const OFF = {
  karpenter: false,
  loadBalancerController: false,
  externalDns: false,
  secretsStore: false,
  istio: false,
  kyverno: false,
  falco: false,
  argocd: false,
  argocdSso: false,
  argoRollouts: false,
  tracing: false,
  prometheus: false,
  nodeClassesSystem: false,
};
export const TAP_VARIANTS: readonly TapVariant[] = [
  { ...OFF, enableAppMesh: true },
  { ...OFF, enableAppMesh: false },
  { ...OFF, enableAppMesh: false, karpenter: true },
  // Traffic in and secrets: the load balancer controller, ExternalDNS and the secrets store.
  {
    ...OFF,
    enableAppMesh: false,
    loadBalancerController: true,
    externalDns: true,
    secretsStore: true,
    // and the mesh that exists today, Istio ambient.
    istio: true,
  },
  // Admission policy: Kyverno (where a chart is pinned). tap:addons.kyverno.cosignPublicKey adds a
  // policy (a custom resource), not a Helm value, so this one variant covers the chart.
  { ...OFF, enableAppMesh: false, kyverno: true },
  // Runtime detection: Falco and its Falcosidekick (the same chart on every minor, 1.28 included).
  { ...OFF, enableAppMesh: false, falco: true },
  // GitOps: Argo CD with only its required repoUrl, then with SSO (OIDC) and an admin group,
  // which set value paths the first does not (the same chart pins on every minor, 1.28 included).
  { ...OFF, enableAppMesh: false, argocd: true },
  { ...OFF, enableAppMesh: false, argocd: true, argocdSso: true },
  // Progressive delivery: Argo Rollouts (its canary is custom resources, not Helm values).
  { ...OFF, enableAppMesh: false, argoRollouts: true },
  // Traces: the OpenTelemetry Collector to X-Ray (its sampling ratio is the services' env only).
  { ...OFF, enableAppMesh: false, tracing: true },
  // Metrics: Amazon Managed Prometheus (kube-state-metrics, and the collector chart as a scraper).
  { ...OFF, enableAppMesh: false, prometheus: true },
  // Node classes: the system class's selector and toleration on the critical add-ons.
  { ...OFF, enableAppMesh: false, nodeClassesSystem: true },
];

/**
 * Whether a variant installs Kyverno on `kubernetesVersion`: asked for, and a chart pinned for the
 * minor (none on 1.28, where tap:addons.kyverno is refused; the variant is then tap without it).
 */
export const kyvernoOn = (kubernetesVersion: string, options: SynthesizeOptions): boolean =>
  options.kyverno === true &&
  isSupportedKubernetesVersion(kubernetesVersion) &&
  pinsFor(kubernetesVersion).kyverno !== undefined;
export const describeVariant = (v: TapVariant): string =>
  `enableAppMesh=${v.enableAppMesh}` +
  (v.karpenter ? ", addons.karpenter=true (clusterAutoscaler off)" : "") +
  (v.loadBalancerController ? ", addons.loadBalancerController=true" : "") +
  (v.externalDns ? ", addons.externalDns=true" : "") +
  (v.secretsStore ? ", addons.secretsStore=true" : "") +
  (v.istio ? ", addons.istio=true" : "") +
  (v.kyverno ? ", addons.kyverno=true (1.31+)" : "") +
  (v.falco ? ", addons.falco=true" : "") +
  (v.argocd ? `, addons.argocd={repoUrl${v.argocdSso ? ", adminGroup, oidc" : ""}}` : "") +
  (v.argoRollouts ? ", addons.argoRollouts=true" : "") +
  (v.tracing ? ", addons.tracing=true" : "") +
  (v.prometheus ? ", addons.prometheus=true" : "") +
  (v.nodeClassesSystem ? ", nodeClasses={system}" : "");

/**
 * A Release's chart and repository as a Helm repository names them: `oci://<registry>/<path>/<name>`
 * (tap's OCI pins, lib/addons/helm-addon.ts chartSource) is chart `<name>` of repo
 * `oci://<registry>/<path>`; otherwise `chart` with `repositoryOpts.repo`.
 */
export function chartAndRepo(chart: string, repo: string): { chart: string; repo: string } {
  if (!chart.startsWith("oci://")) return { chart, repo };
  const slash = chart.lastIndexOf("/");
  return { chart: chart.slice(slash + 1), repo: chart.slice(0, slash) };
}

/** Synthesizes the whole TapStack under mocks and returns its Helm releases. */
export async function synthesizeReleases(
  kubernetesVersion: string,
  enableAppMesh: boolean,
  options: SynthesizeOptions = {},
): Promise<TapRelease[]> {
  if (options.karpenter && enableAppMesh) {
    throw new Error("synthesizeReleases: the Karpenter variant is synthesized with App Mesh off");
  }
  const addons = {
    ...(options.karpenter ? { karpenter: true, clusterAutoscaler: false } : {}),
    ...(options.loadBalancerController ? { loadBalancerController: true } : {}),
    ...(options.externalDns ? { externalDns: { hostedZoneId: "Z0123456789ABCDEFGHIJ" } } : {}),
    ...(options.secretsStore ? { secretsStore: true } : {}),
    ...(options.istio ? { istio: true } : {}),
    ...(kyvernoOn(kubernetesVersion, options) ? { kyverno: true } : {}),
    ...(options.falco ? { falco: true } : {}),
    ...(options.argocd
      ? { argocd: { repoUrl: ARGOCD_REPO_URL, ...(options.argocdSso ? ARGOCD_SSO : {}) } }
      : {}),
    ...(options.argoRollouts ? { argoRollouts: true } : {}),
    ...(options.tracing ? { tracing: true } : {}),
    ...(options.prometheus ? { prometheus: true } : {}),
  };
  // No `addons` key at all unless a variant switches one (the specification's stack).
  const config = {
    kubernetesVersion,
    enableAppMesh,
    ...(Object.keys(addons).length > 0 ? { addons } : {}),
    ...(options.nodeClassesSystem ? { nodeClasses: { system: true } } : {}),
  };
  const { resources } = await mockTap(
    () => new TapStack("tap", { config, context: { stackName: "dev" } }),
  );
  return resources
    .filter((r) => r.type === RELEASE_TYPE)
    .map((r) => ({
      name: String(r.inputs.name ?? r.name),
      ...chartAndRepo(
        String(r.inputs.chart),
        String((r.inputs.repositoryOpts as { repo?: unknown } | undefined)?.repo ?? ""),
      ),
      version: String(r.inputs.version),
      namespace: String(r.inputs.namespace ?? "default"),
      values: unwrapSecrets(r.inputs.values ?? {}) as Values,
    }));
}

/** The key and value that mark a Pulumi secret in serialized inputs (`{ <sig>: <secret>, value }`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/**
 * `value` with every Pulumi secret replaced by what it holds: a value that holds a secret (Argo
 * CD's `configs.secret.extra`, from `pulumi.secret`) makes the whole of a release's `values` one
 * secret under the mocks, and Helm receives the plain values.
 */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value !== "object" || value === null) return value;
  const o = value as Record<string, unknown>;
  if (o[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/**
 * Image overrides tap sets: every object in the values with a string `tag` (and maybe
 * `repository`, `registry`, `digest`).
 */
export interface ImageOverride {
  readonly path: string;
  readonly repository?: string;
  readonly registry?: string;
  readonly tag: string;
  readonly digest?: string;
}

export function imageOverrides(values: Values, prefix: readonly string[] = []): ImageOverride[] {
  const out: ImageOverride[] = [];
  const here = values as { [k: string]: unknown };
  // The tigera-operator chart splits its image: tigeraOperator.{registry,image,version}.
  if (typeof here.version === "string" && typeof here.image === "string") {
    out.push({
      path: formatPath(prefix),
      repository: `${String(here.registry ?? "")}${here.registry ? "/" : ""}${here.image}`,
      tag: here.version,
    });
  } else if (typeof here.tag === "string" || typeof here.repository === "string") {
    out.push({
      path: formatPath(prefix),
      repository: typeof here.repository === "string" ? here.repository : undefined,
      tag: typeof here.tag === "string" ? here.tag : "",
      ...(typeof here.registry === "string" ? { registry: here.registry } : {}),
      ...(typeof here.digest === "string" ? { digest: here.digest } : {}),
    });
  }
  for (const [key, value] of Object.entries(values)) {
    if (isPlainObject(value)) out.push(...imageOverrides(value, [...prefix, key]));
  }
  return out;
}

const minorOf = (v: string): string | undefined => /^v?(\d+\.\d+)/.exec(v)?.[1];
const stripV = (v: string): string => v.replace(/^v/, "");

export interface ReleaseProblems {
  /** The version is not in the chart's recorded published list. */
  readonly published: string[];
  /** No facts recorded for the chart or for chart@version. */
  readonly facts: string[];
  /** Value paths tap sets that the chart does not read (or that were never checked). */
  readonly values: string[];
  /** Image overrides that match no image the chart renders, nor its appVersion. */
  readonly images: string[];
}

/** Problems of one release against its chart's facts, by kind (all empty = ok). */
export function releaseProblems(
  release: TapRelease,
  facts: ChartFactsFile | undefined,
  context: string,
): ReleaseProblems {
  const out: ReleaseProblems = { published: [], facts: [], values: [], images: [] };
  const where = `${context}: release "${release.name}" (${release.chart}@${release.version})`;
  const rederive = `re-derive with: ${REDERIVE_COMMAND}`;
  if (!facts) {
    out.facts.push(`${where}: no facts/charts/${release.chart}.json; ${rederive}`);
    return out;
  }
  const published = facts.published.versions.map((v) => v.version);
  if (!published.includes(release.version)) {
    out.published.push(
      `${where}: version ${release.version} is not published in ${facts.published.source} ` +
        `(newest: ${published.slice(0, 5).join(", ")})`,
    );
  }
  const vf = facts.versions[release.version];
  if (!vf) {
    out.facts.push(`${where}: no facts for ${release.chart}@${release.version}; ${rederive}`);
    return out;
  }
  for (const leaf of leafPaths(release.values)) {
    const read = vf.valuesRead[leaf.path];
    if (read === undefined) {
      if (vf.defaultLeavesRead?.includes(leaf.path)) continue;
      out.values.push(
        vf.defaultLeavesRead && vf.defaultLeaves?.includes(leaf.path)
          ? `${where}: value path ${leaf.path} is a values.yaml default the chart does NOT read ` +
              `with tap's values (${vf.source}); ${rederive} after fixing lib/addons`
          : `${where}: value path ${leaf.path} was never checked against the chart ` +
              `(not in the recorded valuesRead nor defaultLeavesRead); ${rederive}`,
      );
    } else if (!read) {
      out.values.push(
        `${where}: value path ${leaf.path} is NOT read by the chart's templates (${vf.source}): ` +
          `changing or removing it renders nothing different; ${rederive} after fixing lib/addons`,
      );
    }
  }
  for (const img of imageOverrides(release.values)) {
    const problem = checkImage(img, vf, facts.imageTagRule);
    if (problem) out.images.push(`${where}: image ${img.path}: ${problem}`);
  }
  return out;
}

/** Every problem of one release (empty = ok). */
export function checkRelease(
  release: TapRelease,
  facts: ChartFactsFile | undefined,
  context: string,
): string[] {
  const p = releaseProblems(release, facts, context);
  return [...p.published, ...p.facts, ...p.values, ...p.images];
}

/**
 * Why an image override does not fit the chart, or undefined when it does. The repository must be
 * the chart's default at that values path, one the chart renders by default, or one of the
 * distributions a chart that requires a repository names (`requiredImageRepositories`); a digest must be
 * the chart's default there or one it renders for that repository; the tag must be the chart's
 * default there, a tag it renders for that repository, or its appVersion (with
 * "same-minor-as-appVersion": any tag of the appVersion's minor), or the one tag an entry of
 * `allowedImageOverrides` allows at that path (repository and registry unchanged, no digest). A
 * registry tap sets must be the chart's default there (with the default repository) or make an
 * image the chart renders by default (`<registry>/<repository>`).
 */
export function checkImage(
  img: ImageOverride,
  vf: ChartVersionFacts,
  rule: ChartFactsFile["imageTagRule"],
): string | undefined {
  const declared = vf.valuesImages[img.path];
  const required = vf.requiredImageRepositories?.find((r) => r.path === img.path);
  const renderedRepos = [
    ...new Set([...vf.defaultImages.map((r) => r.repository), ...(required?.repositories ?? [])]),
  ];
  if (!declared && !(img.repository && renderedRepos.includes(img.repository))) {
    return `the chart's values.yaml declares no image at ${img.path} (images: ${Object.keys(vf.valuesImages).join(", ")})`;
  }
  if (
    img.repository &&
    img.repository !== declared?.repository &&
    !renderedRepos.includes(img.repository)
  ) {
    return (
      `repository ${img.repository} is neither the chart's default there (${declared?.repository ?? "none"}) ` +
      `nor an image it renders (${renderedRepos.join(", ")})`
    );
  }
  const repo = img.repository ?? declared?.repository;
  const full = img.registry !== undefined ? `${img.registry}/${repo ?? ""}` : undefined;
  if (full !== undefined) {
    const asDefault =
      declared?.registry !== undefined &&
      img.registry === declared.registry &&
      repo === declared.repository;
    if (!asDefault && !renderedRepos.includes(full)) {
      return (
        `registry ${String(img.registry)} makes ${full}, neither the chart's default there ` +
        `(${declared?.registry ?? "no registry"}/${declared?.repository ?? "none"}) nor an image ` +
        `it renders (${renderedRepos.join(", ")})`
      );
    }
  }
  const renderedOfRepo = vf.defaultImages.filter((r) =>
    full !== undefined
      ? r.repository === full
      : repo === undefined || r.repository === repo || r.repository.endsWith(`/${repo}`),
  );
  if (img.digest) {
    // A digest pins the image whatever the tag says: it must be the one the chart ships.
    const digests = [
      declared?.digest,
      ...renderedOfRepo.map((r) => r.digest ?? r.ref.split("@")[1]),
    ].filter((d): d is string => typeof d === "string" && d !== "");
    if (!digests.includes(img.digest)) {
      return (
        `digest ${img.digest} is not one the chart ships for ${repo ?? "that repository"} ` +
        `(${[...new Set(digests)].join(", ") || "none"}): a digest pins the image whatever the tag says`
      );
    }
  }
  if (!img.tag) return undefined;
  const renderedTags = renderedOfRepo.map((r) => r.tag);
  const allowed = [declared?.tag, ...renderedTags, vf.appVersion].filter(
    (t): t is string => typeof t === "string" && t !== "",
  );
  if (allowed.some((t) => stripV(t) === stripV(img.tag))) return undefined;
  if (rule === "same-minor-as-appVersion" && minorOf(img.tag) === minorOf(vf.appVersion)) {
    return undefined;
  }
  const exception = vf.allowedImageOverrides?.find(
    (e) =>
      e.path === img.path &&
      e.tag === img.tag &&
      (img.repository === undefined || img.repository === e.repository) &&
      (img.registry === undefined || img.registry === e.registry) &&
      img.digest === undefined,
  );
  if (exception) return undefined;
  const listed = vf.allowedImageOverrides?.filter((e) => e.path === img.path) ?? [];
  return (
    `tag ${img.tag} is neither the chart's default (${[...new Set(allowed.slice(0, -1))].join(", ") || "none"}) ` +
    `nor its appVersion ${vf.appVersion}` +
    (rule === "same-minor-as-appVersion" ? ` (nor of minor ${minorOf(vf.appVersion)})` : "") +
    (listed.length
      ? ` (nor the recorded exception there: ${listed.map((e) => `tag ${e.tag}, repository ${e.registry ? `${e.registry}/` : ""}${e.repository ?? "default"}`).join("; ")})`
      : "")
  );
}
