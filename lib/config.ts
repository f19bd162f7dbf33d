/**
 * The configuration contract: every `tap:` key, its type, default and rule, in one place.
 *
 * `resolveConfig()` turns raw input (Pulumi config strings, or typed values from code) into a fully
 * resolved, readonly `TapConfig`. It collects EVERY problem and throws them together as one
 * `TapConfigError` before any resource exists, so bad input never half-creates a stack.
 */
import {
  KubernetesVersion,
  SUPPORTED_KUBERNETES_VERSIONS,
  UNPINNABLE_KUBERNETES_VERSIONS,
  isSupportedKubernetesVersion,
  pinsFor,
} from "./addons/versions";
import * as pulumi from "@pulumi/pulumi";
import { CapabilitySettings, EnabledCapabilities, parseCapabilities } from "./capabilities";
import { TenantSpec, checkTenants, parseTenants } from "./tenants/types";
import { NodeClassesConfig, parseNodeClasses } from "./node-classes";
import { DrConfig, parseDr } from "./dr-config";
import { Parser, closestKey, show, vpcCidrProblem } from "./config-parse";
import { isIpv4Cidr } from "./net-util";
import { DEFAULT_SERVICES, parseServiceCatalog } from "./services/catalog";
import { ServiceSpec } from "./services/types";
import { SUPPORT_TYPES, SupportType } from "./support";
import { TRACING_OTLP_PORTS } from "./addons/tracing/settings";

export type NatGatewayStrategy = "OnePerAz" | "Single";
export type NodeOperatingSystem = "Bottlerocket" | "AL2023" | "AL2";

/** The resolved configuration. Every field is required: the rest of the code never writes `?? default`. */
export interface TapConfig {
  /** Suffix on every resource name; also the `Environment` tag. */
  readonly environmentSuffix: string;
  /** `Team` tag on every taggable resource. */
  readonly team: string;
  /** `CostCenter` tag on every taggable resource. */
  readonly costCenter: string;
  /** EKS Kubernetes minor, e.g. "1.28"; must be in the add-on pin table. */
  readonly kubernetesVersion: KubernetesVersion;
  /**
   * What EKS does when the minor leaves standard support: STANDARD upgrades the control plane to the
   * next minor (standard price), EXTENDED keeps it (six times the hourly price, up to 12 months).
   */
  readonly supportType: SupportType;
  /** IPv4 CIDR of the VPC (/16 to /20). */
  readonly vpcCidr: string;
  /** Availability zones the VPC spans (2 to 4). */
  readonly availabilityZoneCount: number;
  /** NAT gateways: one per AZ (resilient) or a single one (cheaper). */
  readonly natGatewayStrategy: NatGatewayStrategy;
  /** Instance types for the node groups, all of one size and architecture. */
  readonly nodeInstanceTypes: readonly string[];
  /** Operating system of the nodes. */
  readonly nodeOperatingSystem: NodeOperatingSystem;
  /** Share of nodes that run on spot capacity (0 to 100). */
  readonly spotPercentage: number;
  /** Total nodes over both groups at minimum. */
  readonly nodeMinSize: number;
  /** Total nodes over both groups at creation. */
  readonly nodeDesiredSize: number;
  /** Total nodes over both groups at maximum. */
  readonly nodeMaxSize: number;
  /** Retention of every log group tap creates. */
  readonly logRetentionDays: number;
  /** CIDRs that may reach the public API endpoint. */
  readonly endpointPublicAccessCidrs: readonly string[];
  /** Whether the Kubernetes API has a public endpoint (false: a private cluster). */
  readonly endpointPublicAccess: boolean;
  /**
   * Networks admitted to the private API endpoint (443 on the EKS cluster security group): a CI
   * runner's subnet, a VPN, a joined VPC. The VPC's own nodes are members already.
   */
  readonly privateEndpointAccessCidrs: readonly string[];
  /** VPC endpoints for the AWS APIs the stack calls (lib/endpoints.ts). */
  readonly vpcEndpoints: boolean;
  /** IAM role/user ARNs given cluster-admin through EKS access entries. */
  readonly clusterAdminArns: readonly string[];
  /** Whether to build the AWS App Mesh service mesh (App Mesh was discontinued 2026-09-30). */
  readonly enableAppMesh: boolean;
  /** The service catalog: one declaration per microservice (workloads, scaling, policies, mesh). */
  readonly services: readonly ServiceSpec[];
  /** Which capabilities are on (lib/capabilities.ts): `tap:addons` and `tap:enableAppMesh`. */
  readonly addons: EnabledCapabilities;
  /** Tenants (lib/tenants): namespaces with quotas, namespace-scoped access, per-tenant S3. */
  readonly tenants: readonly TenantSpec[];
  /** Node classes beside the application's 70/30 groups (lib/node-classes.ts); {} = none. */
  readonly nodeClasses: NodeClassesConfig;
  /** The recovery region (lib/recovery-region.ts); undefined = none. */
  readonly dr?: DrConfig;
  /** Each capability's settings (from the same `tap:addons` map), defaults applied. */
  readonly addonSettings: CapabilitySettings;
}

/** CloudWatch Logs' accepted retention values (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

export const MAX_NODES = 450;

/** Defaults of every key except environmentSuffix (env `ENVIRONMENT_SUFFIX`, else the stack name). */
export const DEFAULTS = {
  team: "platform",
  costCenter: "fintech-platform",
  kubernetesVersion: "1.28",
  supportType: "STANDARD",
  vpcCidr: "10.0.0.0/16",
  availabilityZoneCount: 3,
  natGatewayStrategy: "OnePerAz",
  nodeInstanceTypes: ["m6i.large", "m5.large", "m5a.large", "m6a.large"],
  nodeOperatingSystem: "Bottlerocket",
  spotPercentage: 70,
  nodeMinSize: 3,
  nodeDesiredSize: 10,
  nodeMaxSize: 30,
  logRetentionDays: 30,
  endpointPublicAccessCidrs: ["0.0.0.0/0"],
  endpointPublicAccess: true,
  privateEndpointAccessCidrs: [],
  vpcEndpoints: false,
  clusterAdminArns: [],
  enableAppMesh: true,
  services: DEFAULT_SERVICES,
  // No overrides: every capability at its default (lib/capabilities.ts), App Mesh by enableAppMesh.
  addons: {},
  // No tenants: every service in a namespace of its own, access only through tap:clusterAdminArns.
  tenants: [],
  // The specification's compute: the application's two 70/30 groups, no other class.
  nodeClasses: {},
  // One region: no recovery region.
  dr: {},
} as const satisfies Omit<Record<keyof TapConfig, unknown>, "environmentSuffix" | "addonSettings">;

/** Every key tap reads, in README order. */
export const CONFIG_KEYS = [
  "environmentSuffix",
  ...(Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]),
] as const;
/** The `tap:` keys (addonSettings is derived from tap:addons, not a key of its own). */
export type ConfigKey = Exclude<keyof TapConfig, "addonSettings">;

/** Raw input: values as Pulumi config gives them (strings) or as code passes them (typed). */
export type TapConfigInput = { readonly [K in ConfigKey]?: unknown } & {
  readonly [key: string]: unknown;
};

export interface ConfigProblem {
  /** The key, with its namespace: `tap:spotPercentage`. */
  readonly propertyPath: string;
  readonly reason: string;
}

/** A Pulumi RunError: `pulumi up` prints the message alone, without a stack trace. */
export class TapConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `tap: invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.reason}`).join("\n"),
    );
    this.name = "TapConfigError";
  }
}

export interface ResolveContext {
  /** The Pulumi stack name: the suffix's fallback. */
  readonly stackName: string;
  /** Environment variables (only ENVIRONMENT_SUFFIX is read). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The stack's region (aws:region), when known: tap:dr.region must be another. */
  readonly region?: string;
}

/**
 * Drops the cluster's creator (`creatorArn`: recorded on the cluster by lib/creator.ts, else the
 * identity running this first `pulumi up`) from clusterAdminArns, with a warning: pulumi-eks always
 * grants the creator admin access (bootstrapClusterCreatorAdminPermissions), and a second access
 * entry for it fails with ResourceInUseException. Every other identity keeps its entry, whoever runs.
 */
export function withoutCreator(resolved: ResolvedConfig, creatorArn: string): ResolvedConfig {
  const listed = resolved.config.clusterAdminArns;
  const kept = listed.filter((arn) => !isCallerIdentity(arn, creatorArn));
  const skipped = listed.filter((arn) => !kept.includes(arn));
  // A tenant member who created the cluster is its admin already: an entry would collide too.
  const members = resolved.config.tenants.flatMap((t) =>
    t.members.filter((m) => isCallerIdentity(m.arn, creatorArn)).map((m) => `${t.name}: ${m.arn}`),
  );
  if (skipped.length === 0 && members.length === 0) return resolved;
  const tenants = resolved.config.tenants.map((t) => ({
    ...t,
    members: t.members.filter((m) => !isCallerIdentity(m.arn, creatorArn)),
  }));
  return {
    config: { ...resolved.config, clusterAdminArns: kept, tenants },
    warnings: [
      ...resolved.warnings,
      ...skipped.map(
        (arn) =>
          `tap:clusterAdminArns: ${arn} created the cluster (${creatorArn}); pulumi-eks already ` +
          "grants the cluster creator admin access, so tap makes no second access entry for it",
      ),
      ...members.map(
        (m) =>
          `tap:tenants: ${m} created the cluster (${creatorArn}) and is cluster admin already; ` +
          "tap makes no tenant access entry for it",
      ),
    ],
  };
}

/** `role:<partition>:<account>:<name>` or `user:...` for an IAM role/user or STS role-session ARN. */
function identityOf(arn: string): string | undefined {
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)(?:\/[^/]*)?$/.exec(arn);
  if (session) return `role:${session[1]}:${session[2]}:${session[3]}`;
  const iam = /^arn:([\w-]+):iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return iam ? `${iam[3]}:${iam[1]}:${iam[2]}:${iam[4]}` : undefined;
}

/**
 * Whether `principalArn` (an IAM role or user ARN) and `callerArn` are one identity. A role's
 * caller ARN is its STS session (`arn:aws:sts::<acct>:assumed-role/<name>/<session>`), which keeps
 * the role's name but not its path; EKS maps that session to the role's access entry.
 */
export function isCallerIdentity(principalArn: string, callerArn: string): boolean {
  const a = identityOf(principalArn);
  return principalArn === callerArn || (a !== undefined && a === identityOf(callerArn));
}

/**
 * The form of `callerArn` recorded as the cluster's creator: a role session becomes
 * `arn:<p>:sts::<acct>:assumed-role/<role>` (session names may hold characters tag values may not).
 */
export function creatorRecord(callerArn: string): string {
  return callerArn.replace(/^(arn:[\w-]+:sts::\d{12}:assumed-role\/[^/]+)\/.*$/, "$1");
}

export interface ResolvedConfig {
  readonly config: TapConfig;
  /** Things that are allowed but deserve a word before anything is created. */
  readonly warnings: readonly string[];
}

const SUFFIX_RE = /^[a-z0-9][a-z0-9-]{0,19}$/;
const INSTANCE_TYPE_RE =
  /^[a-z]+[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;
const PRINCIPAL_ARN_RE = /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
// AWS tag values: letters, digits, spaces and _ . : / = + - @, up to 256 characters.
const TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/** Resolves and validates the configuration; throws one `TapConfigError` listing every problem. */
export function resolveConfig(input: TapConfigInput, context: ResolveContext): ResolvedConfig {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const fail = (key: string, reason: string): void => {
    problems.push({ propertyPath: `tap:${key}`, reason });
  };
  const p = new Parser(input, fail);

  for (const key of Object.keys(input)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const guess = closestKey(key, CONFIG_KEYS);
      fail(
        key,
        `tap:${key} is not a tap setting${guess ? `; did you mean tap:${guess}?` : ""} ` +
          `(known keys: ${CONFIG_KEYS.join(", ")})`,
      );
    }
  }

  // environmentSuffix: explicit key, else ENVIRONMENT_SUFFIX, else the stack name.
  const envSuffix = context.env?.ENVIRONMENT_SUFFIX;
  const suffixSource =
    input.environmentSuffix !== undefined
      ? ""
      : envSuffix
        ? " (from ENVIRONMENT_SUFFIX)"
        : " (from the stack name)";
  const suffix = p.string("environmentSuffix", envSuffix || context.stackName);
  if (!SUFFIX_RE.test(suffix)) {
    fail(
      "environmentSuffix",
      `tap:environmentSuffix must be 1-20 lowercase letters, digits or '-', starting with a letter or digit (got ${show(suffix)}${suffixSource})`,
    );
  }

  const team = p.string("team", DEFAULTS.team);
  const costCenter = p.string("costCenter", DEFAULTS.costCenter);
  for (const [key, value] of [
    ["team", team],
    ["costCenter", costCenter],
  ] as const) {
    if (!TAG_VALUE_RE.test(value) || value.trim() === "") {
      fail(
        key,
        `tap:${key} must be a non-empty AWS tag value (up to 256 letters, digits, spaces and _.:/=+-@) (got ${show(value)})`,
      );
    }
  }

  const version = p.string("kubernetesVersion", DEFAULTS.kubernetesVersion);
  if (!isSupportedKubernetesVersion(version)) {
    // YAML reads an unquoted 1.30 as the number 1.3, and Pulumi passes that on as "1.3".
    const yamlNumber = /^1\.[1-9]$/.test(version)
      ? `; an unquoted ${version}0 in a stack file is the YAML number ${version}: quote it, tap:kubernetesVersion: "${version}0"`
      : "";
    const blockers = UNPINNABLE_KUBERNETES_VERSIONS[version];
    const why = blockers
      ? `; EKS offers ${version} but tap cannot pin its add-ons yet: ` +
        blockers.map((b) => `${b.component} (needs ${b.unblockedBy})`).join("; ") +
        " (evidence: lib/addons/versions.ts UNPINNABLE_KUBERNETES_VERSIONS)"
      : "";
    fail(
      "kubernetesVersion",
      `tap:kubernetesVersion must be one of ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")} ` +
        `(the versions tap pins add-ons for; format 1.<minor>) (got ${show(version)})${yamlNumber}${why}`,
    );
  }

  const supportType = p.oneOf("supportType", DEFAULTS.supportType, SUPPORT_TYPES);

  const vpcCidr = p.string("vpcCidr", DEFAULTS.vpcCidr);
  const badCidr = vpcCidrProblem("vpcCidr", vpcCidr, "10.0.0.0/16");
  if (badCidr) fail("vpcCidr", badCidr);

  const azCount = p.int("availabilityZoneCount", DEFAULTS.availabilityZoneCount, 2, 4);
  const nat = p.oneOf("natGatewayStrategy", DEFAULTS.natGatewayStrategy, ["OnePerAz", "Single"]);
  if (nat === "Single") {
    warnings.push(
      "tap:natGatewayStrategy is Single: one NAT gateway in one AZ; if that AZ fails, private subnets lose egress.",
    );
  }

  const instanceTypes = p.stringList("nodeInstanceTypes", DEFAULTS.nodeInstanceTypes);
  const badTypes = instanceTypes.filter((t) => !INSTANCE_TYPE_RE.test(t));
  if (instanceTypes.length === 0) {
    fail(
      "nodeInstanceTypes",
      `tap:nodeInstanceTypes must list at least one instance type (got [])`,
    );
  } else if (badTypes.length > 0) {
    fail(
      "nodeInstanceTypes",
      `tap:nodeInstanceTypes must hold EC2 instance-type names like m6i.large (got ${show(badTypes)})`,
    );
  } else if (new Set(instanceTypes).size !== instanceTypes.length) {
    fail("nodeInstanceTypes", `tap:nodeInstanceTypes has duplicates (got ${show(instanceTypes)})`);
  } else if (new Set(instanceTypes.map(instanceArchitecture)).size > 1) {
    fail(
      "nodeInstanceTypes",
      `tap:nodeInstanceTypes must be all x86_64 or all arm64 (Graviton), one AMI serves a group (got ${show(instanceTypes)})`,
    );
  }

  const os = p.oneOf("nodeOperatingSystem", DEFAULTS.nodeOperatingSystem, [
    "Bottlerocket",
    "AL2023",
    "AL2",
  ]);
  if (os === "AL2" && isSupportedKubernetesVersion(version) && minorOf(version) >= 33) {
    fail(
      "nodeOperatingSystem",
      `tap:nodeOperatingSystem AL2 is not available for Kubernetes ${version}: EKS publishes no AL2 AMIs for 1.33 and later; use Bottlerocket or AL2023 (got "AL2")`,
    );
  } else if (os === "AL2") {
    warnings.push(
      "tap:nodeOperatingSystem is AL2, which AWS stopped supporting on 2025-06-30; prefer Bottlerocket or AL2023.",
    );
  }

  const spot = p.int("spotPercentage", DEFAULTS.spotPercentage, 0, 100);
  const min = p.int("nodeMinSize", DEFAULTS.nodeMinSize, 1, MAX_NODES);
  const max = p.int("nodeMaxSize", DEFAULTS.nodeMaxSize, 1, MAX_NODES);
  const desired = p.int("nodeDesiredSize", DEFAULTS.nodeDesiredSize, 1, MAX_NODES);
  if (min > max) {
    fail("nodeMinSize", `tap:nodeMinSize must be <= tap:nodeMaxSize (got ${min} > ${max})`);
  } else if (min > desired) {
    fail("nodeMinSize", `tap:nodeMinSize must be <= tap:nodeDesiredSize (got ${min} > ${desired})`);
  } else if (desired > max) {
    fail(
      "nodeDesiredSize",
      `tap:nodeDesiredSize must be <= tap:nodeMaxSize (got ${desired} > ${max})`,
    );
  }
  if (spot > 0 && spot < 100 && max < 2) {
    fail(
      "nodeMaxSize",
      `tap:nodeMaxSize must be >= 2 when tap:spotPercentage is between 1 and 99, so both the spot and the on-demand group can hold a node (got ${max})`,
    );
  }
  if (spot > 0 && instanceTypes.length > 0 && instanceTypes.length < 3) {
    warnings.push(
      `tap:nodeInstanceTypes lists ${instanceTypes.length} type(s); spot capacity is more reliable with 3 or more types of the same size.`,
    );
  }

  const retention = p.int("logRetentionDays", DEFAULTS.logRetentionDays, 1, 3653);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    fail(
      "logRetentionDays",
      `tap:logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${retention})`,
    );
  }

  const cidrs = p.stringList("endpointPublicAccessCidrs", DEFAULTS.endpointPublicAccessCidrs);
  const badCidrs = cidrs.filter((c) => !isIpv4Cidr(c));
  if (cidrs.length === 0) {
    fail(
      "endpointPublicAccessCidrs",
      `tap:endpointPublicAccessCidrs must list at least one CIDR (got []); the public endpoint is how pulumi reaches the cluster`,
    );
  } else if (badCidrs.length > 0) {
    fail(
      "endpointPublicAccessCidrs",
      `tap:endpointPublicAccessCidrs must hold IPv4 CIDRs with host bits zero, like 203.0.113.0/24 (got ${show(badCidrs)})`,
    );
  }
  const publicEndpoint = p.bool("endpointPublicAccess", DEFAULTS.endpointPublicAccess);
  const privateCidrs = p.stringList(
    "privateEndpointAccessCidrs",
    DEFAULTS.privateEndpointAccessCidrs,
  );
  const badPrivate = privateCidrs.filter((c) => !isIpv4Cidr(c) || c.endsWith("/0"));
  const twice = privateCidrs.filter((c, i) => privateCidrs.indexOf(c) !== i);
  if (twice.length > 0) {
    fail(
      "privateEndpointAccessCidrs",
      `tap:privateEndpointAccessCidrs lists ${[...new Set(twice)].join(", ")} more than once (a security group takes each rule once)`,
    );
  }
  if (badPrivate.length > 0) {
    fail(
      "privateEndpointAccessCidrs",
      `tap:privateEndpointAccessCidrs must hold IPv4 CIDRs with host bits zero, narrower than /0, like 10.1.0.0/24 (your runner's subnet or VPN) (got ${show(badPrivate)})`,
    );
  }
  if (!publicEndpoint && privateCidrs.length === 0) {
    warnings.push(
      "tap:endpointPublicAccess is false (a private cluster) and tap:privateEndpointAccessCidrs is empty: only members of the " +
        "cluster security group reach the API, so pulumi and kubectl outside it cannot. Admit your runner's network: " +
        "pulumi config set --path 'tap:privateEndpointAccessCidrs[0]' <cidr>",
    );
  }
  const vpcEndpoints = p.bool("vpcEndpoints", DEFAULTS.vpcEndpoints);
  if (!publicEndpoint && !vpcEndpoints) {
    warnings.push(
      "tap:endpointPublicAccess is false (a private cluster) and tap:vpcEndpoints is false: nodes and add-ons reach " +
        "the AWS APIs through the NAT gateways. Turn the endpoints on: pulumi config set tap:vpcEndpoints true",
    );
  }
  if (publicEndpoint && cidrs.length > 0 && badCidrs.length === 0 && cidrs.includes("0.0.0.0/0")) {
    warnings.push(
      "tap:endpointPublicAccessCidrs includes 0.0.0.0/0: the Kubernetes API endpoint is reachable from the whole internet " +
        "(authentication still applies). Narrow it: pulumi config set --path 'tap:endpointPublicAccessCidrs[0]' <your-cidr>",
    );
  }

  const admins = p.stringList("clusterAdminArns", DEFAULTS.clusterAdminArns);
  const badAdmins = admins.filter((a) => !PRINCIPAL_ARN_RE.test(a));
  if (badAdmins.length > 0) {
    fail(
      "clusterAdminArns",
      `tap:clusterAdminArns must hold IAM role or user ARNs like arn:aws:iam::123456789012:role/Admin (not assumed-role session ARNs) (got ${show(badAdmins)})`,
    );
  }

  const appMesh = p.bool("enableAppMesh", DEFAULTS.enableAppMesh);
  if (appMesh) {
    warnings.push(
      "tap:enableAppMesh is true, but AWS discontinued App Mesh on 2026-09-30: accounts that never used it cannot " +
        "create meshes, and nothing gets fixes. Turn it off with: pulumi config set tap:enableAppMesh false",
    );
  }

  const services = parseServiceCatalog(p.json("services"), fail);
  const { enabled: addons, settings: addonSettings } = parseCapabilities(
    p.json("addons"),
    appMesh,
    fail,
  );
  const tenants = parseTenants(p.json("tenants"), fail);
  checkTenants(tenants, services, admins, appMesh, fail);
  const nodeClasses = parseNodeClasses(p.json("nodeClasses"), fail);
  if (nodeClasses.gpu && !addons.clusterAutoscaler) {
    fail(
      "nodeClasses.gpu",
      addons.karpenter
        ? "tap:nodeClasses.gpu is a managed node group at zero that cluster-autoscaler starts, and tap:addons.karpenter replaces cluster-autoscaler: with Karpenter, GPU capacity would be a NodePool of its own, which tap does not build yet; turn one off"
        : "tap:nodeClasses.gpu is a managed node group at zero: without tap:addons.clusterAutoscaler nothing ever starts a node in it; turn cluster-autoscaler on",
    );
  }
  const dr = parseDr(
    p.json("dr"),
    {
      vpcCidr,
      primaryRegion: context.region,
      refused: addons.karpenter
        ? [
            {
              key: "addons.karpenter",
              why: "tap:dr and tap:addons.karpenter: the recovery region runs the default capabilities (cluster-autoscaler over the 70/30 groups); Karpenter's NodePools are not built there yet",
            },
          ]
        : [],
    },
    fail,
  );
  if (nodeClasses.system && addons.karpenter) {
    fail(
      "nodeClasses.system",
      "tap:nodeClasses.system and tap:addons.karpenter cannot both be on: Karpenter brings its own on-demand system group (tap:addons.karpenter.systemNodes), which every controller selects untainted; turn one off",
    );
  }
  services.forEach((s, i) => {
    if (s.nodeClass === "gpu" && !nodeClasses.gpu)
      fail(
        "services",
        `tap:services[${i}].nodeClass "gpu" of "${s.name}" needs tap:nodeClasses.gpu (pulumi config set --path tap:nodeClasses.gpu true)`,
      );
  });
  if (addons.karpenter && os !== "Bottlerocket") {
    fail(
      "nodeOperatingSystem",
      `tap:addons.karpenter is on and its EC2NodeClass boots Bottlerocket pinned by alias version (lib/addons/versions.ts); ` +
        `tap:nodeOperatingSystem must be Bottlerocket with Karpenter (got "${os}")`,
    );
  }
  if (addons.kyverno && isSupportedKubernetesVersion(version) && !pinsFor(version).kyverno) {
    fail(
      "addons.kyverno",
      `tap:addons.kyverno needs Kubernetes 1.31 or newer (got tap:kubernetesVersion "${version}"): ` +
        "Kyverno 1.13, the last release for 1.28, serves no ValidatingPolicy, the policy kind tap writes (its ClusterPolicy is deprecated)",
    );
  }
  if (appMesh) {
    // The ports App Mesh's pods leave out of Envoy's redirect (lib/services/mesh.ts
    // meshPodAnnotations): a call to a service serving there would bypass the mesh.
    const bypassed = new Map<number, string>([[443, "HTTPS to AWS APIs"]]);
    if (addons.tracing) {
      bypassed.set(TRACING_OTLP_PORTS.grpc, "OTLP to the tracing collector");
      bypassed.set(TRACING_OTLP_PORTS.http, "OTLP to the tracing collector");
    }
    services.forEach((s, i) => {
      const why = bypassed.get(s.port);
      if (why)
        fail(
          "services",
          `tap:services[${i}].port ${s.port} of "${s.name}" is left out of App Mesh's Envoy redirect (${why}), so calls to it would bypass the mesh: use another port (not ${[...bypassed.keys()].join(", ")})`,
        );
    });
  }
  const canary = addonSettings.argoRollouts.canaryService;
  if (addons.argoRollouts && canary !== undefined) {
    const s = services.find((x) => x.name === canary);
    if (!s || !s.cloudwatchMetric)
      fail(
        "addons.argoRollouts.canaryService",
        `tap:addons.argoRollouts.canaryService must name a catalog service with a cloudwatchMetric (its canary is analysed on it) (got "${canary}"; services with one: ${
          services
            .filter((x) => x.cloudwatchMetric)
            .map((x) => x.name)
            .join(", ") || "none"
        })`,
      );
  }
  const unsized = instanceTypes.filter((t) => vcpusOf(t) === undefined);
  if (addons.karpenter && unsized.length > 0) {
    fail(
      "nodeInstanceTypes",
      `tap:addons.karpenter is on and sizes its NodePools by the vCPUs of tap:nodeInstanceTypes: use sizes medium, large, xlarge or <n>xlarge (got ${show(unsized)})`,
    );
  }
  if (
    addons.loadBalancerController &&
    addonSettings.loadBalancerController.certificateArn === undefined &&
    services.some((s) => s.public)
  ) {
    warnings.push(
      `tap:addons.loadBalancerController has no certificateArn: the public services' ALBs (${services
        .filter((s) => s.public)
        .map((s) => s.name)
        .join(
          ", ",
        )}) listen on HTTP only. Give one: pulumi config set --path tap:addons.loadBalancerController.certificateArn arn:aws:acm:...`,
    );
  }
  if (
    addons.argocd &&
    addons.loadBalancerController &&
    (addonSettings.loadBalancerController.certificateArn === undefined || !addons.externalDns)
  ) {
    const missing = [
      ...(addonSettings.loadBalancerController.certificateArn === undefined
        ? ["tap:addons.loadBalancerController.certificateArn"]
        : []),
      ...(addons.externalDns ? [] : ["tap:addons.externalDns"]),
    ];
    warnings.push(
      `tap:addons.argocd gets no load balancer without ${missing.join(" and ")} (its UI is HTTPS only, at argocd.<zone>): reach it with the argocdPortForwardCommand output`,
    );
  }
  const withDatabase = services.filter((s) => s.database !== undefined);
  if (withDatabase.length > 0 && !addons.database) {
    fail(
      "addons.database",
      `tap:services ${withDatabase.map((s) => s.name).join(", ")} declare a database, which tap:addons.database creates: ` +
        "turn it on (pulumi config set --path tap:addons.database true) or remove the services' database",
    );
  } else {
    const dbName = addonSettings.database.name;
    services.forEach((s, i) => {
      if (s.database !== undefined && s.database !== dbName)
        fail(
          "services",
          `tap:services[${i}].database names "${s.database}", but tap's database is "${dbName}" (tap:addons.database.name)`,
        );
    });
  }
  const ownImages = services.filter((s) => s.imageTag !== undefined);
  if (ownImages.length > 0 && !addons.registry) {
    fail(
      "addons.registry",
      `tap:services ${ownImages.map((s) => s.name).join(", ")}: imageTag is a tag of the service's own ECR repository, which tap:addons.registry creates: ` +
        "turn it on (pulumi config set --path tap:addons.registry true) or give those services an image",
    );
  }
  const withSecrets = services.filter((s) => s.secrets.length > 0);
  if (withSecrets.length > 0 && !addons.secretsStore) {
    fail(
      "addons.secretsStore",
      `tap:services ${withSecrets.map((s) => s.name).join(", ")} list secrets, which reach pods through the Secrets Store CSI driver: ` +
        "turn it on (pulumi config set --path tap:addons.secretsStore true) or remove the services' secrets",
    );
  }
  if (addons.externalDns && !services.some((s) => s.public)) {
    warnings.push(
      "tap:addons.externalDns is on but no catalog service is public: ExternalDNS runs and publishes nothing " +
        "(its role may change no record). Mark a service public: true, or turn it off: pulumi config set --path tap:addons.externalDns false",
    );
  }
  if (!addons.calico) {
    warnings.push(
      "tap:addons.calico is off: the NetworkPolicies tap writes (default-deny, the catalog's call graph) are not " +
        "enforced by anything (the VPC CNI's policy agent stays off). Turn it on: pulumi config set --path tap:addons.calico true",
    );
  }
  if (!addons.keda && services.length > 0) {
    fail(
      "addons.keda",
      `tap:addons.keda is off, but the service catalog scales every service with KEDA ScaledObjects ` +
        `(${services.map((s) => s.name).join(", ")}) and the catalog is never empty: keep tap:addons.keda on`,
    );
  }

  if (problems.length > 0) throw new TapConfigError(problems);

  return {
    config: {
      environmentSuffix: suffix,
      team,
      costCenter,
      kubernetesVersion: version as KubernetesVersion,
      supportType,
      vpcCidr,
      availabilityZoneCount: azCount,
      natGatewayStrategy: nat as NatGatewayStrategy,
      nodeInstanceTypes: instanceTypes,
      nodeOperatingSystem: os as NodeOperatingSystem,
      spotPercentage: spot,
      nodeMinSize: min,
      nodeDesiredSize: desired,
      nodeMaxSize: max,
      logRetentionDays: retention,
      endpointPublicAccessCidrs: cidrs,
      endpointPublicAccess: publicEndpoint,
      privateEndpointAccessCidrs: privateCidrs,
      vpcEndpoints,
      clusterAdminArns: admins,
      enableAppMesh: appMesh,
      services,
      addons,
      addonSettings,
      tenants,
      nodeClasses,
      ...(dr ? { dr } : {}),
    },
    warnings,
  };
}

export function minorOf(version: string): number {
  return Number(version.split(".")[1]);
}

/** arm64 (Graviton) when the family's attribute letters include "g" (m6g, c7gn, t4g); else x86_64. */
export function instanceArchitecture(instanceType: string): "arm64" | "x86_64" {
  const m = /^[a-z]+[0-9]+([a-z-]*)\./.exec(instanceType);
  return m && m[1].includes("g") ? "arm64" : "x86_64";
}

/**
 * vCPUs of an EC2 instance size by its name (medium 1, large 2, xlarge 4, <n>xlarge 4n): true of
 * the general-purpose, compute and memory families tap's node groups use; undefined otherwise
 * (metal, nano-small, unknown).
 */
export function vcpusOf(instanceType: string): number | undefined {
  const size = instanceType.split(".")[1] ?? "";
  if (size === "medium") return 1;
  if (size === "large") return 2;
  const m = /^([0-9]*)xlarge$/.exec(size);
  return m ? 4 * (m[1] === "" ? 1 : Number(m[1])) : undefined;
}

/** Picks the `tap:` keys out of Pulumi's flat config map (`pulumi.runtime.allConfig()`). */
export function tapConfigFromPulumi(all: Readonly<Record<string, string>>): TapConfigInput {
  const out: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (fullKey.startsWith("tap:")) out[fullKey.slice("tap:".length)] = value;
  }
  return out;
}
