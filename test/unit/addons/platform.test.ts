/**
 * The add-ons as the whole stack registers them, at every Kubernetes minor tap supports: pinned
 * charts and images of that minor, one provider, bounded releases, least-privilege IAM, and valid
 * manifests.
 */
import { TapStack } from "../../../lib/tap-stack";
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../lib/addons/versions";
import { ofType, mockTap, one, policyOf, OIDC_ISSUER, RecordedResource } from "../../helpers/mocks";
import { kubernetesManifests, validateManifest } from "../../helpers/k8s-schema";

const RELEASE = "kubernetes:helm.sh/v3:Release";
type Values = Record<string, Record<string, unknown>>;

const synth = (kubernetesVersion: string) =>
  mockTap(
    () => new TapStack("tap", { config: { kubernetesVersion }, context: { stackName: "dev" } }),
  );

const releaseOf = (resources: readonly RecordedResource[], chart: string) =>
  ofType(resources, RELEASE).find((r) => r.inputs.chart === chart) as RecordedResource;

describe.each(SUPPORTED_KUBERNETES_VERSIONS)("the platform on Kubernetes %s", (version) => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synth(version)).resources;
  });
  const pins = VERSION_PINS[version];

  it("installs every add-on from its official repository at the chart version pinned for this minor", () => {
    const releases = ofType(resources, RELEASE).map((r) => ({
      chart: r.inputs.chart,
      version: r.inputs.version,
      repo: (r.inputs.repositoryOpts as { repo: string }).repo,
    }));
    expect(releases.sort((a, b) => String(a.chart).localeCompare(String(b.chart)))).toEqual(
      [
        pins.fluentBit,
        pins.clusterAutoscaler,
        pins.keda,
        pins.metricsServer,
        pins.calico,
        pins.appMeshController,
      ]
        .map((p) => ({ chart: p.chart, version: p.version, repo: p.repo }))
        .sort((a, b) => a.chart.localeCompare(b.chart)),
    );
  });

  it("runs cluster-autoscaler at an image of the cluster's own minor", () => {
    const values = releaseOf(resources, "cluster-autoscaler").inputs.values as Values;
    expect(values.image).toMatchObject({ repository: pins.clusterAutoscaler.image.repository });
    expect(String(values.image.tag)).toMatch(
      new RegExp(`^v${version.replace(".", "\\.")}\\.\\d+$`),
    );
  });

  it("pins every add-on's image tag to the pin table", () => {
    const tagOf = (chart: string) =>
      (releaseOf(resources, chart).inputs.values as Values).image?.tag;
    expect(tagOf("metrics-server")).toBe(pins.metricsServer.image.tag);
    expect(tagOf("aws-for-fluent-bit")).toBe(pins.fluentBit.image.tag);
    expect(tagOf("cluster-autoscaler")).toBe(pins.clusterAutoscaler.image.tag);
    const keda = (releaseOf(resources, "keda").inputs.values as Values).image as Record<
      string,
      { tag: string }
    >;
    expect(keda.keda.tag).toBe(pins.keda.image.tag);
    // The operator image is the chart's own (never overridden): the pin only records its tag.
    const calico = releaseOf(resources, "tigera-operator").inputs.values as Values;
    expect(calico.tigeraOperator).toBeUndefined();
  });

  it("bounds every release: explicit namespace, timeout, atomic and cleanup on failure, the tap provider", () => {
    for (const r of ofType(resources, RELEASE)) {
      expect(r.inputs).toMatchObject({ atomic: true, cleanupOnFail: true, createNamespace: false });
      expect(r.inputs.timeout).toBeGreaterThanOrEqual(300);
      expect(typeof r.inputs.namespace).toBe("string");
      expect(r.provider).toMatch(/::tap-k8s-dev::/);
    }
  });

  it("gives every Kubernetes object the one tap provider", () => {
    const k8s = resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(
      k8s
        .filter((r) => !/::tap-k8s-dev::/.test(r.provider ?? ""))
        .map((r) => `${r.type} ${r.name}`),
    ).toEqual([]);
  });

  it("keeps every Kubernetes manifest valid against its schema", () => {
    // Calico and App Mesh CRs have no published schema package: test/unit/upstream/crds.test.ts
    // validates them against the CRD schemas the pinned charts ship.
    const noSchema = ["projectcalico.org/v3", "operator.tigera.io/v1", "appmesh.k8s.aws/v1beta2"];
    const manifests = kubernetesManifests(resources).filter(
      (m) => !noSchema.includes(String(m.apiVersion)),
    );
    expect(manifests.length).toBeGreaterThan(5);
    for (const m of manifests) validateManifest(m);
  });
});

describe("IAM across the whole stack", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synth("1.33")).resources;
  });

  it("grants no '*' action, no service-wide wildcard, and no iam: action but the conditioned App Mesh service-linked role", () => {
    const statements = ofType(resources, "aws:iam/rolePolicy:RolePolicy").flatMap(
      (rp) => policyOf(rp).Statement,
    );
    const actionsOf = (s: (typeof statements)[number]) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[];
    expect(statements.flatMap(actionsOf).length).toBeGreaterThan(10);
    expect(statements.flatMap(actionsOf).filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
    const iam = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("iam:")));
    expect(iam).toEqual([
      expect.objectContaining({
        Action: "iam:CreateServiceLinkedRole",
        Resource:
          "arn:aws:iam::123456789012:role/aws-service-role/appmesh.amazonaws.com/AWSServiceRoleForAppMesh",
        Condition: { StringEquals: { "iam:AWSServiceName": "appmesh.amazonaws.com" } },
      }),
    ]);
  });

  it("trusts exactly one service account (sub AND aud, StringEquals) in every IRSA role", () => {
    const irsa = ofType(resources, "aws:iam/role:Role").filter((r) =>
      String(r.inputs.assumeRolePolicy).includes("AssumeRoleWithWebIdentity"),
    );
    expect(irsa.map((r) => r.name).sort()).toEqual([
      "tap-appmesh-controller-dev",
      "tap-cluster-autoscaler-dev",
      "tap-fluent-bit-dev",
      "tap-keda-dev",
      "tap-svc-gateway-dev",
      "tap-svc-ledger-dev",
      "tap-svc-payments-dev",
      "tap-vpc-cni-dev",
    ]);
    const vpcCni = irsa.find((r) => r.name === "tap-vpc-cni-dev");
    expect(
      vpcCni && policyOf(vpcCni, "assumeRolePolicy").Statement[0].Condition?.StringEquals,
    ).toEqual({
      [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
      [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:kube-system:aws-node",
    });
    for (const role of irsa) {
      const [statement] = policyOf(role, "assumeRolePolicy").Statement;
      expect(Object.keys(statement.Condition ?? {})).toEqual(["StringEquals"]);
      const cond = statement.Condition?.StringEquals ?? {};
      expect(cond[`${OIDC_ISSUER}:aud`]).toBe("sts.amazonaws.com");
      expect(String(cond[`${OIDC_ISSUER}:sub`])).toMatch(
        /^system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+$/,
      );
    }
  });

  it("keeps critical controllers on on-demand nodes", () => {
    const selector = { "eks.amazonaws.com/capacityType": "ON_DEMAND" };
    const values = (chart: string) => releaseOf(resources, chart).inputs.values as Values;
    expect(values("cluster-autoscaler").nodeSelector).toEqual(selector);
    expect(values("metrics-server").nodeSelector).toEqual(selector);
    expect(values("keda").nodeSelector).toEqual(selector);
    expect(values("tigera-operator").installation.controlPlaneNodeSelector).toEqual(selector);
    expect(one(resources, RELEASE, "fluent-bit-dev").inputs.values).toMatchObject({
      tolerations: [{ operator: "Exists" }],
    });
  });
});
