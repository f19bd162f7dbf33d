/**
 * Kubernetes-object policies: Pod Security Standards on every Namespace tap creates, and pinned,
 * atomic Helm releases (security checklist rule 22; reliability §5 item 7).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { labels, metadataName, num, onTypes, str, who } from "./util";

export const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";
/** The App Mesh sidecar injector label: its Envoy init container needs NET_ADMIN (privileged PSS). */
export const MESH_INJECTION_LABEL = "appmesh.k8s.aws/sidecarInjectorWebhook";

export interface PodSecurityConfig {
  /** Namespaces allowed to enforce `privileged` (system add-ons that need host access). */
  readonly privilegedNamespaces: readonly string[];
  /** Whether App Mesh-injected service namespaces may enforce `privileged`. */
  readonly allowMeshInjectedPrivileged: boolean;
}

export const POD_SECURITY_DEFAULTS: PodSecurityConfig = {
  privilegedNamespaces: ["tigera-operator", "amazon-cloudwatch", "appmesh-system"],
  allowMeshInjectedPrivileged: true,
};

export const namespacePodSecurity: ResourceValidationPolicy = {
  name: "namespace-pod-security",
  description:
    "Every Namespace tap creates enforces Pod Security Standards: restricted or baseline; privileged only on the allow-list of system namespaces and mesh-injected service namespaces (CIS 4.2).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      privilegedNamespaces: {
        type: "array",
        items: { type: "string" },
        default: [...POD_SECURITY_DEFAULTS.privilegedNamespaces],
      },
      allowMeshInjectedPrivileged: {
        type: "boolean",
        default: POD_SECURITY_DEFAULTS.allowMeshInjectedPrivileged,
      },
    },
  },
  validateResource: onTypes([NAMESPACE_TYPE], (props, args, report) => {
    const config = { ...POD_SECURITY_DEFAULTS, ...args.getConfig<Partial<PodSecurityConfig>>() };
    const name = metadataName(props) ?? args.name;
    const l = labels(props);
    const level = str(l[PSS_ENFORCE_LABEL]);
    const label = `label ${PSS_ENFORCE_LABEL}`;
    if (level === "restricted" || level === "baseline") return;
    if (level === "privileged") {
      const meshInjected =
        config.allowMeshInjectedPrivileged && l[MESH_INJECTION_LABEL] === "enabled";
      if (config.privilegedNamespaces.includes(name) || meshInjected) return;
      report(
        `${who(args)} (namespace ${name}) enforces privileged but is not on the allow-list (${config.privilegedNamespaces.join(", ")}). Fix: set ${label}: restricted (or baseline), or add it to the policy config privilegedNamespaces with a reason.`,
      );
      return;
    }
    report(
      `${who(args)} (namespace ${name}) has ${level === undefined ? "no" : `an invalid (${level})`} ${label}. Fix: set ${label}: restricted (baseline for system namespaces).`,
    );
  }),
};

/** An exact chart version: 1.2.3, v3.28.5 or 1.2.3-rc.1 (no ranges, wildcards or "latest"). */
export const EXACT_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmReleasePinned: ResourceValidationPolicy = {
  name: "helm-release-pinned",
  description:
    "Every Helm release pins an exact chart version and is atomic with an explicit timeout, so a failed install rolls back instead of hanging.",
  enforcementLevel: "mandatory",
  validateResource: onTypes([HELM_RELEASE_TYPE], (props, args, report) => {
    const chart = str(props.chart) ?? "?";
    const version = str(props.version);
    if (!version || !EXACT_VERSION.test(version)) {
      report(
        `${who(args)} (chart ${chart}) has ${version ? `version range "${version}"` : "no version"}. Fix: pin an exact version in lib/addons/versions.ts.`,
      );
    }
    if (props.atomic !== true) {
      report(
        `${who(args)} (chart ${chart}) is not atomic. Fix: set atomic: true (and cleanupOnFail).`,
      );
    }
    const timeout = num(props.timeout);
    if (timeout === undefined || timeout <= 0) {
      report(`${who(args)} (chart ${chart}) has no timeout. Fix: set timeout (seconds), e.g. 600.`);
    }
  }),
};
