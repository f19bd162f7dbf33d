/**
 * VPC endpoints (`tap:vpcEndpoints`; on by default for a private cluster): the AWS APIs tap's
 * nodes and add-ons call, reached through the VPC instead of the NAT gateways. One S3 gateway
 * endpoint (ECR keeps image layers in S3; tenants' buckets) on the private route tables, a
 * DynamoDB one when a service of the catalog uses DynamoDB, and interface endpoints with private
 * DNS behind one security group that admits HTTPS from the VPC only. Which ones follows what is on
 * (endpointServices): an API nothing calls gets no endpoint (each costs per hour and AZ).
 * Images from public registries (quay.io, ghcr.io, registry.k8s.io) still leave through NAT.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TapConfig } from "./config";
import { TapContext } from "./context";
import { mergeTags, nameTag } from "./naming";

export type EndpointKind = "Gateway" | "Interface";

export interface EndpointNeed {
  /** The service part of com.amazonaws.<region>.<service>. */
  readonly service: string;
  readonly kind: EndpointKind;
  /** Who calls it (for the plan and the README). */
  readonly why: string;
}

/** IAM action prefixes tap grants that need no endpoint of their own, and why. */
export const NO_ENDPOINT_NEEDED: Readonly<Record<string, string>> = {
  iam: "IAM is a global API; only Karpenter calls it (instance profiles, rarely): through NAT",
  pricing:
    "the Price List API has endpoints in three regions only; Karpenter falls back to its built-in price list",
  "arc-zonal-shift": "read only when Karpenter's enableZonalShift is on; tap leaves it off",
  kms: "never called by a pod: S3, EC2 and Secrets Manager call KMS for the caller (kms:ViaService)",
  route53:
    "Route 53's API is global and has no VPC endpoint (PrivateLink serves Route 53 Resolver, not it): ExternalDNS reaches it through NAT",
  wafv2:
    "called only by the load balancer controller with the front door on (tap:addons.edge), to associate tap's API web ACL with an ALB when its Ingress changes: through NAT, tap makes no WAF endpoint",
  "cognito-idp":
    "read by the load balancer controller only for an Ingress with Cognito authentication, which tap does not write",
};

/** Catalog permission prefixes with a known endpoint (others reach their API through NAT). */
const CATALOG_ENDPOINTS: Readonly<Record<string, EndpointNeed>> = {
  dynamodb: { service: "dynamodb", kind: "Gateway", why: "catalog services' DynamoDB" },
  s3: { service: "s3", kind: "Gateway", why: "catalog services' S3" },
  sqs: { service: "sqs", kind: "Interface", why: "catalog services' SQS" },
  sns: { service: "sns", kind: "Interface", why: "catalog services' SNS" },
  secretsmanager: {
    service: "secretsmanager",
    kind: "Interface",
    why: "catalog services' secrets",
  },
  cloudwatch: { service: "monitoring", kind: "Interface", why: "catalog services' metrics" },
};

/** The endpoints the stack's configuration needs, each once, in a stable order. */
export function endpointServices(
  config: Pick<TapConfig, "addons" | "services" | "tenants">,
): EndpointNeed[] {
  const a = config.addons;
  const needs: EndpointNeed[] = [
    { service: "s3", kind: "Gateway", why: "ECR image layers" },
    { service: "ecr.api", kind: "Interface", why: "image pulls (ECR authorization)" },
    { service: "ecr.dkr", kind: "Interface", why: "image pulls (ECR registry)" },
    { service: "sts", kind: "Interface", why: "IRSA: every role's AssumeRoleWithWebIdentity" },
    { service: "ec2", kind: "Interface", why: "the VPC CNI (ENIs and IPs)" },
  ];
  if (a.fluentBit) needs.push({ service: "logs", kind: "Interface", why: "Fluent Bit" });
  if (a.clusterAutoscaler) {
    needs.push({ service: "autoscaling", kind: "Interface", why: "cluster-autoscaler" });
  }
  if (a.clusterAutoscaler || a.karpenter) {
    needs.push({
      service: "eks",
      kind: "Interface",
      why: "cluster-autoscaler (DescribeNodegroup), Karpenter (DescribeCluster)",
    });
  }
  if (a.karpenter) {
    needs.push({ service: "sqs", kind: "Interface", why: "Karpenter's interruption queue" });
    needs.push({
      service: "ssm",
      kind: "Interface",
      why: "Karpenter's AMI alias (public parameters)",
    });
  }
  if (a.keda)
    needs.push({ service: "monitoring", kind: "Interface", why: "KEDA's CloudWatch triggers" });
  if (a.containerInsights) {
    // The CloudWatch agent: performance logs (the metrics), and what its managed policy grants.
    needs.push({
      service: "logs",
      kind: "Interface",
      why: "the CloudWatch agent (Container Insights)",
    });
    needs.push({ service: "monitoring", kind: "Interface", why: "the CloudWatch agent's metrics" });
    needs.push({
      service: "ssm",
      kind: "Interface",
      why: "the CloudWatch agent's managed policy (AmazonCloudWatch-* parameters)",
    });
    needs.push({
      service: "xray",
      kind: "Interface",
      why: "the CloudWatch agent's managed policy (X-Ray writes, Application Signals)",
    });
  }
  if (a.tracing) {
    needs.push({ service: "xray", kind: "Interface", why: "the OpenTelemetry Collector (traces)" });
  }
  if (a.prometheus) {
    needs.push({
      service: "aps-workspaces",
      kind: "Interface",
      why: "the Prometheus collector's remote write",
    });
  }
  if (a.loadBalancerController) {
    needs.push({
      service: "elasticloadbalancing",
      kind: "Interface",
      why: "the load balancer controller",
    });
    needs.push({
      service: "acm",
      kind: "Interface",
      why: "the load balancer controller (certificates)",
    });
  }
  // ASCP reads a service's declared secrets (lib/addons/secrets-store), as the service's role.
  // ...and a service that declares the database reads its RDS-managed secret (tap:addons.database).
  if (
    (a.secretsStore && config.services.some((s) => s.secrets.length > 0)) ||
    (a.database && config.services.some((s) => s.database !== undefined))
  ) {
    needs.push(CATALOG_ENDPOINTS.secretsmanager);
  }
  for (const s of config.services) {
    const prefixes = [
      ...s.awsPermissions.flatMap((p) => p.actions.map((x) => x.split(":")[0])),
      ...(s.publishesMetrics.length > 0 ? ["cloudwatch"] : []),
    ];
    for (const prefix of prefixes) {
      const need = CATALOG_ENDPOINTS[prefix];
      if (need) needs.push(need);
    }
  }
  const seen = new Set<string>();
  return needs.filter((n) => (seen.has(n.service) ? false : (seen.add(n.service), true)));
}

/** The endpoint service for an IAM action prefix, or undefined (NO_ENDPOINT_NEEDED or NAT). */
export function endpointForPrefix(prefix: string): string | undefined {
  const builtIn: Record<string, string> = {
    ecr: "ecr.api",
    sts: "sts",
    ec2: "ec2",
    logs: "logs",
    autoscaling: "autoscaling",
    eks: "eks",
    sqs: "sqs",
    ssm: "ssm",
    elasticloadbalancing: "elasticloadbalancing",
    acm: "acm",
    cloudwatch: "monitoring",
    s3: "s3",
    dynamodb: "dynamodb",
    sns: "sns",
    secretsmanager: "secretsmanager",
    xray: "xray",
    aps: "aps-workspaces",
  };
  return builtIn[prefix];
}

export interface VpcEndpoints {
  readonly securityGroup?: aws.ec2.SecurityGroup;
  readonly endpoints: Record<string, aws.ec2.VpcEndpoint>;
}

export interface VpcEndpointsArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
}

export function createVpcEndpoints(ctx: TapContext, args: VpcEndpointsArgs): VpcEndpoints {
  const { config } = ctx;
  const opts = { parent: ctx.parent };
  const region = aws.getRegionOutput({}, opts).region;
  const needs = endpointServices(config);
  const sgName = ctx.name("tap-endpoints");
  const securityGroup = new aws.ec2.SecurityGroup(
    sgName,
    {
      name: sgName,
      description: "tap VPC interface endpoints: HTTPS from the VPC only",
      vpcId: args.vpcId,
      ingress: [
        {
          description: "HTTPS from the VPC",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: [config.vpcCidr],
        },
      ],
      // An endpoint's ENIs answer; they start nothing.
      egress: [],
      tags: mergeTags(ctx.tags, nameTag(sgName)),
    },
    opts,
  );
  const privateTables = pulumi
    .output(args.privateSubnetIds)
    .apply((ids) =>
      pulumi.all(
        ids.map((subnetId) => aws.ec2.getRouteTableOutput({ subnetId }, opts).routeTableId),
      ),
    );
  const endpoints: Record<string, aws.ec2.VpcEndpoint> = {};
  for (const need of needs) {
    const name = ctx.name(`tap-endpoint-${need.service.replace(/\./g, "-")}`);
    endpoints[need.service] = new aws.ec2.VpcEndpoint(
      name,
      {
        vpcId: args.vpcId,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.${need.service}`,
        vpcEndpointType: need.kind,
        ...(need.kind === "Gateway"
          ? { routeTableIds: privateTables }
          : {
              subnetIds: args.privateSubnetIds,
              securityGroupIds: [securityGroup.id],
              privateDnsEnabled: true,
            }),
        tags: mergeTags(ctx.tags, nameTag(name)),
      },
      opts,
    );
  }
  return { securityGroup, endpoints };
}
