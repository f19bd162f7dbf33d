/**
 * The ONE IRSA helper: an IAM role whose trust policy admits exactly one Kubernetes service
 * account (`:sub` AND `:aud`, StringEquals, no wildcards), plus the inline policy it is given.
 * Every add-on and service that calls AWS gets its role here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TapContext } from "../context";
import { AwsScope, PolicyDocument } from "./policy";

/** The service-account annotation that carries the role ARN. */
export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";
export const STS_AUDIENCE = "sts.amazonaws.com";

/** Trust policy: the cluster's OIDC provider may assume the role for one service account only. */
export function irsaTrustPolicy(
  oidcProviderArn: string,
  oidcIssuer: string,
  namespace: string,
  serviceAccount: string,
): PolicyDocument {
  const issuer = oidcIssuer.replace(/^https:\/\//, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuer}:aud`]: STS_AUDIENCE,
          },
        },
      },
    ],
  };
}

export interface IrsaRoleArgs {
  readonly oidcProviderArn: pulumi.Input<string>;
  /** Issuer host/path, with or without https://. */
  readonly oidcIssuer: pulumi.Input<string>;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Builds the permissions policy for the account/region the stack runs in (it may wait on other outputs). */
  readonly policy: (scope: AwsScope) => pulumi.Input<PolicyDocument>;
  readonly description: string;
}

export interface IrsaRole {
  readonly role: aws.iam.Role;
  readonly arn: pulumi.Output<string>;
  readonly rolePolicy: aws.iam.RolePolicy;
}

/** The account, region and partition the stack deploys to (data sources, answered by mocks in tests). */
export function awsScope(parent: pulumi.Resource): pulumi.Output<AwsScope> {
  const opts = { parent };
  return pulumi
    .all([
      aws.getPartitionOutput({}, opts).partition,
      aws.getRegionOutput({}, opts).region,
      aws.getCallerIdentityOutput({}, opts).accountId,
    ])
    .apply(([partition, region, accountId]) => ({ partition, region, accountId }));
}

/** Creates `<role>-<suffix>` trusted by exactly `namespace:serviceAccount`, with its inline policy. */
export function createIrsaRole(ctx: TapContext, role: string, args: IrsaRoleArgs): IrsaRole {
  const opts = { parent: ctx.parent };
  const name = ctx.name(role);
  const iamRole = new aws.iam.Role(
    name,
    {
      name,
      description: args.description,
      assumeRolePolicy: pulumi
        .all([args.oidcProviderArn, args.oidcIssuer])
        .apply(([arn, issuer]) =>
          JSON.stringify(irsaTrustPolicy(arn, issuer, args.namespace, args.serviceAccount)),
        ),
      tags: ctx.tags,
    },
    opts,
  );
  const rolePolicy = new aws.iam.RolePolicy(
    ctx.name(`${role}-policy`),
    {
      role: iamRole.id,
      policy: awsScope(ctx.parent).apply((scope) =>
        pulumi.output(args.policy(scope)).apply((doc) => JSON.stringify(doc)),
      ),
    },
    opts,
  );
  return { role: iamRole, arn: iamRole.arn, rolePolicy };
}
