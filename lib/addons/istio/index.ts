/**
 * Istio in ambient mode (tap:addons.istio), the mesh that replaces App Mesh (discontinued by AWS
 * on 2026-09-30): no sidecars, so service pods stay as they are and their namespaces keep PSS
 * `restricted`; ztunnel, a per-node proxy, carries every pod-to-pod connection over mutual TLS
 * (HBONE) with each workload's SPIFFE identity, and enforces the catalog's AuthorizationPolicies
 * (lib/services/ambient.ts). Four releases from Istio's Helm repository, one Istio version per
 * Kubernetes minor (versions.ts, facts/istio.md): `base` (CRDs) -> `istiod` (control plane,
 * `profile: ambient`) -> `cni` (the node agent that redirects pod traffic to ztunnel,
 * `profile: ambient`) -> `ztunnel`, in istio-system, which is PSS `privileged`: the CNI agent and
 * ztunnel configure the nodes' and pods' networking.
 * Mesh-wide mTLS is STRICT (a PeerAuthentication in the root namespace, istio-system).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR, inCluster } from "../types";

export const ISTIO_DEFAULTS = {
  namespace: "istio-system",
  releases: { base: "istio-base", istiod: "istiod", cni: "istio-cni", ztunnel: "ztunnel" },
  /** The namespace label that puts a namespace's pods in the ambient mesh. */
  dataplaneLabel: { "istio.io/dataplane-mode": "ambient" },
  /** SPIFFE trust domain of workload identities (Istio's default). */
  trustDomain: "cluster.local",
  /** The HBONE port: ztunnel sends every meshed connection to the destination pod there. */
  hbonePort: 15008,
  /**
   * The source address the ambient CNI gives kubelet's health probes (SNAT); the pod accepts them
   * before ztunnel sees them (facts/istio.md (d)), and NetworkPolicies must admit it.
   */
  probeSourceCidr: "169.254.7.127/32",
  istiodReplicas: 2,
  timeoutSeconds: 600,
} as const;

export interface IstioResult extends AddonResult {
  readonly base: k8s.helm.v3.Release;
  readonly istiod: k8s.helm.v3.Release;
  readonly cni: k8s.helm.v3.Release;
  readonly ztunnel: k8s.helm.v3.Release;
  /** What a meshed workload waits for: the data plane (CNI + ztunnel) and the mesh-wide STRICT mTLS. */
  readonly dependsOn: readonly pulumi.Resource[];
}

export function deployIstio(ctx: AddonContext): IstioResult {
  const d = ISTIO_DEFAULTS;
  const pins = ctx.pins.istio;
  const image = (values: Record<string, unknown> = {}) => ({
    hub: pins.hub,
    tag: pins.version,
    ...values,
  });
  const base = deployHelmAddon(ctx, {
    name: d.releases.base,
    pin: pins.base,
    namespace: d.namespace,
    createNamespace: { podSecurity: "privileged" },
    values: {},
    lockedValues: () => ({}),
    timeoutSeconds: d.timeoutSeconds,
  });
  const istiod = deployHelmAddon(ctx, {
    name: d.releases.istiod,
    pin: pins.istiod,
    namespace: d.namespace,
    values: {
      // istiod scales with its HPA (the chart's autoscaleEnabled): at least two replicas.
      pilot: {
        autoscaleMin: d.istiodReplicas,
        nodeSelector: { ...ON_DEMAND_SELECTOR },
      },
    },
    lockedValues: () => ({ profile: "ambient", global: image() }),
    dependsOn: [base.release],
    timeoutSeconds: d.timeoutSeconds,
  });
  const cni = deployHelmAddon(ctx, {
    name: d.releases.cni,
    pin: pins.cni,
    namespace: d.namespace,
    values: {},
    lockedValues: () => ({ profile: "ambient", global: image() }),
    dependsOn: [istiod.release],
    timeoutSeconds: d.timeoutSeconds,
  });
  const ztunnel = deployHelmAddon(ctx, {
    name: d.releases.ztunnel,
    pin: pins.ztunnel,
    namespace: d.namespace,
    // Bottlerocket (tap's default node OS) enforces SELinux: ztunnel, not privileged, writes host
    // paths and needs the super-privileged container type there, as the CNI chart gives its own
    // container by itself (istio/istio@1.30.3:manifests/charts/istio-cni/templates/daemonset.yaml
    // L145-147; ztunnel's daemonset.yaml L98-100 only with the value). Ignored without SELinux.
    values: { seLinuxOptions: { type: "spc_t" } },
    lockedValues: () => image(),
    dependsOn: [cni.release],
    timeoutSeconds: d.timeoutSeconds,
  });
  // Mesh-wide STRICT: a PeerAuthentication named default in the root namespace applies to every
  // workload; no plaintext reaches a meshed pod unless a narrower one says so (a public service's
  // port, lib/services/ambient.ts).
  const strict = new k8s.apiextensions.CustomResource(
    ctx.name("istio-mtls-strict"),
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: d.namespace },
      spec: { mtls: { mode: "STRICT" } },
    },
    inCluster(ctx, [base.release, istiod.release]),
  );
  return {
    ...istiod,
    base: base.release,
    istiod: istiod.release,
    cni: cni.release,
    ztunnel: ztunnel.release,
    dependsOn: [cni.release, ztunnel.release, strict],
  };
}
