import { CalicoArgs, assertNoLockedOverride, deployCalico } from "../../../../lib/addons/calico";
import {
  CALICO_POLICY_NAMES,
  POLICY_ORDER,
  denyImdsPolicySpec,
  logDeniedPolicySpec,
} from "../../../../lib/addons/calico/policies";
import { WORKLOAD_NAMESPACE_LABEL } from "../../../../lib/addons/network-policies";
import { AddonContext } from "../../../../lib/addons/types";
import { VERSION_PINS } from "../../../../lib/addons/versions";
import {
  SeenOptions,
  recordingAddonContext,
  testAddonContext,
} from "../../../helpers/addon-context";
import { kubernetesManifests, validateManifest } from "../../../helpers/k8s-schema";
import { Inputs, RecordedResource, mockTap, one, ofType } from "../../../helpers/mocks";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const GNP = "kubernetes:projectcalico.org/v3:GlobalNetworkPolicy";

const recordingContext = (seen: SeenOptions[], version?: string): AddonContext =>
  recordingAddonContext(seen, version ? { kubernetesVersion: version } : {});

const run = (version = "1.28", args?: CalicoArgs) =>
  mockTap(() => deployCalico(testAddonContext({ kubernetesVersion: version }), args));

const valuesOf = (resources: readonly RecordedResource[]) =>
  one(resources, RELEASE).inputs.values as Inputs;

const gnpNamed = (resources: readonly RecordedResource[], name: string): Inputs => {
  const found = ofType(resources, GNP).filter(
    (r) => (r.inputs.metadata as { name?: string }).name === name,
  );
  if (found.length !== 1) throw new Error(`expected one GlobalNetworkPolicy ${name}`);
  return found[0].inputs;
};

describe("deployCalico: chart and pins", () => {
  it.each(["1.28", "1.31", "1.33", "1.35"] as const)(
    "Kubernetes %s: tigera-operator chart, repo and version from the pin table, the chart's own operator image",
    async (version) => {
      const pin = VERSION_PINS[version].calico;
      const { resources } = await run(version);
      expect(one(resources, RELEASE).inputs).toMatchObject({
        name: "calico",
        chart: "tigera-operator",
        repositoryOpts: { repo: "https://docs.tigera.io/calico/charts" },
        version: pin.version,
        namespace: "tigera-operator",
        atomic: true,
        cleanupOnFail: true,
      });
      // Never overridden: each chart's operator deploys that chart's Calico and CRDs.
      expect(valuesOf(resources).tigeraOperator).toBeUndefined();
    },
  );

  // The operator tag each chart bundles (projectcalico/calico@<chart>:charts/tigera-operator/values.yaml).
  it.each([
    ["1.28", "v3.28.5", "v1.34.13"],
    ["1.31", "v3.30.7", "v1.38.13"],
    ["1.33", "v3.31.7", "v1.40.15"],
  ])("Kubernetes %s pins chart %s, which bundles operator %s", async (version, chart, operator) => {
    const { resources } = await run(version);
    expect(one(resources, RELEASE).inputs.version).toBe(chart);
    expect(VERSION_PINS[version as "1.28"].calico.image.tag).toBe(operator);
  });

  it("every pin is >= v3.28.0, the first chart with defaultFelixConfiguration", () => {
    for (const pins of Object.values(VERSION_PINS)) {
      const [major, minor] = pins.calico.version.replace(/^v/, "").split(".").map(Number);
      expect(major * 100 + minor).toBeGreaterThanOrEqual(328);
    }
  });
});

describe("deployCalico: namespace and identity", () => {
  it("creates tigera-operator with PSS enforce=privileged (hostNetwork + hostPath operator)", async () => {
    const { resources } = await run();
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    expect(ns.inputs.metadata).toMatchObject({
      name: "tigera-operator",
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    expect(() =>
      validateManifest({ apiVersion: "v1", kind: "Namespace", ...ns.inputs }),
    ).not.toThrow();
  });

  it("creates no IAM role or policy (Calico calls no AWS API) and returns no role ARN", async () => {
    const { resources, value } = await run();
    expect(resources.filter((r) => r.type.startsWith("aws:iam/"))).toEqual([]);
    expect(value.roleArn).toBeUndefined();
    expect(value.serviceAccountName).toBe("tigera-operator");
    expect(JSON.stringify(valuesOf(resources))).not.toMatch(/role-arn/);
  });
});

describe("deployCalico: installation values", () => {
  it.each([
    ["installation.kubernetesProvider", "EKS"],
    ["installation.cni.type", "AmazonVPC"],
    ["installation.cni.ipam.type", "AmazonVPC"],
    ["installation.calicoNetwork.bgp", "Disabled"],
    ["installation.nodeMetricsPort", 9091],
    ["installation.typhaMetricsPort", 9093],
    ["installation.controlPlaneReplicas", 2],
    ["installation.controlPlaneNodeSelector", { "eks.amazonaws.com/capacityType": "ON_DEMAND" }],
    ["defaultFelixConfiguration.enabled", true],
    ["defaultFelixConfiguration.prometheusMetricsEnabled", true],
    ["defaultFelixConfiguration.prometheusMetricsPort", 9091],
    ["defaultFelixConfiguration.logPrefix", "calico-packet"],
    // tap creates the APIServer itself, to await it (below).
    ["apiServer.enabled", false],
    ["installation.flexVolumePath", "None"],
    [
      "installation.typhaDeployment.spec.template.spec.affinity.nodeAffinity",
      {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: {
              matchExpressions: [
                { key: "eks.amazonaws.com/capacityType", operator: "In", values: ["ON_DEMAND"] },
              ],
            },
          },
        ],
      },
    ],
    [
      "installation.typhaDeployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm.topologyKey",
      "topology.kubernetes.io/zone",
    ],
    [
      "nodeSelector",
      { "kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND" },
    ],
  ])("%s = %j", async (path, expected) => {
    const { resources } = await run("1.33");
    const actual = path.split(".").reduce<unknown>((v, k) => (v as Inputs)[k], valuesOf(resources));
    expect(actual).toEqual(expected);
  });

  it("args change the metrics ports (Felix port follows nodeMetricsPort) and replicas", async () => {
    const { resources } = await run("1.28", {
      nodeMetricsPort: 9191,
      typhaMetricsPort: 9193,
      controlPlaneReplicas: 3,
    });
    const v = valuesOf(resources);
    expect(v.installation).toMatchObject({
      nodeMetricsPort: 9191,
      typhaMetricsPort: 9193,
      controlPlaneReplicas: 3,
    });
    expect(v.defaultFelixConfiguration).toMatchObject({ prometheusMetricsPort: 9191 });
  });

  it("user values deep-merge over the defaults", async () => {
    const { resources } = await run("1.28", {
      values: {
        resources: { requests: { cpu: "100m" } },
        installation: { typhaMetricsPort: 9999 },
      },
    });
    const v = valuesOf(resources);
    expect(v.resources).toEqual({ requests: { cpu: "100m" } });
    expect(v.installation).toMatchObject({ typhaMetricsPort: 9999, kubernetesProvider: "EKS" });
  });

  it.each([
    [
      { installation: { cni: { type: "Calico" } } },
      /values\.installation\.cni\.type is locked to "AmazonVPC" \(got "Calico"\)/,
    ],
    [{ installation: { calicoNetwork: { bgp: "Enabled" } } }, /installation\.calicoNetwork\.bgp/],
    [{ installation: { kubernetesProvider: "" } }, /installation\.kubernetesProvider/],
    [{ apiServer: { enabled: true } }, /apiServer\.enabled is locked to false/],
  ])("rejects a locked override %j", async (values, message) => {
    await expect(run("1.28", { values })).rejects.toThrow(message);
  });

  it("accepts user values that repeat a locked value", () => {
    expect(() =>
      assertNoLockedOverride(
        { installation: { cni: { type: "AmazonVPC" } } },
        { installation: { cni: { type: "AmazonVPC" } } },
      ),
    ).not.toThrow();
  });
});

describe("deny logging GlobalNetworkPolicies", () => {
  it("IMDS: egress from workload namespaces to 169.254.169.254/32 is Logged, then Denied", () => {
    const spec = denyImdsPolicySpec();
    expect(spec).toEqual({
      order: 100,
      selector: "all()",
      namespaceSelector: `${WORKLOAD_NAMESPACE_LABEL} == "true"`,
      types: ["Egress"],
      egress: [
        { action: "Log", destination: { nets: ["169.254.169.254/32"] } },
        { action: "Deny", destination: { nets: ["169.254.169.254/32"] } },
      ],
    });
  });

  it("log-denied runs after every Kubernetes NetworkPolicy and Logs before it Denies, both ways", () => {
    const spec = logDeniedPolicySpec();
    expect(spec.order).toBeGreaterThan(POLICY_ORDER.kubernetesNetworkPolicy);
    expect(denyImdsPolicySpec().order).toBeLessThan(POLICY_ORDER.kubernetesNetworkPolicy);
    expect(spec.types).toEqual(["Ingress", "Egress"]);
    expect(spec.namespaceSelector).toBe('tap/workload == "true"');
    for (const rules of [spec.ingress, spec.egress]) {
      expect(rules?.map((r) => r.action)).toEqual(["Log", "Deny"]);
      // No match criteria: whatever reached this policy is logged and denied.
      expect(rules?.every((r) => r.destination === undefined)).toBe(true);
    }
  });

  // kubernetes-models has no schema for projectcalico.org/v3, so the manifests' structure is
  // asserted explicitly here instead of through validateManifest.
  it("registers both as projectcalico.org/v3 GlobalNetworkPolicies with the specs above", async () => {
    const { resources, value } = await run("1.33");
    expect(value.policies).toHaveLength(2);
    const imds = gnpNamed(resources, CALICO_POLICY_NAMES.denyImds);
    const logDenied = gnpNamed(resources, CALICO_POLICY_NAMES.logDenied);
    for (const gnp of [imds, logDenied]) {
      expect(gnp.apiVersion).toBe("projectcalico.org/v3");
      expect(gnp.kind).toBe("GlobalNetworkPolicy");
      expect((gnp.metadata as Inputs).namespace).toBeUndefined(); // cluster-scoped
    }
    expect(imds.spec).toEqual(denyImdsPolicySpec());
    expect(logDenied.spec).toEqual(logDeniedPolicySpec());
    expect(
      kubernetesManifests(resources)
        .map((m) => m.kind)
        .sort(),
    ).toEqual([
      "APIServer",
      "ClusterRole",
      "ClusterRoleBinding",
      "GlobalNetworkPolicy",
      "GlobalNetworkPolicy",
      "Namespace",
    ]);
  });

  it.each([
    ["1.28", undefined],
    ["1.31", { enabled: false }],
    ["1.35", { enabled: false }],
  ])("Kubernetes %s: Goldmane and Whisker (charts >= v3.30) are off: %j", async (version, off) => {
    const v = valuesOf((await run(version)).resources);
    expect(v.goldmane).toEqual(off);
    expect(v.whisker).toEqual(off);
  });

  it("keeps FlexVolume on for AL2023 nodes (only Bottlerocket's /usr is read-only)", async () => {
    const { resources } = await mockTap(() =>
      deployCalico(testAddonContext({ nodeOperatingSystem: "AL2023" })),
    );
    expect((valuesOf(resources).installation as Inputs).flexVolumePath).toBeUndefined();
  });

  it("creates the APIServer awaited until the operator reports Ready, after the release", async () => {
    const seen: SeenOptions[] = [];
    const { resources, value } = await mockTap(() => deployCalico(recordingContext(seen)));
    const apiServer = one(resources, "kubernetes:operator.tigera.io/v1:APIServer").inputs;
    expect(apiServer).toMatchObject({
      apiVersion: "operator.tigera.io/v1",
      kind: "APIServer",
      metadata: {
        name: "default",
        annotations: { "pulumi.com/waitFor": "jsonpath={.status.state}=Ready" },
      },
      spec: {},
    });
    const opts = seen.filter((s) => s.type === "kubernetes:operator.tigera.io/v1:APIServer");
    expect(opts).toHaveLength(1);
    expect(opts[0].dependsOn).toContain(value.release);
    expect(opts[0].customTimeouts).toEqual({ create: "10m", update: "10m", delete: "5m" });
  });

  it("lets aws-node patch pods (ANNOTATE_POD_IP) through its own ClusterRole and binding", async () => {
    const { resources } = await run("1.33");
    const role = one(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").inputs;
    const binding = one(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["patch"] }]);
    expect(binding.inputs).toMatchObject({
      roleRef: { kind: "ClusterRole", name: "tap-aws-node-annotate-pod-ip" },
      subjects: [{ kind: "ServiceAccount", name: "aws-node", namespace: "kube-system" }],
    });
    validateManifest(role);
    validateManifest(binding.inputs);
  });

  it("the policies depend on the Ready APIServer (not just the release), with custom timeouts and the explicit provider", async () => {
    const seen: SeenOptions[] = [];
    const { resources, value } = await mockTap(() => deployCalico(recordingContext(seen)));
    const gnps = seen.filter((s) => s.type === GNP);
    expect(gnps).toHaveLength(2);
    for (const o of gnps) {
      expect(o.dependsOn).toContain(value.apiServer);
      expect(o.customTimeouts).toEqual({ create: "10m", update: "10m", delete: "5m" });
    }
    for (const r of ofType(resources, GNP)) expect(r.provider).toMatch(/tap-k8s-dev/);
  });

  it("denyLogging: false creates no GlobalNetworkPolicy", async () => {
    const { resources, value } = await run("1.28", { denyLogging: false });
    expect(ofType(resources, GNP)).toEqual([]);
    expect(value.policies).toEqual([]);
  });
});
