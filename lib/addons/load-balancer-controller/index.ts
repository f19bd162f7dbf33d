/**
 * The AWS Load Balancer Controller (aws/eks-charts `aws-load-balancer-controller`, pinned in
 * versions.ts) in kube-system: it turns each public catalog service's Ingress (lib/services/
 * workloads.ts, class `alb`) into an internet-facing ALB that sends straight to the pods (target
 * type ip). Region and VPC are given (pods cannot reach IMDS), two replicas on on-demand nodes.
 * Its Service mutator webhook is off: tap creates no LoadBalancer Services, and a webhook that is
 * down would block every Service create in the cluster. The Ingresses wait for the release (its
 * validating webhook must answer) and are not deleted with the cluster: on destroy they go first,
 * while the controller runs, so it deletes the ALBs and their security groups (Pulumi does not know
 * them) before the VPC goes.
 */
import { EDGE_ACL_ROLES } from "../edge/waf";
import * as pulumi from "@pulumi/pulumi";
import { IRSA_ANNOTATION } from "../../iam/irsa";
import { deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR } from "../types";
import { loadBalancerControllerPolicy } from "./iam";

export const LOAD_BALANCER_CONTROLLER_DEFAULTS = {
  releaseName: "aws-load-balancer-controller",
  namespace: "kube-system",
  serviceAccountName: "aws-load-balancer-controller",
  /** The IngressClass the chart creates (createIngressClassResource, ingressClass: alb). */
  ingressClass: "alb",
  replicas: 2,
  resources: {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  },
  timeoutSeconds: 600,
} as const;

export interface LoadBalancerControllerResult extends AddonResult {
  readonly roleArn: pulumi.Output<string>;
  readonly ingressClass: string;
  /** ACM certificate for HTTPS listeners; absent: HTTP only (warned). */
  readonly certificateArn?: string;
}

export function deployLoadBalancerController(
  ctx: AddonContext,
  args: { readonly vpcId: pulumi.Input<string> },
): LoadBalancerControllerResult {
  const d = LOAD_BALANCER_CONTROLLER_DEFAULTS;
  const pin = ctx.pins.loadBalancerController;
  const result = deployHelmAddon(ctx, {
    name: d.releaseName,
    pin,
    namespace: d.namespace,
    serviceAccount: {
      name: d.serviceAccountName,
      policy: (scope) =>
        pulumi.output(args.vpcId).apply((vpcId) =>
          loadBalancerControllerPolicy(scope, ctx.clusterName, vpcId, undefined, {
            ...(ctx.config.addons.edge ? { webAclName: ctx.name(EDGE_ACL_ROLES.regional) } : {}),
          }),
        ),
    },
    values: {
      replicaCount: d.replicas,
      nodeSelector: { ...ON_DEMAND_SELECTOR },
      podDisruptionBudget: { maxUnavailable: 1 },
      resources: d.resources,
      // The stack's tags on everything the controller creates (ALBs, target groups, its shared
      // backend security group), not only on the ALBs the Ingress annotation reaches.
      defaultTags: { ...ctx.tags },
      enableServiceMutatorWebhook: false,
      // No WAF classic or Shield annotation: off, the controller never calls them (iam.ts). WAF v2
      // only with the front door (tap:addons.edge), whose API web ACL the Ingresses name.
      enableWaf: false,
      enableWafv2: ctx.config.addons.edge,
      enableShield: false,
      defaultTargetType: "ip",
      // `alb` is not the cluster's default class: only tap's Ingresses (which name it) get ALBs.
      ingressClassConfig: { default: false },
    },
    lockedValues: (roleArn) => ({
      clusterName: ctx.clusterName,
      region: ctx.region,
      vpcId: args.vpcId,
      image: { repository: pin.image.repository, tag: pin.image.tag },
      serviceAccount: {
        create: true,
        name: d.serviceAccountName,
        annotations: { [IRSA_ANNOTATION]: roleArn },
      },
    }),
    timeoutSeconds: d.timeoutSeconds,
  });
  return {
    ...result,
    roleArn: result.roleArn as pulumi.Output<string>,
    ingressClass: d.ingressClass,
    certificateArn: ctx.config.addonSettings.loadBalancerController.certificateArn,
  };
}
