/**
 * Argo CD's settings (`tap:addons.argocd`): the repository the platform's applications live in
 * (the root app-of-apps and the environment folders the ApplicationSet reads), who administers it,
 * and the OIDC provider users sign in with. Pure, read by the config contract before anything
 * exists.
 */
import { show } from "../../config-parse";

export interface ArgoCdOidc {
  /** The issuer URL (https://...), e.g. https://login.example.com/realms/acme. */
  readonly issuer: string;
  readonly clientId: string;
  /** The client secret: a Pulumi secret (pulumi config set --secret --path ...). */
  readonly clientSecret: string;
}

export interface ArgoCdSettings {
  /** The Git repository (https:// or ssh). Required with Argo CD on. */
  readonly repoUrl?: string;
  /** Where the root app-of-apps reads its Applications (default `apps`). */
  readonly path: string;
  /** The branch, tag or commit Argo CD follows (default `HEAD`). */
  readonly revision: string;
  /** The folder holding one folder per environment, each an Application (default `environments`). */
  readonly environmentsPath: string;
  /** The SSO group that administers Argo CD; everyone else signed in may only read. */
  readonly adminGroup?: string;
  /** Single sign-on through an OIDC provider (all three fields, or none). */
  readonly oidc?: ArgoCdOidc;
  /** The UI's ALB (load balancer controller, certificate and ExternalDNS on): `internal` or `internet-facing`. */
  readonly ingressScheme: ArgoCdIngressScheme;
}

export const ARGOCD_INGRESS_SCHEMES = ["internal", "internet-facing"] as const;
export type ArgoCdIngressScheme = (typeof ARGOCD_INGRESS_SCHEMES)[number];

export const DEFAULT_ARGOCD_SETTINGS: ArgoCdSettings = {
  path: "apps",
  revision: "HEAD",
  environmentsPath: "environments",
  ingressScheme: "internal",
};

export const ARGOCD_SETTING_DOCS: Readonly<Record<keyof ArgoCdSettings, string>> = {
  repoUrl:
    "the Git repository Argo CD deploys from, https://... or git@host:org/repo.git (required with Argo CD on)",
  path: "the folder of that repository the root app-of-apps reads (default apps)",
  revision: "the branch, tag or commit Argo CD follows (default HEAD)",
  environmentsPath:
    "the folder with one folder per environment; the ApplicationSet makes one Application of each (default environments)",
  adminGroup:
    "the SSO group with Argo CD's admin role; everyone else signed in gets read-only (default none: only the local admin)",
  ingressScheme:
    "the UI's load balancer when tap:addons.loadBalancerController (with its certificateArn) and tap:addons.externalDns are on: internal (reached from the VPC and what is peered or VPN'd to it) or internet-facing (default internal)",
  oidc: "single sign-on: { issuer, clientId, clientSecret } (set clientSecret as a secret: pulumi config set --secret --path tap:addons.argocd.oidc.clientSecret ...; default none)",
};

const REPO_RE = /^(https:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;
/** A repository-relative folder: no leading slash, no `..`, no glob characters. */
const PATH_RE = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/;
const REVISION_RE = /^[A-Za-z0-9._/-]+$/;
const GROUP_RE = /^[^\s,]+( [^\s,]+)*$/;

export function parseArgoCdSettings(
  value: Readonly<Record<string, unknown>>,
  on: boolean,
  fail: (key: string, reason: string) => void,
): ArgoCdSettings {
  const d = DEFAULT_ARGOCD_SETTINGS;
  const key = (k: string) => `addons.argocd.${k}`;
  const text = (k: keyof ArgoCdSettings, re: RegExp, what: string): string | undefined => {
    const raw = value[k];
    if (raw === undefined) return undefined;
    if (typeof raw === "string" && re.test(raw)) return raw;
    fail(key(k), `tap:addons.argocd.${k} must be ${what} (got ${show(raw)})`);
    return undefined;
  };
  const repoUrl = text(
    "repoUrl",
    REPO_RE,
    "a Git repository URL (https://host/org/repo.git or git@host:org/repo.git)",
  );
  if (on && value.repoUrl === undefined)
    fail(
      key("repoUrl"),
      "tap:addons.argocd.repoUrl is required with Argo CD on: the Git repository it deploys from (https://host/org/repo.git or git@host:org/repo.git)",
    );
  const folder = "a folder of the repository (letters, digits, . _ - /; not absolute, no ..)";
  const path = text("path", PATH_RE, folder) ?? d.path;
  const environmentsPath = text("environmentsPath", PATH_RE, folder) ?? d.environmentsPath;
  const revision = text("revision", REVISION_RE, "a branch, tag or commit") ?? d.revision;
  const adminGroup = text("adminGroup", GROUP_RE, "a group name (no commas)");
  const oidc = parseOidc(value.oidc, fail);
  const scheme = value.ingressScheme;
  let ingressScheme: ArgoCdIngressScheme = d.ingressScheme;
  if (scheme !== undefined) {
    if ((ARGOCD_INGRESS_SCHEMES as readonly unknown[]).includes(scheme))
      ingressScheme = scheme as ArgoCdIngressScheme;
    else
      fail(
        key("ingressScheme"),
        `tap:addons.argocd.ingressScheme must be one of ${ARGOCD_INGRESS_SCHEMES.join(", ")} (got ${show(scheme)})`,
      );
  }
  return {
    ...(repoUrl ? { repoUrl } : {}),
    path,
    revision,
    environmentsPath,
    ...(adminGroup ? { adminGroup } : {}),
    ...(oidc ? { oidc } : {}),
    ingressScheme,
  };
}

function parseOidc(
  raw: unknown,
  fail: (key: string, reason: string) => void,
): ArgoCdOidc | undefined {
  if (raw === undefined) return undefined;
  const k = "addons.argocd.oidc";
  const obj = typeof raw === "string" ? safeJson(raw) : raw;
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    fail(k, `tap:${k} must be { issuer, clientId, clientSecret } (got ${show(raw)})`);
    return undefined;
  }
  const o = obj as Record<string, unknown>;
  const unknown = Object.keys(o).filter((x) => !["issuer", "clientId", "clientSecret"].includes(x));
  if (unknown.length > 0)
    fail(k, `tap:${k} takes issuer, clientId and clientSecret (got also ${unknown.join(", ")})`);
  let ok = unknown.length === 0;
  if (!(typeof o.issuer === "string" && /^https:\/\/[^\s]+$/.test(o.issuer))) {
    fail(
      `${k}.issuer`,
      `tap:${k}.issuer must be the provider's https:// issuer URL (got ${show(o.issuer)})`,
    );
    ok = false;
  }
  for (const f of ["clientId", "clientSecret"] as const)
    if (!(typeof o[f] === "string" && (o[f] as string).length > 0 && !/\s/.test(o[f] as string))) {
      fail(
        `${k}.${f}`,
        `tap:${k}.${f} must be a non-empty string without spaces (got ${f === "clientSecret" && typeof o[f] === "string" ? "a value that is not one" : show(o[f])})`,
      );
      ok = false;
    }
  return ok
    ? {
        issuer: o.issuer as string,
        clientId: o.clientId as string,
        clientSecret: o.clientSecret as string,
      }
    : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
