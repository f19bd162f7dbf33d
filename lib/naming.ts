/**
 * Names and tags, in one place. Every child is named `<role>-<environmentSuffix>`; every taggable
 * resource carries Environment/Team/CostCenter/ManagedBy. Tags are passed explicitly (Pulumi mocks
 * do not run transforms, and explicit tags are what a reviewer can read).
 */
import { TapConfig } from "./config";

export type Tags = Readonly<Record<string, string>>;

/** The tags every taggable resource carries. */
export const MANDATORY_TAG_KEYS = ["Environment", "Team", "CostCenter", "ManagedBy"] as const;

/**
 * The tag on a resource tap keeps past `pulumi destroy` (retainOnDelete), saying why; tap's policy
 * pack admits retainOnDelete only with it (policy/governance-policies.ts no-deletion-protection).
 */
export const RETAINED_FOR_TAG = "tap.io/retained-for";

/** `<role>-<suffix>`: the one naming rule. */
export function resourceName(role: string, suffix: string): string {
  return `${role}-${suffix}`;
}

/** The EKS cluster's name (also used in discovery tags and log group names). */
export function clusterName(suffix: string): string {
  return resourceName("tap-eks", suffix);
}

/**
 * The CloudWatch log groups tap creates, by purpose. The KMS key policy names exactly these (the key
 * also protects EKS secrets, so no other group in the account may use it).
 */
export function logGroupNames(suffix: string): {
  readonly controlPlane: string;
  readonly application: string;
  readonly flowLogs: string;
} {
  return clusterLogGroupNames({
    clusterName: clusterName(suffix),
    name: (role) => resourceName(role, suffix),
  });
}

/**
 * The log groups of a cluster as its context names it (the recovery region's cluster is
 * `tap-eks-<suffix>-<region>`): EKS writes control-plane logs under the cluster's own name.
 */
export function clusterLogGroupNames(ctx: {
  readonly clusterName: string;
  name(role: string): string;
}): { readonly controlPlane: string; readonly application: string; readonly flowLogs: string } {
  return {
    // EKS writes control-plane logs to this fixed name; tap pre-creates it.
    controlPlane: `/aws/eks/${ctx.clusterName}/cluster`,
    application: `/aws/eks/${ctx.clusterName}/application`,
    flowLogs: `/aws/vpc/${ctx.name("tap-flow-logs")}`,
  };
}

/** Environment (= the suffix), Team, CostCenter and ManagedBy=pulumi. */
export function baseTags(
  config: Pick<TapConfig, "environmentSuffix" | "team" | "costCenter">,
): Tags {
  return {
    Environment: config.environmentSuffix,
    Team: config.team,
    CostCenter: config.costCenter,
    ManagedBy: "pulumi",
  };
}

/** Labels marking a Kubernetes object as tap's: managed by Pulumi, in this environment. */
export function ownershipLabels(environmentSuffix: string): Record<string, string> {
  return { "app.kubernetes.io/managed-by": "pulumi", "tap/environment": environmentSuffix };
}

/** Merges tags; the more specific (later) argument wins. */
export function mergeTags(general: Tags, ...specific: Tags[]): Tags {
  return Object.assign({}, general, ...specific) as Tags;
}

/** Names a resource for humans in the console: the `Name` tag. */
export function nameTag(name: string): Tags {
  return { Name: name };
}
