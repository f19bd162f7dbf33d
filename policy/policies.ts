/**
 * tap's policies, as @pulumi/policy objects, in security-checklist order. Constructing a PolicyPack
 * starts the analyzer server, so the pack itself lives only in policy/index.ts; tests and the
 * offline plan run these objects through tools/policy-runner.ts.
 *
 * Levels follow the checklist's "How tap applies this checklist": everything is mandatory except
 * the world-open public endpoint (rule 4), the Kubernetes version lifecycle (rule 7) and the CNI
 * policy on the node role (rule 14), which are advisory.
 */
import { Policies } from "@pulumi/policy";
import {
  eksAccessEntries,
  eksControlPlaneLogging,
  eksPrivateEndpoint,
  eksPublicEndpointRestricted,
  eksSecretsEncryption,
  kmsKeyRotation,
  launchTemplateEbsEncrypted,
  launchTemplateImds,
  logGroupRetentionKms,
  nodeGroupNoRemoteAccess,
  securityGroupNoWorldAdminPorts,
} from "./aws-policies";
import {
  eksSupportedVersion,
  iamLeastPrivilege,
  irsaTrustPinned,
  noDeletionProtection,
  requiredTags,
} from "./governance-policies";
import {
  helmReleasePinned,
  karpenterNodeClassHardened,
  namespacePodSecurity,
} from "./k8s-policies";
import {
  defaultSecurityGroupEmpty,
  nameEnvironmentSuffix,
  nodeRoleCniPolicy,
  vpcFlowLogs,
  workloadNamespaceDefaultDeny,
} from "./stack-policies";

export const policies: Policies = [
  eksSecretsEncryption,
  kmsKeyRotation,
  eksPrivateEndpoint,
  eksPublicEndpointRestricted,
  eksControlPlaneLogging,
  logGroupRetentionKms,
  eksSupportedVersion,
  eksAccessEntries,
  nodeGroupNoRemoteAccess,
  launchTemplateImds,
  launchTemplateEbsEncrypted,
  nodeRoleCniPolicy,
  vpcFlowLogs,
  defaultSecurityGroupEmpty,
  securityGroupNoWorldAdminPorts,
  iamLeastPrivilege,
  irsaTrustPinned,
  workloadNamespaceDefaultDeny,
  namespacePodSecurity,
  helmReleasePinned,
  karpenterNodeClassHardened,
  requiredTags,
  nameEnvironmentSuffix,
  noDeletionProtection,
];

export { REQUIRED_TAGS, UNTAGGABLE_TYPES } from "./governance-policies";
export { UNSCOPABLE_WRITE_ACTIONS } from "./iam";
export { POD_SECURITY_DEFAULTS } from "./k8s-policies";
