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
}

export function makeContext(config: TapConfig, parent: pulumi.Resource): TapContext {
  return {
    config,
    tags: baseTags(config),
    clusterName: clusterName(config.environmentSuffix),
    parent,
    name: (role) => resourceName(role, config.environmentSuffix),
  };
}
