/**
 * What tap's Falco release renders, held against the recorded render of the chart with tap's values
 * (facts/charts/falco.json `tapRendered`, derived by tools/upstream/derive-chart-facts.ts): the
 * names the rest of tap relies on. Falcosidekick's IRSA role trusts exactly
 * `system:serviceaccount:falco:<FALCO_DEFAULTS.sidekickServiceAccount>`, so the chart must render
 * that service account, annotated with the role tap passes, and run Falcosidekick under it; Falco
 * must mount tap's rules file where falco.yaml loads rules from, and send its events to the
 * Falcosidekick Service. A chart (or subchart) change that renames any of these fails here.
 * Offline: facts only, no helm.
 */
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../lib/addons/versions";
import { FALCO_DEFAULTS, TAP_RULES_FILE } from "../../../lib/addons/falco";
import {
  ChartFactsFile,
  RenderedInventory,
  TapRelease,
  loadChartFacts,
  synthesizeReleases,
} from "../../helpers/chart-facts";

const facts = loadChartFacts("falco") as ChartFactsFile;

const getIn = (v: unknown, keys: readonly string[]): unknown =>
  keys.reduce<unknown>(
    (here, k) =>
      typeof here === "object" && here !== null ? (here as Record<string, unknown>)[k] : undefined,
    v,
  );

describe.each(SUPPORTED_KUBERNETES_VERSIONS)(
  "tap's Falco release on Kubernetes %s renders what tap relies on",
  (k8s) => {
    let release: TapRelease;
    let rendered: RenderedInventory;
    beforeAll(async () => {
      const releases = await synthesizeReleases(k8s, false, { falco: true });
      const falco = releases.filter((r) => r.chart === "falco");
      expect(falco).toHaveLength(1);
      release = falco[0];
      const vf = facts.versions[release.version];
      expect(vf?.tapRendered?.[k8s]).toBeDefined();
      rendered = (vf.tapRendered ?? {})[k8s];
    });

    it("is release falco in namespace falco at the pinned chart version", () => {
      expect({
        name: release.name,
        namespace: release.namespace,
        version: release.version,
      }).toEqual({
        name: FALCO_DEFAULTS.releaseName,
        namespace: FALCO_DEFAULTS.namespace,
        version: VERSION_PINS[k8s].falco.version,
      });
    });

    it("renders Falcosidekick's service account under the name its IRSA role trusts, annotated with that role", () => {
      const roleArn = getIn(release.values, ["falcosidekick", "config", "aws", "rolearn"]);
      expect(roleArn).toEqual(expect.stringMatching(/^arn:aws:iam::\d{12}:role\//));
      const sa = rendered.serviceAccounts.find(
        (s) => s.name === FALCO_DEFAULTS.sidekickServiceAccount,
      );
      expect(sa).toEqual({
        name: FALCO_DEFAULTS.sidekickServiceAccount,
        namespace: FALCO_DEFAULTS.namespace,
        annotations: { "eks.amazonaws.com/role-arn": roleArn },
      });
    });

    it("runs Falcosidekick under that service account, with the image tag tap pins", () => {
      const sidekick = rendered.workloads.filter(
        (w) => w.serviceAccountName === FALCO_DEFAULTS.sidekickServiceAccount,
      );
      expect(sidekick.map((w) => ({ kind: w.kind, images: w.images }))).toEqual([
        {
          kind: "Deployment",
          images: [`docker.io/falcosecurity/falcosidekick:${FALCO_DEFAULTS.sidekickImageTag}`],
        },
      ]);
    });

    it("runs Falco itself as the pinned image, nothing downloaded (no falcoctl, no driver loader)", () => {
      const pin = VERSION_PINS[k8s].falco.image;
      const ds = rendered.workloads.filter((w) => w.kind === "DaemonSet");
      expect(ds.map((w) => ({ name: w.name, images: w.images }))).toEqual([
        { name: FALCO_DEFAULTS.releaseName, images: [`${pin.repository}:${pin.tag}`] },
      ]);
    });

    it("holds tap's rules in ConfigMap falco-rules, mounted where falco.yaml loads rules from", () => {
      const cm = rendered.configMaps.find((c) => c.name === `${FALCO_DEFAULTS.releaseName}-rules`);
      expect(cm?.keys).toEqual([TAP_RULES_FILE]);
      const [ds] = rendered.workloads.filter((w) => w.kind === "DaemonSet");
      const mountedAt = ds.configMapMounts[`${FALCO_DEFAULTS.releaseName}-rules`] ?? [];
      expect(mountedAt).toHaveLength(1);
      const rulesFiles = getIn(rendered.readings, ["falco.yaml", "rules_files"]);
      expect(rulesFiles).toEqual(expect.arrayContaining([mountedAt[0]]));
    });

    it("points falco.yaml's http_output at the Falcosidekick Service, JSON with the output field", () => {
      const falcoYaml = getIn(rendered.readings, ["falco.yaml"]) as Record<string, unknown>;
      const http = falcoYaml.http_output as { enabled?: unknown; url?: unknown };
      expect(http.enabled).toBe(true);
      const url = new URL(String(http.url));
      const svc = rendered.services.find((s) => s.name === url.hostname);
      expect(svc).toBeDefined();
      expect(svc?.name).toBe(FALCO_DEFAULTS.sidekickServiceAccount);
      expect(svc?.ports).toContain(Number(url.port));
      expect({
        json_output: falcoYaml.json_output,
        json_include_output_property: falcoYaml.json_include_output_property,
        rule_matching: falcoYaml.rule_matching,
      }).toEqual({
        json_output: true,
        json_include_output_property: true,
        rule_matching: getIn(release.values, ["falco", "rule_matching"]),
      });
    });
  },
);

describe("the recorded falco facts", () => {
  const vf = facts.versions[VERSION_PINS["1.33"].falco.version];

  it("come from the tag's chart directory, its subcharts vendored at the versions helm package resolved", () => {
    expect(facts.published.source).toMatch(/^falcosecurity\/charts@[0-9a-f]{40}:index\.yaml$/);
    expect(vf.source).toMatch(/^falcosecurity\/charts@[0-9a-f]{40}:charts\/falco$/);
    expect(vf.ref).toBe(`falco-${VERSION_PINS["1.33"].falco.version}`);
    const vendored = (vf.notes ?? [])
      .map((n) => /^dependency (\S+) .* vendored into charts\/\S+ at (\S+),/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(vendored)).toEqual({
      falcosidekick: "0.12.1",
      "k8s-metacollector": "0.1.10",
      "falco-talon": "0.3.0",
    });
  });

  it("allow exactly one image the chart does not ship: Falcosidekick's tag, with its evidence", () => {
    expect(vf.allowedImageOverrides).toEqual([
      expect.objectContaining({
        path: "falcosidekick.image",
        tag: FALCO_DEFAULTS.sidekickImageTag,
        insteadOf: vf.valuesImages["falcosidekick.image"].tag,
        repository: vf.valuesImages["falcosidekick.image"].repository,
        registry: vf.valuesImages["falcosidekick.image"].registry,
        source: expect.stringMatching(
          /^falcosecurity\/falcosidekick@[0-9a-f]{40}:outputs\/aws\.go$/,
        ),
      }),
    ]);
  });
});
