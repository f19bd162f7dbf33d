/**
 * tap's entry point: read `tap:` config, validate it (once), ask EKS whether the stack can deploy
 * today (preflight: the Kubernetes version is offered, App Mesh is off), read which GuardDuty and
 * Security Hub the account already has (only with tap:addons.threatDetection on), then build the
 * TapStack and export its outputs. Nothing is created when the config is invalid or the preflight fails; both
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
import {
  AccountSecurityLookups,
  accountSecurityState,
  adoptionWarnings,
  awsAccountSecurityLookups,
} from "../lib/addons/threat-detection/account";

async function main(
  lookup: ClusterVersionsLookup = eksClusterVersions,
  // The node-group update transform; tests pass {} (Pulumi's mock monitor refuses transforms).
  stackOptions: pulumi.ComponentResourceOptions = programOptions(),
  securityLookups: AccountSecurityLookups = awsAccountSecurityLookups,
): Promise<StackOutputs> {
  const input = tapConfigFromPulumi(pulumi.runtime.allConfig());
  // Throws TapConfigError listing every problem, before any AWS call.
  const resolved = resolveConfig(input, {
    stackName: pulumi.getStack(),
    env: process.env,
    // The stack's region (tap:dr.region must be another); AWS_REGION when aws:region is unset.
    region: new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION,
  });
  const checked = await preflight(resolved.config, lookup); // throws PreflightError
  for (const warning of checked.warnings) pulumi.log.warn(warning);
  const caller = await aws.getCallerIdentity();
  const name = clusterName(resolved.config.environmentSuffix);
  // The creator recorded on the cluster, else this caller (who is creating it now).
  const creatorArn = await clusterCreator(name, creatorRecord(caller.arn));
  // GuardDuty and Security Hub are per account and region: read what is there (only when on).
  const { config } = resolved;
  const threat = config.addonSettings.threatDetection;
  const accountSecurity = config.addons.threatDetection
    ? await accountSecurityState(config.environmentSuffix, threat.securityHub, securityLookups)
    : undefined;
  for (const warning of accountSecurity ? adoptionWarnings(accountSecurity, threat) : [])
    pulumi.log.warn(warning);
  const stack = new TapStack(
    "tap",
    { resolved: withoutCreator(resolved, creatorArn), creatorArn, accountSecurity },
    stackOptions,
  );
  return stackOutputs(stack);
}

// Pulumi calls the exported function and exports the object it resolves to as stack outputs.
export = main;
