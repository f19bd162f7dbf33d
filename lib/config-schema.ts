/**
 * The `config:` block of Pulumi.yaml, derived from the config contract (lib/config.ts): a type,
 * default and description for every `tap:` key Pulumi can declare, so `pulumi config` and stacks
 * without a stack file (the pipeline's pull-request stacks) know them. A test keeps Pulumi.yaml
 * equal to it; `npm run gen:pulumi-yaml` rewrites the block.
 *
 * Pulumi's rules (pulumi/pulumi sdk/go/common/workspace/config.go, mergeConfig): a project key
 * with neither default nor value is required on every stack, and the types are string, integer,
 * boolean and array. So `environmentSuffix`, whose default is computed (ENVIRONMENT_SUFFIX, else
 * the stack name), is left out, and `services` (a list of objects) is declared without a type.
 */
import { ConfigKey, DEFAULTS } from "./config";

export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

export interface PulumiConfigDeclaration {
  readonly type?: PulumiConfigType;
  readonly items?: { readonly type: "string" };
  readonly default: unknown;
  readonly description: string;
}

/** Keys Pulumi.yaml cannot declare, and why (see above). */
export const UNDECLARED_KEYS: { readonly [K in ConfigKey]?: string } = {
  environmentSuffix: "computed: ENVIRONMENT_SUFFIX, else the stack name",
  // Pulumi declares string, integer, boolean and array types; an object default is not one of them.
  addons: "a map (capability -> switch); absent means every capability at its default",
  tenants: "a list of objects (Pulumi has no such type); absent means no tenants",
  nodeClasses: "a map (class -> true or its settings); absent means the application's groups only",
  dr: "a map ({ region, vpcCidr }); absent means one region",
};

/**
 * The project's defaults where they differ from the program's: the specification's 1.28 and App
 * Mesh cannot deploy any more (the preflight stops them), so a stack with no stack file gets what
 * works today. A test checks the version is the calendar's recommendation (lib/support.ts).
 */
export const PROJECT_DEFAULTS: { readonly [K in ConfigKey]?: unknown } = {
  kubernetesVersion: "1.35",
  enableAppMesh: false,
};

export const CONFIG_DESCRIPTIONS: { readonly [K in ConfigKey]: string } = {
  environmentSuffix:
    "Suffix of every resource name and the Environment tag (default: ENVIRONMENT_SUFFIX, else the stack name)",
  team: "Team tag on every taggable resource",
  costCenter: "CostCenter tag on every taggable resource",
  kubernetesVersion:
    "EKS Kubernetes minor, quoted (\"1.35\"); one tap pins add-ons for and EKS offers (the program's own default is the specification's 1.28)",
  supportType:
    "At the end of standard support: STANDARD lets EKS upgrade the control plane, EXTENDED keeps the minor at six times the hourly price",
  vpcCidr: "VPC IPv4 CIDR, /16 to /20",
  availabilityZoneCount: "Availability zones the VPC and node groups span, 2 to 4",
  natGatewayStrategy: "OnePerAz (resilient) or Single (cheaper; one AZ's failure cuts egress)",
  nodeInstanceTypes: "Instance types of both node groups: one size, one architecture; 3+ for spot",
  nodeOperatingSystem: "Bottlerocket, AL2023 or AL2 (AL2 refused for 1.33+)",
  spotPercentage: "Share of nodes on spot, 0 to 100",
  nodeMinSize: "Total nodes over both groups at minimum",
  nodeDesiredSize: "Total nodes over both groups at creation (then cluster-autoscaler owns it)",
  nodeMaxSize: "Total nodes over both groups at maximum (at most 450)",
  logRetentionDays: "Retention of every log group tap creates (a value CloudWatch Logs accepts)",
  endpointPublicAccessCidrs: "CIDRs allowed to reach the public Kubernetes API endpoint",
  endpointPublicAccess:
    "Whether the Kubernetes API has a public endpoint; false makes a private cluster (pulumi must then run inside the VPC)",
  privateEndpointAccessCidrs:
    "Networks (a runner's subnet, a VPN, a joined VPC) admitted on 443 to the private Kubernetes API endpoint",
  vpcEndpoints:
    "VPC endpoints (S3 gateway, ECR, STS, EC2, Logs ... as the stack needs) so AWS API calls stay in the VPC",
  clusterAdminArns: "IAM role/user ARNs given cluster-admin through EKS access entries",
  enableAppMesh:
    "Build the AWS App Mesh service mesh (discontinued 2026-09-30: the preflight refuses it; the program's own default is the specification's true)",
  services:
    "The service catalog: one entry per microservice (workload, autoscaling, NetworkPolicies, IAM, mesh); see the README",
  tenants:
    "Tenants: namespaces with quotas, namespace-scoped EKS access for their people, per-tenant S3 access; see the README",
  nodeClasses:
    "Node classes beside the application's 70/30 groups: { gpu: true } or { gpu: { instanceTypes, maxSize } } adds a GPU group at zero (README: Node classes)",
  dr: "The recovery region: { region, vpcCidr } builds a second VPC, cluster, node groups and the default capabilities there, peered to the first (README: Recovery region)",
  addons:
    "Capabilities on or off: a map of name -> true/false or { enabled, ...settings }, e.g. { karpenter: true, clusterAutoscaler: false }; {} keeps every default (README: Capabilities)",
};

function typeOf(value: unknown): Pick<PulumiConfigDeclaration, "type" | "items"> {
  if (typeof value === "string") return { type: "string" };
  if (typeof value === "number") return { type: "integer" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (Array.isArray(value) && value.every((v) => typeof v === "string"))
    return { type: "array", items: { type: "string" } };
  return {}; // a list of objects: Pulumi has no type for it
}

/** `tap:<key>` -> its declaration, in the contract's order. */
export function projectConfigBlock(): Record<string, PulumiConfigDeclaration> {
  const out: Record<string, PulumiConfigDeclaration> = {};
  // DEFAULTS holds every key with a static default: all but UNDECLARED_KEYS, in the contract's order.
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    if (key in UNDECLARED_KEYS) continue;
    const value = key in PROJECT_DEFAULTS ? PROJECT_DEFAULTS[key] : DEFAULTS[key];
    out[`tap:${key}`] = {
      ...typeOf(value),
      default: JSON.parse(JSON.stringify(value)) as unknown,
      description: CONFIG_DESCRIPTIONS[key],
    };
  }
  return out;
}
