/**
 * Derives facts/charts/<chart>.json from upstream snapshots (git dirs under /work/.mirror, brought
 * by the workplace's `fetch`) and a helm binary ($HELM). Never run in CI. Usage:
 *
 *   HELM=/root/.cache/tap-tools/helm node tools/upstream/run.js derive-chart-facts.ts [chart...]
 *
 * For every chart tap pins it records: the published versions (the Helm repository index as kept
 * in git; for OCI charts without an index, the release tags that hold the chart), and for each
 * version tap pins, will pin (EXTRA_VERSIONS) or could move to (the newest of each line tap uses):
 * source, appVersion, rendered images, CRDs, and which of tap's value leaves the templates read
 * (render with tap's values, re-render with one leaf changed: a read leaf changes the output).
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import {
  AllowedImageOverride,
  ChartFactsFile,
  ChartVersionFacts,
  Crd,
  FACTS_DIR,
  ImageRef,
  PublishedVersion,
  RenderedInventory,
  RequiredImageRepository,
  TAP_VARIANTS,
  TapRelease,
  Values,
  describeVariant,
  formatPath,
  imageOverrides,
  leafPaths,
} from "../../test/helpers/chart-facts";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/addons/versions";
import { dumpTapReleases } from "./dump-tap-releases";

const run = promisify(execFile);
const MIRROR = process.env.TAP_MIRROR ?? "/work/.mirror";
const HELM = process.env.HELM ?? "helm";
const CONCURRENCY = Number(process.env.TAP_DERIVE_JOBS ?? 2);

/** Versions derived besides the pinned ones: the previous pins and the announced next ones. */
const EXTRA_VERSIONS: Record<string, string[]> = {
  "aws-for-fluent-bit": ["0.2.0", "0.2.1"],
  "appmesh-controller": ["1.13.1", "1.13.3"],
};

type Line = (v: PublishedVersion) => string;
const minor = (s: string): string => (/^v?(\d+\.\d+)/.exec(s) ?? ["", s])[1];

interface IndexSource {
  readonly kind: "index";
  readonly ownerRepo: string;
  readonly ref: string;
  readonly file: string;
}
interface CalicoSource {
  readonly kind: "calico-tags";
}
/**
 * Charts whose Helm index git does not keep (OCI charts; Istio's GCS bucket): every release tag
 * `<tagPrefix>X.Y.Z` (>= `minVersion`) of `ownerRepo` whose tree has `<chartPath>/Chart.yaml`.
 * Karpenter's release workflow runs on exactly such `vX.Y.Z` tags (`.github/workflows/release.yaml`);
 * Istio's release-builder creates the bare `X.Y.Z` tags when it publishes. `-rc.N`, `-beta.N` and
 * other tags are not listed.
 */
interface ReleaseTagsSource {
  readonly kind: "release-tags";
  readonly chartPath: string;
  readonly minVersion: string;
  /** What precedes X.Y.Z in the tag name: `v` when absent (karpenter), `""` for Istio. */
  readonly tagPrefix?: string;
  /** The file that stamps and packages the chart of a tag (cited in the published source). */
  readonly packagedBy: string;
  /**
   * The tag's Chart.yaml is packaged as it is (chart-releaser: kube-state-metrics): its
   * `version` must be the tag's and its `appVersion` is the published one. Otherwise the release
   * stamps version = appVersion = the tag (karpenter, Istio).
   */
  readonly chartYamlAsTagged?: boolean;
  /**
   * Where the publication of each version is recorded (Istio: the release-builder branch's
   * `release/trigger-publish` commits). A tag without such a record is left out and named.
   */
  readonly publishedBy?: ReleaseBuilder;
}

/**
 * What a release script writes into the tag's chart before `helm package` (karpenter: hack/release
 * /common.sh yq-sets Chart.yaml version/appVersion = the tag without `v`, and the controller image
 * in values.yaml). The values come from the commit the script leaves (hack/release/stable-pr.sh:
 * a child of the tag commit with that subject, on branch `release-<tag>`): the files it commits are
 * the ones it packaged.
 */
interface ReleaseStamp {
  /** Subject of the release script's commit for a tag. */
  readonly commitSubject: (tag: string) => string;
  /** values.yaml leaves the script sets (read from its commit), e.g. controller.image.digest. */
  readonly valuesPaths?: readonly (readonly string[])[];
  /** Files of the chart directory the script may change (any other change is an error). */
  readonly files: readonly string[];
  /**
   * Where else the repository records the stamped values (karpenter: main's "docs: update for
   * patch release" commits): each is compared with the release commit and a mismatch noted.
   */
  readonly crossCheckRef?: string;
}

/**
 * A dependency the chart's Chart.yaml declares whose chart git does not hold (`helm dependency
 * build` fetches it into charts/ when the chart is packaged). `helm template` refuses a chart
 * directory whose declared dependency is missing from charts/, even when its `condition` is
 * false, so the version Chart.lock pins is extracted as the SPECS entry `chart` extracts its
 * versions (package or tag directory, checked the same way) into `charts/<name>` first.
 *
 * Without a Chart.lock entry (falco: the chart's .gitignore lists Chart.lock, and chart-releaser
 * packages with the dependencies updated from the repository), the version is the one
 * `helm package --dependency-update` would have picked when the package was made: the newest
 * stable version of the dependency's index that satisfies Chart.yaml's constraint (`0.12.*`,
 * `^1`, `~1.2`, ranges) and whose `created` precedes the chart version's own `created` there.
 */
interface VendoredDependency {
  /** The dependency's `name` in Chart.yaml and Chart.lock. */
  readonly name: string;
  /** The SPECS entry of the dependency's chart; its `repo` must be Chart.lock's `repository`. */
  readonly chart: string;
}

/**
 * istio/release-builder builds and publishes Istio (release/build.sh, release/publish.sh on the
 * `release-X.Y` branch; a commit writing the version into `release/trigger-build` runs the build,
 * one writing it into `release/trigger-publish` publishes that build). Before `helm package` the
 * build stamps every chart of the istio tree it builds (pkg/build/helm.go `stampChartForRelease`,
 * called by `SanitizeAllCharts` in pkg/build/build.go): Chart.yaml `version` = `appVersion` = the
 * release version (the whole file re-marshalled); in values.yaml, by plain text replacement,
 * `hub: <h>` / `"hub": "<h>"` for each `<h>` of its `hubs` list becomes the manifest's `docker`
 * hub (release/build.sh `DOCKER_HUB`, default in the script), and each `tagRegexes` /
 * `quotedTagRegexes` match becomes `tag: <version>` / `"tag": "<version>"`. The publish step then
 * tags istio at the commit it built (pkg/publish/github.go), so the tag's chart directory is the
 * input of the stamp. Every one of those rules is read from the release-builder commit that
 * triggered the build of the version, and its shape asserted: a change in release-builder fails
 * the derivation instead of stamping the wrong hub.
 */
interface ReleaseBuilder {
  readonly ownerRepo: string;
  /** The release-builder branch that built a version (`release-1.30` for 1.30.3). */
  readonly branch: (version: string) => string;
}

/**
 * An image tag tap sets that the chart neither defaults to nor renders, allowed for these chart
 * versions only, with its reason and evidence (both checked when derived): recorded as the
 * version's `allowedImageOverrides`, which the test's checkImage honours for exactly that tag at
 * that path, the repository left as the chart's default.
 */
interface ImageOverrideException {
  readonly chartVersions: readonly string[];
  /** The values path of the image object (`falcosidekick.image`). */
  readonly path: string;
  readonly tag: string;
  /** The chart's default tag at `path` (the derivation fails when the default is another). */
  readonly insteadOf: string;
  readonly reason: string;
  /**
   * The evidence: `file` of `ownerRepo` at the tag `tag` holds every `after` text, and at the
   * tag `insteadOf` every `before` text (the derivation fails otherwise).
   */
  readonly evidence: {
    readonly ownerRepo: string;
    readonly file: string;
    readonly before: readonly string[];
    readonly after: readonly string[];
  };
}

interface ChartSpec {
  readonly chart: string;
  readonly repo: string;
  readonly ownerRepo: string;
  readonly published: IndexSource | CalicoSource | ReleaseTagsSource;
  /**
   * Where the chart of a version is: the packaged .tgz the index names (kept in git), else a
   * directory at a git ref (the first path that exists), else `unpublished` (a branch whose
   * history holds a Chart.yaml of that version).
   */
  readonly tgzRef?: string;
  readonly tgzDir?: string;
  readonly dirAt?: (version: string) => { ref: string; paths: string[] };
  readonly unpublishedAt?: { ref: string; path: string };
  /** The Chart.yaml in git carries a placeholder version (tigera-operator: set when packaged). */
  readonly placeholderVersion?: boolean;
  /** The release script stamps the chart of the tag before packaging it (karpenter). */
  readonly stamp?: ReleaseStamp;
  /** istio/release-builder stamps the chart of the tag before packaging it (Istio). */
  readonly releaseBuilder?: ReleaseBuilder;
  /**
   * values.yaml keeps every default under this one key, which the templates merge the user's
   * values over (Istio: `_internal_defaults_do_not_set`, templates/zzz_profile.yaml): defaultLeaves,
   * defaultLeavesRead and valuesImages are recorded as the user addresses them, without the key.
   */
  readonly valuesUnder?: string;
  /**
   * Dependencies git does not hold, vendored before rendering at their Chart.lock version (without
   * a lock: the newest version satisfying Chart.yaml's constraint published before the chart).
   */
  readonly dependencies?: readonly VendoredDependency[];
  /**
   * The chart has no default repository at `path` and requires one: the repositories it accepts
   * are the names listed in the `define` block of `file` (chart directory), each prefixed with
   * `prefix`, which `prefixEvidence` of the chart directory must show (`<prefix><name>`).
   */
  readonly requiredImageRepository?: {
    readonly path: string;
    readonly file: string;
    readonly define: string;
    readonly prefix: string;
    readonly prefixEvidence: string;
  };
  /** Image tags tap may set that the chart does not ship (each with reason and evidence). */
  readonly imageOverrides?: readonly ImageOverrideException[];
  /**
   * Record what tap's values render (`tapRendered`: service accounts, ConfigMaps, Services, pod
   * templates), for charts whose object names tap relies on elsewhere; `readings` adds readings
   * particular to the chart.
   */
  readonly inventory?: {
    readonly readings?: (docs: readonly Record<string, unknown>[]) => Record<string, unknown>;
  };
  /** The line a version belongs to (newest-per-line is reported per line). */
  readonly line: Line;
  /** Lines tap should have besides those of its pins (newest-per-line reports them too). */
  readonly wantedLines?: (
    published: readonly PublishedVersion[],
    pinnedLines: string[],
  ) => string[];
  readonly imageTagRule: ChartFactsFile["imageTagRule"];
  readonly imageTagRuleReason?: string;
}

/** The distinct lines newer than every pinned line. */
function newerLines(lines: readonly string[], pinned: readonly string[]): string[] {
  const newest = [...pinned].sort(semverCmpLine).pop();
  return [...new Set(lines)].filter((l) => newest === undefined || semverCmpLine(l, newest) > 0);
}

/** What the charts of falcosecurity/charts share: the repository, its index, the tag rule. */
const FALCOSECURITY = {
  repo: "https://falcosecurity.github.io/charts",
  ownerRepo: "falcosecurity/charts",
  published: {
    kind: "index",
    ownerRepo: "falcosecurity/charts",
    ref: "gh-pages",
    file: "index.yaml",
  },
  imageTagRule: "exact",
} as const;

/**
 * falco's readings of tap's render: falco.yaml (the ConfigMap that holds it) as Falco reads it:
 * where http_output sends events (the chart points it at Falcosidekick when
 * falcosidekick.enabled: templates/_helpers.tpl falco.falcosidekickConfig), the rules files and
 * the rule matching.
 */
function falcoReadings(docs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const cm = docs.find(
    (d) =>
      d.kind === "ConfigMap" &&
      typeof (d.data as Record<string, unknown> | undefined)?.["falco.yaml"] === "string",
  );
  if (!cm) return { "falco.yaml": null };
  const text = (cm.data as Record<string, string>)["falco.yaml"];
  const y = (YAML.parse(text) ?? {}) as Record<string, unknown>;
  const pick = (k: string): unknown => (k in y ? y[k] : null);
  return {
    "falco.yaml": {
      configMap: String((cm.metadata as { name?: unknown } | undefined)?.name ?? ""),
      http_output: pick("http_output"),
      json_output: pick("json_output"),
      json_include_output_property: pick("json_include_output_property"),
      rules_files: pick("rules_files"),
      rule_matching: pick("rule_matching"),
    },
  };
}

type Doc = Record<string, unknown>;
const metaOf = (d: Doc): { name?: unknown; labels?: Record<string, unknown> } =>
  (d.metadata ?? {}) as { name?: unknown; labels?: Record<string, unknown> };

/** The pod template's spec of a workload (CronJob: its job template's), or undefined. */
function podSpecOf(d: Doc): Doc | undefined {
  const spec = d.spec as Doc | undefined;
  const t = d.kind === "CronJob" ? ((spec?.jobTemplate as Doc | undefined)?.spec as Doc) : spec;
  if (d.kind === "Pod") return spec;
  return (t?.template as Doc | undefined)?.spec as Doc | undefined;
}

/** Volume sources the Pod Security Standard "restricted" allows (every other one is refused). */
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * What of a pod template the Pod Security Standard "restricted" (Kubernetes >= 1.25) refuses, as
 * the admission's checks read it: host namespaces, privileged, host ports, volume types (hostPath
 * among them), allowPrivilegeEscalation != false, runAsNonRoot (pod or container level, a
 * container's false wins), runAsUser 0, seccompProfile RuntimeDefault/Localhost (pod or
 * container level; Unconfined refused), capabilities (drop ALL; add only NET_BIND_SERVICE). One
 * line per violation, `<container>: <what>`; empty = admitted.
 */
export function restrictedViolations(pod: Doc): string[] {
  const out: string[] = [];
  const psc = (pod.securityContext ?? {}) as Doc;
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[k] === true) out.push(`pod: ${k}`);
  for (const v of (pod.volumes ?? []) as Doc[]) {
    const kind = Object.keys(v).find((k) => k !== "name");
    if (kind && !RESTRICTED_VOLUMES.has(kind)) out.push(`pod: volume ${String(v.name)} is ${kind}`);
  }
  const podSeccomp = (psc.seccompProfile as Doc | undefined)?.type;
  if (podSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(String(podSeccomp)))
    out.push(`pod: seccompProfile ${String(podSeccomp)}`);
  if (psc.runAsUser === 0) out.push("pod: runAsUser 0");
  const containers = [
    ...((pod.initContainers ?? []) as Doc[]).map((c) => ({ c, init: true })),
    ...((pod.containers ?? []) as Doc[]).map((c) => ({ c, init: false })),
  ];
  for (const { c, init } of containers) {
    const name = `${init ? "init " : ""}${String(c.name)}`;
    const sc = (c.securityContext ?? {}) as Doc;
    const caps = (sc.capabilities ?? {}) as { drop?: unknown[]; add?: unknown[] };
    if (sc.privileged === true) out.push(`${name}: privileged`);
    if (((c.ports ?? []) as Doc[]).some((p) => p.hostPort !== undefined && p.hostPort !== 0))
      out.push(`${name}: hostPort`);
    if (sc.allowPrivilegeEscalation !== false)
      out.push(`${name}: allowPrivilegeEscalation is not false`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) out.push(`${name}: runAsNonRoot is not true (pod or container)`);
    if (sc.runAsUser === 0) out.push(`${name}: runAsUser 0`);
    const seccomp = (sc.seccompProfile as Doc | undefined)?.type ?? podSeccomp;
    if (!["RuntimeDefault", "Localhost"].includes(String(seccomp)))
      out.push(`${name}: seccompProfile is ${String(seccomp ?? "unset")} (pod or container)`);
    if (!(caps.drop ?? []).map(String).includes("ALL"))
      out.push(`${name}: capabilities drop ALL missing`);
    const added = (caps.add ?? []).map(String).filter((x) => x !== "NET_BIND_SERVICE");
    if (added.length) out.push(`${name}: capabilities add ${added.join(", ")}`);
  }
  return out;
}

/**
 * opentelemetry-collector's readings of tap's render: the Services (name, type, ports: the
 * catalog's OTLP endpoint), the Deployment's pod labels (the services' egress peer) and replicas,
 * each container's args (which configuration file it runs), the configuration the ConfigMaps
 * carry (parsed: the receivers, exporters and pipelines tap wrote), the PodDisruptionBudget, and
 * what the Pod Security Standard "restricted" would refuse of each pod template.
 */
function collectorReadings(docs: readonly Doc[]): Record<string, unknown> {
  const pss: Record<string, string[]> = {};
  const pods: Record<string, unknown> = {};
  for (const d of docs) {
    const pod = podSpecOf(d);
    if (!pod) continue;
    const key = `${String(d.kind)}/${String(metaOf(d).name)}`;
    pss[key] = restrictedViolations(pod);
    const spec = (d.spec ?? {}) as { replicas?: unknown; template?: { metadata?: Doc } };
    pods[key] = {
      replicas: spec.replicas ?? null,
      labels: (spec.template?.metadata?.labels ?? {}) as Doc,
      containers: ((pod.containers ?? []) as Doc[]).map((c) => ({
        name: String(c.name),
        args: ((c.args ?? []) as unknown[]).map(String),
      })),
    };
  }
  const services = docs
    .filter((d) => d.kind === "Service")
    .map((d) => {
      const spec = (d.spec ?? {}) as { type?: unknown; ports?: Doc[]; selector?: Doc };
      return {
        name: String(metaOf(d).name),
        type: String(spec.type ?? "ClusterIP"),
        selector: spec.selector ?? {},
        ports: (spec.ports ?? []).map((p) => ({
          name: String(p.name ?? ""),
          port: Number(p.port),
          protocol: String(p.protocol ?? "TCP"),
        })),
      };
    });
  const configs: Record<string, Record<string, unknown>> = {};
  for (const d of docs.filter((x) => x.kind === "ConfigMap")) {
    for (const [k, v] of Object.entries((d.data ?? {}) as Doc)) {
      (configs[String(metaOf(d).name)] ??= {})[k] = YAML.parse(String(v)) as unknown;
    }
  }
  const pdbs = docs
    .filter((d) => d.kind === "PodDisruptionBudget")
    .map((d) => ({ name: String(metaOf(d).name), spec: d.spec ?? {} }));
  // What the chart's ClusterRoles grant (kube-state-metrics' follow its collectors; the collector's
  // are tap's clusterRole.rules).
  const clusterRoles = Object.fromEntries(
    docs
      .filter((d) => d.kind === "ClusterRole")
      .map((d) => [String(metaOf(d).name), (d.rules ?? []) as unknown]),
  );
  return { services, pods, configs, pdbs, pss, clusterRoles };
}

/**
 * argo-cd's readings of tap's render: what tap relies on elsewhere and what its values are for.
 * The API server's Service (tap's port-forward line: `svc/<release>-server` port 443), argocd-cm
 * (`admin.enabled`, `oidc.config`, `url`), argocd-rbac-cm (tap's `policy.default`, `policy.csv`,
 * `scopes`), the keys of argocd-secret (never their values), where the components find Redis
 * (argocd-cmd-params-cm `redis.server`), and what the Pod Security Standard "restricted" would
 * refuse of each pod template (tap labels the namespace so): `<Kind>/<name>` -> violations.
 */
function argoCdReadings(docs: readonly Doc[]): Record<string, unknown> {
  const named = (kind: string, name: string): Doc | undefined =>
    docs.find((d) => d.kind === kind && metaOf(d).name === name);
  const data = (d: Doc | undefined): Record<string, string> | null =>
    d
      ? Object.fromEntries(Object.entries((d.data ?? {}) as Doc).map(([k, v]) => [k, String(v)]))
      : null;
  const cm = data(named("ConfigMap", "argocd-cm"));
  const secret = named("Secret", "argocd-secret");
  const server = docs.find(
    (d) => d.kind === "Service" && metaOf(d).labels?.["app.kubernetes.io/component"] === "server",
  );
  const serverSpec = (server?.spec ?? {}) as { type?: unknown; ports?: Doc[] };
  const pss: Record<string, string[]> = {};
  for (const d of docs) {
    const pod = podSpecOf(d);
    if (pod) pss[`${String(d.kind)}/${String(metaOf(d).name)}`] = restrictedViolations(pod);
  }
  return {
    server: server
      ? {
          service: String(metaOf(server).name),
          type: String(serverSpec.type ?? "ClusterIP"),
          ports: (serverSpec.ports ?? []).map((p) => ({
            name: String(p.name ?? ""),
            port: Number(p.port),
            targetPort: String(p.targetPort ?? ""),
          })),
        }
      : null,
    "argocd-cm": cm
      ? {
          keys: Object.keys(cm).sort(),
          "admin.enabled": cm["admin.enabled"] ?? null,
          "oidc.config": cm["oidc.config"] ?? null,
          // Argo CD's external URL: SSO's redirect URI is <url>/auth/callback (the chart's
          // presets make it https://<global.domain> unless configs.cm.url is set).
          url: cm.url ?? null,
        }
      : null,
    "argocd-rbac-cm": data(named("ConfigMap", "argocd-rbac-cm")),
    "argocd-secret": secret
      ? {
          keys: [
            ...Object.keys((secret.data ?? {}) as object),
            ...Object.keys((secret.stringData ?? {}) as object),
          ].sort(),
        }
      : null,
    "argocd-cmd-params-cm": (() => {
      const p = data(named("ConfigMap", "argocd-cmd-params-cm"));
      return p ? { "redis.server": p["redis.server"] ?? null } : null;
    })(),
    podSecurityRestricted: Object.fromEntries(
      Object.entries(pss).sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
}

const SPECS: readonly ChartSpec[] = [
  {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    ownerRepo: "kubernetes/autoscaler",
    published: {
      kind: "index",
      ownerRepo: "kubernetes/autoscaler",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({
      ref: `cluster-autoscaler-chart-${v}`,
      paths: ["charts/cluster-autoscaler", "cluster-autoscaler/charts/cluster-autoscaler"],
    }),
    line: (v) => `CA ${minor(v.appVersion)}`,
    // One CA minor per Kubernetes minor.
    wantedLines: () => SUPPORTED_KUBERNETES_VERSIONS.map((k) => `CA ${k}`),
    imageTagRule: "same-minor-as-appVersion",
    imageTagRuleReason:
      "tap runs the newest CA patch release of the cluster's minor (e.g. v1.31.3 on chart 9.43.1, " +
      "appVersion 1.31.0); CA requires only image minor == cluster minor (autoscaler README Releases)",
  },
  {
    chart: "tigera-operator",
    repo: "https://docs.tigera.io/calico/charts",
    ownerRepo: "projectcalico/calico",
    published: { kind: "calico-tags" },
    dirAt: (v) => ({ ref: v, paths: ["charts/tigera-operator"] }),
    placeholderVersion: true,
    line: (v) => `v${minor(v.version)}`,
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => `v${minor(v.version)}`),
        pinned,
      ),
    imageTagRule: "exact",
  },
  {
    chart: "aws-for-fluent-bit",
    repo: "https://aws.github.io/eks-charts",
    ownerRepo: "aws/eks-charts",
    published: { kind: "index", ownerRepo: "aws/eks-charts", ref: "gh-pages", file: "index.yaml" },
    tgzRef: "gh-pages",
    tgzDir: "",
    unpublishedAt: { ref: "master", path: "stable/aws-for-fluent-bit" },
    line: () => "all",
    imageTagRule: "exact",
  },
  {
    chart: "appmesh-controller",
    repo: "https://aws.github.io/eks-charts",
    ownerRepo: "aws/eks-charts",
    published: { kind: "index", ownerRepo: "aws/eks-charts", ref: "gh-pages", file: "index.yaml" },
    tgzRef: "gh-pages",
    tgzDir: "",
    unpublishedAt: { ref: "master", path: "stable/appmesh-controller" },
    line: () => "all",
    imageTagRule: "exact",
  },
  {
    chart: "aws-load-balancer-controller",
    repo: "https://aws.github.io/eks-charts",
    ownerRepo: "aws/eks-charts",
    published: { kind: "index", ownerRepo: "aws/eks-charts", ref: "gh-pages", file: "index.yaml" },
    // The index names aws-load-balancer-controller-<version>.tgz, kept beside it on gh-pages.
    tgzRef: "gh-pages",
    tgzDir: "",
    unpublishedAt: { ref: "master", path: "stable/aws-load-balancer-controller" },
    line: () => "all",
    imageTagRule: "exact",
  },
  {
    chart: "metrics-server",
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    ownerRepo: "kubernetes-sigs/metrics-server",
    published: {
      kind: "index",
      ownerRepo: "kubernetes-sigs/metrics-server",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({ ref: `metrics-server-helm-chart-${v}`, paths: ["charts/metrics-server"] }),
    line: (v) => `metrics-server ${minor(v.appVersion)}`,
    imageTagRule: "exact",
  },
  {
    chart: "external-dns",
    repo: "https://kubernetes-sigs.github.io/external-dns/",
    ownerRepo: "kubernetes-sigs/external-dns",
    published: {
      kind: "index",
      ownerRepo: "kubernetes-sigs/external-dns",
      ref: "gh-pages",
      file: "index.yaml",
    },
    // The index names GitHub release assets (not in git): the chart is the tag's directory.
    dirAt: (v) => ({ ref: `external-dns-helm-chart-${v}`, paths: ["charts/external-dns"] }),
    line: (v) => `external-dns ${minor(v.appVersion)}`,
    imageTagRule: "exact",
  },
  {
    chart: "secrets-store-csi-driver",
    repo: "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
    ownerRepo: "kubernetes-sigs/secrets-store-csi-driver",
    published: {
      kind: "index",
      ownerRepo: "kubernetes-sigs/secrets-store-csi-driver",
      ref: "gh-pages",
      file: "charts/index.yaml",
    },
    // The index names secrets-store-csi-driver-<version>.tgz, kept beside it in gh-pages charts/.
    tgzRef: "gh-pages",
    tgzDir: "charts/",
    line: (v) => minor(v.version),
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => minor(v.version)),
        pinned,
      ),
    imageTagRule: "exact",
  },
  {
    chart: "secrets-store-csi-driver-provider-aws",
    repo: "https://aws.github.io/secrets-store-csi-driver-provider-aws",
    ownerRepo: "aws/secrets-store-csi-driver-provider-aws",
    published: {
      kind: "index",
      ownerRepo: "aws/secrets-store-csi-driver-provider-aws",
      ref: "gh-pages",
      file: "index.yaml",
    },
    // The index names GitHub release assets (not in git): the chart is the tag's directory. Tags
    // are the bare version since 2.2.1 (chart-releaser cr.yaml release-name-template
    // "{{ .Version }}"), <chart>-<version> before.
    dirAt: (v) => ({
      ref: firstRef("aws/secrets-store-csi-driver-provider-aws", [
        v,
        `secrets-store-csi-driver-provider-aws-${v}`,
      ]),
      paths: ["charts/secrets-store-csi-driver-provider-aws"],
    }),
    // Chart.yaml declares secrets-store-csi-driver (condition secrets-store-csi-driver.install);
    // tap installs the driver as its own release, but helm template needs it in charts/.
    dependencies: [{ name: "secrets-store-csi-driver", chart: "secrets-store-csi-driver" }],
    // No appVersion in Chart.yaml or the index: lines are chart minors.
    line: (v) => minor(v.version),
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => minor(v.version)),
        pinned,
      ),
    imageTagRule: "exact",
  },
  {
    chart: "keda",
    repo: "https://kedacore.github.io/charts",
    ownerRepo: "kedacore/charts",
    // kedacore.github.io/charts is GitHub Pages from main:docs/ (index.yaml + the .tgz files).
    published: {
      kind: "index",
      ownerRepo: "kedacore/charts",
      ref: "main",
      file: "docs/index.yaml",
    },
    tgzRef: "main",
    tgzDir: "docs/",
    line: (v) => minor(v.version),
    // Lines newer than the newest pinned (e.g. 2.21 when published).
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => minor(v.version)),
        pinned,
      ),
    imageTagRule: "exact",
  },
  {
    chart: "kyverno",
    repo: "https://kyverno.github.io/kyverno/",
    ownerRepo: "kyverno/kyverno",
    // kyverno.github.io/kyverno is GitHub Pages from gh-pages (index.yaml + kyverno-<v>.tgz). The
    // package vendors the subcharts git lacks from 3.7.0 on (kyverno-api: the policies.kyverno.io
    // CRDs; openreports, reports-server), so the .tgz is the chart.
    published: {
      kind: "index",
      ownerRepo: "kyverno/kyverno",
      ref: "gh-pages",
      file: "index.yaml",
    },
    tgzRef: "gh-pages",
    tgzDir: "",
    // Chart 3.M.x ships Kyverno v1.(M+10).x: lines are chart minors, newer ones reported too.
    // The index also lists release candidates (3.9.0-rc.1 ...): a line of their own, so the
    // newest of a line is never one.
    line: (v) => (v.version.includes("-") ? `${minor(v.version)} (pre-release)` : minor(v.version)),
    wantedLines: (published, pinned) =>
      newerLines(
        published.filter((v) => !v.version.includes("-")).map((v) => minor(v.version)),
        pinned,
      ),
    imageTagRule: "exact",
  },
  // falcosecurity.github.io/charts is GitHub Pages from gh-pages (index.yaml); the index names
  // GitHub release assets (github.com/falcosecurity/charts/releases/download/<chart>-<v>/...),
  // not in git: each chart is its tag's directory (chart-releaser tags <chart>-<version>).
  {
    ...FALCOSECURITY,
    chart: "falco",
    dirAt: (v) => ({ ref: `falco-${v}`, paths: ["charts/falco"] }),
    // Chart.yaml declares all three (conditions falcosidekick.enabled,
    // collectors.kubernetes.enabled, responseActions.enabled) with wildcard versions and git keeps
    // no Chart.lock (charts/falco/.gitignore): helm template needs each in charts/.
    dependencies: [
      { name: "falcosidekick", chart: "falcosidekick" },
      { name: "k8s-metacollector", chart: "k8s-metacollector" },
      { name: "falco-talon", chart: "falco-talon" },
    ],
    imageOverrides: [
      {
        chartVersions: ["9.1.0"],
        path: "falcosidekick.image",
        tag: "2.34.1",
        insteadOf: "2.32.0",
        reason:
          "falcosidekick 2.32.0 (the subchart's default) builds its AWS client as " +
          "`&aws.Config{Region: region}` (outputs/aws.go NewAWSClient) without the default " +
          "credential chain, so IRSA's web-identity credentials are never loaded and every " +
          "CloudWatch Logs and SNS call fails; 2.34.1 builds it with awsconfig.LoadDefaultConfig " +
          "(tap runs with config.aws.useirsa and the role annotation on its service account)",
        evidence: {
          ownerRepo: "falcosecurity/falcosidekick",
          file: "outputs/aws.go",
          before: ["awscfg := &aws.Config{Region: region}"],
          after: ["awscfg, err := awsconfig.LoadDefaultConfig(context.TODO())"],
        },
      },
    ],
    inventory: { readings: falcoReadings },
    line: (v) => `falco ${minor(v.appVersion)}`,
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => `falco ${minor(v.appVersion)}`),
        pinned,
      ),
  },
  // argoproj.github.io/argo-helm is GitHub Pages from gh-pages (index.yaml); the index names
  // GitHub release assets (github.com/argoproj/argo-helm/releases/download/argo-cd-<v>/...), not in
  // git: the chart is its tag's directory (chart-releaser, .github/configs/cr.yaml, tags
  // <chart>-<version>).
  {
    chart: "argo-cd",
    repo: "https://argoproj.github.io/argo-helm",
    ownerRepo: "argoproj/argo-helm",
    published: {
      kind: "index",
      ownerRepo: "argoproj/argo-helm",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({ ref: `argo-cd-${v}`, paths: ["charts/argo-cd"] }),
    // Chart.yaml declares redis-ha (condition redis-ha.enabled, which tap sets); Chart.lock pins
    // it; the chart-releaser job fetches it (helm dependency build) when packaging.
    dependencies: [{ name: "redis-ha", chart: "redis-ha" }],
    inventory: { readings: argoCdReadings },
    // One line per Argo CD minor (chart 7.9.x ships 2.14, 9.3.x 3.2, 10.x 3.4), newer ones too.
    line: (v) => `argocd ${minor(v.appVersion)}`,
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => `argocd ${minor(v.appVersion)}`),
        pinned,
      ),
    imageTagRule: "exact",
  },
  // argo-rollouts: the same index and tag layout as argo-cd (release assets, chart at its tag).
  {
    chart: "argo-rollouts",
    repo: "https://argoproj.github.io/argo-helm",
    ownerRepo: "argoproj/argo-helm",
    published: {
      kind: "index",
      ownerRepo: "argoproj/argo-helm",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({ ref: `argo-rollouts-${v}`, paths: ["charts/argo-rollouts"] }),
    // One line per Rollouts minor (2.40.x ships 1.8, 2.41.x 1.9).
    line: (v) => `rollouts ${minor(v.appVersion)}`,
    wantedLines: (published, pinned) =>
      newerLines(
        published.map((v) => `rollouts ${minor(v.appVersion)}`),
        pinned,
      ),
    imageTagRule: "exact",
  },
  // open-telemetry.github.io/opentelemetry-helm-charts is GitHub Pages from gh-pages (index.yaml);
  // the index names GitHub release assets (github.com/open-telemetry/opentelemetry-helm-charts/
  // releases/download/opentelemetry-collector-<v>/...), not in git: the chart is its tag's
  // directory (chart-releaser, tags <chart>-<version>).
  {
    chart: "opentelemetry-collector",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    ownerRepo: "open-telemetry/opentelemetry-helm-charts",
    published: {
      kind: "index",
      ownerRepo: "open-telemetry/opentelemetry-helm-charts",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({
      ref: `opentelemetry-collector-${v}`,
      paths: ["charts/opentelemetry-collector"],
    }),
    // What tap relies on: the Service name and ports (tracesEndpoint), the pod labels (the
    // services' egress peer), the configuration the pods run, and what "restricted" refuses.
    inventory: { readings: collectorReadings },
    // image.repository is "" and required (templates/NOTES.txt); the chart's community
    // distributions are listed in _helpers.tpl, and UPGRADING.md names them as Docker Hub's otel/.
    requiredImageRepository: {
      path: "image",
      file: "templates/_helpers.tpl",
      define: "opentelemetry-collector.profilingUnsupportedImages",
      prefix: "otel/",
      prefixEvidence: "UPGRADING.md",
    },
    // One line per collector minor (the chart moves its appVersion almost every release).
    line: (v) => `collector ${minor(v.appVersion)}`,
    imageTagRule: "exact",
  },
  // kube-state-metrics (tap:addons.prometheus): chart-releaser (.github/workflows/release.yaml)
  // packages each chart at its tag `kube-state-metrics-<version>` and lists it in gh-pages'
  // index.yaml, which the snapshot names but does not hold (too large): the tags are the record.
  {
    chart: "kube-state-metrics",
    repo: "https://prometheus-community.github.io/helm-charts",
    ownerRepo: "prometheus-community/helm-charts",
    published: {
      kind: "release-tags",
      chartPath: "charts/kube-state-metrics",
      minVersion: "5.18.0",
      tagPrefix: "kube-state-metrics-",
      packagedBy: ".github/workflows/release.yaml",
      chartYamlAsTagged: true,
    },
    dirAt: (v) => ({ ref: `kube-state-metrics-${v}`, paths: ["charts/kube-state-metrics"] }),
    // Its Service (the collector's target), its arguments (--resources), RBAC and Pod Security.
    inventory: { readings: collectorReadings },
    // One line per kube-state-metrics minor (one per Kubernetes minor's client-go).
    line: (v) => `ksm ${minor(v.appVersion)}`,
    imageTagRule: "exact",
  },
  // argo-cd's dependency (vendored; tap has no release of its own). dandydeveloper.github.io/charts
  // is GitHub Pages from gh-pages (index.yaml); the index names GitHub release assets
  // (github.com/DandyDeveloper/charts/releases/download/redis-ha-<v>/...; gh-pages keeps .tgz files
  // only up to 4.25.1): the chart is its tag's directory (chart-releaser tags redis-ha-<version>,
  // .github/workflows/publish.yml).
  {
    chart: "redis-ha",
    repo: "https://dandydeveloper.github.io/charts/",
    ownerRepo: "DandyDeveloper/charts",
    published: {
      kind: "index",
      ownerRepo: "DandyDeveloper/charts",
      ref: "gh-pages",
      file: "index.yaml",
    },
    dirAt: (v) => ({ ref: `redis-ha-${v}`, paths: ["charts/redis-ha"] }),
    line: (v) => minor(v.version),
    imageTagRule: "exact",
  },
  // falco's dependencies (vendored; tap has no release of them, so nothing is derived for them).
  ...(["falcosidekick", "k8s-metacollector", "falco-talon"] as const).map(
    (chart): ChartSpec => ({
      ...FALCOSECURITY,
      chart,
      dirAt: (v) => ({ ref: `${chart}-${v}`, paths: [`charts/${chart}`] }),
      line: (v) => minor(v.version),
    }),
  ),
  ...(["karpenter", "karpenter-crd"] as const).map(
    (chart): ChartSpec => ({
      chart,
      repo: "oci://public.ecr.aws/karpenter",
      ownerRepo: "aws/karpenter-provider-aws",
      // Published only as OCI artifacts (public.ecr.aws/karpenter/<chart>:<version>): no index.
      published: {
        kind: "release-tags",
        chartPath: `charts/${chart}`,
        minVersion: "1.0.0",
        packagedBy: "hack/release/common.sh",
      },
      dirAt: (v) => ({ ref: `v${v}`, paths: [`charts/${chart}`] }),
      stamp: {
        commitSubject: (tag) => `Stable Release updates Release ${tag}.`,
        valuesPaths:
          chart === "karpenter"
            ? [
                ["controller", "image", "repository"],
                ["controller", "image", "tag"],
                ["controller", "image", "digest"],
              ]
            : [],
        files: ["Chart.yaml", "Chart.lock", "values.yaml", "README.md"],
        ...(chart === "karpenter" ? { crossCheckRef: "main" } : {}),
      },
      line: (v) => minor(v.version),
      wantedLines: (published, pinned) =>
        newerLines(
          published.map((v) => minor(v.version)),
          pinned,
        ),
      imageTagRule: "exact",
    }),
  ),
  // Istio (ambient): the Helm repository is a GCS bucket (release/publish.sh HELM_BUCKET
  // istio-release/charts), whose index.yaml no git repository keeps. Chart names as the bucket
  // publishes them (Chart.yaml `name`), directories as istio/istio holds them.
  ...(
    [
      ["base", "manifests/charts/base"],
      ["istiod", "manifests/charts/istio-control/istio-discovery"],
      ["cni", "manifests/charts/istio-cni"],
      ["ztunnel", "manifests/charts/ztunnel"],
    ] as const
  ).map(([chart, chartPath]): ChartSpec => {
    const releaseBuilder: ReleaseBuilder = {
      ownerRepo: "istio/release-builder",
      branch: (v) => `release-${minor(v)}`,
    };
    return {
      chart,
      repo: "https://istio-release.storage.googleapis.com/charts",
      ownerRepo: "istio/istio",
      published: {
        kind: "release-tags",
        chartPath,
        minVersion: "1.24.0",
        tagPrefix: "",
        packagedBy: "pkg/build/helm.go",
        publishedBy: releaseBuilder,
      },
      dirAt: (v) => ({ ref: v, paths: [chartPath] }),
      releaseBuilder,
      valuesUnder: "_internal_defaults_do_not_set",
      line: (v) => minor(v.version),
      wantedLines: (published, pinned) =>
        newerLines(
          published.map((v) => minor(v.version)),
          pinned,
        ),
      imageTagRule: "exact",
    };
  }),
];

// ---------------------------------------------------------------------------------------------
// git

const gitDir = (ownerRepo: string): string =>
  path.join(MIRROR, ownerRepo.replace("/", "+"), "repo");

function git(ownerRepo: string, args: string[], encoding: "utf8" | "buffer" = "utf8"): string {
  const out = execFileSync("git", ["--git-dir", gitDir(ownerRepo), ...args], {
    maxBuffer: 512 * 1024 * 1024,
    encoding: encoding === "utf8" ? "utf8" : undefined,
  });
  return typeof out === "string" ? out : out.toString("latin1");
}

const revParse = (ownerRepo: string, ref: string): string =>
  git(ownerRepo, ["rev-parse", `${ref}^{commit}`]).trim();

/** The first of `refs` that exists in the snapshot (the last one if none does, to fail later). */
function firstRef(ownerRepo: string, refs: readonly string[]): string {
  for (const ref of refs) {
    try {
      gitQuiet(ownerRepo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
      return ref;
    } catch {
      // try the next
    }
  }
  return refs[refs.length - 1];
}

/** The last commit at `ref` that touched `file` (stable across re-fetches of a moving branch). */
const lastTouch = (ownerRepo: string, ref: string, file: string): string =>
  git(ownerRepo, ["log", "-1", "--format=%H", ref, "--", file]).trim();

// ---------------------------------------------------------------------------------------------
// published versions

interface IndexEntry {
  version: string;
  appVersion?: string;
  kubeVersion?: string;
  digest?: string;
  urls?: string[];
  /** When the index entry was made (RFC 3339): the package's publication. */
  created?: string;
}

const semverCmpLine = (a: string, b: string): number =>
  semverCmp(a.replace(/^\D+/, ""), b.replace(/^\D+/, ""));

function semverCmp(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/);
  const pb = b.replace(/^v/, "").split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    const nx = Number(x);
    const ny = Number(y);
    if (x === y) continue;
    if (x === "") return 1; // 1.0.0 > 1.0.0-rc
    if (y === "") return -1;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

interface Published {
  readonly source: string;
  readonly versions: PublishedVersion[];
  readonly digests: Map<string, string>;
  /** File name of each version's package, from the index URL. */
  readonly files: Map<string, string>;
  /** Each version's `created` in the index (index sources only). */
  readonly created?: Map<string, string>;
}

function publishedOf(spec: ChartSpec): Published {
  const digests = new Map<string, string>();
  const files = new Map<string, string>();
  if (spec.published.kind === "index") {
    const p = spec.published;
    const commit = lastTouch(p.ownerRepo, p.ref, p.file);
    const index = YAML.parse(git(p.ownerRepo, ["show", `${commit}:${p.file}`])) as {
      entries: Record<string, IndexEntry[]>;
    };
    const entries = index.entries[spec.chart] ?? [];
    const created = new Map<string, string>();
    for (const e of entries) {
      if (e.digest) digests.set(e.version, e.digest);
      if (e.created) created.set(String(e.version), String(e.created));
      const url = e.urls?.[0];
      if (url) files.set(e.version, decodeURIComponent(url.split("/").pop() ?? ""));
    }
    return {
      source: `${p.ownerRepo}@${commit}:${p.file}`,
      versions: entries
        .map((e) => ({ version: String(e.version), appVersion: String(e.appVersion ?? "") }))
        .sort((a, b) => semverCmp(b.version, a.version)),
      digests,
      files,
      created,
    };
  }
  if (spec.published.kind === "release-tags") {
    const p = spec.published;
    const prefix = p.tagPrefix ?? "v";
    const stable = new RegExp(`^${prefix}\\d+\\.\\d+\\.\\d+$`);
    const versions: PublishedVersion[] = [];
    const unrecorded: string[] = [];
    for (const tag of git(spec.ownerRepo, ["tag", "--list", `${prefix}*`]).split("\n")) {
      // Only X.Y.Z: karpenter's release workflow's stable trigger (no -rc.N, no
      // *-hash-fix-backport); Istio's releases (no -alpha.N, -beta.N, -rc.N).
      if (!stable.test(tag) || semverCmp(tag.slice(prefix.length), p.minVersion) < 0) continue;
      try {
        gitQuiet(spec.ownerRepo, ["cat-file", "-e", `${tag}:${p.chartPath}/Chart.yaml`]);
      } catch {
        continue;
      }
      const version = tag.slice(prefix.length);
      if (p.publishedBy && triggers(p.publishedBy, version, PUBLISH_TRIGGER).length === 0) {
        unrecorded.push(tag);
        continue;
      }
      if (p.chartYamlAsTagged) {
        const c = YAML.parse(git(spec.ownerRepo, ["show", `${tag}:${p.chartPath}/Chart.yaml`])) as {
          version?: string;
          appVersion?: string;
        };
        if (String(c.version) !== version)
          throw new Error(`${spec.chart}: ${tag}:${p.chartPath}/Chart.yaml says ${c.version}`);
        versions.push({ version, appVersion: String(c.appVersion) });
        continue;
      }
      // Chart.yaml at the tag holds the previous release's version (karpenter) or a placeholder
      // (Istio, 1.0.0): the release stamps version = appVersion = the tag without the prefix.
      versions.push({ version, appVersion: version });
    }
    versions.sort((a, b) => semverCmp(b.version, a.version));
    const newestTag = versions[0] ? `${prefix}${versions[0].version}` : "?";
    const newest = versions[0] ? revParse(spec.ownerRepo, newestTag) : "";
    if (p.publishedBy) {
      const rb = p.publishedBy;
      const built = versions[0] ? releaseBuild(rb, versions[0].version).build : "";
      return {
        source:
          `${spec.ownerRepo}@<tag>:${p.chartPath} for every tag X.Y.Z >= ${p.minVersion} that has it ` +
          `and whose publication ${rb.ownerRepo} records (a commit of its branch release-X.Y writing ` +
          `X.Y.Z into ${PUBLISH_TRIGGER}; -alpha/-beta/-rc and other tags skipped` +
          `${unrecorded.length ? `; without a record, left out: ${unrecorded.join(", ")}` : ""}), ` +
          `packaged as version = appVersion = the tag by ${rb.ownerRepo}@${built}:${p.packagedBy} ` +
          `(the build of the newest tag ${newestTag}, ${spec.ownerRepo}@${newest})`,
        versions,
        digests,
        files,
      };
    }
    if (p.chartYamlAsTagged) {
      return {
        source:
          `${spec.ownerRepo}@<tag>:${p.chartPath}/Chart.yaml for every tag ${prefix}X.Y.Z >= ${p.minVersion} ` +
          `(version and appVersion as tagged: ${spec.ownerRepo}@${newest}:${p.packagedBy} packages ` +
          `the tagged chart; newest tag ${newestTag})`,
        versions,
        digests,
        files,
      };
    }
    return {
      source:
        `${spec.ownerRepo}@<tag>:${p.chartPath} for every tag vX.Y.Z >= v${p.minVersion} that has it ` +
        `(the release workflow's trigger; -rc and other tags skipped), packaged as version = ` +
        `appVersion = the tag without v by ${spec.ownerRepo}@${newest}:${p.packagedBy} ` +
        `(newest tag ${newestTag})`,
      versions,
      digests,
      files,
    };
  }
  // tigera-operator: docs.tigera.io serves the Helm index; git has no copy of it. Evidence: the
  // release tags of projectcalico/calico and each tag's charts/tigera-operator/Chart.yaml, cross-
  // checked against tigera/docs releases.json (the docs' own list of released versions).
  const docsCommit = revParse("tigera/docs", "main");
  const archive = revParse("tigera/docs", "archive-os-3.28");
  const released = new Set<string>();
  const docsFiles: string[] = [];
  for (const [ref, dir] of [
    [docsCommit, "calico_versioned_docs"],
    [archive, "calico_versioned_docs"],
  ]) {
    const files = git("tigera/docs", ["ls-tree", "-r", "--name-only", ref, dir])
      .split("\n")
      .filter((f) => /version-3\.\d+\/releases\.json$/.test(f));
    for (const f of files) {
      const rel = JSON.parse(git("tigera/docs", ["show", `${ref}:${f}`])) as { title: string }[];
      for (const r of rel) released.add(r.title);
      docsFiles.push(`tigera/docs@${ref}:${f}`);
    }
  }
  const tags = git("projectcalico/calico", ["tag", "--list", "v3.*"])
    .split("\n")
    .filter((t) => /^v3\.(2[8-9]|3\d)\.\d+$/.test(t));
  const versions: PublishedVersion[] = [];
  for (const tag of tags) {
    if (!released.has(tag)) continue;
    // Chart.yaml in git says `version: v0.0` ("overridden at chart compilation time"): the
    // release tooling packages the chart as version = appVersion = the tag.
    try {
      git("projectcalico/calico", ["cat-file", "-e", `${tag}:charts/tigera-operator/Chart.yaml`]);
    } catch {
      continue;
    }
    versions.push({ version: tag, appVersion: tag });
  }
  return {
    source:
      `projectcalico/calico@<tag>:charts/tigera-operator for every tag v3.28+ ` +
      `listed as released in tigera/docs releases.json (${docsFiles.join(", ")})`,
    versions: versions.sort((a, b) => semverCmp(b.version, a.version)),
    digests,
    files,
  };
}

// ---------------------------------------------------------------------------------------------
// chart extraction and rendering

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "tap-chart-facts-"));

interface ExtractedChart {
  readonly dir: string;
  readonly source: string;
  readonly ref?: string;
  readonly notes: string[];
}

function gitQuiet(ownerRepo: string, args: string[]): Buffer {
  return execFileSync("git", ["--git-dir", gitDir(ownerRepo), ...args], {
    maxBuffer: 512 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
  });
}

/**
 * Extracts `dirPath` at `commit` under `out` (laid out as the repository), plus the targets of
 * the symlinks in it (tigera-operator's crds/ link to libcalico-go/ and api/): helm package
 * follows them, so the published chart holds their content.
 */
function extractDir(ownerRepo: string, commit: string, dirPath: string, out: string): string {
  const extract = (p: string): void => {
    execFileSync("tar", ["-x", "-C", out], { input: gitQuiet(ownerRepo, ["archive", commit, p]) });
  };
  extract(dirPath);
  const done = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const links = execFileSync("find", [path.join(out, dirPath), "-type", "l"], {
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
    const missing = links
      .map((l) => path.resolve(path.dirname(l), fs.readlinkSync(l)))
      .filter((t) => !fs.existsSync(t) && t.startsWith(out) && !done.has(t));
    if (missing.length === 0) break;
    for (const t of missing) {
      done.add(t);
      extract(path.relative(out, t));
    }
  }
  return path.join(out, dirPath);
}

/** The chart of `version` extracted under WORK/`workName`, its missing dependencies vendored. */
function extractChart(
  spec: ChartSpec,
  version: string,
  published: Published,
  workName = `${spec.chart}-${version}`,
): ExtractedChart {
  const chart = extractChartSource(spec, version, published, workName);
  return {
    ...chart,
    notes: [...chart.notes, ...vendorDependencies(spec, version, published, chart.dir)],
  };
}

const publishedCache = new Map<string, Published>();

/** An RFC 3339 UTC time (`2026-06-11T10:06:23.781968182Z`) as [seconds, fraction] for ordering. */
function timeKey(t: string): [number, number] {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) throw new Error(`not an RFC 3339 time: ${t}`);
  return [Date.parse(`${m[1]}${m[3]}`) / 1000, Number(`0.${m[2] ?? "0"}`)];
}
const timeBefore = (a: string, b: string): boolean => {
  const [x, y] = [timeKey(a), timeKey(b)];
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
};

/**
 * Whether `version` satisfies a Chart.yaml dependency constraint as helm reads it
 * (Masterminds/semver): exact `1.2.3`, wildcards `1.2.*` / `1.*` / `1.2.x`, `^1.2.3`, `~1.2.3`,
 * comparisons (`>=1.2.0 <2.0.0`, comma or space joined) and `||`. A pre-release never satisfies a
 * constraint without one. Anything else throws (not modelled).
 */
export function satisfiesConstraint(version: string, constraint: string): boolean {
  if (version.includes("-")) return version === constraint.trim().replace(/^=?v?/, "");
  const num = (x: string | undefined): number | undefined =>
    x === undefined || /^[*xX]$/.test(x) ? undefined : Number(x);
  const test = (token: string): boolean => {
    const m = /^(\^|~|>=|<=|>|<|=)?\s*v?(\d+|[*xX])(?:\.(\d+|[*xX]))?(?:\.(\d+|[*xX]))?$/.exec(
      token,
    );
    if (!m) throw new Error(`dependency constraint ${constraint}: ${token} is not modelled`);
    const [op = "", M, m2, p2] = [m[1], m[2], m[3], m[4]];
    const parts = [num(M), num(m2), num(p2)];
    const low = parts.map((x) => x ?? 0).join(".");
    const cmp = (v: string): number => semverCmp(version, v);
    const firstWild = parts.findIndex((x) => x === undefined);
    // The exclusive upper bound of a wildcard, caret or tilde range.
    const bump = (i: number): string =>
      parts.map((x, j) => (j < i ? (x ?? 0) : j === i ? (x ?? 0) + 1 : 0)).join(".");
    switch (op) {
      case "":
      case "=":
        if (firstWild === -1) return cmp(low) === 0;
        return firstWild === 0 || (cmp(low) >= 0 && cmp(bump(firstWild - 1)) < 0);
      case "^": {
        // ^1.2.3 < 2.0.0; ^0.2.3 < 0.3.0; ^0.0.3 < 0.0.4 (the first non-zero part).
        const nz = parts.findIndex((x) => x !== undefined && x !== 0);
        const at = nz === -1 ? Math.max(0, (firstWild === -1 ? 3 : firstWild) - 1) : nz;
        return cmp(low) >= 0 && cmp(bump(at)) < 0;
      }
      case "~":
        return cmp(low) >= 0 && cmp(bump(parts[1] === undefined ? 0 : 1)) < 0;
      case ">=":
        return cmp(low) >= 0;
      case ">":
        return cmp(low) > 0;
      case "<=":
        return cmp(low) <= 0;
      default:
        return cmp(low) < 0;
    }
  };
  return constraint.split("||").some((alt) =>
    alt
      .trim()
      .replace(/(\^|~|>=|<=|>|<|=)\s+/g, "$1")
      .split(/[\s,]+/)
      .filter(Boolean)
      .every(test),
  );
}

/**
 * Puts each of `spec.dependencies` that charts/ lacks into `chartDir/charts/<name>`: the version
 * Chart.lock pins (without a lock entry: the newest version of the dependency's index satisfying
 * Chart.yaml's constraint whose `created` precedes this version's own in `published`), extracted
 * as its own SPECS entry extracts it (whose repo must be the lock's or Chart.yaml's repository
 * and whose index must list that version). Returns notes saying what was vendored and why.
 */
function vendorDependencies(
  spec: ChartSpec,
  version: string,
  published: Published,
  chartDir: string,
): string[] {
  const notes: string[] = [];
  if (!spec.dependencies?.length) return notes;
  const chartsDir = path.join(chartDir, "charts");
  const present = fs.existsSync(chartsDir) ? fs.readdirSync(chartsDir) : [];
  type Dep = { name: string; version: string; repository?: string; condition?: string };
  const chartYaml = YAML.parse(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as {
    dependencies?: Dep[];
  };
  const lockFile = path.join(chartDir, "Chart.lock");
  const lock = fs.existsSync(lockFile)
    ? (YAML.parse(fs.readFileSync(lockFile, "utf8")) as { dependencies?: Dep[] })
    : {};
  const sameRepo = (a = "", b = ""): boolean => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
  const gitignore = path.join(chartDir, ".gitignore");
  const ignoresLock =
    fs.existsSync(gitignore) && /^\/?Chart\.lock$/m.test(fs.readFileSync(gitignore, "utf8"));
  for (const dep of spec.dependencies) {
    const declared = chartYaml.dependencies?.find((d) => d.name === dep.name);
    if (!declared) {
      notes.push(
        `dependency ${dep.name}: not declared in Chart.yaml at ${version}; nothing vendored`,
      );
      continue;
    }
    if (present.some((f) => f === dep.name || f.startsWith(`${dep.name}-`))) {
      notes.push(`dependency ${dep.name}: already in charts/ (${present.join(", ")})`);
      continue;
    }
    if (fs.existsSync(lockFile) && !lock.dependencies?.some((d) => d.name === dep.name)) {
      throw new Error(`${spec.chart}@${version}: Chart.lock pins no ${dep.name}`);
    }
    const locked = lock.dependencies?.find((d) => d.name === dep.name);
    const depSpec = SPECS.find((s) => s.chart === dep.chart);
    if (!depSpec) throw new Error(`${spec.chart}: dependency chart ${dep.chart} is not in SPECS`);
    const from = locked ? "Chart.lock" : "Chart.yaml";
    const repository = locked ? locked.repository : declared.repository;
    if (!sameRepo(repository, depSpec.repo)) {
      throw new Error(
        `${spec.chart}@${version}: ${from} takes ${dep.name} from ${repository}, not ${depSpec.repo}`,
      );
    }
    let depPublished = publishedCache.get(depSpec.chart);
    if (!depPublished) {
      depPublished = publishedOf(depSpec);
      publishedCache.set(depSpec.chart, depPublished);
    }
    let depVersion: string;
    let why: string;
    if (locked) {
      depVersion = String(locked.version);
      why = `the Chart.lock version ${depVersion}`;
    } else {
      // No lock: what `helm package --dependency-update` resolved from the repository's index
      // when this version was packaged (its index entry's `created`).
      const constraint = String(declared.version);
      const own = published.created?.get(version);
      if (!own) {
        throw new Error(
          `${spec.chart}@${version}: no Chart.lock and no index \`created\` to resolve ${dep.name} ${constraint} at`,
        );
      }
      const created = depPublished.created ?? new Map<string, string>();
      const satisfying = depPublished.versions.filter((v) =>
        satisfiesConstraint(v.version, constraint),
      );
      const before = satisfying.filter((v) => {
        const c = created.get(v.version);
        return c !== undefined && timeBefore(c, own);
      });
      const later = satisfying.filter((v) => !before.includes(v)).map((v) => v.version);
      const newer = depPublished.versions
        .filter((v) => semverCmp(v.version, before[0]?.version ?? "0") > 0)
        .filter((v) => !satisfying.includes(v))
        .map((v) => v.version);
      if (!before[0]) {
        throw new Error(
          `${spec.chart}@${version}: no ${dep.name} satisfying ${constraint} was published before ${own}`,
        );
      }
      depVersion = before[0].version;
      why =
        `${depVersion}, the version helm package --dependency-update resolves (no Chart.lock in git` +
        `${ignoresLock ? ": the chart's .gitignore lists it" : ""}): the newest in ${depPublished.source} satisfying ` +
        `${constraint} whose created (${String(created.get(depVersion))}) precedes ` +
        `${spec.chart} ${version}'s (${own}); satisfying and older: ` +
        `${before.map((v) => v.version).join(", ")}` +
        `${later.length ? `; satisfying but published after it: ${later.join(", ")}` : ""}` +
        `${newer.length ? `; newer, not satisfying ${constraint}: ${newer.join(", ")}` : ""}`;
    }
    if (!depPublished.versions.some((v) => v.version === depVersion)) {
      throw new Error(
        `${spec.chart}@${version}: ${from} pins ${dep.name} ${depVersion}, not in ${depPublished.source}`,
      );
    }
    const extracted = extractChart(
      depSpec,
      depVersion,
      depPublished,
      `${spec.chart}-${version}-dep-${dep.name}-${depVersion}`,
    );
    fs.mkdirSync(chartsDir, { recursive: true });
    fs.cpSync(extracted.dir, path.join(chartsDir, dep.name), { recursive: true });
    notes.push(
      `dependency ${dep.name} (Chart.yaml: version ${declared.version}` +
        `${declared.condition ? `, condition ${declared.condition}` : ""}) is not in git: ` +
        `vendored into charts/${dep.name} at ${why}, from ` +
        `${extracted.source}${extracted.notes.length ? ` (${extracted.notes.join("; ")})` : ""}`,
    );
  }
  return notes;
}

function extractChartSource(
  spec: ChartSpec,
  version: string,
  published: Published,
  workName: string,
): ExtractedChart {
  const out = path.join(WORK, workName);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const notes: string[] = [];
  const file = published.files.get(version);
  if (spec.tgzRef !== undefined && file) {
    const inGit = `${spec.tgzDir ?? ""}${file}`;
    const commit = lastTouch(spec.ownerRepo, spec.tgzRef, inGit);
    if (!commit)
      throw new Error(`${inGit} (named by the index) is not in ${spec.ownerRepo}@${spec.tgzRef}`);
    const tgz = path.join(out, "chart.tgz");
    fs.writeFileSync(tgz, gitQuiet(spec.ownerRepo, ["show", `${commit}:${inGit}`]));
    const sha = execFileSync("sha256sum", [tgz], { encoding: "utf8" }).split(" ")[0];
    const digest = published.digests.get(version);
    if (digest && digest !== sha) {
      throw new Error(`${inGit} sha256 ${sha} != index digest ${digest}`);
    }
    if (digest) notes.push(`package sha256 equals the index digest ${sha}`);
    execFileSync("tar", ["-xzf", tgz, "-C", out]);
    return {
      dir: path.join(out, spec.chart),
      source: `${spec.ownerRepo}@${commit}:${inGit}`,
      notes,
    };
  }
  if (spec.dirAt) {
    const at = spec.dirAt(version);
    const commit = revParse(spec.ownerRepo, at.ref);
    for (const p of at.paths) {
      try {
        gitQuiet(spec.ownerRepo, ["cat-file", "-e", `${commit}:${p}/Chart.yaml`]);
      } catch {
        continue;
      }
      const dir = extractDir(spec.ownerRepo, commit, p, out);
      const chartYaml = YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as {
        version: string;
      };
      if (spec.stamp) {
        notes.push(...stampChart(spec, spec.stamp, version, at.ref, commit, p, dir));
      } else if (spec.releaseBuilder) {
        notes.push(...stampByReleaseBuilder(spec, spec.releaseBuilder, version, p, dir));
      } else if (spec.placeholderVersion) {
        notes.push(
          `Chart.yaml version in git is the placeholder ${chartYaml.version}; the tag ${at.ref} is the chart version`,
        );
      } else if (String(chartYaml.version) !== version) {
        throw new Error(
          `${spec.chart}: ${at.ref}:${p}/Chart.yaml has version ${chartYaml.version}`,
        );
      }
      return { dir, source: `${spec.ownerRepo}@${commit}:${p}`, ref: at.ref, notes };
    }
    throw new Error(`${spec.chart}: no chart at ${at.ref}:${at.paths.join(" or ")}`);
  }
  if (spec.unpublishedAt) {
    // Not in the index: look for a Chart.yaml of that version anywhere in the snapshot's refs
    // (branches and pull-request heads), newest commit first.
    const u = spec.unpublishedAt;
    const commits = git(spec.ownerRepo, [
      "log",
      "--all",
      "--format=%H",
      "--",
      `${u.path}/Chart.yaml`,
    ])
      .split("\n")
      .filter(Boolean);
    for (const commit of commits) {
      const y = YAML.parse(git(spec.ownerRepo, ["show", `${commit}:${u.path}/Chart.yaml`])) as {
        version: string;
      };
      if (String(y.version) !== version) continue;
      const refs = git(spec.ownerRepo, [
        "for-each-ref",
        "--contains",
        commit,
        "--format=%(refname:short)",
      ])
        .split("\n")
        .filter(Boolean);
      notes.push(
        `NOT in the published index: never packaged; derived from ${u.path} at ${commit}, ` +
          `which only ${refs.join(", ") || "no ref"} contain(s)`,
      );
      const dir = extractDir(spec.ownerRepo, commit, u.path, out);
      return { dir, source: `${spec.ownerRepo}@${commit}:${u.path}`, ref: refs[0], notes };
    }
  }
  throw new Error(`${spec.chart}@${version}: no package in the index and no source found`);
}

/** Reads a leaf of a YAML document (undefined when absent). */
function getIn(doc: unknown, keys: readonly string[]): unknown {
  let here = doc;
  for (const k of keys) {
    if (typeof here !== "object" || here === null) return undefined;
    here = (here as Record<string, unknown>)[k];
  }
  return here;
}

/**
 * Applies a release script's stamps to the chart extracted from the tag: Chart.yaml version and
 * appVersion = the version; the values.yaml leaves it sets, as its commit (the child of the tag
 * commit with its subject) holds them. Checks that this commit changed nothing else of the chart
 * and that the stamped files now equal its own. Returns notes saying where each stamp comes from.
 */
function stampChart(
  spec: ChartSpec,
  stamp: ReleaseStamp,
  version: string,
  tag: string,
  tagCommit: string,
  chartPath: string,
  dir: string,
): string[] {
  const notes: string[] = [];
  const subject = stamp.commitSubject(tag);
  const candidates = git(spec.ownerRepo, [
    "log",
    "--all",
    "--fixed-strings",
    `--grep=${subject}`,
    "--format=%H %P%x09%s",
  ])
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [ids, s] = l.split("\t");
      const [id, ...parents] = ids.split(" ");
      return { id, parents, subject: s };
    })
    .filter((c) => c.subject === subject && c.parents.length === 1 && c.parents[0] === tagCommit);
  if (candidates.length !== 1) {
    throw new Error(
      `${spec.chart}@${version}: expected one commit "${subject}" on top of ${tag} (${tagCommit}), found ${candidates.length}`,
    );
  }
  const release = candidates[0].id;
  const branches = git(spec.ownerRepo, [
    "for-each-ref",
    "--contains",
    release,
    "--format=%(refname:short)",
  ])
    .split("\n")
    .filter(Boolean);
  const changed = git(spec.ownerRepo, ["diff", "--name-only", tagCommit, release, "--", chartPath])
    .split("\n")
    .filter(Boolean)
    .map((f) => path.posix.relative(chartPath, f));
  const unexpected = changed.filter((f) => !stamp.files.includes(f));
  if (unexpected.length) {
    throw new Error(
      `${spec.chart}@${version}: the release commit ${release} changes ${unexpected.join(", ")} of ${chartPath}, not only the stamped files`,
    );
  }

  // Chart.yaml: yq sets appVersion and version (publishHelmChart), helm package --version again.
  const chartFile = path.join(dir, "Chart.yaml");
  const chartDoc = YAML.parseDocument(fs.readFileSync(chartFile, "utf8"));
  const before = `${String(chartDoc.get("version"))}/${String(chartDoc.get("appVersion"))}`;
  chartDoc.set("version", version);
  chartDoc.set("appVersion", version);
  fs.writeFileSync(chartFile, String(chartDoc));
  notes.push(
    `Chart.yaml at ${tag} says version/appVersion ${before}; stamped ${version}/${version} as the ` +
      `release script does (yq, then helm package --version ${version})`,
  );

  const valuesFile = path.join(dir, "values.yaml");
  const paths = stamp.valuesPaths ?? [];
  const releaseValues = YAML.parse(
    git(spec.ownerRepo, ["show", `${release}:${chartPath}/values.yaml`]),
  ) as unknown;
  if (paths.length) {
    const valuesDoc = YAML.parseDocument(fs.readFileSync(valuesFile, "utf8"));
    const set: string[] = [];
    for (const keys of paths) {
      const value = getIn(releaseValues, keys);
      if (typeof value !== "string" || value === "") {
        throw new Error(`${spec.chart}@${version}: ${release} has no ${keys.join(".")}`);
      }
      const old = getIn(valuesDoc.toJS(), keys);
      valuesDoc.setIn([...keys], value);
      set.push(`${keys.join(".")}=${value}${old !== value ? ` (at ${tag}: ${String(old)})` : ""}`);
    }
    fs.writeFileSync(valuesFile, String(valuesDoc));
    notes.push(
      `values.yaml stamped from the release script's commit ${spec.ownerRepo}@${release}:${chartPath}/values.yaml ` +
        `("${subject}", parent ${tag}; branch ${branches.join(", ") || "none"}): ${set.join(", ")}`,
    );
    const tagTag = getIn(releaseValues, paths.find((k) => k[k.length - 1] === "tag") ?? []);
    if (tagTag !== undefined && String(tagTag) !== version) {
      throw new Error(`${spec.chart}@${version}: ${release} stamps image tag ${String(tagTag)}`);
    }
  }
  // The stamped files must now be the release commit's (what it packaged).
  for (const f of ["Chart.yaml", "values.yaml"]) {
    const mine = YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) as unknown;
    const theirs = YAML.parse(
      git(spec.ownerRepo, ["show", `${release}:${chartPath}/${f}`]),
    ) as unknown;
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new Error(
        `${spec.chart}@${version}: stamped ${f} differs from ${release}:${chartPath}/${f}`,
      );
    }
  }
  notes.push(
    `the stamped Chart.yaml and values.yaml equal ${release}'s; the rest of ${chartPath} is the tag's`,
  );

  if (stamp.crossCheckRef && paths.length) {
    notes.push(
      ...crossCheckStamp(spec, stamp.crossCheckRef, version, chartPath, paths, releaseValues),
    );
  }
  return notes;
}

/**
 * Compares the stamped values with the first commit of `ref` whose values.yaml names this version's
 * image tag (karpenter's main gets them by a hand-made "docs: update for patch release" commit for
 * patch releases, whose release PR is not merged). A mismatch is noted with the release whose
 * stamp that commit carries.
 */
function crossCheckStamp(
  spec: ChartSpec,
  ref: string,
  version: string,
  chartPath: string,
  paths: readonly (readonly string[])[],
  releaseValues: unknown,
): string[] {
  const file = `${chartPath}/values.yaml`;
  const tagKeys = paths.find((k) => k[k.length - 1] === "tag");
  if (!tagKeys) return [];
  const commits = git(spec.ownerRepo, ["log", "--reverse", "--format=%H%x09%s", ref, "--", file])
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));
  // Old values.yaml revisions may hold several documents: the first is the values.
  const show = (c: string): unknown =>
    YAML.parseAllDocuments(git(spec.ownerRepo, ["show", `${c}:${file}`]))[0]?.toJS() as unknown;
  const hit = commits.find(([c]) => String(getIn(show(c), tagKeys)) === version);
  if (!hit) return [`${ref} never names image tag ${version} in ${file}`];
  const [commit, subject] = hit;
  const theirs = show(commit);
  const differ = paths.filter((k) => getIn(theirs, k) !== getIn(releaseValues, k));
  if (differ.length === 0) {
    return [`${spec.ownerRepo}@${commit}:${file} ("${subject}", ${ref}) names the same image`];
  }
  // Whose stamp does it carry? The release-script commit that first set that value.
  const out: string[] = [];
  for (const k of differ) {
    const value = String(getIn(theirs, k));
    const stamped = git(spec.ownerRepo, [
      "log",
      "--all",
      "--reverse",
      "--fixed-strings",
      "--grep=Stable Release updates Release",
      "--format=%H%x09%s",
      "--",
      file,
    ])
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .find(([c]) => String(getIn(show(c), k)) === value);
    out.push(
      `MISMATCH: ${spec.ownerRepo}@${commit}:${file} ("${subject}", ${ref}) names ${k.join(".")}=${value}, ` +
        `not the packaged ${String(getIn(releaseValues, k))}` +
        (stamped ? `; ${value} is the stamp of ${stamped[0]} ("${stamped[1]}")` : ""),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// istio/release-builder

const BUILD_TRIGGER = "release/trigger-build";
const PUBLISH_TRIGGER = "release/trigger-publish";
const triggerCache = new Map<string, Map<string, string[]>>();

/**
 * The commits of the branch that builds `version` which write exactly `version` into `file`
 * (one of the trigger files), newest first. A branch the snapshot lacks has none.
 */
function triggers(rb: ReleaseBuilder, version: string, file: string): string[] {
  const branch = rb.branch(version);
  const key = `${rb.ownerRepo} ${branch} ${file}`;
  let byVersion = triggerCache.get(key);
  if (!byVersion) {
    byVersion = new Map();
    let commits: string[] = [];
    try {
      commits = gitQuiet(rb.ownerRepo, ["log", "--format=%H", branch, "--", file])
        .toString("utf8")
        .split("\n")
        .filter(Boolean);
    } catch {
      // no such branch
    }
    for (const c of commits) {
      const v = git(rb.ownerRepo, ["show", `${c}:${file}`]).trim();
      byVersion.set(v, [...(byVersion.get(v) ?? []), c]);
    }
    triggerCache.set(key, byVersion);
  }
  return byVersion.get(version) ?? [];
}

interface ReleaseBuild {
  readonly branch: string;
  /** The newest commit triggering the publication of the version. */
  readonly publish: string;
  /** The newest commit triggering its build that the publication commit contains. */
  readonly build: string;
}

function releaseBuild(rb: ReleaseBuilder, version: string): ReleaseBuild {
  const branch = rb.branch(version);
  const publish = triggers(rb, version, PUBLISH_TRIGGER)[0];
  if (!publish) {
    throw new Error(
      `${rb.ownerRepo} ${branch}: no commit writes ${version} into ${PUBLISH_TRIGGER}`,
    );
  }
  const build = triggers(rb, version, BUILD_TRIGGER).find((c) => {
    try {
      gitQuiet(rb.ownerRepo, ["merge-base", "--is-ancestor", c, publish]);
      return true;
    } catch {
      return false;
    }
  });
  if (!build) {
    throw new Error(
      `${rb.ownerRepo} ${branch}: no commit before ${publish} writes ${version} into ${BUILD_TRIGGER}`,
    );
  }
  return { branch, publish, build };
}

/** 1-based number of the first line of `text` that contains `needle`; throws when none does. */
function lineWith(text: string, needle: string | RegExp, where: string): number {
  const n =
    text
      .split("\n")
      .findIndex((l) => (typeof needle === "string" ? l.includes(needle) : needle.test(l))) + 1;
  if (n === 0) throw new Error(`${where} has no ${String(needle)}: its shape changed; re-read it`);
  return n;
}

/** The items of a Go `name = []T{...}` literal: quoted strings or regexp.MustCompile(`...`). */
function goList(text: string, name: string, where: string): { items: string[]; line: number } {
  const m = new RegExp(`^\\s*${name} = \\[\\][^{]*\\{([^}]*)\\}`, "m").exec(text);
  if (!m) throw new Error(`${where} has no ${name} list: its shape changed; re-read it`);
  const body = m[1];
  const items = body.includes("MustCompile")
    ? [...body.matchAll(/regexp\.MustCompile\(`([^`]*)`\)/g)].map((x) => x[1])
    : [...body.matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  return {
    items,
    line: text.slice(0, m.index + m[0].indexOf(`${name} =`)).split("\n").length,
  };
}

/**
 * Applies istio/release-builder's stamp (see ReleaseBuilder) to the chart extracted from the tag,
 * with the rules read from the commit that triggered the build of `version`. Returns notes citing
 * where each rule and value comes from and which values.yaml leaves it changed.
 */
function stampByReleaseBuilder(
  spec: ChartSpec,
  rb: ReleaseBuilder,
  version: string,
  chartPath: string,
  dir: string,
): string[] {
  const { branch, publish, build } = releaseBuild(rb, version);
  const at = (file: string): { text: string; cite: string } => ({
    text: git(rb.ownerRepo, ["show", `${build}:${file}`]),
    cite: `${rb.ownerRepo}@${build}:${file}`,
  });
  const subject = (c: string): string => git(rb.ownerRepo, ["log", "-1", "--format=%s", c]).trim();

  // release/build.sh: the manifest's version and docker hub.
  const script = at("release/build.sh");
  const hubMatch = /^DOCKER_HUB=\$\{DOCKER_HUB:-([^}]+)\}$/m.exec(script.text);
  if (!hubMatch) throw new Error(`${script.cite} sets no DOCKER_HUB default: re-read it`);
  const docker = hubMatch[1];
  const hubLine = lineWith(script.text, hubMatch[0], script.cite);
  lineWith(script.text, 'VERSION=${VERSION:-$(cat "${WD}/trigger-build")}', script.cite);
  const manifestVersion = lineWith(script.text, 'version: "${VERSION}"', script.cite);
  const manifestDocker = lineWith(script.text, 'docker: "${DOCKER_HUB}"', script.cite);

  // pkg/build/build.go: the charts are stamped before they are packaged.
  const buildGo = at("pkg/build/build.go");
  const sanitize = lineWith(buildGo.text, "SanitizeAllCharts(manifest)", buildGo.cite);
  const packaged = lineWith(buildGo.text, "HelmCharts(manifest)", buildGo.cite);
  if (sanitize > packaged) throw new Error(`${buildGo.cite}: charts are packaged before stamped`);

  // pkg/build/helm.go: what the stamp does.
  const helmGo = at("pkg/build/helm.go");
  const hubs = goList(helmGo.text, "hubs", helmGo.cite);
  const tagRegexes = goList(helmGo.text, "tagRegexes", helmGo.cite);
  const quotedTagRegexes = goList(helmGo.text, "quotedTagRegexes", helmGo.cite);
  for (const list of ["helmCharts", "repoHelmCharts"]) {
    if (!goList(helmGo.text, list, helmGo.cite).items.includes(chartPath)) {
      throw new Error(`${helmGo.cite}: ${list} does not list ${chartPath}`);
    }
  }
  const rule = (needle: string): number => lineWith(helmGo.text, needle, helmGo.cite);
  const versionLine = rule("chartFile.Version = manifest.Version");
  rule("chartFile.AppVersion = manifest.Version");
  rule('updateValues(manifest, path.Join(s, "values.yaml"))');
  const hubRule = rule(
    'contents = strings.ReplaceAll(contents, fmt.Sprintf("hub: %s", hub), fmt.Sprintf("hub: %s", manifest.Docker))',
  );
  rule(
    'contents = strings.ReplaceAll(contents, fmt.Sprintf("\\"hub\\": \\"%s\\"", hub), fmt.Sprintf("\\"hub\\": \\"%s\\"", manifest.Docker))',
  );
  rule('contents = tagRegex.ReplaceAllString(contents, fmt.Sprintf("tag: %s", manifest.Version))');
  rule(
    'contents = quotedTagRegex.ReplaceAllString(contents, fmt.Sprintf("\\"tag\\": \\"%s\\"", manifest.Version))',
  );

  // Chart.yaml: version = appVersion = the release (dependencies on file:// charts too, none here).
  const chartFile = path.join(dir, "Chart.yaml");
  const chartDoc = YAML.parseDocument(fs.readFileSync(chartFile, "utf8"));
  if (chartDoc.get("dependencies")) {
    throw new Error(`${spec.chart}@${version}: Chart.yaml declares dependencies; not modelled`);
  }
  const before = `${String(chartDoc.get("version"))}/${String(chartDoc.get("appVersion"))}`;
  chartDoc.set("version", version);
  chartDoc.set("appVersion", version);
  fs.writeFileSync(chartFile, String(chartDoc));

  // values.yaml: the same text replacements, in the same order.
  const valuesFile = path.join(dir, "values.yaml");
  const original = fs.readFileSync(valuesFile, "utf8");
  let text = original;
  for (const hub of hubs.items) {
    text = text.split(`hub: ${hub}`).join(`hub: ${docker}`);
    text = text.split(`"hub": "${hub}"`).join(`"hub": "${docker}"`);
  }
  for (const re of tagRegexes.items) text = text.replace(new RegExp(re, "g"), `tag: ${version}`);
  for (const re of quotedTagRegexes.items) {
    text = text.replace(new RegExp(re, "g"), `"tag": "${version}"`);
  }
  fs.writeFileSync(valuesFile, text);
  const changed = leafPaths((YAML.parse(text) ?? {}) as Values)
    .map((l) => ({ path: l.path, after: l.value, before: getIn(YAML.parse(original), l.keys) }))
    .filter((l) => JSON.stringify(l.before) !== JSON.stringify(l.after))
    .map((l) => `${l.path}: ${String(l.before)} -> ${String(l.after)}`);

  return [
    `Chart.yaml at tag ${version} says version/appVersion ${before} (a placeholder); stamped ` +
      `${version}/${version} as ${helmGo.cite} L${versionLine} (stampChartForRelease, run by ` +
      `SanitizeAllCharts before HelmCharts packages: ${buildGo.cite} L${sanitize}, L${packaged}) ` +
      `does. The build: ${build} ("${subject(build)}"), published by ${publish} ` +
      `("${subject(publish)}"), branch ${branch}`,
    `values.yaml stamped by text replacement as ${helmGo.cite} L${hubRule} (updateValues) does: ` +
      `hubs [${hubs.items.join(", ")}] (L${hubs.line}) -> ${docker} (the manifest's docker, ` +
      `${script.cite} L${manifestDocker}: DOCKER_HUB default L${hubLine}; a DOCKER_HUB set by the ` +
      `job's environment would override it), tags matching [${tagRegexes.items.join(", ")}] ` +
      `(L${tagRegexes.line}) and [${quotedTagRegexes.items.join(", ")}] (L${quotedTagRegexes.line}) ` +
      `-> ${version} (the manifest's version, L${manifestVersion}). Changed: ` +
      `${changed.length ? changed.join("; ") : "nothing"}`,
  ];
}

interface RenderInput {
  readonly chartDir: string;
  readonly release: string;
  readonly namespace: string;
  readonly kubeVersion: string;
  readonly values?: Values;
  readonly includeCrds?: boolean;
}

type Rendered = { ok: true; docs: Record<string, unknown>[] } | { ok: false; error: string };

let valuesFileSeq = 0;

async function render(input: RenderInput): Promise<Rendered> {
  const args = [
    "template",
    input.release,
    input.chartDir,
    "--namespace",
    input.namespace,
    "--kube-version",
    `${input.kubeVersion}.0`,
  ];
  if (input.includeCrds) args.push("--include-crds");
  if (input.values) {
    const file = path.join(WORK, `values-${valuesFileSeq++}.json`);
    fs.writeFileSync(file, JSON.stringify(input.values));
    args.push("-f", file);
  }
  try {
    const { stdout } = await run(HELM, args, { maxBuffer: 512 * 1024 * 1024 });
    const docs = YAML.parseAllDocuments(stdout)
      .map((d) => d.toJSON() as unknown)
      .filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null);
    return { ok: true, docs };
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    return {
      ok: false,
      error: String(e.stderr ?? e.message)
        .trim()
        .split("\n")
        .slice(-3)
        .join(" "),
    };
  }
}

/** Flattens rendered docs into `<doc id>|<json path>` -> scalar. */
function flatten(docs: readonly Record<string, unknown>[]): Map<string, string> {
  const out = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const doc of docs) {
    const md = (doc.metadata ?? {}) as Record<string, unknown>;
    const base = `${String(doc.kind)}/${String(md.namespace ?? "")}/${String(md.name ?? "")}`;
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    const id = `${base}#${n}`;
    const walk = (v: unknown, p: string): void => {
      if (Array.isArray(v)) {
        out.set(`${id}|${p}#len`, String(v.length));
        v.forEach((x, i) => walk(x, `${p}[${i}]`));
      } else if (typeof v === "object" && v !== null) {
        const keys = Object.keys(v);
        out.set(`${id}|${p}#keys`, keys.sort().join(","));
        for (const k of keys) walk((v as Record<string, unknown>)[k], `${p}.${k}`);
      } else {
        out.set(`${id}|${p}`, JSON.stringify(v));
      }
    };
    walk(doc, "");
  }
  return out;
}

function diffKeys(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k));
}

/** Rendered images: every string `image` field, split into repository and tag. */
function imagesOf(docs: readonly Record<string, unknown>[]): ImageRef[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === "image" && typeof x === "string") found.add(x);
        else walk(x);
      }
    }
  };
  docs.forEach(walk);
  return [...found].sort().map(splitImage);
}

export function splitImage(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = noDigest.lastIndexOf(":");
  const slash = noDigest.lastIndexOf("/");
  const digest = at >= 0 ? { digest: ref.slice(at + 1) } : {};
  return colon > slash
    ? { ref, repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1), ...digest }
    : { ref, repository: noDigest, tag: "", ...digest };
}

function crdsOf(docs: readonly Record<string, unknown>[]): Crd[] {
  return docs
    .filter((d) => d.kind === "CustomResourceDefinition")
    .map((d) => {
      const s = d.spec as {
        group: string;
        names: { kind: string };
        versions?: { name: string }[];
        version?: string;
      };
      return {
        group: s.group,
        kind: s.names.kind,
        versions: s.versions ? s.versions.map((v) => v.name) : [String(s.version)],
      };
    })
    .sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

// ---------------------------------------------------------------------------------------------
// value probes

function setAt(values: Values, keys: readonly string[], value: unknown, remove = false): Values {
  const [head, ...rest] = keys;
  const here = values as Record<string, unknown>;
  if (rest.length === 0) {
    return remove
      ? Object.fromEntries(Object.entries(here).filter(([k]) => k !== head))
      : { ...here, [head]: value };
  }
  const child = here[head];
  const inner =
    typeof child === "object" && child !== null && !Array.isArray(child) ? (child as Values) : {};
  return { ...here, [head]: setAt(inner, rest, value, remove) };
}

/** Changed values to try for a leaf, most telling first. */
function sentinels(value: unknown): unknown[] {
  if (typeof value === "boolean") return [!value];
  if (typeof value === "number") return [value + 1, 0];
  if (typeof value === "string") return [`${value}-tapsentinel`, ""];
  if (Array.isArray(value))
    return value.length > 0 ? [[], [value[0], value[0]]] : [["tapsentinel"]];
  // A null default may be read only as a boolean (aws-load-balancer-controller: `kindIs "bool"
  // .Values.enableShield`): a string, then `true`.
  if (value === null || value === undefined) return ["tapsentinel", true];
  return [{ tapsentinel: "x" }];
}

type ReadHow = "changed" | "removed-changed" | "template-error" | "not-read";

type Schema = { [key: string]: unknown };
const schemaCache = new Map<string, Schema | null>();

/**
 * The `enum` values.schema.json declares for a leaf (undefined when the chart has no schema or
 * the leaf no enum). Helm validates values against that schema before rendering, so the string
 * sentinels fail it there ("values don't meet the specifications of the schema", not a template
 * error): another allowed value is tried first (external-dns `registry`, `policy`, `logFormat`).
 */
function schemaEnumAt(chartDir: string, keys: readonly string[]): unknown[] | undefined {
  if (!schemaCache.has(chartDir)) {
    const file = path.join(chartDir, "values.schema.json");
    schemaCache.set(
      chartDir,
      fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Schema) : null,
    );
  }
  const root = schemaCache.get(chartDir);
  if (!root) return undefined;
  const resolve = (node: Schema): Schema => {
    const ref = node.$ref;
    if (typeof ref !== "string" || !ref.startsWith("#/")) return node;
    const target = getIn(root, ref.slice(2).split("/"));
    return typeof target === "object" && target !== null ? resolve(target as Schema) : node;
  };
  const child = (node: Schema, key: string): Schema | undefined => {
    const n = resolve(node);
    const props = n.properties as Record<string, Schema> | undefined;
    if (props?.[key]) return props[key];
    for (const k of ["allOf", "anyOf", "oneOf"]) {
      for (const sub of (n[k] as Schema[] | undefined) ?? []) {
        const found = child(sub, key);
        if (found) return found;
      }
    }
    return typeof n.additionalProperties === "object" && n.additionalProperties !== null
      ? (n.additionalProperties as Schema)
      : undefined;
  };
  let node: Schema | undefined = root;
  for (const k of keys) {
    node = node && child(node, k);
    if (!node) return undefined;
  }
  const e = resolve(node).enum;
  return Array.isArray(e) ? e : undefined;
}

async function probeLeaf(
  base: RenderInput,
  baseline: Map<string, string>,
  volatile: Set<string>,
  keys: readonly string[],
  value: unknown,
): Promise<{ how: ReadHow; detail?: string; kinds?: string[] }> {
  const errors: string[] = [];
  const allowed = (schemaEnumAt(base.chartDir, keys) ?? []).filter(
    (e) => JSON.stringify(e) !== JSON.stringify(value),
  );
  const attempts: { values: Values; how: ReadHow }[] = [
    ...[...allowed.slice(0, 2), ...sentinels(value)].map((s) => ({
      values: setAt(base.values ?? {}, keys, s),
      how: "changed" as const,
    })),
    { values: setAt(base.values ?? {}, keys, undefined, true), how: "removed-changed" },
  ];
  for (const a of attempts) {
    const r = await render({ ...base, values: a.values });
    if (!r.ok) {
      errors.push(r.error);
      continue;
    }
    const changed = diffKeys(baseline, flatten(r.docs)).filter((k) => !volatile.has(k));
    if (changed.length > 0) {
      const kinds = [...new Set(changed.map((k) => k.split("/")[0]))].sort();
      return { how: a.how, detail: changed.slice(0, 3).join(" ; "), kinds };
    }
  }
  // A template (not schema) error on a changed value means the templates evaluated it.
  const templateError = errors.find((e) => /execution error|error calling|template:/.test(e));
  if (templateError) return { how: "template-error", detail: templateError };
  return { how: "not-read", detail: errors.length ? errors.join(" | ") : undefined };
}

async function pool<T>(
  items: readonly T[],
  jobs: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        await fn(item);
      }
    }),
  );
}

interface ValueSet {
  readonly kubernetesVersions: string[];
  readonly release: TapRelease & { namespace: string };
  /** The first variant (describeVariant) whose release has these values. */
  readonly variant: string;
}

/**
 * The defaults of values.yaml as a user addresses them: the whole file, or (`valuesUnder`) the map
 * under that key, which the chart's templates/zzz_profile.yaml takes out of .Values and merges the
 * user's values over (Istio: `$defaults := $.Values._internal_defaults_do_not_set` ...
 * `set $ "Values" (mustMergeOverwrite $defaults $.Values)`; users set `foo`, never
 * `_internal_defaults_do_not_set.foo`). Throws when the template does not have that shape.
 */
function valuesDefaults(chartDir: string, under?: string): Values {
  const v = (YAML.parse(fs.readFileSync(path.join(chartDir, "values.yaml"), "utf8")) ??
    {}) as Values;
  if (!under) return v;
  const profile = path.join(chartDir, "templates", "zzz_profile.yaml");
  const tpl = fs.existsSync(profile) ? fs.readFileSync(profile, "utf8") : "";
  for (const needle of [
    `{{- $defaults := $.Values.${under} }}`,
    `{{- $_ := unset $.Values "${under}" }}`,
    `{{- $b := set $ "Values" (mustMergeOverwrite $defaults $.Values) }}`,
  ]) {
    if (!tpl.includes(needle)) {
      throw new Error(`${profile} has no ${needle}: the defaults under ${under} are not merged so`);
    }
  }
  const inner = v[under];
  if (typeof inner !== "object" || inner === null || Object.keys(v).length !== 1) {
    throw new Error(`${chartDir}/values.yaml: expected only the key ${under}`);
  }
  return inner as Values;
}

/** Default leaf paths of values.yaml (arrays and empty maps are leaves). */
function defaultLeaves(chartDir: string, under?: string): { keys: string[]; value: unknown }[] {
  const v = valuesDefaults(chartDir, under);
  return leafPaths(v).map((l) => ({ keys: [...l.keys], value: l.value }));
}

async function deriveVersion(
  spec: ChartSpec,
  version: string,
  appVersion: string,
  published: Published,
  sets: readonly ValueSet[],
  probeDefaults: boolean,
): Promise<ChartVersionFacts> {
  const chart = extractChart(spec, version, published);
  const chartYaml = YAML.parse(fs.readFileSync(path.join(chart.dir, "Chart.yaml"), "utf8")) as {
    appVersion?: string;
    kubeVersion?: string;
  };
  const notes = [...chart.notes];
  const first = sets[0].release;
  const kubeOfFirst = sets[0].kubernetesVersions[0];
  const common = { chartDir: chart.dir, release: first.name, namespace: first.namespace };

  // Defaults (and CRDs) at the first minor that uses this version.
  const defaults = await render({ ...common, kubeVersion: kubeOfFirst, includeCrds: true });
  let defaultDocs: Record<string, unknown>[] = [];
  if (defaults.ok) defaultDocs = defaults.docs;
  else notes.push(`default render failed: ${defaults.error}`);

  if (imagesOf(defaultDocs).length === 0) {
    // Some charts render nothing without required values (cluster-autoscaler needs
    // autoDiscovery.clusterName): render with tap's values minus every image override instead.
    const noImages = stripImageOverrides(first.values);
    const r = await render({ ...common, kubeVersion: kubeOfFirst, values: noImages });
    if (r.ok && imagesOf(r.docs).length > 0) {
      notes.push(
        "the chart renders no image with its defaults alone; defaultImages are rendered with tap's values minus tap's image overrides",
      );
      defaultDocs = [
        ...defaultDocs,
        ...r.docs.filter((d) => d.kind !== "CustomResourceDefinition"),
      ];
    }
  }
  const valuesRead: Record<string, boolean> = {};
  const how: Record<string, string> = {};
  const into: Record<string, string[]> = {};
  const tapImages: Record<string, ImageRef[]> = {};
  const tapRendered: Record<string, RenderedInventory> = {};
  const byVariant: Record<string, Record<string, RenderedInventory>> = {};
  const tapCrds: Crd[][] = [];
  const probed = new Set<string>();

  for (const set of sets) {
    const kube = set.kubernetesVersions[0];
    const base: RenderInput = { ...common, kubeVersion: kube, values: set.release.values };
    const r1 = await render(base);
    if (!r1.ok) {
      notes.push(`render with tap's values (Kubernetes ${kube}) failed: ${r1.error}`);
      for (const leaf of leafPaths(set.release.values)) valuesRead[leaf.path] = false;
      continue;
    }
    const withCrds = await render({ ...base, includeCrds: true });
    if (withCrds.ok) tapCrds.push(crdsOf(withCrds.docs));
    for (const k of set.kubernetesVersions) tapImages[k] = imagesOf(r1.docs);
    if (spec.inventory) {
      const inv = inventoryOf(r1.docs, spec.inventory.readings);
      for (const k of set.kubernetesVersions) {
        // The first variant that installs the chart on k; another's only where it differs.
        if (!(k in tapRendered)) tapRendered[k] = inv;
        else if (JSON.stringify(tapRendered[k]) !== JSON.stringify(inv))
          (byVariant[set.variant] ??= {})[k] = inv;
      }
    }
    const baseline = flatten(r1.docs);
    // Output that changes between identical renders (generated certificates, random names) and
    // output that changes with a key no chart reads (whole-values checksums) is masked.
    const r2 = await render(base);
    const probe = await render({ ...base, values: { ...set.release.values, tapUnreadProbe: "x" } });
    const volatile = new Set<string>([
      ...(r2.ok ? diffKeys(baseline, flatten(r2.docs)) : []),
      ...(probe.ok ? diffKeys(baseline, flatten(probe.docs)) : []),
    ]);
    if (volatile.size > 0)
      notes.push(
        `${volatile.size} rendered fields vary between identical renders or with an unread key; masked`,
      );
    const leaves = leafPaths(set.release.values).filter((l) => !probed.has(l.path));
    leaves.forEach((l) => probed.add(l.path));
    await pool(leaves, CONCURRENCY, async (leaf) => {
      const res = await probeLeaf(base, baseline, volatile, leaf.keys, leaf.value);
      valuesRead[leaf.path] = res.how !== "not-read";
      how[leaf.path] = res.how;
      if (res.kinds) into[leaf.path] = res.kinds;
    });

    if (probeDefaults && set === sets[0]) {
      const dl = defaultLeaves(chart.dir, spec.valuesUnder).filter(
        (l) => !probed.has(leafPathOf(l.keys)),
      );
      const readDefaults: string[] = [];
      await pool(dl, CONCURRENCY, async (l) => {
        const res = await probeLeaf(base, baseline, volatile, l.keys, l.value);
        if (res.how !== "not-read") readDefaults.push(leafPathOf(l.keys));
      });
      defaultLeavesReadCache.set(`${spec.chart}@${version}`, readDefaults.sort());
    }
  }

  const allDefaultLeaves = defaultLeaves(chart.dir, spec.valuesUnder).map((l) =>
    leafPathOf(l.keys),
  );
  const readInDefaults = new Set([
    ...(defaultLeavesReadCache.get(`${spec.chart}@${version}`) ?? []),
    ...Object.entries(valuesRead)
      .filter(([p, r]) => r && allDefaultLeaves.includes(p))
      .map(([p]) => p),
  ]);
  const builtin =
    /^(Deployment|DaemonSet|StatefulSet|Job|CronJob|Pod|Service|ServiceAccount|ConfigMap|Secret|Role|RoleBinding|ClusterRole|ClusterRoleBinding|PodDisruptionBudget|PriorityClass|Namespace|ValidatingWebhookConfiguration|MutatingWebhookConfiguration|APIService|CustomResourceDefinition|HorizontalPodAutoscaler|NetworkPolicy|ServiceMonitor|PodMonitor)$/;
  const onlyCr = Object.entries(into)
    .filter(([, kinds]) => kinds.length > 0 && kinds.every((k) => !builtin.test(k)))
    .map(([p]) => p)
    .sort();
  const notRead = Object.entries(how)
    .filter(([, h]) => h === "not-read")
    .map(([p]) => p);
  if (notRead.length) notes.push(`not read: ${notRead.join(", ")}`);
  const viaError = Object.entries(how)
    .filter(([, h]) => h === "template-error")
    .map(([p]) => p);
  if (viaError.length)
    notes.push(`read (a changed value made a template fail): ${viaError.join(", ")}`);

  const valuesImages = valuesImagesOf(chart.dir, spec.valuesUnder);
  const allowed = allowedOverrides(spec, version, valuesImages);
  const required = requiredRepositories(spec, chart.dir, chart.source);
  const sortedKeys = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => semverCmp(a, b)));

  const facts: ChartVersionFacts = {
    source: chart.source,
    ...(chart.ref ? { ref: chart.ref } : {}),
    appVersion: String(chartYaml.appVersion ?? appVersion),
    ...(chartYaml.kubeVersion ? { kubeVersion: chartYaml.kubeVersion } : {}),
    defaultImages: imagesOf(defaultDocs),
    tapImages,
    crds: defaults.ok ? crdsOf(defaultDocs) : (tapCrds[0] ?? []),
    valuesRead: Object.fromEntries(
      Object.entries(valuesRead).sort(([a], [b]) => a.localeCompare(b)),
    ),
    valuesReadInto: Object.fromEntries(Object.entries(into).sort(([a], [b]) => a.localeCompare(b))),
    ...(onlyCr.length ? { readOnlyIntoCustomResource: onlyCr } : {}),
    valuesImages,
    ...(allowed.length ? { allowedImageOverrides: allowed } : {}),
    ...(required ? { requiredImageRepositories: [required] } : {}),
    ...(spec.inventory ? { tapRendered: sortedKeys(tapRendered) } : {}),
    ...(Object.keys(byVariant).length
      ? {
          tapRenderedByVariant: Object.fromEntries(
            Object.entries(byVariant).map(([v, r]) => [v, sortedKeys(r)]),
          ),
        }
      : {}),
    ...(probeDefaults ? { defaultLeavesRead: [...readInDefaults].sort() } : {}),
    defaultLeaves: allDefaultLeaves,
    ...(notes.length ? { notes } : {}),
  };
  return facts;
}

/**
 * The spec's image override exceptions that apply to `version`, each checked: the chart's default
 * at the path is still the tag it replaces, and the evidence file holds the quoted code at both
 * tags (the commit of the allowed tag is cited).
 */
/** The distributions a chart that requires an image repository names (its requiredImageRepository). */
function requiredRepositories(
  spec: ChartSpec,
  chartDir: string,
  source: string,
): RequiredImageRepository | undefined {
  const r = spec.requiredImageRepository;
  if (!r) return undefined;
  const text = fs.readFileSync(path.join(chartDir, r.file), "utf8");
  const start = text.indexOf(`define "${r.define}"`);
  const end = text.indexOf("{{- end }}", start);
  if (start < 0 || end < 0) throw new Error(`${spec.chart}: no define ${r.define} in ${r.file}`);
  const names = text
    .slice(start, end)
    .split("\n")
    .map((l) => /^- ([a-z0-9-]+)\s*$/.exec(l.trim())?.[1])
    .filter((n): n is string => n !== undefined);
  if (names.length === 0) throw new Error(`${spec.chart}: define ${r.define} lists no names`);
  const evidence = fs.readFileSync(path.join(chartDir, r.prefixEvidence), "utf8");
  if (!names.some((n) => evidence.includes(`${r.prefix}${n}`)))
    throw new Error(
      `${spec.chart}: ${r.prefixEvidence} names none of ${names.join(", ")} as ${r.prefix}<name>`,
    );
  // source is owner/repo@<commit>:<chart dir>.
  return {
    path: r.path,
    repositories: names.map((n) => `${r.prefix}${n}`).sort(),
    source: `${source}/${r.file} (${r.define}); ${source}/${r.prefixEvidence}`,
  };
}

function allowedOverrides(
  spec: ChartSpec,
  version: string,
  valuesImages: Record<string, ValuesImage>,
): AllowedImageOverride[] {
  return (spec.imageOverrides ?? [])
    .filter((e) => e.chartVersions.includes(version))
    .map((e) => {
      const where = `${spec.chart}@${version} image override ${e.path}:${e.tag}`;
      const declared = valuesImages[e.path];
      if (!declared) throw new Error(`${where}: the chart declares no image at ${e.path}`);
      if (declared.tag !== e.insteadOf) {
        throw new Error(
          `${where}: the chart's default there is ${String(declared.tag)}, not ${e.insteadOf}: revise or drop the exception`,
        );
      }
      const ev = e.evidence;
      const show = (tag: string): { commit: string; text: string } => {
        const commit = revParse(ev.ownerRepo, tag);
        return { commit, text: git(ev.ownerRepo, ["show", `${commit}:${ev.file}`]) };
      };
      const after = show(e.tag);
      const before = show(e.insteadOf);
      for (const [at, texts, tag] of [
        [after, ev.after, e.tag],
        [before, ev.before, e.insteadOf],
      ] as const) {
        for (const t of texts) {
          if (!at.text.includes(t)) {
            throw new Error(`${where}: ${ev.ownerRepo}@${tag}:${ev.file} has no "${t}"`);
          }
        }
      }
      return {
        path: e.path,
        tag: e.tag,
        insteadOf: e.insteadOf,
        ...(declared.repository !== undefined ? { repository: declared.repository } : {}),
        ...(declared.registry !== undefined ? { registry: declared.registry } : {}),
        reason: e.reason,
        source: `${ev.ownerRepo}@${after.commit}:${ev.file}`,
        evidence:
          `${ev.ownerRepo}@${before.commit}:${ev.file} (tag ${e.insteadOf}) has ` +
          `${ev.before.map((t) => `"${t}"`).join(", ")}; ${ev.ownerRepo}@${after.commit}:${ev.file} ` +
          `(tag ${e.tag}) has ${ev.after.map((t) => `"${t}"`).join(", ")}`,
      };
    });
}

/** What `docs` render that tap names elsewhere (see RenderedInventory). */
function inventoryOf(
  docs: readonly Record<string, unknown>[],
  readings?: (docs: readonly Record<string, unknown>[]) => Record<string, unknown>,
): RenderedInventory {
  type Md = { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  const md = (d: Record<string, unknown>): Md => (d.metadata ?? {}) as Md;
  const byName = <T extends { name: string }>(xs: T[]): T[] =>
    xs.sort((a, b) => a.name.localeCompare(b.name));
  const podSpec = (d: Record<string, unknown>): Record<string, unknown> | undefined => {
    const spec = d.spec as Record<string, unknown> | undefined;
    const t =
      d.kind === "CronJob"
        ? ((spec?.jobTemplate as Record<string, unknown> | undefined)?.spec as
            | Record<string, unknown>
            | undefined)
        : spec;
    return (t?.template as Record<string, unknown> | undefined)?.spec as
      | Record<string, unknown>
      | undefined;
  };
  type Container = { image?: unknown; volumeMounts?: { name?: unknown; mountPath?: unknown }[] };
  return {
    serviceAccounts: byName(
      docs
        .filter((d) => d.kind === "ServiceAccount")
        .map((d) => ({
          name: String(md(d).name ?? ""),
          namespace: String(md(d).namespace ?? ""),
          annotations: Object.fromEntries(
            Object.entries(md(d).annotations ?? {}).map(([k, v]) => [k, String(v)]),
          ),
        })),
    ),
    configMaps: byName(
      docs
        .filter((d) => d.kind === "ConfigMap")
        .map((d) => ({
          name: String(md(d).name ?? ""),
          keys: [
            ...Object.keys((d.data ?? {}) as object),
            ...Object.keys((d.binaryData ?? {}) as object),
          ].sort(),
        })),
    ),
    services: byName(
      docs
        .filter((d) => d.kind === "Service")
        .map((d) => ({
          name: String(md(d).name ?? ""),
          ports: ((d.spec as { ports?: { port?: unknown }[] } | undefined)?.ports ?? []).map((p) =>
            Number(p.port),
          ),
        })),
    ),
    workloads: docs
      .filter((d) => podSpec(d) !== undefined)
      .map((d) => {
        const pod = podSpec(d) as {
          serviceAccountName?: unknown;
          containers?: Container[];
          initContainers?: Container[];
          volumes?: { name?: unknown; configMap?: { name?: unknown } }[];
        };
        const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
        const mounts: Record<string, string[]> = {};
        for (const v of pod.volumes ?? []) {
          if (!v.configMap) continue;
          const cm = String(v.configMap.name ?? "");
          const at = containers.flatMap((c) =>
            (c.volumeMounts ?? []).filter((m) => m.name === v.name).map((m) => String(m.mountPath)),
          );
          mounts[cm] = [...new Set([...(mounts[cm] ?? []), ...at])].sort();
        }
        return {
          kind: String(d.kind),
          name: String(md(d).name ?? ""),
          serviceAccountName: String(pod.serviceAccountName ?? "default"),
          images: [...new Set(containers.map((c) => String(c.image)))].sort(),
          configMapMounts: mounts,
        };
      })
      .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`)),
    ...(readings ? { readings: readings(docs) } : {}),
  };
}

/** `values` without tap's image overrides (repository/tag/digest/registry/image/version of image objects). */
function stripImageOverrides(values: Values): Values {
  let out = values;
  for (const o of imageOverrides(values)) {
    const keys = o.path === "" ? [] : pathKeys(values, o.path);
    for (const k of ["repository", "tag", "digest", "registry", "image", "version"]) {
      out = setAt(out, [...keys, k], undefined, true);
    }
  }
  return out;
}

/** The key list of a leaf path of `values` (paths are formatted by leafPaths). */
function pathKeys(values: Values, p: string): string[] {
  const walk = (v: Values, prefix: string[]): string[] | undefined => {
    for (const [k, x] of Object.entries(v)) {
      const keys = [...prefix, k];
      if (formatPath(keys) === p) return keys;
      if (typeof x === "object" && x !== null && !Array.isArray(x)) {
        const found = walk(x as Values, keys);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(values, []) ?? p.split(".");
}

const defaultLeavesReadCache = new Map<string, string[]>();
const leafPathOf = (keys: readonly string[]): string => leafPaths(setAt({}, keys, 0))[0].path;

/** Deep merge of plain objects, `over` winning (helm's coalescing of a parent's values over a subchart's). */
function mergeValues(base: unknown, over: unknown): unknown {
  const plain = (x: unknown): x is Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (!plain(base) || !plain(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, x] of Object.entries(over)) out[k] = mergeValues(base[k], x);
  return out;
}

/**
 * values.yaml's defaults with those of each subchart directory in charts/ (vendored or kept in git)
 * under its name (Chart.yaml `alias` or `name`), the parent's values there merged over them.
 * Packaged subcharts (charts/*.tgz) are not opened.
 */
function valuesWithSubcharts(chartDir: string, under?: string): Values {
  const v = valuesDefaults(chartDir, under) as Record<string, unknown>;
  const chartsDir = path.join(chartDir, "charts");
  if (!fs.existsSync(chartsDir)) return v;
  const deps =
    (
      YAML.parse(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as {
        dependencies?: { name: string; alias?: string }[];
      }
    ).dependencies ?? [];
  const out: Record<string, unknown> = { ...v };
  for (const d of fs.readdirSync(chartsDir)) {
    const dir = path.join(chartsDir, d);
    if (
      !fs.existsSync(path.join(dir, "Chart.yaml")) ||
      !fs.existsSync(path.join(dir, "values.yaml"))
    )
      continue;
    const name = String(
      (YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { name?: unknown })
        .name ?? d,
    );
    const key = deps.find((x) => x.name === name)?.alias ?? name;
    out[key] = mergeValues(valuesWithSubcharts(dir), v[key]);
  }
  return out;
}

/**
 * Image defaults in values.yaml (and its subcharts', under their names): objects with
 * `repository`/`tag` (and `registry`, `digest`), or registry/image/version.
 */
type ValuesImage = { registry?: string; repository?: string; tag?: string; digest?: string };
function valuesImagesOf(chartDir: string, under?: string): Record<string, ValuesImage> {
  const v = valuesWithSubcharts(chartDir, under);
  const out: Record<string, ValuesImage> = {};
  // An image at the root (Istio's `hub`/`tag` of istiod, ztunnel) is recorded under "", the path
  // imageOverrides gives a root-level override.
  const at = (keys: readonly string[]): string => (keys.length ? leafPathOf(keys) : "");
  const walk = (o: Values, keys: string[]): void => {
    const r = o as Record<string, unknown>;
    if (typeof r.image === "string" && "version" in r) {
      out[at(keys)] = {
        repository: `${r.registry ? `${String(r.registry)}/` : ""}${r.image}`,
        tag: String(r.version ?? ""),
      };
    } else if ("repository" in r || ("tag" in r && typeof r.tag !== "object")) {
      out[at(keys)] = {
        ...(typeof r.registry === "string" && r.registry !== "" ? { registry: r.registry } : {}),
        ...(r.repository !== undefined ? { repository: String(r.repository ?? "") } : {}),
        ...(r.tag !== undefined ? { tag: String(r.tag ?? "") } : {}),
        ...(typeof r.digest === "string" && r.digest !== "" ? { digest: r.digest } : {}),
      };
    }
    for (const [k, x] of Object.entries(r)) {
      if (typeof x === "object" && x !== null && !Array.isArray(x)) walk(x as Values, [...keys, k]);
    }
  };
  walk(v, []);
  return out;
}

/**
 * The chart `chart`@`version` exactly as the derivation renders it (extracted, stamped, missing
 * dependencies vendored), copied to `outDir`, with its published list and notes: for a check by
 * hand (`helm template outDir`) of a chart tap has no release of yet, which main() skips.
 */
export function extractForCheck(
  chart: string,
  version: string,
  outDir: string,
): { source: string; published: string; versions: string[]; notes: string[] } {
  const spec = SPECS.find((s) => s.chart === chart);
  if (!spec) throw new Error(`${chart} is not in SPECS`);
  const published = publishedOf(spec);
  const extracted = extractChart(spec, version, published);
  const notes = [...extracted.notes];
  // Throws when the defaults are not laid out as the spec says.
  valuesDefaults(extracted.dir, spec.valuesUnder);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.cpSync(extracted.dir, outDir, { recursive: true });
  fs.rmSync(WORK, { recursive: true, force: true });
  return {
    source: extracted.source,
    published: published.source,
    versions: published.versions.map((v) => v.version),
    notes,
  };
}

// ---------------------------------------------------------------------------------------------

export async function main(args: readonly string[]): Promise<number> {
  const only = new Set(args.filter((a) => !a.startsWith("--")));
  const probeDefaults = !args.includes("--no-defaults");
  execFileSync(HELM, ["version", "--short"], { stdio: "ignore" });
  const sets = await dumpTapReleases();
  fs.mkdirSync(FACTS_DIR, { recursive: true });

  for (const spec of SPECS) {
    if (only.size && !only.has(spec.chart)) continue;
    const t0 = Date.now();
    const published = publishedOf(spec);
    const byVersion = new Map(published.versions.map((v) => [v.version, v]));

    // tap's releases of this chart, grouped by identical values (one set per distinct values).
    const tapSets: (ValueSet & { version: string })[] = [];
    for (const s of sets) {
      // dumpTapReleases spreads the whole variant into each set (its fields may lag TAP_VARIANTS').
      const variant = TAP_VARIANTS.find((v) =>
        Object.entries(v).every(([k, x]) => (s as unknown as Record<string, unknown>)[k] === x),
      );
      const label = variant ? describeVariant(variant) : "(variant not in TAP_VARIANTS)";
      for (const r of s.releases.filter((x) => x.chart === spec.chart)) {
        const rel = { ...r, namespace: r.namespace ?? "default" };
        const same = tapSets.find(
          (t) =>
            t.version === r.version &&
            JSON.stringify(t.release.values) === JSON.stringify(r.values),
        );
        if (same) {
          if (!same.kubernetesVersions.includes(s.kubernetesVersion))
            same.kubernetesVersions.push(s.kubernetesVersion);
        } else
          tapSets.push({
            version: r.version,
            kubernetesVersions: [s.kubernetesVersion],
            release: rel,
            variant: label,
          });
      }
    }
    if (tapSets.length === 0) {
      // Nothing to probe (e.g. Istio's charts before tap installs them): the file is left as is.
      console.error(`${spec.chart}: tap has no release of this chart; nothing derived`);
      continue;
    }
    const pinned = [...new Set(tapSets.map((t) => t.version))];
    const lineOf = (v: string): string =>
      spec.line(byVersion.get(v) ?? { version: v, appVersion: "" });
    const pinnedLines = [...new Set(pinned.map(lineOf))];
    const lines = [
      ...new Set([...pinnedLines, ...(spec.wantedLines?.(published.versions, pinnedLines) ?? [])]),
    ].sort(semverCmpLine);
    const newestPerLine: Record<string, string> = {};
    for (const v of published.versions) {
      const line = spec.line(v);
      if (!(line in newestPerLine)) newestPerLine[line] = v.version;
    }
    const newestUsed = Object.fromEntries(
      lines.map((l) => [l, newestPerLine[l] ?? "(none published)"]),
    );
    const toDerive = [
      ...new Set([...pinned, ...(EXTRA_VERSIONS[spec.chart] ?? []), ...Object.values(newestUsed)]),
    ].filter(
      (v) => byVersion.has(v) || pinned.includes(v) || EXTRA_VERSIONS[spec.chart]?.includes(v),
    );

    const versions: Record<string, ChartVersionFacts> = {};
    for (const version of toDerive.sort(semverCmp)) {
      let vs = tapSets.filter((t) => t.version === version);
      if (vs.length === 0) vs = tapSets.filter((t) => lineOf(t.version) === lineOf(version));
      if (vs.length === 0) {
        // A line no pin is on (e.g. CA 1.34 when 1.34 pins a 1.33 chart): the minor's values.
        const m = minor(byVersion.get(version)?.appVersion ?? "");
        vs = tapSets.filter((t) => t.kubernetesVersions.includes(m));
      }
      if (vs.length === 0) vs = tapSets;
      const pub = byVersion.get(version);
      if (!pub) {
        console.error(`${spec.chart}@${version}: not published; facts from the source only`);
      }
      try {
        versions[version] = await deriveVersion(
          spec,
          version,
          pub?.appVersion ?? (spec.placeholderVersion ? version : ""),
          published,
          vs,
          probeDefaults && pinned.includes(version),
        );
        console.error(`${spec.chart}@${version}: derived`);
      } catch (err) {
        console.error(`${spec.chart}@${version}: ${(err as Error).message}`);
      }
    }

    const file: ChartFactsFile = {
      chart: spec.chart,
      repo: spec.repo,
      published: { source: published.source, versions: published.versions },
      imageTagRule: spec.imageTagRule,
      ...(spec.imageTagRuleReason ? { imageTagRuleReason: spec.imageTagRuleReason } : {}),
      newestPerLine: { ...newestUsed, "(newest overall)": published.versions[0]?.version ?? "" },
      versions,
    };
    fs.writeFileSync(
      path.join(FACTS_DIR, `${spec.chart}.json`),
      `${JSON.stringify(file, null, 2)}\n`,
    );
    console.error(
      `${spec.chart}: ${Object.keys(versions).length} versions in ${Math.round((Date.now() - t0) / 1000)} s`,
    );
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  return 0;
}
