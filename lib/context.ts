import * as pulumi from "@pulumi/pulumi";
import { TapConfig } from "./config";
import { Tags, baseTags, clusterName, resourceName } from "./naming";

/** What every `createX(ctx, args)` function gets: the config, names, tags and the parent component. */
export interface TapContext {
  readonly config: TapConfig;
  /** Mandatory tags (Environment, Team, CostCenter, ManagedBy). */
  readonly tags: Tags;
  /** The EKS cluster's name, known before the cluster exists (tags and log groups need it). */
  readonly clusterName: string;
  /** The TapStack component: parent of every child. */
  readonly parent: pulumi.Resource;
  /** `<role>-<environmentSuffix>`. */
  name(role: string): string;
  /**
   * The providers of the region it builds in, when not the stack's (the recovery region's aws):
   * custom resources and data sources inherit them from `parent`, but a remote component
   * (pulumi-eks, awsx) is sent only the providers its own options name (remoteOptions).
   */
  readonly providers?: Readonly<Record<string, pulumi.ProviderResource>>;
}

/**
 * Options for a remote component (eks.Cluster, eks.ManagedNodeGroup, awsx.ec2.Vpc): its parent
 * and, in another region, that region's providers. The SDK sends a multi-language component only
 * the providers its options name, not those its parent was given (@pulumi/pulumi runtime/
 * resource.js prepareResource: `if (remote || !custom)` registers `componentOpts.providers`), so
 * without them pulumi-eks would build the recovery cluster with the stack's default provider.
 */
export function remoteOptions(ctx: TapContext): pulumi.ComponentResourceOptions {
  return { parent: ctx.parent, ...(ctx.providers ? { providers: { ...ctx.providers } } : {}) };
}

/**
 * `nameSuffix` (default: the environment suffix) ends every name: the recovery region's is
 * `<suffix>-<region>`, so both regions' names (IAM's are global) coexist; its tags stay the stack's.
 */
export function makeContext(
  config: TapConfig,
  parent: pulumi.Resource,
  nameSuffix: string = config.environmentSuffix,
  providers?: Readonly<Record<string, pulumi.ProviderResource>>,
): TapContext {
  return {
    config,
    tags: baseTags(config),
    clusterName: clusterName(nameSuffix),
    parent,
    name: (role) => resourceName(role, nameSuffix),
    ...(providers ? { providers } : {}),
  };
}
