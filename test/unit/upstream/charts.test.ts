/**
 * tap's Helm releases against recorded upstream facts (facts/charts/*.json, derived offline by
 * tools/upstream/derive-chart-facts.ts from the charts' own sources): for every supported
 * Kubernetes minor and every variant (App Mesh on, App Mesh off, Karpenter instead of
 * cluster-autoscaler, the AWS Load Balancer Controller, ExternalDNS, the secrets store and Istio on,
 * Kyverno on, Falco on, Argo CD on with and without SSO: TAP_VARIANTS), each release pins a
 * published chart version, sets only value paths that chart version reads, and overrides images
 * only with ones it renders (or its appVersion; a digest only with the one it ships; a tag the chart
 * does not ship only as its facts' allowedImageOverrides list it). No helm, no network. What tap's
 * Falco release renders: falco-chart.test.ts; what its Argo CD release renders: below.
 */
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../lib/addons/versions";
import { ARGOCD_DEFAULTS, argoCdRbac } from "../../../lib/addons/argocd";
import {
  ARGOCD_SSO,
  ChartFactsFile,
  ChartVersionFacts,
  ReleaseProblems,
  RenderedInventory,
  TAP_VARIANTS,
  TapRelease,
  TapVariant,
  chartAndRepo,
  checkImage,
  describeVariant,
  imageOverrides,
  kyvernoOn,
  leafPaths,
  loadChartFacts,
  releaseProblems,
  synthesizeReleases,
} from "../../helpers/chart-facts";

/**
 * Image overrides that deliberately differ from the chart's default, by `chart:values path`. Each
 * must say why; the repository is still checked against the chart's default.
 */
const INTENTIONAL_IMAGE_TAGS: Readonly<Record<string, string>> = {
  "appmesh-controller:xray.image": "the chart's X-Ray default is :latest; tap pins a release tag",
};

const matrix = SUPPORTED_KUBERNETES_VERSIONS.flatMap((k) =>
  TAP_VARIANTS.map((variant) => [k, describeVariant(variant), variant] as const),
);

/**
 * The charts a variant installs on a Kubernetes minor: Karpenter replaces cluster-autoscaler; App
 * Mesh, the AWS Load Balancer Controller and the others only when on; Kyverno only where pinned.
 */
const expectedCharts = (k8s: string, v: TapVariant): string[] =>
  [
    "aws-for-fluent-bit",
    "keda",
    "metrics-server",
    "tigera-operator",
    ...(v.karpenter ? ["karpenter", "karpenter-crd"] : ["cluster-autoscaler"]),
    ...(v.enableAppMesh ? ["appmesh-controller"] : []),
    ...(v.loadBalancerController ? ["aws-load-balancer-controller"] : []),
    ...(v.externalDns ? ["external-dns"] : []),
    ...(v.secretsStore
      ? ["secrets-store-csi-driver", "secrets-store-csi-driver-provider-aws"]
      : []),
    ...(v.istio ? ["base", "istiod", "cni", "ztunnel"] : []),
    ...(kyvernoOn(k8s, v) ? ["kyverno"] : []),
    ...(v.falco ? ["falco"] : []),
    ...(v.argocd ? ["argo-cd"] : []),
    ...(v.argoRollouts ? ["argo-rollouts"] : []),
    ...(v.tracing ? ["opentelemetry-collector"] : []),
    // Prometheus's scraper is the same collector chart.
    ...(v.prometheus ? ["kube-state-metrics", "opentelemetry-collector"] : []),
  ].sort();

const factsCache = new Map<string, ChartFactsFile | undefined>();
const factsOf = (chart: string): ChartFactsFile | undefined => {
  if (!factsCache.has(chart)) factsCache.set(chart, loadChartFacts(chart));
  return factsCache.get(chart);
};

function withoutIntentional(release: TapRelease, problems: ReleaseProblems): ReleaseProblems {
  const images = problems.images.filter((p) => {
    const key = Object.keys(INTENTIONAL_IMAGE_TAGS).find((k) => {
      const [chart, path] = k.split(":");
      return chart === release.chart && p.includes(`: image ${path}: tag `);
    });
    return key === undefined;
  });
  return { ...problems, images };
}

describe.each(matrix)("tap's Helm releases on Kubernetes %s (%s)", (k8s, label, variant) => {
  let problems: { release: TapRelease; problems: ReleaseProblems }[];
  let releases: TapRelease[];
  beforeAll(async () => {
    const { enableAppMesh, ...options } = variant;
    releases = await synthesizeReleases(k8s, enableAppMesh, options);
    const context = `Kubernetes ${k8s}, ${label}`;
    problems = releases.map((release) => ({
      release,
      problems: withoutIntentional(
        release,
        releaseProblems(release, factsOf(release.chart), context),
      ),
    }));
  });

  it("synthesizes the add-on releases (App Mesh and load balancer controllers only when enabled, Karpenter or cluster-autoscaler)", () => {
    const charts = releases.map((r) => r.chart).sort();
    expect(charts).toEqual(expectedCharts(k8s, variant));
  });

  it("names each chart as its repository does (OCI: chart name, repo oci://<registry>/<path>)", () => {
    for (const r of releases) {
      expect({ chart: r.chart, repo: r.repo }).toEqual({
        chart: expect.stringMatching(/^[a-z0-9-]+$/),
        repo: factsOf(r.chart)?.repo ?? expect.any(String),
      });
    }
  });

  it("has recorded facts for every chart@version it installs", () => {
    expect(problems.flatMap((p) => p.problems.facts)).toEqual([]);
  });

  it("pins only chart versions the chart's Helm repository publishes", () => {
    expect(problems.flatMap((p) => p.problems.published)).toEqual([]);
  });

  it("sets only value paths the pinned chart version reads", () => {
    expect(problems.flatMap((p) => p.problems.values)).toEqual([]);
  });

  it("overrides images only with ones the chart renders, or its appVersion", () => {
    expect(problems.flatMap((p) => p.problems.images)).toEqual([]);
  });
});

describe("the recorded chart facts", () => {
  const charts = [
    "argo-cd",
    "aws-for-fluent-bit",
    "appmesh-controller",
    "aws-load-balancer-controller",
    "cluster-autoscaler",
    "falco",
    "karpenter",
    "karpenter-crd",
    "keda",
    "kube-state-metrics",
    "kyverno",
    "metrics-server",
    "tigera-operator",
  ];
  /** Charts tap installs with no values at all: their facts are the CRDs they render. */
  const VALUELESS = new Set(["karpenter-crd"]);

  it.each(charts)("%s: cites its published index and a source for every version", (chart) => {
    const facts = factsOf(chart);
    expect(facts).toBeDefined();
    const f = facts as ChartFactsFile;
    expect(f.published.versions.length).toBeGreaterThan(0);
    expect(f.published.source).toMatch(/[\w-]+\/[\w.-]+@[0-9a-f]{12}/);
    for (const [version, vf] of Object.entries(f.versions)) {
      expect({ version, source: vf.source }).toEqual({
        version,
        source: expect.stringMatching(/^[\w-]+\/[\w.-]+@\S+:\S+/),
      });
      expect(vf.appVersion).not.toBe("");
      if (VALUELESS.has(chart)) expect(vf.crds.length).toBeGreaterThan(0);
      else expect(Object.keys(vf.valuesRead).length).toBeGreaterThan(0);
    }
  });

  it("karpenter, karpenter-crd: published as OCI charts whose tag's Chart.yaml is stamped at packaging", () => {
    for (const chart of ["karpenter", "karpenter-crd"]) {
      const f = factsOf(chart) as ChartFactsFile;
      expect(f.repo).toBe("oci://public.ecr.aws/karpenter");
      expect(f.published.versions.every((v) => /^\d+\.\d+\.\d+$/.test(v.version))).toBe(true);
      expect(f.published.versions.every((v) => v.appVersion === v.version)).toBe(true);
      for (const [version, vf] of Object.entries(f.versions)) {
        expect({ ref: vf.ref, appVersion: vf.appVersion }).toEqual({
          ref: `v${version}`,
          appVersion: version,
        });
        expect(vf.source).toMatch(
          new RegExp(`^aws/karpenter-provider-aws@[0-9a-f]{40}:charts/${chart}$`),
        );
      }
    }
    // The controller chart renders the image the release script stamped (tag + digest).
    const k = (factsOf("karpenter") as ChartFactsFile).versions["1.14.1"];
    expect(k.valuesImages["controller.image"]).toEqual({
      repository: "public.ecr.aws/karpenter/controller",
      tag: "1.14.1",
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(k.defaultImages.map((i) => i.ref)).toEqual([
      `public.ecr.aws/karpenter/controller:1.14.1@${k.valuesImages["controller.image"].digest}`,
    ]);
  });
});

describe("the recorded kyverno facts", () => {
  it("come from the packaged gh-pages .tgz (sha256 = index digest), which renders the policies.kyverno.io CRDs tap writes", () => {
    const f = factsOf("kyverno") as ChartFactsFile;
    expect(f.repo).toBe("https://kyverno.github.io/kyverno/");
    expect(f.published.source).toMatch(/^kyverno\/kyverno@[0-9a-f]{40}:index\.yaml$/);
    // Release candidates are published but never the newest of a line.
    expect(Object.values(f.newestPerLine ?? {}).every((v) => !v.includes("-"))).toBe(true);
    const pinned = SUPPORTED_KUBERNETES_VERSIONS.flatMap((k) => {
      const v = VERSION_PINS[k].kyverno?.version;
      return v ? [v] : [];
    });
    expect(pinned.length).toBeGreaterThan(0);
    for (const version of new Set(pinned)) {
      const vf = f.versions[version];
      expect(vf.source).toMatch(
        new RegExp(`^kyverno/kyverno@[0-9a-f]{40}:kyverno-${version.replace(/\./g, "\\.")}\\.tgz$`),
      );
      expect(vf.notes).toEqual(
        expect.arrayContaining([expect.stringMatching(/^package sha256 equals the index digest/)]),
      );
      const served = (kind: string) =>
        vf.crds.find((c) => c.group === "policies.kyverno.io" && c.kind === kind)?.versions;
      expect({
        version,
        vpol: served("ValidatingPolicy"),
        ivpol: served("ImageValidatingPolicy"),
      }).toEqual({
        version,
        vpol: expect.arrayContaining(["v1beta1"]),
        ivpol: expect.arrayContaining(["v1beta1"]),
      });
    }
  });
});

describe("the checks report what is wrong", () => {
  const vf: ChartVersionFacts = {
    source: "example/charts@0123456789ab:charts/demo",
    appVersion: "1.31.0",
    defaultImages: [
      {
        ref: "registry.example/demo:v1.31.0",
        repository: "registry.example/demo",
        tag: "v1.31.0",
      },
    ],
    tapImages: {},
    crds: [],
    valuesRead: { replicas: true, "image.repository": true, "image.tag": true, legacyKey: false },
    valuesImages: { image: { repository: "registry.example/demo", tag: "" } },
    defaultLeavesRead: ["resources"],
  };
  const facts: ChartFactsFile = {
    chart: "demo",
    repo: "https://example/charts",
    published: {
      source: "example/charts@0123456789ab:index.yaml",
      versions: [{ version: "1.0.0", appVersion: "1.31.0" }],
    },
    imageTagRule: "exact",
    versions: { "1.0.0": vf },
  };
  const release = (version: string, values: Record<string, unknown>): TapRelease => ({
    name: "demo",
    chart: "demo",
    version,
    repo: "https://example/charts",
    namespace: "default",
    values,
  });
  const ok = { replicas: 2, image: { repository: "registry.example/demo", tag: "v1.31.0" } };

  it("accepts a release that fits its facts", () => {
    expect(releaseProblems(release("1.0.0", ok), facts, "t")).toEqual({
      published: [],
      facts: [],
      values: [],
      images: [],
    });
  });

  it("reports a version the index does not publish, and one without facts", () => {
    const p = releaseProblems(release("1.0.1", ok), facts, "t");
    expect(p.published).toEqual([expect.stringContaining("1.0.1 is not published")]);
    expect(p.facts).toEqual([expect.stringContaining("no facts for demo@1.0.1")]);
    expect(releaseProblems(release("1.0.0", ok), undefined, "t").facts).toEqual([
      expect.stringContaining("no facts/charts/demo.json"),
    ]);
  });

  it("names release, chart@version, path and the re-derive command for a path not read", () => {
    const p = releaseProblems(
      release("1.0.0", { ...ok, legacyKey: "x", fake: { deep: 1 } }),
      facts,
      "t",
    );
    expect(p.values).toEqual([
      expect.stringMatching(
        /release "demo" \(demo@1\.0\.0\): value path legacyKey is NOT read.*re-derive with: .*run\.js/,
      ),
      expect.stringMatching(/value path fake\.deep was never checked.*re-derive with/),
    ]);
  });

  it("reports a values.yaml default that is not read with tap's values", () => {
    const withDefaults = { ...vf, defaultLeaves: ["resources", "addon.image.tag"] };
    const f = { ...facts, versions: { "1.0.0": withDefaults } };
    const p = releaseProblems(release("1.0.0", { ...ok, addon: { image: { tag: "x" } } }), f, "t");
    expect(p.values).toEqual([
      expect.stringContaining("addon.image.tag is a values.yaml default the chart does NOT read"),
    ]);
  });

  it("reports a path tap adds to a real chart's release that no derivation checked", async () => {
    const [release] = (await synthesizeReleases("1.33", false)).filter(
      (r) => r.chart === "metrics-server",
    );
    const fake = { ...release, values: { ...release.values, tapFakePath: { notInChart: true } } };
    const p = releaseProblems(fake, factsOf("metrics-server"), "t");
    expect(p.values).toEqual([
      expect.stringMatching(
        /release "metrics-server" \(metrics-server@[\d.]+\): value path tapFakePath\.notInChart was never checked/,
      ),
    ]);
  });

  it("accepts a path recorded as read among the chart's defaults", () => {
    const p = releaseProblems(release("1.0.0", { ...ok, resources: {} }), facts, "t");
    expect(p.values).toEqual([]);
  });

  it("reports an image repository or tag the chart does not render", () => {
    const p = releaseProblems(
      release("1.0.0", { image: { repository: "docker.io/other", tag: "v1.31.0" } }),
      facts,
      "t",
    );
    expect(p.images).toEqual([expect.stringContaining("repository docker.io/other is neither")]);
    const t = releaseProblems(
      release("1.0.0", { image: { repository: "registry.example/demo", tag: "v1.31.3" } }),
      facts,
      "t",
    );
    expect(t.images).toEqual([expect.stringContaining("tag v1.31.3 is neither")]);
  });

  it("accepts a tag of the appVersion's minor only under same-minor-as-appVersion", () => {
    const img = { path: "image", repository: "registry.example/demo", tag: "v1.31.3" };
    expect(checkImage(img, vf, "exact")).toBeDefined();
    expect(checkImage(img, vf, "same-minor-as-appVersion")).toBeUndefined();
    expect(checkImage({ ...img, tag: "v1.32.0" }, vf, "same-minor-as-appVersion")).toMatch(
      /nor of minor 1\.31/,
    );
  });

  it("reports a digest the chart does not ship, whatever the tag", () => {
    const shipped = "sha256:" + "a".repeat(64);
    const withDigest: ChartVersionFacts = {
      ...vf,
      defaultImages: [
        {
          ref: `registry.example/demo:v1.31.0@${shipped}`,
          repository: "registry.example/demo",
          tag: "v1.31.0",
          digest: shipped,
        },
      ],
      valuesImages: {
        image: { repository: "registry.example/demo", tag: "v1.31.0", digest: shipped },
      },
    };
    const img = { path: "image", repository: "registry.example/demo", tag: "v1.31.0" };
    expect(checkImage({ ...img, digest: shipped }, withDigest, "exact")).toBeUndefined();
    expect(checkImage({ ...img, digest: "sha256:" + "b".repeat(64) }, withDigest, "exact")).toMatch(
      /digest sha256:b+ is not one the chart ships for registry\.example\/demo \(sha256:a+\)/,
    );
  });

  it("accepts a tag the chart does not ship only as an allowedImageOverrides entry lists it", () => {
    const withException: ChartVersionFacts = {
      ...vf,
      valuesImages: {
        ...vf.valuesImages,
        "sub.image": { registry: "docker.io", repository: "org/sub", tag: "2.32.0" },
      },
      allowedImageOverrides: [
        {
          path: "sub.image",
          tag: "2.34.1",
          insteadOf: "2.32.0",
          registry: "docker.io",
          repository: "org/sub",
          reason: "2.32.0 loads no credentials",
          source: "org/sub@0123456789ab:outputs/aws.go",
        },
      ],
    };
    const img = { path: "sub.image", tag: "2.34.1" };
    expect(checkImage(img, withException, "exact")).toBeUndefined();
    expect(
      checkImage({ ...img, registry: "docker.io", repository: "org/sub" }, withException, "exact"),
    ).toBeUndefined();
    // Another tag, another path, another repository or registry, or a digest: still refused.
    expect(checkImage({ ...img, tag: "2.34.2" }, withException, "exact")).toMatch(
      /tag 2\.34\.2 is neither .* \(nor the recorded exception there: tag 2\.34\.1, repository docker\.io\/org\/sub\)/,
    );
    expect(checkImage({ ...img, path: "image" }, withException, "exact")).toMatch(
      /tag 2\.34\.1 is neither/,
    );
    expect(
      checkImage({ ...img, repository: "registry.example/demo" }, withException, "exact"),
    ).toMatch(/tag 2\.34\.1 is neither/);
    expect(
      checkImage(
        { ...img, registry: "registry.example", repository: "org/sub" },
        withException,
        "exact",
      ),
    ).toMatch(/registry registry\.example makes registry\.example\/org\/sub, neither/);
    expect(
      checkImage({ ...img, digest: "sha256:" + "c".repeat(64) }, withException, "exact"),
    ).toMatch(/digest sha256:c+ is not one the chart ships/);
    expect(checkImage(img, vf, "exact")).toMatch(/declares no image at sub\.image/);
  });

  it("checks a registry beside the repository: the chart's default there, or an image it renders", () => {
    const split: ChartVersionFacts = {
      ...vf,
      valuesImages: { image: { registry: "registry.example", repository: "demo", tag: "" } },
    };
    const img = { path: "image", registry: "registry.example", repository: "demo", tag: "1.31.0" };
    expect(checkImage(img, split, "exact")).toBeUndefined();
    // Facts without a recorded registry: registry/repository must be an image the chart renders.
    expect(
      checkImage(img, { ...split, valuesImages: { image: { repository: "demo" } } }, "exact"),
    ).toBeUndefined();
    expect(checkImage({ ...img, registry: "docker.io" }, split, "exact")).toMatch(
      /registry docker\.io makes docker\.io\/demo, neither the chart's default there \(registry\.example\/demo\)/,
    );
    expect(
      imageOverrides({ image: { registry: "docker.io", repository: "a/b", tag: "1" } }),
    ).toEqual([{ path: "image", registry: "docker.io", repository: "a/b", tag: "1" }]);
  });

  it("accepts a repository a chart without a default names among its distributions, at its appVersion", () => {
    // opentelemetry-collector: image.repository is "" and required; the chart lists its images.
    const required: ChartVersionFacts = {
      ...vf,
      valuesImages: { image: { repository: "", tag: "" } },
      requiredImageRepositories: [
        { path: "image", repositories: ["otel/collector-contrib"], source: "o/r@c:_helpers.tpl" },
      ],
    };
    const img = { path: "image", repository: "otel/collector-contrib", tag: vf.appVersion };
    expect(checkImage(img, required, "exact")).toBeUndefined();
    expect(checkImage({ ...img, repository: "otel/other" }, required, "exact")).toMatch(
      /repository otel\/other is neither the chart's default there \(\) nor an image it renders \(.*otel\/collector-contrib\)/,
    );
    expect(checkImage({ ...img, tag: "0.1.0" }, required, "exact")).toMatch(
      /tag 0\.1\.0 is neither/,
    );
    expect(checkImage({ ...img, path: "other.image" }, required, "exact")).toMatch(
      /declares no image at other\.image/,
    );
    expect(checkImage(img, { ...required, requiredImageRepositories: [] }, "exact")).toMatch(
      /repository otel\/collector-contrib is neither/,
    );
  });

  it("splits an OCI chart reference into chart and repository", () => {
    expect(chartAndRepo("oci://public.ecr.aws/karpenter/karpenter", "")).toEqual({
      chart: "karpenter",
      repo: "oci://public.ecr.aws/karpenter",
    });
    expect(chartAndRepo("keda", "https://kedacore.github.io/charts")).toEqual({
      chart: "keda",
      repo: "https://kedacore.github.io/charts",
    });
  });

  it("finds image overrides, including tigera-operator's registry/image/version split", () => {
    expect(
      imageOverrides({
        tigeraOperator: { registry: "quay.io", image: "tigera/operator", version: "v1.38.6" },
        image: { keda: { tag: "2.20.2" } },
      }),
    ).toEqual([
      { path: "tigeraOperator", repository: "quay.io/tigera/operator", tag: "v1.38.6" },
      { path: "image.keda", repository: undefined, tag: "2.20.2" },
    ]);
  });

  it("spells leaf paths with dotted keys bracket-quoted, arrays as leaves", () => {
    expect(
      leafPaths({
        nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
        tolerations: [{ operator: "Exists" }],
        empty: {},
      }).map((l) => l.path),
    ).toEqual(['nodeSelector["eks.amazonaws.com/capacityType"]', "tolerations", "empty"]);
  });
});

/**
 * tap's Argo CD release against what its values render (argo-cd.json `tapRendered`, the variant
 * with only a repoUrl; `tapRenderedByVariant`, the one with SSO and an admin group), on every minor.
 */
describe("the recorded argo-cd facts", () => {
  const f = factsOf("argo-cd") as ChartFactsFile;
  const SSO_VARIANT = describeVariant(
    TAP_VARIANTS.find((v) => v.argocd && v.argocdSso) as TapVariant,
  );
  const pins = SUPPORTED_KUBERNETES_VERSIONS.map(
    (k) => [k, VERSION_PINS[k].argocd.version] as const,
  );
  type Readings = {
    server: { service: string; type: string; ports: { port: number; targetPort: string }[] };
    "argocd-cm": { keys: string[]; "oidc.config": string | null; url: string | null };
    "argocd-rbac-cm": Record<string, string>;
    "argocd-secret": { keys: string[] };
    "argocd-cmd-params-cm": { "redis.server": string | null };
    podSecurityRestricted: Record<string, string[]>;
  };
  const readings = (r: RenderedInventory | undefined): Readings =>
    (r?.readings ?? {}) as unknown as Readings;

  it("come from the chart's tag, with redis-ha vendored at the version Chart.lock pins (its tag's directory)", () => {
    expect(f.published.source).toMatch(/^argoproj\/argo-helm@[0-9a-f]{40}:index\.yaml$/);
    for (const [, version] of pins) {
      const vf = f.versions[version];
      expect({ version, ref: vf.ref }).toEqual({ version, ref: `argo-cd-${version}` });
      expect(vf.source).toMatch(/^argoproj\/argo-helm@[0-9a-f]{40}:charts\/argo-cd$/);
      expect(vf.notes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^dependency redis-ha .* vendored into charts\/redis-ha at the Chart\.lock version [\d.]+, from DandyDeveloper\/charts@[0-9a-f]{40}:charts\/redis-ha$/,
          ),
        ]),
      );
      // tap's redis-ha.* paths were probed against the subchart's templates.
      expect(vf.valuesRead["redis-ha.hardAntiAffinity"]).toBe(true);
    }
  });

  it.each(pins)(
    "Kubernetes %s (argo-cd %s): the API server is svc/<release>-server with port 443, Redis is the HA proxy",
    (k8s, version) => {
      const r = readings(f.versions[version].tapRendered?.[k8s]);
      expect(r.server).toEqual({
        service: `${ARGOCD_DEFAULTS.releaseName}-server`,
        type: "ClusterIP",
        ports: expect.arrayContaining([expect.objectContaining({ port: 443 })]),
      });
      expect(r["argocd-cmd-params-cm"]["redis.server"]).toBe(
        `${ARGOCD_DEFAULTS.releaseName}-redis-ha-haproxy:6379`,
      );
    },
  );

  it.each(pins)(
    "Kubernetes %s (argo-cd %s): argocd-rbac-cm carries tap's RBAC; with SSO argocd-cm the OIDC config and argocd-secret its client secret",
    (k8s, version) => {
      const vf = f.versions[version];
      const plain = readings(vf.tapRendered?.[k8s]);
      expect(plain["argocd-rbac-cm"]).toEqual(expect.objectContaining(argoCdRbac(undefined)));
      expect(plain["argocd-cm"]["oidc.config"]).toBeNull();
      expect(plain["argocd-secret"].keys).toEqual([]);
      const sso = readings(vf.tapRenderedByVariant?.[SSO_VARIANT]?.[k8s]);
      expect(sso["argocd-rbac-cm"]).toEqual(
        expect.objectContaining(argoCdRbac(ARGOCD_SSO.adminGroup)),
      );
      expect(sso["argocd-cm"]["oidc.config"]).toEqual(
        expect.stringContaining(`clientSecret: $${ARGOCD_DEFAULTS.oidcSecretKey}`),
      );
      expect(sso["argocd-cm"]["oidc.config"]).toEqual(
        expect.stringContaining(`issuer: ${ARGOCD_SSO.oidc.issuer}`),
      );
      expect(sso["argocd-secret"].keys).toEqual([ARGOCD_DEFAULTS.oidcSecretKey]);
    },
  );

  it.each(pins)(
    'Kubernetes %s (argo-cd %s): every pod template passes Pod Security "restricted" (the namespace\'s label)',
    (k8s, version) => {
      const vf = f.versions[version];
      for (const r of [vf.tapRendered?.[k8s], vf.tapRenderedByVariant?.[SSO_VARIANT]?.[k8s]]) {
        const pss = readings(r).podSecurityRestricted;
        expect(Object.keys(pss).length).toBeGreaterThan(0);
        expect(Object.entries(pss).filter(([, v]) => v.length > 0)).toEqual([]);
      }
    },
  );
});
