/**
 * tap's entry point: read `tap:` config, validate it, ask EKS whether the Kubernetes version can be
 * created (preflight), then build the TapStack and export its outputs. Nothing is created when the
 * config is invalid or the preflight fails.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResolveContext, resolveConfig, tapConfigFromPulumi } from "../lib/config";
import { ClusterVersionsLookup, eksClusterVersions, preflight } from "../lib/preflight";
import { StackOutputs, TapStack, stackOutputs } from "../lib/tap-stack";

async function main(lookup: ClusterVersionsLookup = eksClusterVersions): Promise<StackOutputs> {
  const input = tapConfigFromPulumi(pulumi.runtime.allConfig());
  const context: ResolveContext = { stackName: pulumi.getStack(), env: process.env };
  const { config } = resolveConfig(input, context); // throws TapConfigError listing every problem
  const checked = await preflight(config, lookup); // throws PreflightError for a version EKS no longer offers
  for (const warning of checked.warnings) pulumi.log.warn(warning);
  return stackOutputs(new TapStack("tap", { config: input, context }));
}

// Pulumi calls the exported function and exports the object it resolves to as stack outputs.
export = main;
