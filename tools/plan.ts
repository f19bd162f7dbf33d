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
import { estimateCost, loadPriceTable } from "./cost";
import { stringify } from "yaml";
import { TapConfig, TapConfigError, TapConfigInput, resolveConfig } from "../lib/config";
import { PreflightError, calendarClusterVersions, preflight } from "../lib/preflight";
import { EKS_CALENDAR, phaseOn } from "../lib/support";
import { TapStack } from "../lib/tap-stack";
import { CAPABILITIES, CAPABILITY_NAMES, deploymentOrder } from "../lib/capabilities";
import { policies } from "../policy/policies";
import { RecordedResource, mockTap } from "./offline-mocks";
import { ConfigFileError, loadStackConfig } from "./stack-config";
import { expandRemoteComponents } from "./remote-model";
import { countByRegion, resourceRegions } from "./regions";
import { firstUp } from "./critical-path";
import { runPolicies } from "./policy-runner";
import {
  PlanReport,
  PreflightPlan,
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
  /** Plan a stack that has no Pulumi.<stack>.yaml (as the pipeline's pull-request stacks). */
  readonly noStackFile?: boolean;
  /** --help: print USAGE and exit 0. */
  readonly help?: boolean;
}

export const USAGE = `Usage: npm run plan -- [options]   (the -- hands the options to the plan, not to npm)

Synthesizes the stack offline (no AWS account, no Pulumi CLI), judges it with tap's policies and
the EKS support calendar, and prints what \`pulumi up\` would create.

Options:
  --stack <name>          the stack whose Pulumi.<name>.yaml to read (default: dev)
  --no-stack-file         plan a stack without a stack file: Pulumi.yaml's defaults only
  --config <key>=<value>  override one key, as \`pulumi config set\` would (repeatable),
                          e.g. --config tap:natGatewayStrategy=Single
  --date <YYYY-MM-DD>     judge the EKS support calendar on this day (default: today)
  --json [file]           the plan as JSON, on stdout or into a file
  --manifests <dir>       write every Kubernetes object tap creates as YAML into <dir>
  --help                  this text

Environment: ENVIRONMENT_SUFFIX sets tap:environmentSuffix when the stack does not, as in pulumi up.
Exit: 0 deployable, 1 the preflight or a mandatory policy would stop it, 2 bad options or config.`;

export class UsageError extends Error {}

const DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
/** The options npm keeps for itself when they come without \`--\` (it sets npm_config_<name>). */
const NPM_SWALLOWED = ["stack", "config", "date", "json", "manifests", "no_stack_file"];

export function parseArgs(
  argv: readonly string[],
  today = new Date(),
  env: Readonly<Record<string, string | undefined>> = {},
): PlanOptions {
  const swallowed = NPM_SWALLOWED.filter((name) => env[`npm_config_${name}`] !== undefined);
  if (swallowed.length > 0 && env.npm_lifecycle_event === "plan") {
    throw new UsageError(
      `npm kept ${swallowed.map((n) => `--${n.replace(/_/g, "-")}`).join(", ")} for itself: options after ` +
        "`npm run plan` need a `--` before them, e.g. npm run plan -- --stack dev --config tap:spotPercentage=50",
    );
  }
  let stack = "dev";
  let json: string | undefined;
  let manifests: string | undefined;
  let noStackFile = false;
  let help = false;
  let date = today.toISOString().slice(0, 10);
  const overrides: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--stack") stack = value();
    else if (arg === "--no-stack-file") noStackFile = true;
    else if (arg === "--date") {
      date = value();
      if (!DATE_RE.test(date) || Number.isNaN(Date.parse(date)))
        throw new UsageError(`--date must be YYYY-MM-DD, a real day (got "${date}")`);
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
    } else if (!arg.startsWith("-"))
      throw new UsageError(
        `unexpected argument "${arg}" (options take the form --name value; see --help)`,
      );
    else throw new UsageError(`unknown option ${arg} (see --help)`);
  }
  return {
    stack,
    overrides,
    json,
    date,
    ...(manifests ? { manifests } : {}),
    ...(noStackFile ? { noStackFile } : {}),
    ...(help ? { help } : {}),
  };
}

/** The stack's config as Pulumi would pass it (tools/stack-config.ts), or a ConfigFileError. */
export function loadConfig(options: PlanOptions, cwd = process.cwd()) {
  const loaded = loadStackConfig(options, cwd);
  return { ...loaded, config: loaded.config as TapConfigInput };
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
  const entry = EKS_CALENDAR[version];
  if (!entry) return `Kubernetes ${version}: not in EKS_CALENDAR (lib/support.ts)`;
  const { endOfStandardSupport: std, endOfExtendedSupport: ext } = entry;
  const state = {
    ended: "past extended support: EKS no longer offers it",
    extended: "in extended support (paid)",
    standard: "in standard support",
    unknown: "not in the calendar",
  }[phaseOn(version, date)];
  return `lifecycle (EKS calendar, lib/support.ts): Kubernetes ${version} standard support until ${std}, extended until ${ext} — ${state} as of ${date}`;
}

/** Test seams: a hook over the recorded resources (e.g. to break one on purpose), the environment. */
export interface PlanDeps {
  readonly transformResources?: (resources: readonly RecordedResource[]) => RecordedResource[];
  /** Environment variables (ENVIRONMENT_SUFFIX, npm's); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the Pulumi.*.yaml files are; default the working directory. */
  readonly cwd?: string;
}

/**
 * The preflight without AWS: EKS's version list rebuilt from the calendar in lib/support.ts for
 * the plan's date, judged by the same rules `pulumi up` applies to EKS's live answer.
 */
export async function offlinePreflight(config: TapConfig, date: string): Promise<PreflightPlan> {
  try {
    // Offline, both regions answer as the calendar does.
    const calendar = async () => calendarClusterVersions(date);
    const result = await preflight(config, calendar, date, calendar);
    return { problems: [], warnings: result.warnings };
  } catch (e) {
    if (e instanceof PreflightError) return { problems: e.problems, warnings: [] };
    throw e;
  }
}

export async function buildPlan(options: PlanOptions, deps: PlanDeps = {}): Promise<PlanReport> {
  const { config: input, region, source, notes } = loadConfig(options, deps.cwd);
  // The stack file's aws:region: tap:dr.region must be another.
  const context = { stackName: options.stack, env: deps.env ?? process.env, region };
  let resolved;
  try {
    resolved = resolveConfig(input, context);
  } catch (e) {
    // The file notes say why a value is wrong (a version YAML read as a number): print them first.
    if (e instanceof TapConfigError && notes.length > 0) {
      throw new ConfigFileError(`${notes.join("\n")}\n${e.message}`);
    }
    throw e;
  }
  const { config, warnings } = resolved;
  const preflightPlan = await offlinePreflight(config, options.date);
  // The plan prints the warnings once itself; the stack gets none to log again.
  const synthesized = await mockTap(
    () => new TapStack("tap", { resolved: { config, warnings: [] } }),
    {},
    options.stack,
  );
  const resources = deps.transformResources?.(synthesized.resources) ?? synthesized.resources;
  if (options.manifests) writeManifests(options.manifests, resources);
  // What a real preview would show: the remote components' children, from their source.
  const expanded = expandRemoteComponents(resources);
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
    source,
    lifecycle: lifecycleLine(config.kubernetesVersion, options.date),
    preflight: preflightPlan,
    warnings: [...notes, ...warnings, ...preflightPlan.warnings],
    resources: {
      total: expanded.length,
      byType: countByType(expanded),
      byRegion: countByRegion(expanded, region),
      modeled: expanded.filter((r) => r.modeled).length,
      modeledFrom: [...new Set(expanded.flatMap((r) => (r.modeled ? [r.modeled] : [])))],
    },
    firstUp: firstUp(expanded),
    nodeGroups: nodeGroups(resources),
    capabilities: {
      on: deploymentOrder(config.addons),
      off: CAPABILITY_NAMES.filter((n) => !config.addons[n]).map((n) => ({
        name: n,
        configKey: CAPABILITIES[n].configKey,
        summary: CAPABILITIES[n].summary,
        needs: CAPABILITIES[n].needs,
        conflicts: CAPABILITIES[n].conflicts,
      })),
    },
    addons: addons(resources),
    irsaRoles: irsaRoles(resources),
    services: serviceGraph(resources),
    violations,
    cost: estimateCost({
      resources: expanded,
      region,
      regionOf: resourceRegions(expanded, region),
      kubernetesVersion: config.kubernetesVersion,
      date: options.date,
      prices: loadPriceTable(),
    }),
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
    options = parseArgs(argv, new Date(), deps.env ?? process.env);
    if (options.help) {
      io.out(USAGE);
      return 0;
    }
    plan = await buildPlan(options, deps);
  } catch (e) {
    if (e instanceof TapConfigError || e instanceof UsageError || e instanceof ConfigFileError) {
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
  const stopped =
    plan.preflight.problems.length > 0 ||
    plan.violations.some((v) => v.enforcementLevel === "mandatory");
  return stopped ? 1 : 0;
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
