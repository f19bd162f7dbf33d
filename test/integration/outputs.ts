/**
 * The deployed stack's outputs, as the integration suite reads them, and what the stack was
 * configured with (the expectations the checks compare AWS against).
 *
 * Outputs come from `cfn-outputs/flat-outputs.json` at the project root, written by
 *   pulumi stack output --json --show-secrets > cfn-outputs/flat-outputs.json
 * or from the file named by env `TAP_OUTPUTS_FILE`. No file is not an error (the suite skips);
 * a file that is there but wrong is (the error names every missing or mistyped key).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { TapConfigInput, resolveConfig } from "../../lib/config";
import { CONTROL_PLANE_LOG_TYPES } from "../../lib/cluster";
import { Sizes } from "../../lib/node-groups";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const DEFAULT_OUTPUTS_FILE = "cfn-outputs/flat-outputs.json";
export const OUTPUTS_FILE_ENV = "TAP_OUTPUTS_FILE";
export const PRODUCE_OUTPUTS_COMMAND = `pulumi stack output --json --show-secrets > ${DEFAULT_OUTPUTS_FILE}`;

type Env = Readonly<Record<string, string | undefined>>;

/** The stack outputs the integration checks use (names as `stackOutputs()` in lib/tap-stack.ts). */
export interface StackOutputsFile {
  readonly clusterName: string;
  readonly clusterVersion: string;
  /** The issuer URL; compared with and without `https://`. */
  readonly oidcIssuerUrl: string;
  readonly oidcProviderArn: string;
  readonly privateSubnetIds: readonly string[];
  readonly nodeGroupNames: readonly string[];
  readonly kmsKeyArn: string;
  readonly controlPlaneLogGroupName: string;
  readonly flowLogGroupName: string;
  readonly region: string;
  readonly environmentSuffix: string;
  /**
   * IRSA role ARN by service account. A key `<namespace>/<serviceAccount>` (or `<ns>:<sa>`) pins the
   * trust policy's subject exactly; any other key (an add-on name) only requires one exact subject.
   */
  readonly irsaRoleArns?: Readonly<Record<string, string>>;
  readonly applicationLogGroupName?: string;
  /** Falco's events (tap:addons.falco): encrypted with tap's key, tap's retention. */
  readonly falcoLogGroupName?: string;
  readonly serviceNames?: readonly string[];
  readonly appMeshName?: string;
  /** The EKS-created cluster security group (the one the managed nodes use). */
  readonly clusterSecurityGroupId?: string;
}

export type OutputsLoad =
  | { readonly outputs: StackOutputsFile; readonly file: string }
  | { readonly outputs: undefined; readonly reason: string };

/** A present but unusable outputs file; `keys` are the offending output names. */
export class OutputsFileError extends Error {
  constructor(
    readonly file: string,
    readonly keys: readonly string[],
    problems: readonly string[],
  ) {
    super(`${file}: ${problems.join("; ")}. Regenerate it with: ${PRODUCE_OUTPUTS_COMMAND}`);
    this.name = "OutputsFileError";
  }
}

/** Where the outputs file is: `TAP_OUTPUTS_FILE` (relative to the cwd) or the project default. */
export function outputsFilePath(env: Env = process.env): string {
  const fromEnv = env[OUTPUTS_FILE_ENV]?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(PROJECT_ROOT, DEFAULT_OUTPUTS_FILE);
}

/** Reads and validates the outputs file; `outputs: undefined` with the reason when there is none. */
export function loadOutputs(env: Env = process.env): OutputsLoad {
  const file = outputsFilePath(env);
  if (!fs.existsSync(file)) {
    const named = env[OUTPUTS_FILE_ENV]?.trim()
      ? `${OUTPUTS_FILE_ENV}=${env[OUTPUTS_FILE_ENV]} does not exist`
      : `${DEFAULT_OUTPUTS_FILE} does not exist`;
    return { outputs: undefined, reason: named };
  }
  const text = fs.readFileSync(file, "utf8");
  if (text.trim() === "") throw new OutputsFileError(file, [], ["the file is empty"]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OutputsFileError(file, [], [`not JSON (${(e as Error).message})`]);
  }
  return { outputs: parseOutputs(json, file), file };
}

/** ONE line: why the suite is skipped and how to produce the outputs. */
export function skipReason(reason = `${DEFAULT_OUTPUTS_FILE} does not exist`): string {
  return (
    `tap integration tests skipped: no stack outputs (${reason}); deploy, then run ` +
    `\`${PRODUCE_OUTPUTS_COMMAND}\` or set ${OUTPUTS_FILE_ENV}=<path to that JSON>`
  );
}

const isString = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
const show = (v: unknown): string => (v === undefined ? "undefined" : JSON.stringify(v));

/** Lists and maps may arrive JSON-encoded as strings (flattened outputs); decode those. */
function decoded(v: unknown): unknown {
  if (typeof v === "string" && /^\s*[[{]/.test(v)) {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

/** Validates parsed JSON; throws one `OutputsFileError` naming every missing or mistyped key. */
export function parseOutputs(json: unknown, file = DEFAULT_OUTPUTS_FILE): StackOutputsFile {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new OutputsFileError(file, [], [`expected a JSON object of outputs (got ${show(json)})`]);
  }
  const raw = json as Record<string, unknown>;
  const keys: string[] = [];
  const problems: string[] = [];
  const bad = (key: string, want: string): void => {
    keys.push(key);
    problems.push(
      raw[key] === undefined
        ? `"${key}" is missing (expected ${want})`
        : `"${key}" must be ${want} (got ${show(raw[key])})`,
    );
  };
  const str = (key: string, pattern?: RegExp, want = "a non-empty string"): string => {
    const v = raw[key];
    if (isString(v) && (!pattern || pattern.test(v))) return v;
    bad(key, want);
    return "";
  };
  const list = (key: string, pattern?: RegExp, want = "a non-empty list of strings"): string[] => {
    const v = decoded(raw[key]);
    if (
      Array.isArray(v) &&
      v.length > 0 &&
      v.every((x) => isString(x) && (!pattern || pattern.test(x)))
    )
      return v as string[];
    bad(key, want);
    return [];
  };

  const outputs = {
    clusterName: str("clusterName"),
    clusterVersion: str("clusterVersion", /^1\.[0-9]+$/, 'a Kubernetes minor like "1.33"'),
    oidcIssuerUrl: str("oidcIssuerUrl", /^(https:\/\/)?oidc\.eks\./, "an EKS OIDC issuer URL"),
    oidcProviderArn: str(
      "oidcProviderArn",
      /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\//,
      "an IAM OIDC provider ARN",
    ),
    privateSubnetIds: list("privateSubnetIds", /^subnet-/, "a non-empty list of subnet IDs"),
    nodeGroupNames: list("nodeGroupNames"),
    kmsKeyArn: str("kmsKeyArn", /^arn:aws[a-z-]*:kms:/, "a KMS key ARN"),
    controlPlaneLogGroupName: str("controlPlaneLogGroupName"),
    flowLogGroupName: str("flowLogGroupName"),
    region: str("region", /^[a-z]{2}(-[a-z]+)+-[0-9]$/, 'an AWS region like "us-east-1"'),
    environmentSuffix: str("environmentSuffix"),
  };
  const optional: {
    irsaRoleArns?: Record<string, string>;
    applicationLogGroupName?: string;
    falcoLogGroupName?: string;
    serviceNames?: string[];
    appMeshName?: string;
    clusterSecurityGroupId?: string;
  } = {};
  if (raw.irsaRoleArns !== undefined) {
    const v = decoded(raw.irsaRoleArns);
    const ok =
      typeof v === "object" &&
      v !== null &&
      !Array.isArray(v) &&
      Object.values(v).every(
        (arn) => isString(arn) && /^arn:aws[a-z-]*:iam::[0-9]{12}:role\//.test(arn),
      );
    if (ok) optional.irsaRoleArns = v as Record<string, string>;
    else bad("irsaRoleArns", "an object of IAM role ARNs by service account");
  }
  if (raw.applicationLogGroupName !== undefined)
    optional.applicationLogGroupName = str("applicationLogGroupName");
  if (raw.falcoLogGroupName !== undefined) optional.falcoLogGroupName = str("falcoLogGroupName");
  if (raw.serviceNames !== undefined) optional.serviceNames = list("serviceNames");
  if (raw.appMeshName !== undefined) optional.appMeshName = str("appMeshName");
  if (raw.clusterSecurityGroupId !== undefined)
    optional.clusterSecurityGroupId = str("clusterSecurityGroupId");

  if (problems.length > 0) throw new OutputsFileError(file, keys, problems);
  return { ...outputs, ...optional };
}

/** What the checks compare AWS against. */
export interface Expectations {
  readonly kubernetesVersion: string;
  readonly logTypes: readonly string[];
  readonly nodeTotals: Sizes;
  readonly spotPercentage: number;
  readonly logRetentionDays: number;
  /** Where the values came from, for the test titles and failure messages. */
  readonly source: string;
}

/** Env overrides of the expectations: each maps to the `tap:` key it stands for. */
export const EXPECTATION_ENV: Readonly<Record<string, keyof TapConfigInput & string>> = {
  TAP_EXPECT_KUBERNETES_VERSION: "kubernetesVersion",
  TAP_EXPECT_SPOT_PERCENTAGE: "spotPercentage",
  TAP_EXPECT_NODE_MIN_SIZE: "nodeMinSize",
  TAP_EXPECT_NODE_DESIRED_SIZE: "nodeDesiredSize",
  TAP_EXPECT_NODE_MAX_SIZE: "nodeMaxSize",
  TAP_EXPECT_LOG_RETENTION_DAYS: "logRetentionDays",
};
const EXPECTED_KEYS = Object.values(EXPECTATION_ENV);

/**
 * The expectations, from (later wins): lib/config.ts DEFAULTS; the stack's config file
 * (`TAP_STACK_CONFIG_FILE`, else `Pulumi.<environmentSuffix>.yaml` at the project root, the file
 * `pulumi config set` and the CI's `upsert` write); `TAP_EXPECT_*` env vars. Values go through
 * `resolveConfig`, so they obey the same rules as a deployment. The Kubernetes version, unless the
 * file or env sets it, is the deployed `clusterVersion` output (itself the configured version).
 */
export function resolveExpectations(
  outputs: StackOutputsFile,
  env: Env = process.env,
): Expectations {
  const input: Record<string, unknown> = {};
  const sources: string[] = ["lib/config.ts DEFAULTS"];

  const file = env.TAP_STACK_CONFIG_FILE?.trim()
    ? path.resolve(env.TAP_STACK_CONFIG_FILE.trim())
    : path.join(PROJECT_ROOT, `Pulumi.${outputs.environmentSuffix}.yaml`);
  if (fs.existsSync(file)) {
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as {
      config?: Record<string, unknown>;
    } | null;
    for (const key of EXPECTED_KEYS) {
      const v = doc?.config?.[`tap:${key}`];
      if (v !== undefined)
        input[key] = typeof v === "object" && v !== null && "value" in v ? v.value : v;
    }
    sources.push(path.relative(PROJECT_ROOT, file) || file);
  }
  const fromEnv = Object.entries(EXPECTATION_ENV).filter(([name]) => env[name]?.trim());
  for (const [name, key] of fromEnv) input[key] = env[name]?.trim();
  if (fromEnv.length > 0) sources.push(`env ${fromEnv.map(([name]) => name).join(", ")}`);

  const versionGiven = input.kubernetesVersion !== undefined;
  const { config } = resolveConfig(input, { stackName: outputs.environmentSuffix });
  return {
    kubernetesVersion: versionGiven ? config.kubernetesVersion : outputs.clusterVersion,
    logTypes: CONTROL_PLANE_LOG_TYPES,
    nodeTotals: {
      min: config.nodeMinSize,
      desired: config.nodeDesiredSize,
      max: config.nodeMaxSize,
    },
    spotPercentage: config.spotPercentage,
    logRetentionDays: config.logRetentionDays,
    source: sources.join(" < "),
  };
}
