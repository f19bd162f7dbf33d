/**
 * The registry's policy documents, pure so tests simulate them: the repository policy (pull by
 * tap's nodes and the service's own role, nobody else), the pipeline's push policy and its GitHub
 * OIDC trust, and the lifecycle policy. Actions from AWS's ECR guide
 * (docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html, read 2026-12-03) and the
 * managed policy AmazonEC2ContainerRegistryPullOnly the node role holds.
 */
import { PolicyDocument } from "../../iam/policy";

/** What pulling an image calls: the manifest, then each layer's download URL. */
export const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] as const;

/** What `docker push` calls on the repository (AWS's push policy; BatchGetImage for manifest lists). */
export const PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:BatchGetImage",
] as const;

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_AUDIENCE = "sts.amazonaws.com";

/**
 * A service repository's policy. Same-account IAM policies allow on their own (ECR's repository
 * policy guide), so an Allow alone would not keep anyone out: the Deny refuses the pull actions to
 * every principal but `pullers` (and the pipeline, which reads manifests it pushes), whatever its
 * identity policy says.
 */
export function repositoryPolicy(args: {
  readonly pullers: readonly string[];
  readonly pusher?: string;
}): PolicyDocument {
  const readers = [...args.pullers, ...(args.pusher ? [args.pusher] : [])];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PullByTapNodesAndService",
        Effect: "Allow",
        Principal: { AWS: [...args.pullers] },
        Action: [...PULL_ACTIONS, "ecr:BatchCheckLayerAvailability"],
      },
      {
        Sid: "DenyPullByAnyoneElse",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: [...PULL_ACTIONS],
        Condition: { StringNotEquals: { "aws:PrincipalArn": readers } },
      },
    ],
  };
}

/** The push role's policy: a registry login (no resource type), then push to exactly `repositoryArns`. */
export function pushPolicy(repositoryArns: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RegistryLogin",
        Effect: "Allow",
        Action: ["ecr:GetAuthorizationToken"],
        Resource: "*",
      },
      {
        Sid: "PushToTapRepositories",
        Effect: "Allow",
        Action: [...PUSH_ACTIONS],
        Resource: [...repositoryArns],
      },
    ],
  };
}

/**
 * Trust for GitHub Actions: a workflow of `repository` running on `branch`, nothing else (the
 * token's `sub` is `repo:<owner>/<name>:ref:refs/heads/<branch>` for a job without an environment;
 * docs.github.com "Configuring OpenID Connect in Amazon Web Services").
 */
export function githubTrustPolicy(
  providerArn: string,
  repository: string,
  branch: string,
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: githubSubject(repository, branch),
          },
        },
      },
    ],
  };
}

export const githubSubject = (repository: string, branch: string): string =>
  `repo:${repository}:ref:refs/heads/${branch}`;

/** Keep the newest `keep` images, whatever their tags; expire the rest. */
export function lifecyclePolicy(keep: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `keep the last ${keep} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  });
}
