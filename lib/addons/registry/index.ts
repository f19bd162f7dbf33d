/**
 * The registry (tap:addons.registry): one ECR repository per catalog service, scanned on push,
 * with immutable tags, encrypted with tap's KMS key (ECR grants itself its use; pushers and pullers
 * need no KMS permission), keeping the last N images, deleted with the stack (forceDelete); its
 * repository policy lets only tap's node roles and the service's own role pull (made by the
 * service catalog once that role exists: grantPull). With `githubRepository`, a push role that a
 * GitHub Actions workflow of that repository and branch assumes through the account's GitHub OIDC
 * provider, allowed to push to exactly these repositories. Basic scanning, not enhanced: enhanced
 * scanning (Inspector) is an account-wide registry setting that would change every repository of
 * the account and is billed per image; README "Registry" says how to turn it on.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AddonContext } from "../types";
import {
  GITHUB_AUDIENCE,
  GITHUB_OIDC_HOST,
  githubTrustPolicy,
  lifecyclePolicy,
  pushPolicy,
  repositoryPolicy,
} from "./policy";

export * from "./policy";

/** A service's repository: `tap-<suffix>/<service>` (the stack's repositories share a prefix). */
export const repositoryName = (environmentSuffix: string, service: string): string =>
  `tap-${environmentSuffix}/${service}`;

export interface RegistryResult {
  /** Service -> its repository. */
  readonly repositories: Readonly<Record<string, aws.ecr.Repository>>;
  /** The pipeline's push role (githubRepository set). */
  readonly pushRole?: aws.iam.Role;
  /** `<repositoryUrl>:<tag>`: the image a service without `image` runs. */
  imageOf(service: string, tag: string): pulumi.Output<string>;
  /** The repository policy of `service`: pull by tap's nodes and `serviceRoleArn` (if any) only. */
  grantPull(service: string, serviceRoleArn?: pulumi.Input<string>): aws.ecr.RepositoryPolicy;
}

export interface RegistryArgs {
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The node roles that pull images (managed node groups', Karpenter's). */
  readonly nodeRoleArns: readonly pulumi.Input<string>[];
}

export function deployRegistry(ctx: AddonContext, args: RegistryArgs): RegistryResult {
  const opts = { parent: ctx.parent };
  const settings = ctx.config.addonSettings.registry;
  const suffix = ctx.config.environmentSuffix;
  const repositories: Record<string, aws.ecr.Repository> = {};
  for (const service of ctx.config.services) {
    const repo = new aws.ecr.Repository(
      ctx.name(`tap-ecr-${service.name}`),
      {
        name: repositoryName(suffix, service.name),
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
        // A destroy deletes the images with the repository instead of failing on them.
        forceDelete: true,
        tags: { ...ctx.tags, "tap.io/service": service.name },
      },
      opts,
    );
    new aws.ecr.LifecyclePolicy(
      ctx.name(`tap-ecr-${service.name}-lifecycle`),
      { repository: repo.name, policy: lifecyclePolicy(settings.keepImages) },
      opts,
    );
    repositories[service.name] = repo;
  }
  const pushRole = settings.githubRepository
    ? createPushRole(ctx, settings.githubRepository, settings.githubBranch, repositories)
    : undefined;
  const pusher = pushRole?.arn;
  return {
    repositories,
    ...(pushRole ? { pushRole } : {}),
    imageOf: (service, tag) =>
      pulumi.interpolate`${repoOf(repositories, service).repositoryUrl}:${tag}`,
    grantPull: (service, serviceRoleArn) =>
      new aws.ecr.RepositoryPolicy(
        ctx.name(`tap-ecr-${service}-policy`),
        {
          repository: repoOf(repositories, service).name,
          policy: pulumi
            .all([pulumi.all([...args.nodeRoleArns]), serviceRoleArn, pusher])
            .apply(([nodes, role, push]) =>
              JSON.stringify(
                repositoryPolicy({
                  pullers: [...nodes, ...(role ? [role] : [])],
                  ...(push ? { pusher: push } : {}),
                }),
              ),
            ),
        },
        opts,
      ),
  };
}

function repoOf(repositories: Record<string, aws.ecr.Repository>, service: string) {
  const repo = repositories[service];
  if (!repo) throw new Error(`registry: no repository for service ${service}`);
  return repo;
}

function createPushRole(
  ctx: AddonContext,
  repository: string,
  branch: string,
  repositories: Record<string, aws.ecr.Repository>,
): aws.iam.Role {
  const opts = { parent: ctx.parent };
  const settings = ctx.config.addonSettings.registry;
  const providerArn: pulumi.Input<string> =
    settings.githubOidcProviderArn ??
    new aws.iam.OpenIdConnectProvider(
      ctx.name("tap-github-oidc"),
      {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdLists: [GITHUB_AUDIENCE],
        // No thumbprints: IAM trusts GitHub's certificate through its own root CAs.
        tags: ctx.tags,
      },
      opts,
    ).arn;
  const name = ctx.name("tap-ecr-push");
  const role = new aws.iam.Role(
    name,
    {
      name,
      description: `Pushes images to tap's ECR repositories from ${repository}@${branch} (GitHub Actions)`,
      assumeRolePolicy: pulumi
        .output(providerArn)
        .apply((arn) => JSON.stringify(githubTrustPolicy(arn, repository, branch))),
      maxSessionDuration: 3600,
      tags: ctx.tags,
    },
    opts,
  );
  new aws.iam.RolePolicy(
    ctx.name("tap-ecr-push-policy"),
    {
      role: role.id,
      policy: pulumi
        .all(Object.values(repositories).map((r) => r.arn))
        .apply((arns) => JSON.stringify(pushPolicy(arns))),
    },
    opts,
  );
  return role;
}
