/**
 * Re-derives facts/crds/** from upstream git snapshots. Run by hand (never in CI), after fetching
 * the repositories into bare git dirs (the `fetch` tool puts them under /work/.mirror):
 *
 *   node tools/transpile.js && node dist/tools/upstream/crds/extract.js [--mirror /work/.mirror]
 *     [--only <chart>[,<chart>...]]
 *
 * `--only` (repeatable, comma-separated) re-derives the releases of those charts only
 * (tigera-operator, keda, appmesh-controller, karpenter-crd, secrets-store-csi-driver, base, kyverno,
 * argo-cd, argo-rollouts) and leaves the other directories as they are, so only the mirrors of those
 * charts are needed.
 *
 * For every chart release below it reads the CRDs that release ships, keeps each version's
 * openAPIV3Schema reduced to what validation needs (descriptions and examples dropped; structure
 * and defaults kept), lists its x-kubernetes-validations (CEL) rules, and records the source as
 * owner/repo@ref:path. For tigera-operator it also records how the chart turns Helm values into the
 * Installation / APIServer / FelixConfiguration specs (read from templates/crs/*.yaml, asserted to
 * have the known shape) and the chart's defaults for those values keys. Output is prettier-formatted.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const OUT = path.join(ROOT, "facts", "crds");

/** Schema keywords kept as they are (scalars or lists of scalars). */
const KEPT_SCALAR = new Set([
  "type",
  "format",
  "required",
  "enum",
  "nullable",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minProperties",
  "maxProperties",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  // Kept: the server fills defaults in before it validates (CEL rules see them), and a structural
  // schema needs one on every x-kubernetes-list-map-keys property that is not required (a CRD
  // without them is rejected: argo-rollouts' Pod template ports[].protocol).
  "default",
]);
/** Keywords that do not affect whether an object is accepted. */
const DROPPED = new Set([
  "description",
  "title",
  "example",
  "externalDocs",
  "x-kubernetes-map-type",
]);

interface CelRule {
  readonly version: string;
  readonly path: string;
  readonly rule: string;
  readonly message?: string;
}

/** The reduced schema; CEL rules are kept in place and also collected into `rules`. */
function reduce(node: JsonObject, at: string, version: string, rules: CelRule[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === "uniqueItems" && value === false) continue;
    if (KEPT_SCALAR.has(key)) {
      out[key] = value;
    } else if (key === "properties") {
      const props: JsonObject = {};
      for (const [name, sub] of Object.entries(value as JsonObject)) {
        props[name] = reduce(sub as JsonObject, `${at}.${name}`, version, rules);
      }
      out.properties = props;
    } else if (key === "additionalProperties") {
      out.additionalProperties =
        typeof value === "boolean" ? value : reduce(value as JsonObject, `${at}.*`, version, rules);
    } else if (key === "items") {
      out.items = reduce(value as JsonObject, `${at}[*]`, version, rules);
    } else if (key === "anyOf" || key === "oneOf" || key === "allOf") {
      out[key] = (value as JsonObject[]).map((s, i) =>
        reduce(s, `${at}.${key}[${i}]`, version, rules),
      );
    } else if (key === "not") {
      out.not = reduce(value as JsonObject, `${at}.not`, version, rules);
    } else if (key === "x-kubernetes-validations") {
      const kept = (value as JsonObject[]).map((v) => {
        const r: JsonObject = { rule: v.rule };
        for (const k of [
          "message",
          "messageExpression",
          "reason",
          "fieldPath",
          "optionalOldSelf",
        ]) {
          if (v[k] !== undefined) r[k] = v[k];
        }
        return r;
      });
      out[key] = kept;
      for (const r of kept) {
        rules.push({
          version,
          path: at || ".",
          rule: String(r.rule),
          ...(r.message !== undefined ? { message: String(r.message) } : {}),
        });
      }
    } else {
      throw new Error(`unhandled schema keyword "${key}" at ${at || "."}`);
    }
  }
  return out;
}

class Repo {
  constructor(
    readonly slug: string,
    private readonly gitDir: string,
  ) {}
  private git(...args: string[]): string {
    return execFileSync("git", [`--git-dir=${this.gitDir}`, ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
  }
  /** A file's bytes at ref (packaged charts). */
  raw(ref: string, file: string): Buffer {
    return execFileSync("git", [`--git-dir=${this.gitDir}`, "show", `${ref}:${file}`], {
      maxBuffer: 256 * 1024 * 1024,
    });
  }
  /** The blob id of a file at ref (equal ids: identical content). */
  blob(ref: string, file: string): string {
    return this.git("rev-parse", `${ref}:${file}`).trim();
  }
  /** The last commit at ref that touched file. */
  lastTouch(ref: string, file: string): string {
    return this.git("log", "-1", "--format=%H", ref, "--", file).trim();
  }
  rev(ref: string): string {
    return this.git("rev-parse", `${ref}^{commit}`).trim();
  }
  /** File text at ref, following a symlinked parent directory (tigera-operator's crds/calico). */
  show(ref: string, file: string): { text: string; path: string } {
    const parts = file.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const entry = this.git("ls-tree", ref, dir).trim();
      if (entry.startsWith("120000 ")) {
        const target = this.git("show", `${ref}:${dir}`).trim();
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(dir), target));
        return this.show(ref, [resolved, ...parts.slice(i)].join("/"));
      }
    }
    return { text: this.git("show", `${ref}:${file}`), path: file };
  }
  list(ref: string, dir: string): string[] {
    return this.git("ls-tree", "--name-only", `${ref}:${dir}`).trim().split("\n");
  }
}

interface CrdFile {
  readonly repo: Repo;
  readonly ref: string;
  readonly file: string;
  /** Only these kinds of a multi-document file; all when absent. */
  readonly kinds?: readonly string[];
  /** Lines holding Helm template actions are removed first (KEDA's templated CRDs). */
  readonly templated?: boolean;
}

interface ReleaseIndexEntry {
  readonly apiVersions: string[];
  readonly kind: string;
  readonly file: string;
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The text with every line holding a Helm template action removed. */
const withoutHelmLines = (text: string): string =>
  text
    .split("\n")
    .filter((l) => !l.includes("{{"))
    .join("\n");

/** Writes one JSON per CRD into dir; returns the index entries. */
function extractCrds(dir: string, files: readonly CrdFile[]): ReleaseIndexEntry[] {
  return extractCrdTexts(
    dir,
    files.map((f) => {
      const { text, path: real } = f.repo.show(f.ref, f.file);
      return {
        text: f.templated ? withoutHelmLines(text) : text,
        source: `${f.repo.slug}@${f.ref}:${real}${real === f.file ? "" : ` (via ${f.file})`}`,
        kinds: f.kinds,
      };
    }),
  );
}

/** extractCrds for texts read elsewhere (a packaged chart), each with its `owner/repo@ref:path`. */
function extractCrdTexts(
  dir: string,
  files: readonly { text: string; source: string; kinds?: readonly string[] }[],
): ReleaseIndexEntry[] {
  const entries: ReleaseIndexEntry[] = [];
  for (const f of files) {
    const { source } = f;
    for (const doc of parseAllDocuments(f.text)) {
      const crd = doc.toJSON() as JsonObject | null;
      if (!crd || crd.kind !== "CustomResourceDefinition") continue;
      const spec = crd.spec as JsonObject;
      const names = spec.names as JsonObject;
      const kind = String(names.kind);
      if (f.kinds && !f.kinds.includes(kind)) continue;
      const group = String(spec.group);
      const rules: CelRule[] = [];
      const versions = (spec.versions as JsonObject[]).map((v) => {
        const name = String(v.name);
        const schema = (v.schema as JsonObject).openAPIV3Schema as JsonObject;
        return {
          name,
          served: v.served,
          storage: v.storage,
          schema: reduce(schema, "", name, rules),
        };
      });
      const crdName = String((crd.metadata as JsonObject).name);
      const out = `${crdName}.json`;
      writeJson(path.join(dir, out), {
        source,
        name: crdName,
        group,
        kind,
        scope: spec.scope,
        versions,
        celRules: rules,
      });
      entries.push({ apiVersions: versions.map((v) => `${group}/${v.name}`), kind, file: out });
    }
  }
  return entries;
}

/** How templates/crs/*.yaml turn values into CR specs; throws if a template has another shape. */
function calicoValueMappings(repo: Repo, tag: string): JsonObject[] {
  const crsDir = "charts/tigera-operator/templates/crs";
  const wanted: Record<string, { kind: string; apiVersion: string }> = {
    installation: { kind: "Installation", apiVersion: "operator.tigera.io/v1" },
    apiServer: { kind: "APIServer", apiVersion: "operator.tigera.io/v1" },
    defaultFelixConfiguration: {
      kind: "FelixConfiguration",
      apiVersion: "crd.projectcalico.org/v1",
    },
  };
  const mappings: JsonObject[] = [];
  for (const file of repo.list(tag, crsDir)) {
    const rel = `${crsDir}/${file}`;
    const text = repo.show(tag, rel).text;
    const lines = text.split("\n");
    // Each block: {{ if .Values.K.enabled }} ... {{ $v := omit .Values.K "enabled" }} ... kind/apiVersion ... spec: {{ $v | toYaml }}
    const blockRe = /\{\{-? if \.Values\.(\w+)\.enabled -?\}\}/g;
    for (const m of text.matchAll(blockRe)) {
      const key = m[1];
      const want = wanted[key];
      if (!want) continue;
      const start = text.slice(0, m.index).split("\n").length;
      const rest = text.slice(m.index);
      const end = rest.search(/\{\{-? end -?\}\}/);
      const block = rest.slice(0, end);
      const omit = block.match(/\{\{ (\$\w+) := omit \.Values\.(\w+) "enabled" \}\}/);
      if (!omit || omit[2] !== key) throw new Error(`${tag}:${rel}: ${key} block has no omit`);
      const varName = omit[1];
      const kind = block.match(/^kind: (\w+)$/m)?.[1];
      const apiVersion = block.match(/^apiVersion: (\S+)$/m)?.[1];
      const name = block.match(/^ {2}name: (\S+)$/m)?.[1];
      if (kind !== want.kind || apiVersion !== want.apiVersion || name !== "default") {
        throw new Error(`${tag}:${rel}: ${key} block renders ${apiVersion} ${kind} ${name}`);
      }
      if (!block.includes(`spec:\n{{ ${varName} | toYaml | indent 2 }}`)) {
        throw new Error(`${tag}:${rel}: ${key} block does not render ${varName} as the spec`);
      }
      const sets: JsonObject = {};
      const setRe = new RegExp(`\\{\\{ \\$_ := set \\${varName} "(\\w+)" (.+?) \\}\\}`, "g");
      for (const s of block.matchAll(setRe)) {
        const expr = s[2];
        const fromValues = expr.match(/^\.Values\.(\w+)$/);
        if (fromValues) sets[s[1]] = { fromValues: fromValues[1] };
        else if (expr.includes('include "tigera-operator.imagePullSecrets"')) {
          // _helpers.tpl: installation.imagePullSecrets + one {name} per key of .Values.imagePullSecrets
          sets[s[1]] = { imagePullSecretsHelper: true };
        } else throw new Error(`${tag}:${rel}: unknown set expression ${expr}`);
      }
      const line = lines.findIndex((l, i) => i >= start - 1 && l.includes("omit .Values")) + 1;
      mappings.push({
        valuesKey: key,
        when: `${key}.enabled`,
        omits: ["enabled"],
        sets,
        renders: { apiVersion, kind, name },
        source: `${repo.slug}@${tag}:${rel}:${line}`,
      });
    }
  }
  for (const key of Object.keys(wanted)) {
    if (!mappings.some((m) => m.valuesKey === key))
      throw new Error(`${tag}: no template for ${key}`);
  }
  return mappings;
}

function calicoRelease(repo: Repo, tag: string): void {
  const dir = path.join(OUT, "tigera-operator", tag);
  fs.rmSync(dir, { recursive: true, force: true });
  const crdDir = "charts/tigera-operator/crds";
  const top = repo.list(tag, crdDir);
  const opFile = (plural: string) => {
    const f = top.find((n) => n.startsWith(`operator.tigera.io_${plural}`));
    if (!f) throw new Error(`${tag}: no ${plural} CRD`);
    return `${crdDir}/${f}`;
  };
  const calicoFile = (plural: string) => `${crdDir}/calico/crd.projectcalico.org_${plural}.yaml`;
  const entries = extractCrds(dir, [
    { repo, ref: tag, file: opFile("installations") },
    { repo, ref: tag, file: opFile("apiservers") },
    { repo, ref: tag, file: calicoFile("felixconfigurations") },
    { repo, ref: tag, file: calicoFile("globalnetworkpolicies") },
    { repo, ref: tag, file: calicoFile("networkpolicies") },
  ]);
  const valuesFile = "charts/tigera-operator/values.yaml";
  const values = parseAllDocuments(repo.show(tag, valuesFile).text)[0].toJSON() as JsonObject;
  const pick = (k: string) => (values[k] === undefined ? null : values[k]);
  writeJson(path.join(dir, "index.json"), {
    chart: "tigera-operator",
    version: tag,
    commit: repo.rev(tag),
    crds: entries,
    // The Calico API server serves projectcalico.org/v3 from the same Go spec types the
    // crd.projectcalico.org/v1 CRDs are generated from (v1 types embed v3.<Kind>Spec).
    apiVersionAliases: {
      "projectcalico.org/v3": {
        validateAs: "crd.projectcalico.org/v1",
        source: `${repo.slug}@${tag}:libcalico-go/lib/apis/crd.projectcalico.org/v1/globalnetworkpolicy_types.go (Spec v3.GlobalNetworkPolicySpec)`,
      },
    },
    helmValuesToSpecs: calicoValueMappings(repo, tag),
    chartDefaults: {
      source: `${repo.slug}@${tag}:${valuesFile}`,
      tigeraOperatorVersion: (values.tigeraOperator as JsonObject).version,
      installation: pick("installation"),
      apiServer: pick("apiServer"),
      defaultFelixConfiguration: pick("defaultFelixConfiguration"),
      kubeletVolumePluginPath: pick("kubeletVolumePluginPath"),
      imagePullSecrets: pick("imagePullSecrets"),
    },
  });
}

function kedaRelease(repo: Repo, tag: string): void {
  const version = tag.replace(/^v/, "");
  const dir = path.join(OUT, "keda", version);
  fs.rmSync(dir, { recursive: true, force: true });
  const chart = parseAllDocuments(repo.show(tag, "keda/Chart.yaml").text)[0].toJSON() as JsonObject;
  if (String(chart.version) !== version)
    throw new Error(`${tag}: Chart.yaml says ${chart.version}`);
  const file = (plural: string) => ({
    repo,
    ref: tag,
    file: `keda/templates/crds/crd-${plural}.yaml`,
    templated: true,
  });
  const entries = extractCrds(dir, [
    file("scaledobjects"),
    file("triggerauthentications"),
    file("clustertriggerauthentications"),
  ]);
  writeJson(path.join(dir, "index.json"), {
    chart: "keda",
    version,
    appVersion: chart.appVersion,
    commit: repo.rev(tag),
    crds: entries,
  });
}

function appMeshRelease(repo: Repo, version: string, commit: string): void {
  const dir = path.join(OUT, "appmesh-controller", version);
  fs.rmSync(dir, { recursive: true, force: true });
  const chartText = repo.show(commit, "stable/appmesh-controller/Chart.yaml").text;
  const chart = parseAllDocuments(chartText)[0].toJSON() as JsonObject;
  if (String(chart.version) !== version)
    throw new Error(`${commit}: Chart.yaml says ${chart.version}`);
  const entries = extractCrds(dir, [
    {
      repo,
      ref: commit,
      file: "stable/appmesh-controller/crds/crds.yaml",
      kinds: ["Mesh", "VirtualNode", "VirtualService", "VirtualRouter"],
    },
  ]);
  writeJson(path.join(dir, "index.json"), {
    chart: "appmesh-controller",
    version,
    appVersion: chart.appVersion,
    commit,
    chartYaml: `${repo.slug}@${commit}:stable/appmesh-controller/Chart.yaml (version ${version})`,
    crds: entries,
  });
}

/**
 * Karpenter's karpenter-crd chart: its templates/*.yaml are pkg/apis/crds/*.yaml plus three Helm
 * lines adding `.Values.additionalAnnotations` to the CRD's metadata.annotations (nothing in the
 * schema), so the schemas are read from pkg/apis/crds (plain YAML, the files controller-gen writes;
 * the chart's copies are asserted to equal them minus those lines). The chart's Chart.yaml at the
 * tag still says the previous version: the release pipeline stamps the version when it pushes
 * oci://public.ecr.aws/karpenter/karpenter-crd (hack/release/common.sh), so the tag is the version.
 */
function karpenterRelease(repo: Repo, tag: string): void {
  const version = tag.replace(/^v/, "");
  // facts/crds/karpenter/: the directory is named for the project; index.json `chart` names the
  // chart (the test maps a Helm release to its facts by that field, not by the directory).
  const dir = path.join(OUT, "karpenter", version);
  fs.rmSync(dir, { recursive: true, force: true });
  const names = ["karpenter.sh_nodepools", "karpenter.k8s.aws_ec2nodeclasses"];
  const helmLines = [
    "    {{- with .Values.additionalAnnotations }}",
    "      {{- toYaml . | nindent 4 }}",
    "    {{- end }}",
  ];
  for (const name of names) {
    const plain = repo.show(tag, `pkg/apis/crds/${name}.yaml`).text;
    const chartLines = repo
      .show(tag, `charts/karpenter-crd/templates/${name}.yaml`)
      .text.split("\n");
    const at = chartLines.indexOf(helmLines[0]);
    const stripped =
      at >= 0 && helmLines.every((l, k) => chartLines[at + k] === l)
        ? [...chartLines.slice(0, at), ...chartLines.slice(at + helmLines.length)].join("\n")
        : undefined;
    if (stripped !== plain) {
      throw new Error(
        `${tag}: charts/karpenter-crd/templates/${name}.yaml is not pkg/apis/crds/${name}.yaml plus the additionalAnnotations lines`,
      );
    }
  }
  const entries = extractCrds(
    dir,
    names.map((name) => ({ repo, ref: tag, file: `pkg/apis/crds/${name}.yaml` })),
  );
  const chartFile = "charts/karpenter-crd/Chart.yaml";
  const chart = parseAllDocuments(repo.show(tag, chartFile).text)[0].toJSON() as JsonObject;
  const release = "hack/release/common.sh";
  const script = repo.show(tag, release).text.split("\n");
  const lineOf = (needle: string) => {
    const n = script.findIndex((l) => l.includes(needle)) + 1;
    if (n === 0) throw new Error(`${tag}:${release} has no ${needle}`);
    return n;
  };
  const publish = lineOf('publishHelmChart "${oci_repo}" "karpenter-crd"');
  const stamp = lineOf('yq e -i ".version = \\"${version}\\""');
  writeJson(path.join(dir, "index.json"), {
    chart: "karpenter-crd",
    version,
    commit: repo.rev(tag),
    chartYamlVersionAtTag: chart.version,
    versionStamp: `${repo.slug}@${tag}:${release}:${publish} publishes karpenter-crd with the release version, stamped into Chart.yaml at line ${stamp} (Chart.yaml in git keeps ${chart.version})`,
    chartSource: `${repo.slug}@${tag}:charts/karpenter-crd/templates/{${names.join(",")}}.yaml = pkg/apis/crds/<same>.yaml except the 3 Helm lines adding .Values.additionalAnnotations to metadata.annotations (asserted by the extraction)`,
    crds: entries,
  });
}

/**
 * The Secrets Store CSI Driver chart (kubernetes-sigs/secrets-store-csi-driver, tag v<version>).
 * The schemas are read from the chart's crds/ at the tag. Helm installs crds/ on first install
 * only; with `linux.crds.enabled` (default true) the chart's pre-install/pre-upgrade hook Job
 * (templates/crds-upgrade-hook.yaml) runs `kubectl apply -f crds/` from the driver-crds image,
 * which the Makefile's crd-container builds from `_output/crds/`, which build-crds copies from the
 * same chart crds/ (manifest_staging/charts/.../crds/ under CI). The extraction asserts that those
 * two directories and the packaged .tgz (gh-pages charts/, its sha256 = the index digest) hold the
 * same CRD files, and that the Makefile, Dockerfile and hook template still say what is above.
 */
function secretsStoreRelease(repo: Repo, version: string): void {
  const tag = `v${version}`;
  const chartName = "secrets-store-csi-driver";
  const chartDir = `charts/${chartName}`;
  const staging = `manifest_staging/charts/${chartName}/crds`;
  const dir = path.join(OUT, chartName, version);
  fs.rmSync(dir, { recursive: true, force: true });
  const chart = parseAllDocuments(
    repo.show(tag, `${chartDir}/Chart.yaml`).text,
  )[0].toJSON() as JsonObject;
  if (String(chart.version) !== version)
    throw new Error(`${tag}: Chart.yaml says ${chart.version}`);
  const names = repo.list(tag, `${chartDir}/crds`).filter((n) => n.endsWith(".yaml"));
  const wanted = [
    "secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
    "secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml",
  ];
  if (JSON.stringify([...names].sort()) !== JSON.stringify([...wanted].sort()))
    throw new Error(`${tag}: ${chartDir}/crds holds ${names.join(", ")}`);
  // The image's source directories (Makefile build-crds) hold the same files.
  const makefile = repo.show(tag, "Makefile").text;
  for (const line of [
    `cp -R manifest_staging/charts/${chartName}/crds/ _output/crds/`,
    `cp -R charts/${chartName}/crds/ _output/crds/`,
    "-f docker/crd.Dockerfile",
  ]) {
    if (!makefile.includes(line)) throw new Error(`${tag}: Makefile has no "${line}"`);
  }
  if (!/^COPY \* \/crds\/$/m.test(repo.show(tag, "docker/crd.Dockerfile").text))
    throw new Error(`${tag}: docker/crd.Dockerfile does not COPY * /crds/`);
  if (JSON.stringify(repo.list(tag, staging).sort()) !== JSON.stringify([...wanted].sort()))
    throw new Error(`${tag}: ${staging} holds other files than ${chartDir}/crds`);
  for (const n of wanted) {
    if (repo.blob(tag, `${chartDir}/crds/${n}`) !== repo.blob(tag, `${staging}/${n}`))
      throw new Error(`${tag}: ${chartDir}/crds/${n} differs from ${staging}/${n}`);
  }
  const hookFile = `${chartDir}/templates/crds-upgrade-hook.yaml`;
  const hook = repo.show(tag, hookFile).text;
  if (
    !hook.startsWith("{{- if .Values.linux.crds.enabled -}}") ||
    !hook.includes(
      'image: "{{ .Values.linux.crds.image.repository }}:{{ .Values.linux.crds.image.tag }}"',
    ) ||
    !/args:\n\s+- apply\n\s+- -f\n\s+- crds\//.test(hook) ||
    !hook.includes("helm.sh/hook: pre-install,pre-upgrade")
  )
    throw new Error(`${tag}: ${hookFile} is not the known CRD-apply hook`);
  // The packaged chart (gh-pages charts/, beside the index) holds the same CRD files.
  const index = parseAllDocuments(repo.show("gh-pages", "charts/index.yaml").text)[0].toJSON() as {
    entries: Record<string, { version: string; digest?: string; urls?: string[] }[]>;
  };
  const entry = index.entries[chartName].find((e) => String(e.version) === version);
  if (!entry) throw new Error(`${chartName} ${version} is not in gh-pages charts/index.yaml`);
  const tgzFile = `charts/${decodeURIComponent(String(entry.urls?.[0]).split("/").pop() ?? "")}`;
  const tgzCommit = repo.lastTouch("gh-pages", tgzFile);
  const tgz = repo.raw(tgzCommit, tgzFile);
  const sha = createHash("sha256").update(tgz).digest("hex");
  if (sha !== entry.digest) throw new Error(`${tgzFile}: sha256 ${sha} != index ${entry.digest}`);
  for (const n of wanted) {
    const packaged = execFileSync("tar", ["-xzO", `${chartName}/crds/${n}`], {
      input: tgz,
      encoding: "utf8",
    });
    if (packaged !== repo.show(tag, `${chartDir}/crds/${n}`).text)
      throw new Error(`${tgzFile}: crds/${n} differs from ${tag}:${chartDir}/crds/${n}`);
  }
  const entries = extractCrds(
    dir,
    wanted.map((n) => ({ repo, ref: tag, file: `${chartDir}/crds/${n}` })),
  );
  const values = parseAllDocuments(repo.show(tag, `${chartDir}/values.yaml`).text)[0].toJSON() as {
    linux: { crds: { enabled: boolean; image: { repository: string; tag: string } } };
  };
  const img = values.linux.crds.image;
  writeJson(path.join(dir, "index.json"), {
    chart: chartName,
    version,
    appVersion: chart.appVersion,
    commit: repo.rev(tag),
    ...(chart.kubeVersion ? { kubeVersion: chart.kubeVersion } : {}),
    chartSource: `${repo.slug}@${tag}:${chartDir}/crds/{${wanted.join(",")}} = ${staging}/<same> (blob ids) = crds/<same> of ${repo.slug}@${tgzCommit}:${tgzFile} (sha256 ${sha} = the index digest)`,
    crdInstall: {
      helmCrdsDir: `${chartDir}/crds/ (Helm applies it on first install only, unless --skip-crds)`,
      hook: `${repo.slug}@${tag}:${hookFile}: when linux.crds.enabled (default ${values.linux.crds.enabled}), a pre-install,pre-upgrade Job runs ${img.repository}:${img.tag} "apply -f crds/"`,
      image: `${repo.slug}@${tag}:Makefile crd-container builds docker/crd.Dockerfile (COPY * /crds/) from _output/crds/, which build-crds copies from ${chartDir}/crds/ (${staging}/ under CI)`,
    },
    crds: entries,
  });
}

/**
 * Istio's `base` chart (istio/istio tag X.Y.Z, manifests/charts/base; published to
 * https://istio-release.storage.googleapis.com/charts as `base`). It has no crds/ directory: its
 * templates/crds.yaml renders files/crd-all.gen.yaml as templates (split on "\n---\n", each
 * document's metadata.labels replaced by the chart's labels, those in base.excludedCRDs dropped;
 * with base.enableCRDTemplates false the file verbatim), so the schemas are the file's. The
 * extraction asserts that template shape, that the chart has no crds/, and the values defaults
 * (enableCRDTemplates true, excludedCRDs empty). The release stamp (istio/release-builder
 * pkg/build/helm.go) rewrites only Chart.yaml and values.yaml hub/tag, so the tag's files/ is what
 * is published. Only the kinds tap writes are recorded: PeerAuthentication, AuthorizationPolicy.
 */
function istioBaseRelease(repo: Repo, tag: string): void {
  const chartDir = "manifests/charts/base";
  const crdFile = `${chartDir}/files/crd-all.gen.yaml`;
  const template = `${chartDir}/templates/crds.yaml`;
  const dir = path.join(OUT, "istio-base", tag);
  fs.rmSync(dir, { recursive: true, force: true });
  const chart = parseAllDocuments(
    repo.show(tag, `${chartDir}/Chart.yaml`).text,
  )[0].toJSON() as JsonObject;
  if (chart.name !== "base") throw new Error(`${tag}: ${chartDir}/Chart.yaml names ${chart.name}`);
  if (repo.list(tag, chartDir).includes("crds"))
    throw new Error(`${tag}: ${chartDir} has a crds/ directory; the CRDs are not only templates`);
  const tpl = repo.show(tag, template).text;
  const lines = tpl.split("\n");
  const lineOf = (needle: string): number => {
    const n = lines.findIndex((l) => l.includes(needle)) + 1;
    if (n === 0) throw new Error(`${tag}:${template} has no ${needle}: its shape changed`);
    return n;
  };
  const range = lineOf(
    '{{- range $crd := .Files.Get "files/crd-all.gen.yaml"|splitList "\\n---\\n"}}',
  );
  const labels = lineOf('{{- $_ := set $asDict.metadata "labels" $replacement }}');
  lineOf("{{- if not (has $name $.Values.base.excludedCRDs)}}");
  lineOf('{{ .Files.Get "files/crd-all.gen.yaml" }}');
  const sets = lines.filter((l) => /\bset\b|\bunset\b|\bmerge/.test(l));
  if (sets.length !== 1) throw new Error(`${tag}:${template} changes more than metadata.labels`);
  const values = parseAllDocuments(repo.show(tag, `${chartDir}/values.yaml`).text)[0].toJSON() as {
    _internal_defaults_do_not_set: { base: JsonObject };
  };
  const base = values._internal_defaults_do_not_set.base;
  if (base.enableCRDTemplates !== true || JSON.stringify(base.excludedCRDs) !== "[]")
    throw new Error(`${tag}: base.enableCRDTemplates/excludedCRDs defaults changed`);
  const entries = extractCrds(dir, [
    { repo, ref: tag, file: crdFile, kinds: ["PeerAuthentication", "AuthorizationPolicy"] },
  ]);
  if (entries.length !== 2) throw new Error(`${tag}: ${crdFile} lacks one of the kinds`);
  writeJson(path.join(dir, "index.json"), {
    chart: "base",
    version: tag,
    commit: repo.rev(tag),
    chartYamlVersionAtTag: chart.version,
    versionStamp: `istio/release-builder (branch release-${tag.split(".").slice(0, 2).join(".")}) pkg/build/helm.go stampChartForRelease sets Chart.yaml version = appVersion = ${tag} when it packages the chart (Chart.yaml in git keeps the placeholder ${chart.version}); see facts/istio.md`,
    chartSource: `${repo.slug}@${tag}:${template} renders ${crdFile} (L${range}: each document, metadata.labels replaced at L${labels}; base.enableCRDTemplates true and base.excludedCRDs [] by default in ${chartDir}/values.yaml); no crds/ directory (asserted by the extraction)`,
    crds: entries,
  });
}

/**
 * Kyverno's chart (kyverno/kyverno, published to https://kyverno.github.io/kyverno/ from the
 * gh-pages branch: index.yaml and kyverno-<version>.tgz beside it). Its CRDs are subchart templates,
 * not a Helm crds/ directory, gated by `crds.install` (default true, asserted). Where the
 * policies.kyverno.io CRDs are differs by version, so the schemas are read from the packaged .tgz
 * (its sha256 checked against the index digest), the chart Helm installs:
 * - up to 3.6.x, the `crds` subchart (in git): charts/crds/templates/policies.kyverno.io/
 *   policies.kyverno.io_<plural>.yaml, each wrapped in `{{- if .Values.groups.policies.<plural> }}`
 *   (`crds.groups.policies.<plural>` in the parent's values, default true, asserted);
 * - from 3.7.0, the `kyverno-api` subchart (repository https://kyverno.github.io/api, condition
 *   crds.install), which git does not hold (helm dependency build vendors it when packaging):
 *   charts/kyverno-api/templates/crds/policies.kyverno.io_<plural>.yaml, not gated per CRD.
 * Exactly one of the two holds each CRD (asserted). Lines with Helm actions are removed; they must
 * all be in the CRD's metadata (labels, annotations) or be the wrapping if/end (asserted). Each
 * schema is also compared with kyverno/kyverno's config/crds/policies.kyverno.io/ at the chart tag
 * `kyverno-chart-<version>` and the result recorded (`gitCrossCheck`): the package wins.
 */
function kyvernoRelease(repo: Repo, version: string): void {
  const chartName = "kyverno";
  const dir = path.join(OUT, chartName, version);
  fs.rmSync(dir, { recursive: true, force: true });
  const indexFile = "index.yaml";
  const indexCommit = repo.lastTouch("gh-pages", indexFile);
  const index = parseAllDocuments(repo.show(indexCommit, indexFile).text)[0].toJSON() as {
    entries: Record<string, { version: string; digest?: string; urls?: string[] }[]>;
  };
  const entry = index.entries[chartName]?.find((e) => String(e.version) === version);
  if (!entry) throw new Error(`${chartName} ${version} is not in gh-pages ${indexFile}`);
  const tgzFile = decodeURIComponent(String(entry.urls?.[0]).split("/").pop() ?? "");
  const tgzCommit = repo.lastTouch("gh-pages", tgzFile);
  if (!tgzCommit) throw new Error(`${tgzFile} (named by the index) is not on gh-pages`);
  const tgz = repo.raw(tgzCommit, tgzFile);
  const sha = createHash("sha256").update(tgz).digest("hex");
  if (sha !== entry.digest) throw new Error(`${tgzFile}: sha256 ${sha} != index ${entry.digest}`);
  const members = new Set(
    execFileSync("tar", ["-tz"], { input: tgz, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 })
      .split("\n")
      .filter(Boolean),
  );
  const read = (member: string): string => {
    if (!members.has(member)) throw new Error(`${tgzFile} has no ${member}`);
    return execFileSync("tar", ["-xzO", member], {
      input: tgz,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
  };
  const yamlOf = (member: string) => parseAllDocuments(read(member))[0].toJSON() as JsonObject;
  const pkg = (member: string) => `${repo.slug}@${tgzCommit}:${tgzFile}:${member}`;

  type Dependency = { name: string; version: string; repository?: string; condition?: string };
  const chart = yamlOf("kyverno/Chart.yaml") as JsonObject & { dependencies?: Dependency[] };
  if (String(chart.version) !== version)
    throw new Error(`${tgzFile}: Chart.yaml says ${chart.version}`);
  const deps = chart.dependencies ?? [];
  const dependency = (name: string) => deps.find((d) => d.name === name);
  for (const name of ["crds", "kyverno-api"]) {
    const d = dependency(name);
    if (d && d.condition !== "crds.install")
      throw new Error(
        `${tgzFile}: dependency ${name} has condition ${d.condition}, not crds.install`,
      );
  }
  const values = yamlOf("kyverno/values.yaml") as {
    crds: { install: boolean; groups?: { policies?: Record<string, boolean> } };
  };
  if (values.crds.install !== true) throw new Error(`${tgzFile}: crds.install defaults to false`);

  const api = dependency("kyverno-api");
  if (api) {
    const apiChart = yamlOf("kyverno/charts/kyverno-api/Chart.yaml");
    if (String(apiChart.version) !== String(api.version))
      throw new Error(`${tgzFile}: charts/kyverno-api is ${apiChart.version}, not ${api.version}`);
  }
  const tag = `kyverno-chart-${version}`;
  const tagCommit = repo.rev(tag);
  const plurals = [
    ["validatingpolicies", "ValidatingPolicy"],
    ["imagevalidatingpolicies", "ImageValidatingPolicy"],
  ] as const;
  const where: string[] = [];
  const gitCrossCheck: JsonObject = {};
  const texts = plurals.map(([plural, kind]) => {
    const name = `policies.kyverno.io_${plural}.yaml`;
    const inCrds = `kyverno/charts/crds/templates/policies.kyverno.io/${name}`;
    const inApi = `kyverno/charts/kyverno-api/templates/crds/${name}`;
    const found = [inCrds, inApi].filter((m) => members.has(m));
    if (found.length !== 1) throw new Error(`${tgzFile}: ${name} is in ${found.length} places`);
    const member = found[0];
    const text = read(member);
    const lines = text.split("\n");
    const specLine = lines.indexOf("spec:");
    const helm = lines.flatMap((l, i) => (l.includes("{{") ? [{ l, i }] : []));
    const gate = `{{- if .Values.groups.policies.${plural} }}`;
    if (member === inCrds) {
      // The crds subchart's values are the parent's `crds:` key.
      if (helm[0]?.l !== gate || helm[helm.length - 1]?.l !== "{{- end }}")
        throw new Error(`${tgzFile}: ${member} is not wrapped in ${gate}`);
      if (values.crds.groups?.policies?.[plural] !== true)
        throw new Error(`${tgzFile}: crds.groups.policies.${plural} does not default to true`);
      where.push(
        `${kind}: ${pkg(member)} (subchart crds, condition crds.install; gated by crds.groups.policies.${plural}, default true)`,
      );
    } else {
      where.push(
        `${kind}: ${pkg(member)} (subchart kyverno-api ${api?.version} from ${api?.repository}, condition crds.install; not gated per CRD; not in git)`,
      );
    }
    const inner = member === inCrds ? helm.slice(1, -1) : helm;
    const stray = inner.filter(({ i }) => specLine < 0 || i > specLine);
    if (stray.length)
      throw new Error(`${tgzFile}: ${member} has Helm actions outside metadata: ${stray[0].l}`);
    const stripped = withoutHelmLines(text);
    // The same CRD in git at the chart tag (what controller-gen wrote into config/crds).
    const gitPath = `config/crds/policies.kyverno.io/${name}`;
    // Compared as recorded: served versions and reduced schemas (descriptions do not count).
    const crdOf = (t: string) =>
      parseAllDocuments(t)
        .map((d) => d.toJSON() as JsonObject | null)
        .find((d) => d?.kind === "CustomResourceDefinition") as JsonObject;
    const recorded = (t: string) => {
      const spec = crdOf(t).spec as JsonObject;
      return JSON.stringify({
        group: spec.group,
        names: spec.names,
        scope: spec.scope,
        versions: (spec.versions as JsonObject[]).map((v) => ({
          name: v.name,
          served: v.served,
          storage: v.storage,
          deprecated: v.deprecated ?? false,
          schema: reduce((v.schema as JsonObject).openAPIV3Schema as JsonObject, "", "", []),
        })),
      });
    };
    let same: string;
    try {
      const inGit = repo.show(tag, gitPath).text;
      const spec = (t: string) => JSON.stringify(crdOf(t).spec);
      if (spec(inGit) === spec(stripped)) same = "same spec";
      else if (recorded(inGit) === recorded(stripped))
        same = "same served versions and schemas; only descriptions differ";
      else same = "DIFFERENT schemas (the package is what Helm installs; its schemas are recorded)";
    } catch (e) {
      if (!String((e as Error).message).includes(gitPath)) throw e;
      same = "absent in git";
    }
    gitCrossCheck[kind] = `${repo.slug}@${tag}:${gitPath}: ${same}`;
    return { text: stripped, source: pkg(member), kinds: [kind] };
  });
  const entries = extractCrdTexts(dir, texts);
  if (entries.length !== plurals.length) throw new Error(`${tgzFile}: a CRD is missing`);
  writeJson(path.join(dir, "index.json"), {
    chart: chartName,
    version,
    appVersion: chart.appVersion,
    commit: tgzCommit,
    tag: `${tag} (${tagCommit})`,
    chartSource: `${repo.slug}@${tgzCommit}:${tgzFile} (gh-pages; sha256 ${sha} = the digest of ${repo.slug}@${indexCommit}:${indexFile})`,
    crdInstall: {
      switch: "crds.install (default true): the condition of the crds and kyverno-api subcharts",
      files: where,
      helmLines:
        "lines with Helm actions removed: labels/annotations in metadata, and the crds subchart's if/end wrapper (asserted)",
    },
    gitCrossCheck,
    crds: entries,
  });
}

/**
 * A chart of argoproj/argo-helm (argo-cd, argo-rollouts; published to https://argoproj.github.io/argo-helm
 * from the gh-pages branch's index.yaml). chart-releaser uploads the packaged .tgz as a GitHub
 * release asset (the index url is releases/download/<chart>-<version>/...), not into git (asserted),
 * so the schemas are read from the source at the release tag `<chart>-<version>`, whose Chart.yaml
 * version and appVersion must equal the index entry's. The CRDs are templates
 * (charts/<chart>/templates/crds/*.yaml, no Helm crds/ directory; asserted), each wrapped in
 * `{{- if .Values.<install> }}` (default true, asserted) with every other Helm action in metadata
 * (the keep annotation, extra annotations and labels; asserted); those lines are removed. Each schema
 * is compared with the app's own manifests/crds/<file> at the appVersion tag of `upstream`
 * (argoproj/argo-cd, argoproj/argo-rollouts), recorded in `gitCrossCheck`: the chart wins.
 */
function argoHelmRelease(
  helm: Repo,
  upstream: Repo,
  chartName: string,
  version: string,
  crds: readonly { kind: string; upstreamFile: string }[],
  values: { install: string; keep: string },
): void {
  const dir = path.join(OUT, chartName, version);
  fs.rmSync(dir, { recursive: true, force: true });
  const tag = `${chartName}-${version}`;
  const chartDir = `charts/${chartName}`;
  const indexFile = "index.yaml";
  const indexCommit = helm.lastTouch("gh-pages", indexFile);
  const index = parseAllDocuments(helm.show(indexCommit, indexFile).text)[0].toJSON() as {
    entries: Record<
      string,
      { version: string; appVersion: string; created: string; digest: string; urls: string[] }[]
    >;
  };
  const entry = index.entries[chartName]?.find((e) => String(e.version) === version);
  if (!entry) throw new Error(`${chartName} ${version} is not in gh-pages ${indexFile}`);
  const url = String(entry.urls?.[0]);
  const asset = `https://github.com/${helm.slug}/releases/download/${tag}/${tag}.tgz`;
  if (url !== asset) throw new Error(`${tag}: the index url is ${url}, not ${asset}`);
  if (helm.lastTouch("gh-pages", `${tag}.tgz`) !== "")
    throw new Error(`${tag}.tgz is on gh-pages: read the package instead`);
  const chart = parseAllDocuments(
    helm.show(tag, `${chartDir}/Chart.yaml`).text,
  )[0].toJSON() as JsonObject;
  if (chart.name !== chartName || String(chart.version) !== version)
    throw new Error(`${tag}: Chart.yaml says ${chart.name} ${chart.version}`);
  if (String(chart.appVersion) !== String(entry.appVersion))
    throw new Error(
      `${tag}: Chart.yaml appVersion ${chart.appVersion} != index ${entry.appVersion}`,
    );
  if (helm.list(tag, chartDir).includes("crds"))
    throw new Error(`${tag}: ${chartDir} has a crds/ directory; the CRDs are not only templates`);
  const defaults = parseAllDocuments(
    helm.show(tag, `${chartDir}/values.yaml`).text,
  )[0].toJSON() as JsonObject;
  const valueAt = (key: string): Json =>
    key.split(".").reduce<Json>((v, k) => (v as JsonObject | undefined)?.[k] ?? null, defaults);
  if (valueAt(values.install) !== true)
    throw new Error(`${tag}: ${values.install} does not default to true`);
  const keep = valueAt(values.keep);

  const crdDir = `${chartDir}/templates/crds`;
  const gate = `{{- if .Values.${values.install} }}`;
  const crdOf = (t: string) =>
    parseAllDocuments(t)
      .map((d) => d.toJSON() as JsonObject | null)
      .find((d) => d?.kind === "CustomResourceDefinition");
  // Compared as recorded: served versions and reduced schemas (descriptions do not count).
  const recorded = (crd: JsonObject) => {
    const spec = crd.spec as JsonObject;
    return JSON.stringify({
      group: spec.group,
      names: spec.names,
      scope: spec.scope,
      versions: (spec.versions as JsonObject[]).map((v) => ({
        name: v.name,
        served: v.served,
        storage: v.storage,
        deprecated: v.deprecated ?? false,
        schema: reduce((v.schema as JsonObject).openAPIV3Schema as JsonObject, "", "", []),
      })),
    });
  };
  const byKind = new Map<string, { file: string; text: string }>();
  for (const name of helm.list(tag, crdDir)) {
    const file = `${crdDir}/${name}`;
    const text = helm.show(tag, file).text;
    const lines = text.split("\n");
    const specLine = lines.indexOf("spec:");
    const helmLines = lines.flatMap((l, i) => (l.includes("{{") ? [{ l, i }] : []));
    const last = helmLines[helmLines.length - 1];
    if (helmLines[0]?.i !== 0 || helmLines[0].l !== gate || last?.l !== "{{- end }}")
      throw new Error(`${tag}: ${file} is not wrapped in ${gate}`);
    const stray = helmLines.slice(1, -1).filter(({ i }) => specLine < 0 || i > specLine);
    if (stray.length || lines.slice(last.i + 1).some((l) => l.trim() !== ""))
      throw new Error(`${tag}: ${file} has Helm actions outside metadata: ${stray[0]?.l}`);
    const stripped = withoutHelmLines(text);
    const crd = crdOf(stripped);
    if (!crd) throw new Error(`${tag}: ${file} holds no CRD`);
    const kind = String(((crd.spec as JsonObject).names as JsonObject).kind);
    if (byKind.has(kind)) throw new Error(`${tag}: ${crdDir} holds two ${kind} CRDs`);
    byKind.set(kind, { file, text: stripped });
  }
  const appTag = String(chart.appVersion);
  const gitCrossCheck: JsonObject = {};
  const texts = crds.map(({ kind, upstreamFile }) => {
    const found = byKind.get(kind);
    if (!found) throw new Error(`${tag}: ${crdDir} has no ${kind} CRD`);
    const mine = crdOf(found.text) as JsonObject;
    const theirs = crdOf(upstream.show(appTag, upstreamFile).text);
    if (!theirs) throw new Error(`${upstream.slug}@${appTag}:${upstreamFile} holds no CRD`);
    const same =
      JSON.stringify(mine.spec) === JSON.stringify(theirs.spec)
        ? "same spec"
        : recorded(mine) === recorded(theirs)
          ? "same served versions and schemas; only descriptions differ"
          : "DIFFERENT schemas (the chart is what Helm installs; its schemas are recorded)";
    gitCrossCheck[kind] = `${upstream.slug}@${appTag}:${upstreamFile}: ${same}`;
    return {
      text: found.text,
      source: `${helm.slug}@${tag}:${found.file}`,
      kinds: [kind],
    };
  });
  const entries = extractCrdTexts(dir, texts);
  if (entries.length !== crds.length) throw new Error(`${tag}: a CRD is missing`);
  writeJson(path.join(dir, "index.json"), {
    chart: chartName,
    version,
    appVersion: chart.appVersion,
    ...(chart.kubeVersion ? { kubeVersion: chart.kubeVersion } : {}),
    commit: helm.rev(tag),
    tag,
    published: `${helm.slug}@${indexCommit}:${indexFile} (gh-pages): created ${entry.created}, digest ${entry.digest}, url ${url} (a GitHub release asset, not in git)`,
    chartSource: `${helm.slug}@${tag}:${crdDir}/ (templates; no crds/ directory)`,
    crdInstall: {
      switch: `${values.install} (default true): each templates/crds file is wrapped in ${gate}`,
      keep: `${values.keep} (default ${keep}): adds the helm.sh/resource-policy: keep annotation, so helm uninstall leaves the CRDs`,
      helmLines:
        "lines with Helm actions removed: the if/end wrapper and metadata annotations/labels (asserted)",
    },
    gitCrossCheck,
    crds: entries,
  });
}

/** The chart releases recorded, by chart name (what --only takes), with their facts directory. */
const RELEASES: Record<string, { dir: string; run: (repo: (slug: string) => Repo) => void }> = {
  "tigera-operator": {
    dir: "tigera-operator",
    run: (repo) => {
      const calico = repo("projectcalico/calico");
      for (const tag of ["v3.28.5", "v3.30.4", "v3.30.7", "v3.31.4", "v3.31.7"])
        calicoRelease(calico, tag);
    },
  },
  keda: {
    dir: "keda",
    run: (repo) => {
      const keda = repo("kedacore/charts");
      for (const tag of ["v2.14.2", "v2.14.3", "v2.18.3", "v2.19.0", "v2.20.2"])
        kedaRelease(keda, tag);
    },
  },
  "appmesh-controller": {
    dir: "appmesh-controller",
    run: (repo) => {
      // The last commit that set stable/appmesh-controller/Chart.yaml to each version
      // (git log -- stable/appmesh-controller/Chart.yaml).
      const eksCharts = repo("aws/eks-charts");
      appMeshRelease(eksCharts, "1.13.1", "59a2aaf97bccbfb66408c5bbfd7d8ac7fc89bb51");
      appMeshRelease(eksCharts, "1.13.3", "f8c200d795220a5b1a7b0593bc8dc076095406fa");
    },
  },
  "karpenter-crd": {
    dir: "karpenter",
    run: (repo) => karpenterRelease(repo("aws/karpenter-provider-aws"), "v1.14.1"),
  },
  "secrets-store-csi-driver": {
    dir: "secrets-store-csi-driver",
    run: (repo) => {
      // 1.6.0 requires Kubernetes >= 1.30 (Chart.yaml kubeVersion): tap runs 1.5.6 on 1.28.
      const sscd = repo("kubernetes-sigs/secrets-store-csi-driver");
      for (const version of ["1.5.6", "1.6.0"]) secretsStoreRelease(sscd, version);
    },
  },
  base: {
    dir: "istio-base",
    run: (repo) => {
      // facts/istio.md: 1.24.6 on Kubernetes 1.28, 1.29.6 on 1.31, 1.30.3 on 1.32-1.35.
      const istio = repo("istio/istio");
      for (const tag of ["1.24.6", "1.29.6", "1.30.3"]) istioBaseRelease(istio, tag);
    },
  },
  kyverno: {
    dir: "kyverno",
    run: (repo) => {
      // lib/addons/versions.ts: 3.6.4 on 1.31, 3.7.2 on 1.32, 3.9.0 on 1.33-1.35 (none on 1.28).
      const kyverno = repo("kyverno/kyverno");
      for (const version of ["3.6.4", "3.7.2", "3.9.0"]) kyvernoRelease(kyverno, version);
    },
  },
  "argo-cd": {
    dir: "argo-cd",
    run: (repo) => {
      // Not pinned yet (no tap:addons.argocd): the newest chart of the newest Argo CD minor tested
      // on each Kubernetes minor (argo-cd docs/operator-manual/tested-kubernetes-versions.md):
      // 7.9.1 (v2.14.11) on 1.28, 9.3.7 (v3.2.6) on 1.31, 10.1.1 (v3.4.4) on 1.32-1.35.
      const helm = repo("argoproj/argo-helm");
      const argocd = repo("argoproj/argo-cd");
      for (const version of ["7.9.1", "9.3.7", "10.1.1"]) {
        argoHelmRelease(
          helm,
          argocd,
          "argo-cd",
          version,
          [
            { kind: "Application", upstreamFile: "manifests/crds/application-crd.yaml" },
            { kind: "ApplicationSet", upstreamFile: "manifests/crds/applicationset-crd.yaml" },
            { kind: "AppProject", upstreamFile: "manifests/crds/appproject-crd.yaml" },
          ],
          { install: "crds.install", keep: "crds.keep" },
        );
      }
    },
  },
  "argo-rollouts": {
    dir: "argo-rollouts",
    run: (repo) => {
      // Not pinned yet: the newest chart of the newest Argo Rollouts minor tested on each
      // Kubernetes minor (argo-rollouts .github/workflows/testing.yaml e2e matrix at the tag):
      // 2.40.7 (v1.8.4) on 1.28, 2.41.0 (v1.9.0) on 1.31-1.35 (1.35 untested by v1.9.0).
      const helm = repo("argoproj/argo-helm");
      const rollouts = repo("argoproj/argo-rollouts");
      for (const version of ["2.40.7", "2.41.0"]) {
        argoHelmRelease(
          helm,
          rollouts,
          "argo-rollouts",
          version,
          [
            { kind: "Rollout", upstreamFile: "manifests/crds/rollout-crd.yaml" },
            { kind: "AnalysisTemplate", upstreamFile: "manifests/crds/analysis-template-crd.yaml" },
          ],
          { install: "installCRDs", keep: "keepCRDs" },
        );
      }
    },
  },
};

function main(): void {
  const argv = process.argv.slice(2);
  const valuesOf = (flag: string) =>
    argv.flatMap((a, k) => (a === flag && argv[k + 1] ? argv[k + 1].split(",") : []));
  const mirror = valuesOf("--mirror")[0] ?? "/work/.mirror";
  const only = valuesOf("--only").filter((c) => c !== "");
  const unknown = only.filter((c) => !(c in RELEASES));
  if (unknown.length > 0) {
    throw new Error(
      `--only: unknown chart ${unknown.join(", ")} (known: ${Object.keys(RELEASES).join(", ")})`,
    );
  }
  const repo = (slug: string) => new Repo(slug, path.join(mirror, slug.replace("/", "+"), "repo"));
  const charts = only.length > 0 ? only : Object.keys(RELEASES);
  for (const chart of charts) RELEASES[chart].run(repo);
  // With --only, prettier formats the rewritten charts' directories only. .prettierignore lists
  // facts/ (hand edits are not reformatted), so it is bypassed here: the output is formatted.
  const targets = only.length > 0 ? charts.map((c) => path.join(OUT, RELEASES[c].dir)) : [OUT];
  execFileSync(
    path.join(ROOT, "node_modules", ".bin", "prettier"),
    ["--ignore-path", os.devNull, "--write", ...targets],
    { stdio: "inherit" },
  );
}

main();
