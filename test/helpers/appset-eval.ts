/**
 * Argo CD's ApplicationSet git directory generator, offline: what Applications an ApplicationSet
 * makes from a repository's directories. As argoproj/argo-cd@v3.5.1 does it:
 * - the repository's directories (reposerver/repository/repository.go GetGitDirectories: every
 *   directory, relative to the root, hidden ones (`.x`) and their subtrees skipped, `.` excluded);
 * - kept when some `directories[].path` matches with Go's `path.Match` and no `exclude: true` one
 *   does (applicationset/generators/git.go filterApps);
 * - parameters with goTemplate: `.path.path`, `.path.basename`, `.path.basenameNormalized`
 *   (utils.SanitizeName), `.path.segments` (generateParamsFromApps);
 * - the template rendered with those (only `{{ .path.<field> }}` actions, piped through sprig's
 *   `replace`, `trunc` and `trimAll`; with `missingkey=error` an unknown one is an error, as tap
 *   sets it).
 */

/** Go's path.Match (`*`, `?`, `[...]` with ranges and `^`, `\\` escapes); `/` is never matched by a wildcard. */
export function goPathMatch(pattern: string, name: string): boolean {
  const re = goPatternToRegExp(pattern);
  return re.test(name);
}

function goPatternToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= pattern.length) throw new Error(`bad pattern ${pattern}: trailing \\`);
      out += escape(pattern[i]);
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new Error(`bad pattern ${pattern}: unclosed [`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("^");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^/" : ""}${body.replace(/[\]\\]/g, "\\$&")}]`;
      i = end;
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** argo-cd applicationset/utils SanitizeName. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, "-")
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, "");
}

/** The directories the repo server lists for a repository holding these files and folders. */
export function repositoryDirectories(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split("/").filter(Boolean);
    // A path ending in "/" is a folder; otherwise its last segment is a file.
    const folders = p.endsWith("/") ? parts : parts.slice(0, -1);
    for (let i = 1; i <= folders.length; i++) {
      if (folders[i - 1].startsWith(".")) break;
      dirs.add(folders.slice(0, i).join("/"));
    }
  }
  return [...dirs].sort();
}

export interface GitDirectory {
  readonly path: string;
  readonly exclude?: boolean;
}

export interface PathParams {
  readonly path: string;
  readonly basename: string;
  readonly basenameNormalized: string;
  readonly segments: readonly string[];
}

export function gitDirectoryParams(
  directories: readonly GitDirectory[],
  allPaths: readonly string[],
): PathParams[] {
  return allPaths
    .filter((p) => {
      const hits = directories.filter((d) => goPathMatch(d.path, p));
      return hits.some((d) => !d.exclude) && !hits.some((d) => d.exclude);
    })
    .map((p) => {
      const basename = p.split("/").pop() ?? p;
      return {
        path: p,
        basename,
        basenameNormalized: sanitizeName(basename),
        segments: p.split("/"),
      };
    });
}

/**
 * The sprig functions (Masterminds/sprig v3.3.0, which argo-cd's ApplicationSet templates load:
 * applicationset/utils/utils.go `sprig.GenericFuncMap()`) this evaluator knows, as a pipeline's
 * stage gets them (the piped value last): `replace OLD NEW` (strings.Replace, all),
 * `trunc N` (the first N bytes when longer), `trimAll CUTSET` (strings.Trim).
 */
function sprigStage(stage: string, value: string): string {
  const m = /^(replace|trunc|trimAll)((?:\s+(?:"[^"]*"|\d+))+)$/.exec(stage);
  if (!m) throw new Error(`template stage "${stage}" is not one this evaluator knows`);
  const args = [...m[2].matchAll(/"([^"]*)"|(\d+)/g)].map((a) => a[1] ?? a[2]);
  const want = { replace: 2, trunc: 1, trimAll: 1 }[m[1] as "replace" | "trunc" | "trimAll"];
  if (args.length !== want) throw new Error(`${m[1]} takes ${want} arguments: "${stage}"`);
  if (m[1] === "replace") return value.split(args[0]).join(args[1]);
  if (m[1] === "trunc") return value.slice(0, Number(args[0]));
  const cut = new Set(args[0]);
  let [a, b] = [0, value.length];
  while (a < b && cut.has(value[a])) a++;
  while (b > a && cut.has(value[b - 1])) b--;
  return value.slice(a, b);
}

/**
 * The template with every `{{ .path.<field> }}` (optionally piped through sprigStage's functions)
 * replaced; any other action is an error.
 */
export function renderTemplate<T>(template: T, params: PathParams): T {
  const render = (v: unknown): unknown => {
    if (typeof v === "string")
      return v.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, action: string) => {
        const [head, ...stages] = action.split("|").map((x) => x.trim());
        const m = /^\.path\.(path|basename|basenameNormalized)$/.exec(head);
        if (!m) throw new Error(`template action {{ ${action} }} is not one this evaluator knows`);
        return stages.reduce(
          (acc, stage) => sprigStage(stage, acc),
          params[m[1] as "path" | "basename" | "basenameNormalized"],
        );
      });
    if (Array.isArray(v)) return v.map(render);
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [render(k), render(x)]));
    return v;
  };
  return render(template) as T;
}

export interface ApplicationSetSpec {
  readonly goTemplate?: boolean;
  readonly generators: readonly {
    readonly git?: { readonly repoURL: string; readonly directories?: readonly GitDirectory[] };
  }[];
  readonly template: { readonly metadata: { readonly name: string }; readonly spec: unknown };
}

/** The Applications (metadata + spec) an ApplicationSet makes for a repository's `files`. */
export function generateApplications(
  spec: ApplicationSetSpec,
  files: readonly string[],
): ApplicationSetSpec["template"][] {
  if (spec.goTemplate !== true) throw new Error("only goTemplate: true is evaluated");
  const dirs = repositoryDirectories(files);
  return spec.generators.flatMap((g) => {
    if (!g.git?.directories) throw new Error("only git directory generators are evaluated");
    return gitDirectoryParams(g.git.directories, dirs).map((p) => renderTemplate(spec.template, p));
  });
}
