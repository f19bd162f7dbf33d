/**
 * Argo CD's own objects, pure so tests validate them against the CRDs at the pinned version and
 * evaluate the ApplicationSet's generator offline:
 * - AppProject `tap`: what the platform's applications may do. Sources: the configured repository
 *   only. Destinations: this cluster, any namespace except the system ones (`!<ns>` entries deny,
 *   argo-cd pkg/apis/application/v1alpha1/app_project_types.go isDestinationMatched). Cluster-scoped
 *   kinds: Namespace only (no CRDs, ClusterRoles, webhooks). Namespaced kinds tap's segmentation owns
 *   (NetworkPolicy, ResourceQuota, LimitRange) are not theirs to change.
 * - AppProject `tap-root`: the app-of-apps may create only Applications, in Argo CD's namespace.
 * - Application `tap-root` (app of apps): `<path>` of the repository at `<revision>`, synced
 *   automatically, pruned, self-healed.
 * - ApplicationSet `tap-environments`: a git directory generator over `<environmentsPath>/*`, one
 *   Application per folder, named after it, deployed to the namespace of that name.
 * No resources finalizer on any of them: deleting one (or the stack) never waits on a controller
 * that may be gone, and never deletes what the applications deployed behind the owner's back.
 */
import { ADDON_NAMESPACES, SYSTEM_NAMESPACES } from "../reserved-namespaces";
import { ArgoCdSettings } from "./settings";

export const ARGOCD_API_VERSION = "argoproj.io/v1alpha1";
export const ARGOCD_NAMESPACE = "argocd";
export const IN_CLUSTER = "https://kubernetes.default.svc";
export const WORKLOADS_PROJECT = "tap";
export const ROOT_PROJECT = "tap-root";
export const ROOT_APP = "tap-root";
export const ENVIRONMENTS_APPSET = "tap-environments";
/**
 * An environment folder's Application name, namespace and label value: a DNS label (63 characters
 * at most, no dots), which `.path.basenameNormalized` alone is not (argo-cd's SanitizeName keeps
 * dots and allows 253 characters: applicationset/utils/template_functions.go at every pin), so
 * `eu.prod` makes `eu-prod` instead of a namespace the API server refuses. sprig's replace, trunc
 * and trimAll are loaded in ApplicationSet templates (applicationset/utils/utils.go).
 */
export const ENVIRONMENT_NAME =
  '{{ .path.basenameNormalized | replace "." "-" | trunc 63 | trimAll "-" }}';

/** Kinds the applications may not create or change: tap's segmentation and quotas. */
export const DENIED_NAMESPACED_KINDS = [
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
  { group: "", kind: "ResourceQuota" },
  { group: "", kind: "LimitRange" },
] as const;

export interface ArgoObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

type Repo = Required<Pick<ArgoCdSettings, "repoUrl">> & ArgoCdSettings;

const automated = {
  automated: { prune: true, selfHeal: true },
  retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
};

function object(
  kind: string,
  name: string,
  labels: Readonly<Record<string, string>>,
  spec: Readonly<Record<string, unknown>>,
): ArgoObject {
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind,
    metadata: { name, namespace: ARGOCD_NAMESPACE, labels },
    spec,
  };
}

/** The projects, the root app-of-apps and the environments' ApplicationSet, in apply order. */
export function argoCdObjects(
  settings: Repo,
  labels: Readonly<Record<string, string>>,
): ArgoObject[] {
  // The cluster's and every add-on's namespace (Argo CD's own among them): never a destination.
  const denied = [
    ...new Set<string>([...SYSTEM_NAMESPACES, ...ADDON_NAMESPACES, ARGOCD_NAMESPACE]),
  ];
  const workloads = object("AppProject", WORKLOADS_PROJECT, labels, {
    description: "tap: the platform's applications (tap:addons.argocd)",
    sourceRepos: [settings.repoUrl],
    destinations: [
      { server: IN_CLUSTER, namespace: "*" },
      ...denied.map((ns) => ({ server: IN_CLUSTER, namespace: `!${ns}` })),
    ],
    clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
    namespaceResourceBlacklist: DENIED_NAMESPACED_KINDS.map((k) => ({ ...k })),
  });
  const root = object("AppProject", ROOT_PROJECT, labels, {
    description: "tap: the app of apps, which may only make Applications in Argo CD's namespace",
    sourceRepos: [settings.repoUrl],
    destinations: [{ server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE }],
    clusterResourceWhitelist: [],
    namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Application" }],
  });
  const rootApp = object("Application", ROOT_APP, labels, {
    project: ROOT_PROJECT,
    source: {
      repoURL: settings.repoUrl,
      path: settings.path,
      targetRevision: settings.revision,
    },
    destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
    syncPolicy: automated,
  });
  const environments = object("ApplicationSet", ENVIRONMENTS_APPSET, labels, {
    goTemplate: true,
    goTemplateOptions: ["missingkey=error"],
    generators: [
      {
        git: {
          repoURL: settings.repoUrl,
          revision: settings.revision,
          directories: [{ path: `${settings.environmentsPath}/*` }],
        },
      },
    ],
    template: {
      metadata: {
        name: ENVIRONMENT_NAME,
        labels: { ...labels, "tap/environment-folder": ENVIRONMENT_NAME },
      },
      spec: {
        project: WORKLOADS_PROJECT,
        source: {
          repoURL: settings.repoUrl,
          targetRevision: settings.revision,
          path: "{{ .path.path }}",
        },
        destination: { server: IN_CLUSTER, namespace: ENVIRONMENT_NAME },
        syncPolicy: { ...automated, syncOptions: ["CreateNamespace=true"] },
      },
    },
    // An environment folder removed from the repository deletes its Application, not what runs.
    syncPolicy: { preserveResourcesOnDeletion: true },
  });
  return [workloads, root, rootApp, environments];
}
