/**
 * Stack policies: rules about how resources relate (every VPC has flow logs and an emptied default
 * security group; every name carries the environment suffix; every workload namespace has a
 * default-deny NetworkPolicy; the node role does not carry the CNI policy).
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { tagsOf } from "./governance-policies";
import { NAMESPACE_TYPE } from "./k8s-policies";
import { Props, arr, hasSuffixToken, labels, metadataName, obj, str, strings } from "./util";
import { parseDocument, statements } from "./iam";

const props = (r: PolicyResource): Props => r.props as Props;

/** The VPCs of the stack: awsx Vpcs, plus aws VPCs that are not an awsx Vpc's child. */
function vpcs(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter(
    (r) =>
      r.type === "awsx:ec2:Vpc" ||
      (r.type === "aws:ec2/vpc:Vpc" && r.parent?.type !== "awsx:ec2:Vpc"),
  );
}

/** The VPC id a resource reports (outputs during a real preview: `id`/`vpcId`), if known. */
const vpcIdOf = (r: PolicyResource): string | undefined => str(props(r).vpcId) ?? str(props(r).id);

/**
 * VPCs without a matching companion: matched by VPC id where both sides know it, otherwise by
 * count (mocks and previews often do not know the id of a VPC created in the same run).
 */
function unmatchedVpcs(vpcList: PolicyResource[], companions: PolicyResource[]): PolicyResource[] {
  const ids = new Set(companions.map((c) => str(props(c).vpcId)).filter((x) => x !== undefined));
  const rest = vpcList.filter((v) => !ids.has(vpcIdOf(v) ?? "\0"));
  const spare = companions.length - (vpcList.length - rest.length);
  return rest.slice(Math.max(0, spare));
}

export const vpcFlowLogs: StackValidationPolicy = {
  name: "vpc-flow-logs",
  description: "Every VPC has an aws.ec2.FlowLog (CKV2_AWS_11).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const logs = args.resources.filter(
      (r) => r.type === "aws:ec2/flowLog:FlowLog" && str(props(r).vpcId),
    );
    for (const vpc of unmatchedVpcs(vpcs(args.resources), logs)) {
      report(
        `${vpc.type} "${vpc.name}" has no VPC flow log. Fix: create an aws.ec2.FlowLog (trafficType ALL) for it into a KMS-encrypted log group (lib/network.ts).`,
        vpc.urn,
      );
    }
  },
};

export const defaultSecurityGroupEmpty: StackValidationPolicy = {
  name: "default-security-group-empty",
  description: "Every VPC's default security group is adopted and emptied (CKV2_AWS_12).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const defaults = args.resources.filter(
      (r) => r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    );
    for (const sg of defaults) {
      if (arr(props(sg).ingress).length > 0 || arr(props(sg).egress).length > 0) {
        report(
          `${sg.type} "${sg.name}" has rules. Fix: set ingress: [] and egress: [] so nothing uses the default group.`,
          sg.urn,
        );
      }
    }
    for (const vpc of unmatchedVpcs(vpcs(args.resources), defaults)) {
      report(
        `${vpc.type} "${vpc.name}" leaves its default security group unmanaged (it allows all traffic between members). Fix: adopt it with aws.ec2.DefaultSecurityGroup {ingress: [], egress: []}.`,
        vpc.urn,
      );
    }
  },
};

export interface SuffixConfig {
  /** The environment suffix; default: the Environment tag the stack's resources agree on. */
  readonly environmentSuffix?: string;
}

/** Types whose logical name is not tap's to choose (the root component, default providers). */
const NAME_EXEMPT = (r: PolicyResource) =>
  r.type === "tap:index:TapStack" ||
  (r.type.startsWith("pulumi:providers:") && r.name.startsWith("default"));

/** Types whose `name` input is not a physical name (GuardDuty's feature names are fixed by AWS). */
const NAME_INPUT_IS_NOT_A_NAME = new Set(["aws:guardduty/detectorFeature:DetectorFeature"]);

export const nameEnvironmentSuffix: StackValidationPolicy = {
  name: "name-environment-suffix",
  description:
    "Every resource name (Pulumi name, and the AWS physical name) carries the environment suffix, so stacks never collide.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { environmentSuffix: { type: "string" } } },
  validateStack: (args, report) => {
    const counts = new Map<string, number>();
    for (const r of args.resources) {
      const env = tagsOf(props(r)).Environment;
      if (env) counts.set(env, (counts.get(env) ?? 0) + 1);
    }
    const fromTags = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const suffix = args.getConfig<SuffixConfig>().environmentSuffix ?? fromTags;
    if (!suffix)
      return args.notApplicable("no environmentSuffix configured and no Environment tag found");
    for (const r of args.resources.filter((x) => !NAME_EXEMPT(x))) {
      const physical =
        r.type.startsWith("aws:") && !NAME_INPUT_IS_NOT_A_NAME.has(r.type)
          ? str(props(r).name)
          : undefined;
      const bad = [r.name, physical].filter((n): n is string => !!n && !hasSuffixToken(n, suffix));
      for (const n of bad) {
        report(
          `${r.type} "${r.name}": name "${n}" lacks the environment suffix "${suffix}". Fix: name it with ctx.name(role) (<role>-${suffix}).`,
          r.urn,
        );
      }
    }
  },
};

/** A default-deny NetworkPolicy: every pod, both directions, no allow rules. */
export function isDefaultDeny(p: Props): boolean {
  const spec = obj(p.spec) ?? {};
  const selector = obj(spec.podSelector);
  const emptySelector =
    selector !== undefined &&
    Object.keys(obj(selector.matchLabels) ?? {}).length === 0 &&
    arr(selector.matchExpressions).length === 0;
  const types = strings(spec.policyTypes);
  return (
    emptySelector &&
    types.includes("Ingress") &&
    types.includes("Egress") &&
    arr(spec.ingress).length === 0 &&
    arr(spec.egress).length === 0
  );
}

export const WORKLOAD_LABEL = "tap/workload";

export const workloadNamespaceDefaultDeny: StackValidationPolicy = {
  name: "workload-namespace-default-deny",
  description: `Every workload namespace (label ${WORKLOAD_LABEL}=true) has a default-deny NetworkPolicy: podSelector {}, policyTypes [Ingress, Egress], no rules (CIS 5.4.4).`,
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const denied = new Set(
      args.resources
        .filter(
          (r) =>
            r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && isDefaultDeny(props(r)),
        )
        .map((r) => str(obj(props(r).metadata)?.namespace)),
    );
    for (const ns of args.resources.filter((r) => r.type === NAMESPACE_TYPE)) {
      const name = metadataName(props(ns)) ?? ns.name;
      if (labels(props(ns))[WORKLOAD_LABEL] !== "true" || denied.has(name)) continue;
      report(
        `${ns.type} "${ns.name}" (workload namespace ${name}) has no default-deny NetworkPolicy. Fix: create it with createWorkloadNamespace (lib/addons/network-policies.ts): podSelector {}, policyTypes [Ingress, Egress].`,
        ns.urn,
      );
    }
  },
};

export const nodeRoleCniPolicy: StackValidationPolicy = {
  name: "node-role-cni-policy",
  description:
    "The CNI policy belongs on aws-node's IRSA role, not the EC2 node role where every pod could use it (CIS 5.1.3/5.2.1).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const ec2Roles = args.resources.filter((r) => {
      if (r.type !== "aws:iam/role:Role") return false;
      const doc = parseDocument(props(r).assumeRolePolicy);
      return (
        !!doc && statements(doc).some((s) => obj(s.Principal)?.Service === "ec2.amazonaws.com")
      );
    });
    for (const a of args.resources.filter(
      (r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    )) {
      const role = str(props(a).role);
      const target = ec2Roles.find(
        (r) => role && [r.name, str(props(r).name), `${r.name}-id`].includes(role),
      );
      if (target && (str(props(a).policyArn) ?? "").endsWith("/AmazonEKS_CNI_Policy")) {
        report(
          `${a.type} "${a.name}" attaches AmazonEKS_CNI_Policy to node role "${target.name}": every pod on the node can use it. Fix: give aws-node its own IRSA role (vpc-cni addon serviceAccountRoleArn) and drop the attachment.`,
          a.urn,
        );
      }
    }
  },
};
