/**
 * Reads a stack's config the way the Pulumi CLI hands it to the program: the project's defaults
 * from Pulumi.yaml's `config:` block, then Pulumi.<stack>.yaml over them, every value as text
 * (YAML numbers and booleans become their string, lists and maps JSON), so that the offline plan
 * judges exactly what `pulumi up` would. Source of the rules: pulumi/pulumi
 * sdk/go/common/workspace/config.go (mergeConfig, createConfigValue: a primitive default is
 * fmt.Sprintf("%v"), anything else JSON; a project key without default or value is required).
 */
import * as fs from "fs";
import * as path from "path";
import { Document, LineCounter, isMap, isScalar, parseDocument } from "yaml";

/** A stack or project file that cannot be read: names the file and the line. */
export class ConfigFileError extends Error {}

export interface StackConfig {
  /** `tap:` keys without their namespace, values as Pulumi passes them (text). */
  readonly config: Record<string, string>;
  readonly region: string;
  /** Where the values came from, for the plan's header. */
  readonly source: string;
  /** Things about the files worth a word (a version YAML turned into a number). */
  readonly notes: readonly string[];
}

function readYaml(file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, "utf8"), { lineCounter: lines });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    const where = at ? `${path.basename(file)}:${at.line}:${at.col}` : path.basename(file);
    throw new ConfigFileError(
      `${where}: ${error.message.split("\n")[0]} (the file is not valid YAML)`,
    );
  }
  return { doc, lines };
}

/** A value as Pulumi passes it to the program: strings as they are, other scalars as text, the rest JSON. */
export function pulumiText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A YAML node as plain data (scalars, arrays, maps). */
const plain = (node: unknown): unknown =>
  (node as { toJSON?: () => unknown } | null)?.toJSON?.() ?? node;

/** The `config:` map of a YAML document, as [key, value node] pairs with the line of each. */
function configEntries(doc: Document, lines: LineCounter) {
  const config = doc.get("config", true);
  if (config === undefined || config === null) return [];
  if (!isMap(config)) throw new ConfigFileError("config: must be a map of keys to values");
  return config.items.map((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const offset = isScalar(pair.value) ? (pair.value.range?.[0] ?? 0) : 0;
    return { key, node: pair.value, line: lines.linePos(offset).line };
  });
}

/** Project-level config (Pulumi.yaml): each key's `value` or `default`, as text. */
export function projectConfig(cwd: string): Record<string, string> {
  const file = path.join(cwd, "Pulumi.yaml");
  if (!fs.existsSync(file)) return {};
  const { doc, lines } = readYaml(file);
  const out: Record<string, string> = {};
  for (const { key, node } of configEntries(doc, lines)) {
    const decl = plain(node);
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as { value?: unknown; default?: unknown };
      const v = d.value ?? d.default;
      if (v !== undefined) out[key] = pulumiText(v);
    } else if (decl !== undefined && decl !== null) out[key] = pulumiText(decl);
  }
  return out;
}

/** The stacks that have a stack file here. */
export function stackFiles(cwd: string): string[] {
  return fs
    .readdirSync(cwd)
    .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
    .sort();
}

export interface LoadOptions {
  readonly stack: string;
  readonly overrides: readonly [string, string][];
  readonly noStackFile?: boolean;
}

/** The stack file's key -> value text, and notes about values YAML changed. */
function stackFileConfig(file: string): { values: Record<string, string>; notes: string[] } {
  const { doc, lines } = readYaml(file);
  const values: Record<string, string> = {};
  const notes: string[] = [];
  for (const { key, node, line } of configEntries(doc, lines)) {
    const value = plain(node);
    if (value && typeof value === "object" && "secure" in value) continue; // encrypted: not readable offline
    if (value === undefined || value === null) continue;
    values[key] = pulumiText(value);
    if (key === "tap:kubernetesVersion" && isScalar(node) && typeof node.value === "number") {
      const written = node.source ?? String(node.value);
      const passed = String(node.value);
      notes.push(
        written === passed
          ? `${path.basename(file)}:${line}: tap:kubernetesVersion ${written} is a YAML number; Pulumi passes it as "${passed}", ` +
              `which works, but a minor ending in 0 would not (1.30 becomes 1.3): quote it, tap:kubernetesVersion: "${written}"`
          : `${path.basename(file)}:${line}: tap:kubernetesVersion ${written} is a YAML number, which Pulumi passes as "${passed}": ` +
              `quote it, tap:kubernetesVersion: "${written}"`,
      );
    }
  }
  return { values, notes };
}

/** Pulumi.yaml's defaults, then Pulumi.<stack>.yaml, then the --config overrides. */
export function loadStackConfig(options: LoadOptions, cwd = process.cwd()): StackConfig {
  const merged: Record<string, string> = { ...projectConfig(cwd) };
  const file = path.join(cwd, `Pulumi.${options.stack}.yaml`);
  let source = `Pulumi.yaml defaults (stack ${options.stack} has no stack file)`;
  const notes: string[] = [];
  if (!options.noStackFile) {
    if (!fs.existsSync(file)) {
      const stacks = stackFiles(cwd).map((f) => f.replace(/^Pulumi\.|\.ya?ml$/g, ""));
      throw new ConfigFileError(
        `unknown stack "${options.stack}": there is no Pulumi.${options.stack}.yaml here ` +
          `(stack files: ${stackFiles(cwd).join(", ") || "none"}). ` +
          `Plan one of them (--stack ${stacks[0] ?? "dev"}), or a stack without a stack file, ` +
          `as the pipeline's pull-request stacks are: --stack ${options.stack} --no-stack-file`,
      );
    }
    const read = stackFileConfig(file);
    Object.assign(merged, read.values);
    notes.push(...read.notes);
    source = `Pulumi.${options.stack}.yaml over Pulumi.yaml defaults`;
  }
  for (const [key, v] of options.overrides) merged[key.includes(":") ? key : `tap:${key}`] = v;
  const config: Record<string, string> = {};
  for (const [key, v] of Object.entries(merged)) {
    if (key.startsWith("tap:")) config[key.slice(4)] = v;
  }
  return { config, region: merged["aws:region"] ?? "us-east-1", source, notes };
}
