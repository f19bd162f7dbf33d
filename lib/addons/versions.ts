// Helm chart and image pins for every Kubernetes minor tap can deploy, plus the EKS support calendar.
// Each pin cites where its Kubernetes compatibility is documented; "UNVERIFIED" marks the parts that
// could not be read from an upstream file and need a check (e.g. `helm search repo --versions`).
// 1.36 is offered by EKS but is deliberately absent: UNPINNABLE_KUBERNETES_VERSIONS below records
// why, with the upstream evidence and what would unblock it.

/** Kubernetes minors tap can deploy, oldest first. */
export const SUPPORTED_KUBERNETES_VERSIONS = [
  "1.28",
  "1.31",
  "1.32",
  "1.33",
  "1.34",
  "1.35",
] as const;
export type KubernetesVersion = (typeof SUPPORTED_KUBERNETES_VERSIONS)[number];

/** Why a minor EKS offers has no pins: one component, its upstream evidence and what unblocks it. */
export interface VersionBlocker {
  readonly component: string;
  readonly fact: string;
  /** repo@ref:path (line), as read. */
  readonly source: string;
  readonly unblockedBy: string;
}

/**
 * Minors EKS offers that tap cannot pin yet. Read 2026-12-02 from upstream snapshots (the newest of
 * them from 2026-08-22: a release after that date is not seen here; check it before adding pins).
 */
export const UNPINNABLE_KUBERNETES_VERSIONS: Readonly<Record<string, readonly VersionBlocker[]>> = {
  "1.36": [
    {
      component: "KEDA",
      fact: 'no KEDA release is tested on 1.36: its table reads "v2.21 | TBD" and "v2.20 | v1.33 - v1.35"; the newest tag is v2.20.2 (no v2.21 tag or release branch)',
      source:
        "kedacore/keda-docs@a55c5d34:content/docs/2.21/operate/cluster.md L21-22; kedacore/keda@68a5b50 tag v2.20.2 (2026-07-31); kedacore/charts@1444d00:keda/Chart.yaml (2.20.2)",
      unblockedBy: "KEDA v2.21.0 listing 1.36, and its chart kedacore/keda 2.21.x",
    },
    {
      component: "cluster-autoscaler",
      fact: "the newest chart, 9.59.0, ships appVersion 1.35.0, and upstream asks for the autoscaler minor that matches the control plane; the v1.36.1 image is tagged but no chart ships it",
      source:
        "kubernetes/autoscaler@be36214bc8:index.yaml (gh-pages, 9.59.0 -> 1.35.0); @55c37cd5eb:cluster-autoscaler/README.md L48; tag cluster-autoscaler-1.36.1 (35e8a28042)",
      unblockedBy:
        "a cluster-autoscaler chart with appVersion 1.36.x, or Karpenter as the autoscaler (issue #10)",
    },
    {
      component: "Calico",
      fact: "3.31 (tap's newest pin) is tested on 1.32-1.35; 3.32 is tested on 1.34-1.36 but its tigera-operator chart no longer carries the CRDs (they moved to the crd.projectcalico.org.v1 chart)",
      source:
        "tigera/docs@f2a276243:calico_versioned_docs/version-3.32/_includes/partials/_system-requirements.mdx L179-183; projectcalico/calico@0ca9d1b936 (v3.32.1):charts/tigera-operator/README.md L27",
      unblockedBy:
        "work in tap, not upstream: Calico 3.32.1 with the crd.projectcalico.org.v1 chart installed before the operator",
    },
  ],
};

export interface ChartPin {
  /** Helm chart name, e.g. "cluster-autoscaler". */
  readonly chart: string;
  /** Official chart repository URL, e.g. "https://kubernetes.github.io/autoscaler". */
  readonly repo: string;
  /** Exact chart version (no ranges). */
  readonly version: string;
  /** Image the release runs, pinned by tag (we set it explicitly in values), and digest where known. */
  readonly image: { readonly repository: string; readonly tag: string; readonly digest?: string };
  /** One line: where the compatibility fact comes from (repo@ref:path or doc URL). */
  readonly source: string;
}

export interface AddonPins {
  /** Image tag minor equals the cluster minor: v1.28.x for 1.28, v1.33.x for 1.33 ... */
  readonly clusterAutoscaler: ChartPin;
  /** tigera-operator chart (versions carry a leading "v"); image = the operator tag it bundles (not overridden). */
  readonly calico: ChartPin;
  /** aws-for-fluent-bit from https://aws.github.io/eks-charts. */
  readonly fluentBit: ChartPin;
  /** metrics-server from https://kubernetes-sigs.github.io/metrics-server/. */
  readonly metricsServer: ChartPin;
  /** keda from https://kedacore.github.io/charts, image ghcr.io/kedacore/keda. */
  readonly keda: ChartPin;
  /** appmesh-controller from https://aws.github.io/eks-charts (App Mesh is discontinued). */
  readonly appMeshController: ChartPin;
  /** Karpenter's controller chart (OCI, public.ecr.aws/karpenter); its CRDs come from karpenterCrd. */
  readonly karpenter: ChartPin;
  /** karpenter-crd: the same version as the controller, installed first (CRDs upgrade with it). */
  readonly karpenterCrd: ChartPin;
  /** aws-load-balancer-controller from https://aws.github.io/eks-charts. */
  readonly loadBalancerController: ChartPin;
  /** external-dns from https://kubernetes-sigs.github.io/external-dns/. */
  readonly externalDns: ChartPin;
  /** The Secrets Store CSI driver (kubernetes-sigs); 1.6 needs Kubernetes >= 1.30. */
  readonly secretsStoreDriver: ChartPin;
  /** Its AWS provider (ASCP), installed without its bundled driver subchart. */
  readonly secretsStoreAws: ChartPin;
  /** Istio (ambient): one version for its four charts, and the registry its images come from. */
  readonly istio: IstioPins;
  /** The EC2NodeClass AMI alias Karpenter's nodes boot (a pinned Bottlerocket release, never @latest). */
  readonly karpenterAmiAlias: AmiAliasPin;
  /**
   * kyverno from https://kyverno.github.io/kyverno/ (image = its admission controller). Absent on
   * 1.28: Kyverno 1.13, the last to support it, serves no ValidatingPolicy (tap:addons.kyverno
   * is refused there).
   */
  readonly kyverno?: ChartPin;
  /** falco from https://falcosecurity.github.io/charts (image = Falco itself; Falcosidekick's tag is lib/addons/falco). */
  readonly falco: ChartPin;
  /** argo-cd from https://argoproj.github.io/argo-helm (image = Argo CD itself). */
  readonly argocd: ChartPin;
  /** argo-rollouts from https://argoproj.github.io/argo-helm (image = its controller). */
  readonly argoRollouts: ChartPin;
  /** opentelemetry-collector from https://open-telemetry.github.io/opentelemetry-helm-charts (image = the contrib collector). */
  readonly tracing: ChartPin;
  /**
   * kube-state-metrics from https://prometheus-community.github.io/helm-charts (tap:addons.
   * prometheus; its collector is the `tracing` chart and image): the release whose client-go is
   * the cluster's minor.
   */
  readonly kubeStateMetrics: ChartPin;
}

export interface IstioPins {
  /** The Istio release: every chart's version and every image's tag. */
  readonly version: string;
  /** The image registry the published charts name (their `hub`). */
  readonly hub: string;
  readonly base: ChartPin;
  readonly istiod: ChartPin;
  readonly cni: ChartPin;
  readonly ztunnel: ChartPin;
  /** The day Istio's support of this minor ends (ended), from its support table. */
  readonly supportEnds: string;
  readonly source: string;
}

export interface AmiAliasPin {
  /** `<family>@<version>`, e.g. bottlerocket@v1.64.0. */
  readonly alias: string;
  readonly source: string;
}

const AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler";
const AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler";
const CALICO_REPO = "https://docs.tigera.io/calico/charts";
const CALICO_IMAGE = "quay.io/tigera/operator";
const EKS_CHARTS_REPO = "https://aws.github.io/eks-charts";
const METRICS_SERVER_REPO = "https://kubernetes-sigs.github.io/metrics-server/";
const METRICS_SERVER_IMAGE = "registry.k8s.io/metrics-server/metrics-server";
const KEDA_REPO = "https://kedacore.github.io/charts";
const KYVERNO_REPO = "https://kyverno.github.io/kyverno/";
const KYVERNO_IMAGE = "reg.kyverno.io/kyverno/kyverno";

/** Kyverno's chart 3.M.x ships Kyverno v1.(M+10).x; the image tag is the chart's appVersion. */
function kyverno(version: string, appVersion: string, source: string): ChartPin {
  return {
    chart: "kyverno",
    repo: KYVERNO_REPO,
    version,
    image: { repository: KYVERNO_IMAGE, tag: appVersion },
    source,
  };
}
/** Kyverno 1.19 (chart 3.9.0, 2026-08-20): its conformance CI runs 1.33-1.35 (the website still lists 1.18, also 1.33-1.35). */
const KYVERNO_1_19 = kyverno(
  "3.9.0",
  "v1.19.0",
  "kyverno/kyverno@gh-pages 58722fa49a:index.yaml (3.9.0 -> v1.19.0); kyverno/kyverno@v1.19.0:.github/workflows/tests-conformance.yaml (k8s-version v1.33.7, v1.34.3, v1.35.1); kyverno/website@7c0814a5:src/content/docs/docs/installation/releases.md L17-19 (1.18: 1.33-1.35)",
);
const KEDA_IMAGE = "ghcr.io/kedacore/keda";

/** argo-cd chart -> Argo CD (its global.image tag = the appVersion). */
function argocd(version: string, appVersion: string, source: string): ChartPin {
  return {
    chart: "argo-cd",
    repo: "https://argoproj.github.io/argo-helm",
    version,
    image: { repository: "quay.io/argoproj/argocd", tag: appVersion },
    source,
  };
}
const ARGO_HELM_INDEX = "argoproj/argo-helm@c77d0b1:index.yaml (gh-pages)";
function argoRollouts(version: string, appVersion: string, source: string): ChartPin {
  return {
    chart: "argo-rollouts",
    repo: "https://argoproj.github.io/argo-helm",
    version,
    image: { repository: "quay.io/argoproj/argo-rollouts", tag: appVersion },
    source,
  };
}
/** Argo Rollouts 1.9.0 (chart 2.41.0): its e2e matrix runs 1.31-1.34 (1.9.1, tested on 1.35, has no chart in the snapshot). */
const ARGO_ROLLOUTS_1_9 = argoRollouts(
  "2.41.0",
  "v1.9.0",
  `${ARGO_HELM_INDEX} (2.41.0 -> v1.9.0); argoproj/argo-rollouts@v1.9.0:.github/workflows/testing.yaml (1.31-1.34)`,
);

/** Argo CD 3.4.4 (chart 10.1.1): tested on 1.32-1.35. */
const ARGOCD_3_4 = argocd(
  "10.1.1",
  "v3.4.4",
  `${ARGO_HELM_INDEX} (10.1.1 -> v3.4.4); argoproj/argo-cd@v3.4.4:docs/operator-manual/tested-kubernetes-versions.md (1.32-1.35)`,
);

/**
 * Falco 0.44.1 (chart 9.1.0, 2026-06-11), one pin for every minor: the chart declares no
 * kubeVersion and Falco reads the kernel, not the Kubernetes API (the modern eBPF driver needs
 * kernel 5.8+: AL2023 and Bottlerocket run 6.1+).
 */
const FALCO: ChartPin = {
  chart: "falco",
  repo: "https://falcosecurity.github.io/charts",
  version: "9.1.0",
  image: { repository: "docker.io/falcosecurity/falco", tag: "0.44.1" },
  source:
    "falcosecurity/charts@a226daf6:index.yaml (gh-pages: falco 9.1.0 -> appVersion 0.44.1, falcosidekick 0.12.*: 0.12.1); falcosecurity/charts@falco-9.1.0:charts/falco/Chart.yaml (no kubeVersion); falcosecurity/falco@0.44.1:cmake/modules/rules.cmake (falco-rules-5.1.0), CMakeLists.txt (container plugin 0.7.1)",
};

/**
 * The OpenTelemetry Collector 0.158.0 (chart 0.170.0, 2026-08-14, the newest in the index), one pin
 * for every minor: the chart declares no kubeVersion, its CI runs kind's default only, and the
 * collector uses no API beyond Pods and Services (tap turns on no preset that watches the API).
 * The image tag is the chart's appVersion (its default for `image.tag`).
 */
const OTEL_COLLECTOR: ChartPin = {
  chart: "opentelemetry-collector",
  repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
  version: "0.170.0",
  image: { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" },
  source:
    "open-telemetry/opentelemetry-helm-charts@a13f64d:index.yaml (gh-pages: opentelemetry-collector 0.170.0 -> appVersion 0.158.0); @opentelemetry-collector-0.170.0:charts/opentelemetry-collector/Chart.yaml (no kubeVersion), .github/workflows/collector-test.yaml (kind, no version matrix); open-telemetry/opentelemetry-collector-releases@v0.158.0:distributions/otelcol-contrib/.goreleaser.yaml (otel/opentelemetry-collector-contrib:<version>)",
};

/**
 * kube-state-metrics: one release per minor, the one whose client-go is that minor (its README's
 * compatibility matrix), at the newest chart that ships it (the chart's tags, chart-releaser's
 * `kube-state-metrics-<version>`); the image is the chart's own default (v + appVersion).
 */
const KSM_REPO = "https://prometheus-community.github.io/helm-charts";
const KSM_IMAGE = "registry.k8s.io/kube-state-metrics/kube-state-metrics";
function kubeStateMetrics(version: string, appVersion: string, matrix: string): ChartPin {
  return {
    chart: "kube-state-metrics",
    repo: KSM_REPO,
    version,
    image: { repository: KSM_IMAGE, tag: `v${appVersion}` },
    source: `prometheus-community/helm-charts@kube-state-metrics-${version}:charts/kube-state-metrics/Chart.yaml (appVersion ${appVersion}); kubernetes/kube-state-metrics@${matrix}:README.md "Compatibility matrix" (v${appVersion}: client-go of this minor)`,
  };
}

/** cluster-autoscaler: the image minor must equal the cluster minor (autoscaler README "Releases"). */
function clusterAutoscaler(version: string, tag: string, source: string): ChartPin {
  return {
    chart: "cluster-autoscaler",
    repo: AUTOSCALER_REPO,
    version,
    image: { repository: AUTOSCALER_IMAGE, tag },
    source,
  };
}

function calico(version: string, operatorTag: string, source: string): ChartPin {
  return {
    chart: "tigera-operator",
    repo: CALICO_REPO,
    version,
    image: { repository: CALICO_IMAGE, tag: operatorTag },
    source,
  };
}

function keda(version: string, tag: string, source: string): ChartPin {
  return {
    chart: "keda",
    repo: KEDA_REPO,
    version,
    image: { repository: KEDA_IMAGE, tag },
    source,
  };
}

function metricsServer(version: string, tag: string, source: string): ChartPin {
  const image = { repository: METRICS_SERVER_IMAGE, tag };
  return { chart: "metrics-server", repo: METRICS_SERVER_REPO, version, image, source };
}

// Calico 3.30 is tested on 1.31-1.35 and 3.31 on 1.32-1.35 (tigera/docs@f2a2762; 1.35 added to both
// in f81996f, 2026-01-27); 3.32 (1.34-1.36) ships no CRDs in its chart, so it is not used yet. The
// newest patch of each line; the operator tag is the one the chart bundles (never overridden).
const CALICO_3_30 = calico(
  "v3.30.7",
  "v1.38.13",
  "tigera/docs@f2a2762:calico_versioned_docs/version-3.30/_includes/partials/_system-requirements.mdx (tested 1.31-1.35); operator tag: projectcalico/calico@v3.30.7:charts/tigera-operator/values.yaml tigeraOperator.version",
);
const CALICO_3_31 = calico(
  "v3.31.7",
  "v1.40.15",
  "tigera/docs@f2a2762:calico_versioned_docs/version-3.31/_includes/partials/_system-requirements.mdx (tested 1.32-1.35); operator tag: projectcalico/calico@v3.31.7:charts/tigera-operator/values.yaml tigeraOperator.version",
);

// aws-for-fluent-bit is Kubernetes-agnostic: its Chart.yaml declares no kubeVersion, so one pin
// serves every minor. 0.2.0 is the newest chart in the eks-charts Helm index (0.2.1 exists only in
// open pull requests); the image is the tag that chart ships, not a newer one.
const FLUENT_BIT: ChartPin = {
  chart: "aws-for-fluent-bit",
  repo: EKS_CHARTS_REPO,
  version: "0.2.0",
  image: { repository: "public.ecr.aws/aws-observability/aws-for-fluent-bit", tag: "3.2.1" },
  source:
    "aws/eks-charts@c7f9ea5:index.yaml (gh-pages; newest 0.2.0) + aws/eks-charts@2942cdc:stable/aws-for-fluent-bit/Chart.yaml (appVersion 3.2.1, no kubeVersion) and values.yaml image.tag 3.2.1",
};

// App Mesh was discontinued on 2026-09-30 (new customers refused since 2024-09-24); 1.13.3 is the
// last chart in the eks-charts index. The controller is kept only because the spec asks for it.
const APP_MESH: ChartPin = {
  chart: "appmesh-controller",
  repo: EKS_CHARTS_REPO,
  version: "1.13.3",
  image: {
    repository: "840364872350.dkr.ecr.us-west-2.amazonaws.com/amazon/appmesh-controller",
    tag: "v1.13.3",
  },
  source:
    "aws/eks-charts@c7f9ea5:index.yaml (gh-pages; newest 1.13.3) + aws/eks-charts@f8c200d:stable/appmesh-controller/values.yaml (image repository and tag v1.13.3)",
};

const METRICS_SERVER_0_8 = metricsServer(
  "3.13.1",
  "v0.8.1",
  "kubernetes-sigs/metrics-server@master:README.md matrix (0.8.x: 1.31+, read via a mirrored copy); kubernetes-sigs/metrics-server@c6db65f:index.yaml (gh-pages: 3.13.1 -> appVersion 0.8.1)",
);

const KEDA_2_20 = keda(
  "2.20.2",
  "2.20.2",
  "kedacore/keda-docs@ff0a2df:content/docs/2.21/operate/cluster.md (2.20 tested 1.33-1.35); kedacore/charts release v2.20.2 (Chart v2.20.2 | App v2.20.2)",
);

// Karpenter: one release covers every supported minor. The compatibility matrix of 1.14.x reads
// minK8sVersion 1.26, maxK8sVersion 1.36 (aws/karpenter-provider-aws@v1.14.1:
// hack/docs/compatibilitymatrix_gen/compatibility.yaml; docs/upgrading/compatibility.md: 1.35 needs
// >= 1.9). Published as OCI charts: the release script stamps version, appVersion and the image
// (tag + digest) into the chart of the tag and pushes oci://public.ecr.aws/karpenter/{karpenter,
// karpenter-crd} (hack/release/common.sh L80-L115 at v1.14.1); the stamped files are committed by
// hack/release/stable-pr.sh as "Stable Release updates Release v1.14.1." (c88abbbad, branch
// release-v1.14.1, parent = the tag). main's "docs: update for patch release v1.14.1" (1d927085d)
// bumped the tag by hand and kept v1.14.0's digest: not the source. facts/charts/karpenter.json.
const KARPENTER_OCI = "oci://public.ecr.aws/karpenter";
const KARPENTER_SOURCE =
  "aws/karpenter-provider-aws@v1.14.1 (bde00654):charts/karpenter, stamped per hack/release/common.sh; image tag and digest: @c88abbbad (release-v1.14.1):charts/karpenter/values.yaml";
const KARPENTER: ChartPin = {
  chart: "karpenter",
  repo: KARPENTER_OCI,
  version: "1.14.1",
  image: {
    repository: "public.ecr.aws/karpenter/controller",
    tag: "1.14.1",
    digest: "sha256:445baefaaa689029cc12ac1f659b916b0b82fb14308ce536f8521fcf079116fa",
  },
  source: KARPENTER_SOURCE,
};
const KARPENTER_CRD: ChartPin = {
  chart: "karpenter-crd",
  repo: KARPENTER_OCI,
  version: "1.14.1",
  // The CRD chart runs no image; the controller's is named so every pin has the same shape.
  image: KARPENTER.image,
  source: "aws/karpenter-provider-aws@v1.14.1 (bde00654):charts/karpenter-crd (= pkg/apis/crds)",
};

// Bottlerocket for Karpenter's nodes, by alias version. Read 2026-12-03 from the Bottlerocket
// tracking issues (the git snapshot here stops at v1.26, 2024): aws-k8s-1.35 variants were added in
// v1.53.0 (bottlerocket-os/bottlerocket#4737), aws-k8s-1.30 dropped in July 2026 (#4880), aws-k8s-1.31
// is kept until EKS ends its extended support (2026-11-26; #4706 shows the practice for 1.28), and
// v1.64.0 was released on 2026-08-05 (#4895): it carries 1.31-1.36. aws-k8s-1.28 was removed in
// v1.52.0 (#4706); v1.50.0 (released 2025-11-06, #4665) is the last pin that boots 1.28 nodes.
const BOTTLEROCKET_1_64: AmiAliasPin = {
  alias: "bottlerocket@v1.64.0",
  source:
    "bottlerocket-os/bottlerocket#4895 (v1.64.0 released 2026-08-05); #4737 (1.35 variants since v1.53.0); #4880 (1.30 dropped 2026-07)",
};
const BOTTLEROCKET_1_28: AmiAliasPin = {
  alias: "bottlerocket@v1.50.0",
  source:
    "bottlerocket-os/bottlerocket#4665 (v1.50.0 released 2025-11-06); #4706 (aws-k8s-1.28 removed in v1.52.0)",
};

const KARPENTER_PINS = { karpenter: KARPENTER, karpenterCrd: KARPENTER_CRD };

// The AWS Load Balancer Controller: chart 3.5.0 ships controller v3.5.0 (from 3.0.0 the chart and
// controller versions are equal). Its docs state only a floor ("v2.5.0+ requires Kubernetes 1.22+":
// kubernetes-sigs/aws-load-balancer-controller@v3.5.0:docs/deploy/installation.md L18-22) and the
// chart declares no kubeVersion, so one pin serves every minor; the image is the chart's default.
const LOAD_BALANCER_CONTROLLER: ChartPin = {
  chart: "aws-load-balancer-controller",
  repo: EKS_CHARTS_REPO,
  version: "3.5.0",
  image: { repository: "public.ecr.aws/eks/aws-load-balancer-controller", tag: "v3.5.0" },
  source:
    "aws/eks-charts@c7f9ea5:index.yaml (gh-pages; 3.5.0 -> appVersion v3.5.0) + @5239609:stable/aws-load-balancer-controller/values.yaml L10-12 (image tag v3.5.0)",
};

const EXTERNAL_DNS: ChartPin = {
  chart: "external-dns",
  repo: "https://kubernetes-sigs.github.io/external-dns/",
  version: "1.21.1",
  image: { repository: "registry.k8s.io/external-dns/external-dns", tag: "v0.21.0" },
  source:
    "kubernetes-sigs/external-dns@a77195b:index.yaml (gh-pages; 1.21.1 -> appVersion 0.21.0, the newest); @v0.21.0:README.md L167-180 (>= 0.18 runs on Kubernetes >= 1.21)",
};

const SECRETS_STORE_REPO = "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts";
const SECRETS_STORE_IMAGE = "registry.k8s.io/csi-secrets-store/driver";

/** The driver: chart 1.6.0 asks for Kubernetes >= 1.30 (Chart.yaml kubeVersion); 1.28 keeps 1.5. */
const SECRETS_STORE_DRIVER_1_6: ChartPin = {
  chart: "secrets-store-csi-driver",
  repo: SECRETS_STORE_REPO,
  version: "1.6.0",
  image: { repository: SECRETS_STORE_IMAGE, tag: "v1.6.0" },
  source:
    "kubernetes-sigs/secrets-store-csi-driver@e355a41:charts/index.yaml (gh-pages; 1.6.0, kubeVersion >=1.30.0-0); @v1.6.0:charts/secrets-store-csi-driver/values.yaml (linux.image.tag v1.6.0)",
};
const SECRETS_STORE_DRIVER_1_5: ChartPin = {
  chart: "secrets-store-csi-driver",
  repo: SECRETS_STORE_REPO,
  version: "1.5.6",
  image: { repository: SECRETS_STORE_IMAGE, tag: "v1.5.6" },
  source:
    "kubernetes-sigs/secrets-store-csi-driver@e355a41:charts/index.yaml (gh-pages; 1.5.6, kubeVersion >=1.16.0-0, the newest before 1.6.0's >=1.30)",
};

const SECRETS_STORE_AWS: ChartPin = {
  chart: "secrets-store-csi-driver-provider-aws",
  repo: "https://aws.github.io/secrets-store-csi-driver-provider-aws",
  version: "3.1.1",
  image: {
    repository: "public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws",
    tag: "3.1.1",
  },
  source:
    "aws/secrets-store-csi-driver-provider-aws@1986b33:index.yaml (gh-pages; 3.1.1, the newest, kubeVersion >=1.17.0-0, driver ^1); @3.1.1:charts/secrets-store-csi-driver-provider-aws/values.yaml (image tag 3.1.1)",
};

const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";

/** Istio's four ambient charts at one release; images `<hub>/<component>:<version>`. */
function istio(version: string, hub: string, supportEnds: string, source: string): IstioPins {
  const chart = (name: string, component: string): ChartPin => ({
    chart: name,
    repo: ISTIO_REPO,
    version,
    image: { repository: `${hub}/${component}`, tag: version },
    source,
  });
  return {
    version,
    hub,
    // base renders no image (CRDs and the cluster-wide defaults only).
    base: chart("base", "pilot"),
    istiod: chart("istiod", "pilot"),
    cni: chart("cni", "install-cni"),
    ztunnel: chart("ztunnel", "ztunnel"),
    supportEnds,
    source,
  };
}

// One Istio per Kubernetes minor: the newest minor whose supported range holds it, at its newest
// patch in the snapshot (facts/istio.md (a)); the hub is the one release-builder stamped (b).
const ISTIO_1_30 = istio(
  "1.30.3",
  "registry.istio.io/release",
  "2026-11-30",
  "endoflife-date/endoflife.date@a70eca33:products/istio.md L53 (1.30: Kubernetes 1.32-1.36); istio/release-builder@612231b3:release/build.sh L50 (hub registry.istio.io/release); facts/istio.md",
);
const ISTIO_1_29 = istio(
  "1.29.6",
  "docker.io/istio",
  "2026-08-31",
  "endoflife-date/endoflife.date@a70eca33:products/istio.md L60 (1.29: Kubernetes 1.31-1.35); release-builder release-1.29 (hub docker.io/istio); facts/istio.md",
);
/** Out of Istio's support since 2025-06-24 (as 1.28 is out of EKS's): no supported Istio runs on 1.28. */
const ISTIO_1_24 = istio(
  "1.24.6",
  "docker.io/istio",
  "2025-06-24",
  "endoflife-date/endoflife.date@a70eca33:products/istio.md L95 (1.24: Kubernetes 1.28-1.31, EOL 2025-06-24); facts/istio.md",
);

const INGRESS_AND_SECRETS = {
  istio: ISTIO_1_30,
  externalDns: EXTERNAL_DNS,
  secretsStoreDriver: SECRETS_STORE_DRIVER_1_6,
  secretsStoreAws: SECRETS_STORE_AWS,
};

export const VERSION_PINS: { readonly [V in KubernetesVersion]: AddonPins } = {
  "1.28": {
    clusterAutoscaler: clusterAutoscaler(
      "9.34.1",
      "v1.28.7",
      "kubernetes/autoscaler@e28f9fdcb8:charts/cluster-autoscaler/Chart.yaml (appVersion 1.28.2); v1.28.7 in kubernetes/k8s.io@fe84f3f:registry.k8s.io/images/k8s-staging-autoscaling/images.yaml",
    ),
    calico: calico(
      "v3.28.5",
      "v1.34.13",
      "tigera/docs:calico_versioned_docs/version-3.28/getting-started/kubernetes/requirements.mdx (tested 1.27-1.30); projectcalico/calico@v3.28.5:charts/tigera-operator/values.yaml",
    ),
    fluentBit: FLUENT_BIT,
    metricsServer: metricsServer(
      "3.12.2",
      "v0.7.2",
      "kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.12.2:charts/metrics-server/Chart.yaml (app 0.7.2); README matrix 0.7.x: 1.27+",
    ),
    keda: keda(
      "2.14.3",
      "2.14.1",
      "kedacore/keda-docs:content/docs/2.14/operate/cluster.md (2.14 tested 1.27-1.29); kedacore/charts@cbb9bb8:docs/index.yaml (2.14.3 -> app 2.14.1, the newest 2.14 chart)",
    ),
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    secretsStoreDriver: SECRETS_STORE_DRIVER_1_5,
    istio: ISTIO_1_24,
    karpenterAmiAlias: BOTTLEROCKET_1_28,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("5.18.0", "2.11.0", "v2.15.0"),
    argoRollouts: argoRollouts(
      "2.40.7",
      "v1.8.4",
      `${ARGO_HELM_INDEX} (2.40.7 -> v1.8.4, the newest chart of 1.8); argoproj/argo-rollouts@v1.8.4:.github/workflows/testing.yaml (1.28-1.31)`,
    ),
    argocd: argocd(
      "7.9.1",
      "v2.14.11",
      `${ARGO_HELM_INDEX} (7.9.1 -> v2.14.11, the newest chart of 2.14); argoproj/argo-cd@v2.14.11:docs/operator-manual/tested-kubernetes-versions.md (1.28-1.31; 2.14 is out of support)`,
    ),
  },
  "1.31": {
    clusterAutoscaler: clusterAutoscaler(
      "9.44.0",
      "v1.31.3",
      "kubernetes/autoscaler@3fc72cf:charts/cluster-autoscaler/Chart.yaml (9.44.0, the newest chart for CA 1.31: appVersion 1.31.0); v1.31.3 in kubernetes/k8s.io@fe84f3f:.../k8s-staging-autoscaling/images.yaml",
    ),
    calico: CALICO_3_30,
    fluentBit: FLUENT_BIT,
    metricsServer: METRICS_SERVER_0_8,
    keda: keda(
      "2.18.3",
      "2.18.3",
      "kedacore/keda-docs@d266750:content/docs/2.19/operate/cluster.md (2.18 tested 1.31-1.33); kedacore/charts@v2.18.3:keda/Chart.yaml (appVersion 2.18.3)",
    ),
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    istio: ISTIO_1_29,
    karpenterAmiAlias: BOTTLEROCKET_1_64,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("5.29.0", "2.14.0", "v2.15.0"),
    argoRollouts: ARGO_ROLLOUTS_1_9,
    argocd: argocd(
      "9.3.7",
      "v3.2.6",
      `${ARGO_HELM_INDEX} (9.3.7 -> v3.2.6, the newest chart of 3.2); argoproj/argo-cd@v3.2.6:docs/operator-manual/tested-kubernetes-versions.md (1.31-1.34)`,
    ),
    kyverno: kyverno(
      "3.6.4",
      "v1.16.4",
      "kyverno/website@aa02ff15:src/content/docs/docs/installation/installation.md L48 (1.16: 1.31-1.34; 1.17 needs 1.32); kyverno/kyverno@gh-pages 58722fa49a:index.yaml (3.6.4 -> v1.16.4, the newest 1.16)",
    ),
  },
  "1.32": {
    clusterAutoscaler: clusterAutoscaler(
      "9.46.6",
      "v1.32.5",
      "kubernetes/autoscaler@13dba17:charts/cluster-autoscaler/Chart.yaml (9.46.6, the newest chart for CA 1.32: appVersion 1.32.0); v1.32.5 promoted in kubernetes/k8s.io#8815",
    ),
    calico: CALICO_3_31,
    fluentBit: FLUENT_BIT,
    metricsServer: METRICS_SERVER_0_8,
    keda: keda(
      "2.19.0",
      "2.19.0",
      "kedacore/keda-docs@d266750:content/docs/2.19/operate/cluster.md (2.19 tested 1.32-1.34); kedacore/charts@v2.19.0:keda/Chart.yaml (appVersion 2.19.0)",
    ),
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    karpenterAmiAlias: BOTTLEROCKET_1_64,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("6.1.5", "2.16.0", "v2.20.0"),
    argoRollouts: ARGO_ROLLOUTS_1_9,
    argocd: ARGOCD_3_4,
    kyverno: kyverno(
      "3.7.2",
      "v1.17.2",
      "kyverno/website@aa02ff15:src/content/docs/docs/installation/installation.md L49 (1.17: 1.32-1.35; 1.18 needs 1.33 since website@85848edb); kyverno/kyverno@gh-pages 58722fa49a:index.yaml (3.7.2 -> v1.17.2, the newest 1.17)",
    ),
  },
  "1.33": {
    clusterAutoscaler: clusterAutoscaler(
      "9.47.0",
      "v1.33.5",
      "kubernetes/autoscaler#8295 (chart 9.47.0 = CA 1.33.0; README: 1.33.x -> 9.47.0+); v1.33.5 promoted in kubernetes/k8s.io#9676",
    ),
    calico: CALICO_3_31,
    fluentBit: FLUENT_BIT,
    metricsServer: METRICS_SERVER_0_8,
    keda: KEDA_2_20,
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    karpenterAmiAlias: BOTTLEROCKET_1_64,
    kyverno: KYVERNO_1_19,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("7.0.1", "2.17.0", "v2.20.0"),
    argoRollouts: ARGO_ROLLOUTS_1_9,
    argocd: ARGOCD_3_4,
  },
  "1.34": {
    clusterAutoscaler: clusterAutoscaler(
      "9.53.0",
      "v1.34.4",
      "kubernetes/autoscaler@be36214:index.yaml (gh-pages: 9.53.0 -> appVersion 1.34.2, the newest chart for CA 1.34; 9.51.0 is CA 1.33) + @a2db9eb:cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml; v1.34.4 promoted in kubernetes/k8s.io#9676",
    ),
    calico: CALICO_3_31,
    fluentBit: FLUENT_BIT,
    metricsServer: METRICS_SERVER_0_8,
    keda: KEDA_2_20,
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    karpenterAmiAlias: BOTTLEROCKET_1_64,
    kyverno: KYVERNO_1_19,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("7.3.0", "2.18.0", "v2.20.0"),
    argoRollouts: ARGO_ROLLOUTS_1_9,
    argocd: ARGOCD_3_4,
  },
  "1.35": {
    clusterAutoscaler: clusterAutoscaler(
      "9.59.0",
      "v1.35.1",
      "kubernetes/autoscaler@be36214:index.yaml (gh-pages: 9.59.0 -> appVersion 1.35.0) + @5a0b98e:cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml; v1.35.1 promoted in kubernetes/k8s.io#9676",
    ),
    calico: CALICO_3_31,
    fluentBit: FLUENT_BIT,
    metricsServer: METRICS_SERVER_0_8,
    keda: KEDA_2_20,
    appMeshController: APP_MESH,
    ...KARPENTER_PINS,
    loadBalancerController: LOAD_BALANCER_CONTROLLER,
    ...INGRESS_AND_SECRETS,
    karpenterAmiAlias: BOTTLEROCKET_1_64,
    kyverno: KYVERNO_1_19,
    falco: FALCO,
    tracing: OTEL_COLLECTOR,
    kubeStateMetrics: kubeStateMetrics("8.3.1", "2.19.1", "v2.20.0"),
    argoRollouts: ARGO_ROLLOUTS_1_9,
    argocd: ARGOCD_3_4,
  },
};

// The EKS support calendar (every minor's end of standard and extended support) is lib/support.ts.

/** True when `v` is in SUPPORTED_KUBERNETES_VERSIONS (type guard). */
export function isSupportedKubernetesVersion(v: string): v is KubernetesVersion {
  return (SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).includes(v);
}

/** The pins for a supported version; throws an Error naming tap:kubernetesVersion, the value and the supported list otherwise. */
export function pinsFor(v: string): AddonPins {
  if (!isSupportedKubernetesVersion(v)) {
    throw new Error(
      `tap:kubernetesVersion "${v}" is not supported; use one of: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`,
    );
  }
  return VERSION_PINS[v];
}
