/**
 * Cross-cutting resource policies: tags, least-privilege IAM, pinned IRSA trust, no deletion
 * protection, and the (advisory) Kubernetes version lifecycle.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import {
  SUPPORTED_KUBERNETES_VERSIONS,
  isSupportedKubernetesVersion,
} from "../lib/addons/versions";
import { EKS_CALENDAR, phaseOn, recommendedKubernetesVersion } from "../lib/support";
import { RETAINED_FOR_TAG } from "../lib/naming";
import { EKS_CLUSTER, EKS_COMPONENT } from "./aws-policies";
import { irsaTrustProblems, leastPrivilegeProblems, parseDocument } from "./iam";
import { Props, arr, insidePackagedComponent, obj, onTypes, str, who } from "./util";

export const REQUIRED_TAGS = ["Environment", "Team", "CostCenter", "ManagedBy"] as const;

/** Components tap registers that take `tags` and pass them to their AWS children. */
export const TAGGABLE_COMPONENTS = [
  "eks:index:Cluster",
  "eks:index:ManagedNodeGroup",
  "awsx:ec2:Vpc",
];

/** AWS resource types with no `tags` input: the tag policy skips them. */
export const UNTAGGABLE_TYPES: readonly string[] = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
  "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
  "aws:kms/alias:Alias",
  "aws:kms/grant:Grant",
  "aws:ec2/route:Route",
  "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:ec2/tag:Tag",
  "aws:ec2/volumeAttachment:VolumeAttachment",
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
  "aws:autoscaling/tag:Tag",
  "aws:cloudwatch/logStream:LogStream",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
  "aws:cloudwatch/dashboard:Dashboard",
  "aws:amp/alertManagerDefinition:AlertManagerDefinition",
  "aws:servicediscovery/instance:Instance",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  "aws:ecr/repositoryPolicy:RepositoryPolicy",
  "aws:cloudfront/originAccessControl:OriginAccessControl",
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:securityhub/account:Account",
  "aws:securityhub/standardsSubscription:StandardsSubscription",
  "aws:guardduty/detectorFeature:DetectorFeature",
];

export function isTaggable(type: string): boolean {
  if (TAGGABLE_COMPONENTS.includes(type)) return true;
  return type.startsWith("aws:") && !UNTAGGABLE_TYPES.includes(type);
}

/** Tags as a map; autoscaling groups take a list of {key, value}. */
export function tagsOf(props: Props): Record<string, string> {
  if (Array.isArray(props.tags)) {
    const out: Record<string, string> = {};
    for (const t of props.tags.map(obj)) {
      if (str(t?.key) && str(t?.value)) out[String(t?.key)] = String(t?.value);
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(props.tags) ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

/** The packaged components tap creates; each passes its `tags` input on to its children. */
const PACKAGED_COMPONENTS = ["eks:index:Cluster", "eks:index:ManagedNodeGroup", "awsx:ec2:Vpc"];

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description: `Every taggable AWS resource tap creates, and the tags input of every packaged component (eks, awsx) it uses, carries ${REQUIRED_TAGS.join(", ")} (untaggable types are listed in UNTAGGABLE_TYPES).`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    // A component's children get what the component passes on; the component's input is checked.
    const component = PACKAGED_COMPONENTS.includes(args.type);
    if (!component && (!isTaggable(args.type) || insidePackagedComponent(args.urn))) return;
    const tags = tagsOf(args.props as Props);
    const missing = REQUIRED_TAGS.filter((k) => !tags[k] || tags[k].trim() === "");
    if (missing.length > 0) {
      report(
        `${who(args)} is missing tag(s) ${missing.join(", ")}. Fix: pass tags: ctx.tags (baseTags in lib/naming.ts), merged with any specific tags.`,
      );
    }
  },
};

export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "iam-least-privilege",
  description:
    'IAM identity policies: no "*" or service:* actions, no iam wildcards, no write actions on Resource "*" (except UNSCOPABLE_WRITE_ACTIONS), iam:PassRole only with a condition (CKV_AWS_62/63/289/290/355).',
  enforcementLevel: "mandatory",
  validateResource: onTypes(
    ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/role:Role"],
    (props, args, report) => {
      const docs =
        args.type === "aws:iam/role:Role"
          ? arr(props.inlinePolicies).map((p) => obj(p)?.policy)
          : [props.policy];
      for (const raw of docs) {
        const doc = parseDocument(raw);
        if (!doc) continue;
        for (const problem of leastPrivilegeProblems(doc)) {
          report(`${who(args)}: ${problem}.`);
        }
      }
    },
  ),
};

export const irsaTrustPinned: ResourceValidationPolicy = {
  name: "irsa-trust-pinned",
  description:
    "IRSA trust policies pin StringEquals on <issuer>:sub (one service account; for GitHub Actions' provider one repository's branch) and <issuer>:aud = sts.amazonaws.com, never StringLike (CKV_AWS_60/61).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(["aws:iam/role:Role"], (props, args, report) => {
    const doc = parseDocument(props.assumeRolePolicy);
    if (!doc) return;
    for (const problem of irsaTrustProblems(doc)) {
      report(`${who(args)} trust policy ${problem}. Fix: build the trust with lib/iam/irsa.ts.`);
    }
  }),
};

export const noDeletionProtection: ResourceValidationPolicy = {
  name: "no-deletion-protection",
  description:
    "Nothing has deletion protection, protect or retainOnDelete: the stack must be destroyable with one pulumi destroy.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const props = args.props as Props;
    for (const key of [
      "deletionProtection",
      "deletionProtectionEnabled",
      "enableDeletionProtection",
    ]) {
      if (props[key] === true) {
        report(`${who(args)} sets ${key}: true. Fix: set ${key}: false (or remove it).`);
      }
    }
    const opts = args.opts as { protect?: boolean; retainOnDelete?: boolean };
    // One reasoned exception, tagged: a key kept so a kept snapshot stays restorable.
    const retainedFor = obj(props.tags)?.[RETAINED_FOR_TAG];
    const retainAllowed =
      args.type === "aws:kms/key:Key" && retainedFor === "database-final-snapshot";
    if (opts.protect === true || (opts.retainOnDelete === true && !retainAllowed)) {
      report(
        `${who(args)} is protected or retained on delete. Fix: remove protect/retainOnDelete.`,
      );
    }
  },
};

export interface VersionPolicyConfig {
  /** The date (YYYY-MM-DD) the lifecycle is judged at; default today. */
  readonly asOf?: string;
}

/** A lifecycle judgement for `version` on `date`; undefined while in standard support. */
export function lifecycleProblem(version: string, date: string): string | undefined {
  const fix = `Fix: pulumi config set tap:kubernetesVersion ${recommendedKubernetesVersion(date)}.`;
  if (!isSupportedKubernetesVersion(version)) {
    return `Kubernetes ${version} is not a minor tap supports (${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}). ${fix}`;
  }
  const { endOfStandardSupport: std, endOfExtendedSupport: ext } = EKS_CALENDAR[version];
  const phase = phaseOn(version, date);
  if (phase === "ended") {
    return `Kubernetes ${version} left EKS extended support on ${ext} (as of ${date}): EKS no longer creates it and the preflight will stop pulumi up. ${fix}`;
  }
  if (phase === "extended") {
    return `Kubernetes ${version} is in EKS extended support since ${std} (paid, until ${ext}; as of ${date}). ${fix}`;
  }
  return undefined;
}

export const eksSupportedVersion: ResourceValidationPolicy = {
  name: "eks-supported-version",
  description:
    "The cluster's Kubernetes version is still in EKS standard support (CKV_AWS_339; advisory: the preflight against EKS is the real check).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: { asOf: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" } },
  },
  validateResource: onTypes([EKS_COMPONENT, EKS_CLUSTER], (props, args, report) => {
    const date =
      args.getConfig<VersionPolicyConfig>().asOf ?? new Date().toISOString().slice(0, 10);
    const version = str(props.version);
    if (!version) {
      report(
        `${who(args)} does not pin a Kubernetes version. Fix: set version from tap:kubernetesVersion.`,
      );
      return;
    }
    const problem = lifecycleProblem(version, date);
    if (problem) report(`${who(args)}: ${problem}`);
  }),
};
