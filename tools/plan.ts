/**
 * `npm run plan`: synthesizes tap offline (Pulumi mocks, no AWS, no CLI), runs tap's policies over
 * what it registered, and prints a readable plan. Exit 0 = no mandatory violation, 1 = mandatory
 * violations, 2 = bad arguments or config (the TapConfigError message).
 *
 *   node dist/tools/plan.js [--stack dev] [--config tap:key=value]... [--json [file]] [--date YYYY-MM-DD]
 *                           [--manifests <dir>]  (every Kubernetes object as YAML, e.g. for Checkov)
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { TapConfigError, TapConfigInput, resolveConfig } from "../lib/config";
import { KUBERNETES_LIFECYCLE, isSupportedKubernetesVersion } from "../lib/addons/versions";
import { TapStack } from "../lib/tap-stack";
import { policies } from "../policy/policies";
import { RecordedResource, mockTap } from "./offline-mocks";
import { runPolicies } from "./policy-runner";
import {
  PlanReport,
  addons,
  countByType,
  irsaRoles,
  nodeGroups,
  renderPlan,
  serviceGraph,
} from "./plan-summary";

export interface PlanOptions {
  readonly stack: string;
  readonly overrides: readonly [string, string][];
  /** undefined: no JSON; "-": stdout; else a file path. */
  readonly json?: string;
  readonly date: string;
  /** A directory to write every Kubernetes object tap creates into, one YAML file each. */
  readonly manifests?: string;
}

export class UsageError extends Error {}

const DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export function parseArgs(argv: readonly string[], today = new Date()): PlanOptions {
  let stack = "dev";
  let json: string | undefined;
  let manifests: string | undefined;
  let date = today.toISOString().slice(0, 10);
  const overrides: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--stack") stack = value();
    else if (arg === "--date") {
      date = value();
      if (!DATE_RE.test(date)) throw new UsageError(`--date must be YYYY-MM-DD (got "${date}")`);
    } else if (arg === "--json") {
      const next = argv[i + 1];
      json = next !== undefined && !next.startsWith("--") ? argv[++i] : "-";
    } else if (arg === "--manifests") {
      manifests = value();
    } else if (arg === "--config") {
      const kv = value();
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new UsageError(`--config needs key=value (got "${kv}")`);
      overrides.push([kv.slice(0, eq), kv.slice(eq + 1)]);
    } else throw new UsageError(`unknown option ${arg}`);
  }
  return { stack, overrides, json, date, ...(manifests ? { manifests } : {}) };
}

/** `tap:` settings and aws:region from Pulumi.<stack>.yaml (cwd), then the --config overrides. */
export function loadConfig(options: PlanOptions, cwd = process.cwd()) {
  const file = path.join(cwd, `Pulumi.${options.stack}.yaml`);
  const config: Record<string, unknown> = {};
  let region = "us-east-1";
  let source = `${file} not found: tap defaults`;
  if (fs.existsSync(file)) {
    source = file;
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as {
      config?: Record<string, unknown>;
    };
    for (const [key, v] of Object.entries(doc.config ?? {})) {
      if (key.startsWith("tap:")) config[key.slice(4)] = v;
      if (key === "aws:region" && typeof v === "string") region = v;
    }
  }
  for (const [key, v] of options.overrides) {
    if (key === "aws:region") region = v;
    else config[key.startsWith("tap:") ? key.slice(4) : key] = v;
  }
  return { config: config as TapConfigInput, region, source };
}

/** The Kubernetes objects tap creates (not Helm releases: their charts are rendered in-cluster). */
export function kubernetesObjects(
  resources: readonly RecordedResource[],
): Record<string, unknown>[] {
  return resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"))
    .map((r) => r.inputs);
}

/** Writes each object to `<dir>/<kind>.<namespace>.<name>.yaml` (the directory is emptied first). */
export function writeManifests(dir: string, resources: readonly RecordedResource[]): string[] {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return kubernetesObjects(resources).map((m) => {
    const meta = (m.metadata ?? {}) as { name?: string; namespace?: string };
    const file = path.join(
      dir,
      `${String(m.kind)}.${meta.namespace ?? "cluster"}.${meta.name ?? "unnamed"}.yaml`.toLowerCase(),
    );
    fs.writeFileSync(file, stringify(m));
    return file;
  });
}

export function lifecycleLine(version: string, date: string): string {
  if (!isSupportedKubernetesVersion(version))
    return `Kubernetes ${version}: not in KUBERNETES_LIFECYCLE`;
  const { endOfStandardSupport: std, endOfExtendedSupport: ext } = KUBERNETES_LIFECYCLE[version];
  const state =
    date > ext
      ? "past extended support: EKS no longer offers it"
      : date > std
        ? "in extended support (paid)"
        : "in standard support";
  return `lifecycle (static, lib/addons/versions.ts): Kubernetes ${version} standard support until ${std}, extended until ${ext} — ${state} as of ${date}`;
}

/** Test seams: a hook over the recorded resources (e.g. to break one on purpose). */
export interface PlanDeps {
  readonly transformResources?: (resources: readonly RecordedResource[]) => RecordedResource[];
}

export async function buildPlan(options: PlanOptions, deps: PlanDeps = {}): Promise<PlanReport> {
  const { config: input, region } = loadConfig(options);
  const context = { stackName: options.stack };
  const { config, warnings } = resolveConfig(input, context); // throws TapConfigError
  const synthesized = await mockTap(
    () => new TapStack("tap", { config: input, context }),
    {},
    options.stack,
  );
  const resources = deps.transformResources?.(synthesized.resources) ?? synthesized.resources;
  if (options.manifests) writeManifests(options.manifests, resources);
  const violations = await runPolicies(policies, resources, {
    stack: options.stack,
    config: {
      "name-environment-suffix": { environmentSuffix: config.environmentSuffix },
      "eks-supported-version": { asOf: options.date },
    },
  });
  return {
    stack: options.stack,
    region,
    date: options.date,
    lifecycle: lifecycleLine(config.kubernetesVersion, options.date),
    warnings,
    resources: { total: resources.length, byType: countByType(resources) },
    nodeGroups: nodeGroups(resources),
    addons: addons(resources),
    irsaRoles: irsaRoles(resources),
    services: serviceGraph(resources),
    violations,
  };
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

export async function main(
  argv: string[],
  io: Io = processIo,
  deps: PlanDeps = {},
): Promise<number> {
  let plan: PlanReport;
  let options: PlanOptions;
  try {
    options = parseArgs(argv);
    plan = await buildPlan(options, deps);
  } catch (e) {
    if (e instanceof TapConfigError || e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    throw e;
  }
  if (options.json === "-") io.out(JSON.stringify(plan, null, 2));
  else {
    if (options.json !== undefined)
      fs.writeFileSync(options.json, `${JSON.stringify(plan, null, 2)}\n`);
    io.out(renderPlan(plan));
  }
  return plan.violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
