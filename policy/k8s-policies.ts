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
  // istio-system: Istio's ambient CNI agent and ztunnel configure node and pod networking.
  // falco: Falco reads the node (hostPath /proc, /etc, /dev, /sys) with added capabilities.
  privilegedNamespaces: [
    "tigera-operator",
    "amazon-cloudwatch",
    "appmesh-system",
    "istio-system",
    "falco",
  ],
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

export const EC2_NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

/**
 * Karpenter's nodes get the managed groups' hardening (security checklist rules 16-17: IMDSv2 with
 * hop limit 1, encrypted volumes) and a pinned image (rule 22): an alias of `@latest` would
 * change every node's AMI when the family publishes one, untested.
 */
export const karpenterNodeClassHardened: ResourceValidationPolicy = {
  name: "karpenter-node-class-hardened",
  description:
    "Every Karpenter EC2NodeClass requires IMDSv2 with hop limit 1, encrypts every volume and pins its AMI alias to a version (never @latest).",
  enforcementLevel: "mandatory",
  validateResource: onTypes([EC2_NODE_CLASS_TYPE], (props, args, report) => {
    const spec = (props.spec ?? {}) as Record<string, unknown>;
    const md = (spec.metadataOptions ?? {}) as Record<string, unknown>;
    if (md.httpTokens !== "required" || num(md.httpPutResponseHopLimit) !== 1) {
      report(
        `${who(args)} allows IMDSv1 or a hop limit above 1 (httpTokens ${String(md.httpTokens)}, hop limit ${String(md.httpPutResponseHopLimit)}): pods could borrow the node role. Fix: metadataOptions { httpTokens: required, httpPutResponseHopLimit: 1 }.`,
      );
    }
    const devices = Array.isArray(spec.blockDeviceMappings)
      ? (spec.blockDeviceMappings as Record<string, unknown>[])
      : [];
    const plain = devices.filter(
      (d) => ((d.ebs ?? {}) as Record<string, unknown>).encrypted !== true,
    );
    if (devices.length === 0 || plain.length > 0) {
      report(
        `${who(args)} has ${devices.length === 0 ? "no blockDeviceMappings (the AMI's defaults decide encryption)" : `unencrypted volumes (${plain.map((d) => str(d.deviceName) ?? "?").join(", ")})`}. Fix: list every volume with ebs.encrypted: true.`,
      );
    }
    const terms = Array.isArray(spec.amiSelectorTerms)
      ? (spec.amiSelectorTerms as Record<string, unknown>[])
      : [];
    const unpinned = terms
      .map((t) => str(t.alias))
      .filter((a): a is string => a !== undefined && !/@v[0-9]/.test(a));
    if (unpinned.length > 0) {
      report(
        `${who(args)} selects its AMI by an unpinned alias (${unpinned.join(", ")}). Fix: pin the version (e.g. bottlerocket@v1.64.0) in lib/addons/versions.ts.`,
      );
    }
  }),
};
