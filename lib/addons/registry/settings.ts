/**
 * The registry capability's settings (`tap:addons.registry`): how many images each repository
 * keeps, and the GitHub repository and branch whose workflows may push. Pure, read by the config
 * contract (lib/capabilities.ts) before anything exists.
 */
import { show } from "../../config-parse";

export interface RegistrySettings {
  /** Images each repository keeps; older ones expire (lifecycle policy). */
  readonly keepImages: number;
  /** `owner/name` of the GitHub repository whose workflows push; absent: no push role. */
  readonly githubRepository?: string;
  /** The branch those workflows must run on (the token's `sub` names it). */
  readonly githubBranch: string;
  /**
   * The account's existing GitHub OIDC provider (there is one per account and URL); absent: tap
   * creates it (a second stack in the same account must then name the first one's).
   */
  readonly githubOidcProviderArn?: string;
}

export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = { keepImages: 30, githubBranch: "main" };

/** What each setting means, for the plan and the README. */
export const REGISTRY_SETTING_DOCS: Readonly<Record<keyof RegistrySettings, string>> = {
  keepImages: "images each repository keeps, 1-1000 (default 30); older ones expire",
  githubRepository:
    "owner/name of the GitHub repository whose workflows may push (default none: no push role)",
  githubBranch: 'the branch those workflows run on (default "main")',
  githubOidcProviderArn:
    "the account's GitHub OIDC provider when it already has one (default: tap creates it)",
};

/** GitHub's rules for owner and repository names (owner: 39 characters, no leading '-'). */
const GITHUB_REPOSITORY_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
/** A git branch name as a token's `sub` carries it (no spaces, wildcards or `..`). */
const BRANCH_RE = /^(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;
const GITHUB_PROVIDER_ARN_RE =
  /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

export function parseRegistrySettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): RegistrySettings {
  const d = DEFAULT_REGISTRY_SETTINGS;
  const at = (k: string) => `addons.registry.${k}`;
  let keepImages = d.keepImages;
  if (value.keepImages !== undefined) {
    const n = typeof value.keepImages === "string" ? Number(value.keepImages) : value.keepImages;
    if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 1000) keepImages = n;
    else
      fail(
        at("keepImages"),
        `tap:addons.registry.keepImages must be an integer from 1 to 1000 (got ${show(value.keepImages)})`,
      );
  }
  const text = (k: string, re: RegExp, what: string): string | undefined => {
    const v = value[k];
    if (v === undefined) return undefined;
    if (typeof v === "string" && re.test(v)) return v;
    fail(at(k), `tap:addons.registry.${k} must be ${what} (got ${show(v)})`);
    return undefined;
  };
  const githubRepository = text(
    "githubRepository",
    GITHUB_REPOSITORY_RE,
    "a GitHub repository as owner/name, like acme/payments",
  );
  const githubBranch =
    text("githubBranch", BRANCH_RE, "a branch name without spaces, wildcards or '..'") ??
    d.githubBranch;
  const githubOidcProviderArn = text(
    "githubOidcProviderArn",
    GITHUB_PROVIDER_ARN_RE,
    "the ARN of the account's token.actions.githubusercontent.com provider, like arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
  );
  for (const k of ["githubBranch", "githubOidcProviderArn"] as const) {
    if (
      value[k] !== undefined &&
      githubRepository === undefined &&
      value.githubRepository === undefined
    )
      fail(
        at(k),
        `tap:addons.registry.${k} is set but tap:addons.registry.githubRepository is not: the push role needs the repository it trusts`,
      );
  }
  return {
    keepImages,
    githubBranch,
    ...(githubRepository ? { githubRepository } : {}),
    ...(githubOidcProviderArn ? { githubOidcProviderArn } : {}),
  };
}
