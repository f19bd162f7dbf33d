/**
 * Derives facts/charts/<chart>.json from upstream snapshots (git dirs under /work/.mirror, brought
 * by the workplace's `fetch`) and a helm binary ($HELM). Never run in CI. Usage:
 *
 *   HELM=/root/.cache/tap-tools/helm node tools/upstream/run.js derive-chart-facts.ts [chart...]
 *
 * For every chart tap pins it records: the published versions (the Helm repository index as kept
 * in git), and for each version tap pins, will pin (EXTRA_VERSIONS) or could move to (the newest
 * of each line tap uses): source, appVersion, rendered images, CRDs, and which of tap's value
 * leaves the templates read (render with tap's values, re-render with one leaf changed: a read
 * leaf changes the output).
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import {
  ChartFactsFile,
  ChartVersionFacts,
  Crd,
  FACTS_DIR,
  ImageRef,
  PublishedVersion,
  TapRelease,
  Values,
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

interface ChartSpec {
  readonly chart: string;
  readonly repo: string;
  readonly ownerRepo: string;
  readonly published: IndexSource | CalicoSource;
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
    for (const e of entries) {
      if (e.digest) digests.set(e.version, e.digest);
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

function extractChart(spec: ChartSpec, version: string, published: Published): ExtractedChart {
  const out = path.join(WORK, `${spec.chart}-${version}`);
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
      if (spec.placeholderVersion) {
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
  return colon > slash
    ? { ref, repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) }
    : { ref, repository: noDigest, tag: "" };
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
  if (value === null || value === undefined) return ["tapsentinel"];
  return [{ tapsentinel: "x" }];
}

type ReadHow = "changed" | "removed-changed" | "template-error" | "not-read";

async function probeLeaf(
  base: RenderInput,
  baseline: Map<string, string>,
  volatile: Set<string>,
  keys: readonly string[],
  value: unknown,
): Promise<{ how: ReadHow; detail?: string; kinds?: string[] }> {
  const errors: string[] = [];
  const attempts: { values: Values; how: ReadHow }[] = [
    ...sentinels(value).map((s) => ({
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
}

/** Default leaf paths of values.yaml (arrays and empty maps are leaves). */
function defaultLeaves(chartDir: string): { keys: string[]; value: unknown }[] {
  const v = (YAML.parse(fs.readFileSync(path.join(chartDir, "values.yaml"), "utf8")) ??
    {}) as Values;
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
      const dl = defaultLeaves(chart.dir).filter((l) => !probed.has(leafPathOf(l.keys)));
      const readDefaults: string[] = [];
      await pool(dl, CONCURRENCY, async (l) => {
        const res = await probeLeaf(base, baseline, volatile, l.keys, l.value);
        if (res.how !== "not-read") readDefaults.push(leafPathOf(l.keys));
      });
      defaultLeavesReadCache.set(`${spec.chart}@${version}`, readDefaults.sort());
    }
  }

  const allDefaultLeaves = defaultLeaves(chart.dir).map((l) => leafPathOf(l.keys));
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
    valuesImages: valuesImagesOf(chart.dir),
    ...(probeDefaults ? { defaultLeavesRead: [...readInDefaults].sort() } : {}),
    defaultLeaves: allDefaultLeaves,
    ...(notes.length ? { notes } : {}),
  };
  return facts;
}

/** `values` without tap's image overrides (repository/tag/registry/image/version of image objects). */
function stripImageOverrides(values: Values): Values {
  let out = values;
  for (const o of imageOverrides(values)) {
    const keys = o.path === "" ? [] : pathKeys(values, o.path);
    for (const k of ["repository", "tag", "registry", "image", "version"]) {
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

/** Image defaults in values.yaml: objects with `repository`/`tag` (or registry/image/version). */
function valuesImagesOf(chartDir: string): Record<string, { repository?: string; tag?: string }> {
  const v = (YAML.parse(fs.readFileSync(path.join(chartDir, "values.yaml"), "utf8")) ??
    {}) as Values;
  const out: Record<string, { repository?: string; tag?: string }> = {};
  const walk = (o: Values, keys: string[]): void => {
    const r = o as Record<string, unknown>;
    if (typeof r.image === "string" && "version" in r) {
      out[leafPathOf(keys.length ? keys : ["(root)"])] = {
        repository: `${r.registry ? `${String(r.registry)}/` : ""}${r.image}`,
        tag: String(r.version ?? ""),
      };
    } else if ("repository" in r || ("tag" in r && typeof r.tag !== "object")) {
      out[leafPathOf(keys.length ? keys : ["(root)"])] = {
        ...(r.repository !== undefined ? { repository: String(r.repository ?? "") } : {}),
        ...(r.tag !== undefined ? { tag: String(r.tag ?? "") } : {}),
      };
    }
    for (const [k, x] of Object.entries(r)) {
      if (typeof x === "object" && x !== null && !Array.isArray(x)) walk(x as Values, [...keys, k]);
    }
  };
  walk(v, []);
  return out;
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
          });
      }
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
