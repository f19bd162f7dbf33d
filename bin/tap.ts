/**
 * tap's entry point: read `tap:` config, validate it (once), ask EKS whether the stack can deploy
 * today (preflight: the Kubernetes version is offered, App Mesh is off), then build the TapStack and
 * export its outputs. Nothing is created when the config is invalid or the preflight fails; both
 * errors are Pulumi RunErrors, printed as their message without a stack trace.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { creatorRecord, resolveConfig, tapConfigFromPulumi, withoutCreator } from "../lib/config";
import { clusterCreator } from "../lib/creator";
import { clusterName } from "../lib/naming";
import { programOptions } from "../lib/node-groups";
import { ClusterVersionsLookup, eksClusterVersions, preflight } from "../lib/preflight";
import { StackOutputs, TapStack, stackOutputs } from "../lib/tap-stack";

async function main(
  lookup: ClusterVersionsLookup = eksClusterVersions,
  // The node-group update transform; tests pass {} (Pulumi's mock monitor refuses transforms).
  stackOptions: pulumi.ComponentResourceOptions = programOptions(),
): Promise<StackOutputs> {
  const input = tapConfigFromPulumi(pulumi.runtime.allConfig());
  // Throws TapConfigError listing every problem, before any AWS call.
  const resolved = resolveConfig(input, { stackName: pulumi.getStack(), env: process.env });
  const checked = await preflight(resolved.config, lookup); // throws PreflightError
  for (const warning of checked.warnings) pulumi.log.warn(warning);
  const caller = await aws.getCallerIdentity();
  const name = clusterName(resolved.config.environmentSuffix);
  // The creator recorded on the cluster, else this caller (who is creating it now).
  const creatorArn = await clusterCreator(name, creatorRecord(caller.arn));
  const stack = new TapStack(
    "tap",
    { resolved: withoutCreator(resolved, creatorArn), creatorArn },
    stackOptions,
  );
  return stackOutputs(stack);
}

// Pulumi calls the exported function and exports the object it resolves to as stack outputs.
export = main;
