import {
  METRICS_SERVER_DEFAULTS,
  MetricsServerArgs,
  deployMetricsServer,
} from "../../../../lib/addons/metrics-server";
import { ON_DEMAND_SELECTOR } from "../../../../lib/addons/types";
import { VERSION_PINS } from "../../../../lib/addons/versions";
import { testAddonContext } from "../../../helpers/addon-context";
import { RecordedResource, mockTap, ofType, one } from "../../../helpers/mocks";

const RELEASE = "kubernetes:helm.sh/v3:Release";

const run = (kubernetesVersion = "1.28", args?: MetricsServerArgs) =>
  mockTap(() => deployMetricsServer(testAddonContext({ kubernetesVersion }), args));

type Values = Record<string, unknown>;
const valuesOf = (resources: readonly RecordedResource[]): Values =>
  one(resources, RELEASE).inputs.values as Values;

describe("deployMetricsServer", () => {
  describe.each([
    ["1.28", "3.12.2", "v0.7.2"],
    ["1.33", "3.13.1", "v0.8.1"],
  ] as const)("on Kubernetes %s", (minor, chartVersion, imageTag) => {
    it(`installs chart metrics-server ${chartVersion} with image ${imageTag} from the pin table`, async () => {
      const { resources } = await run(minor);
      const pin = VERSION_PINS[minor].metricsServer;
      expect([pin.version, pin.image.tag]).toEqual([chartVersion, imageTag]);
      expect(one(resources, RELEASE).inputs).toMatchObject({
        name: "metrics-server",
        chart: "metrics-server",
        version: chartVersion,
        repositoryOpts: { repo: "https://kubernetes-sigs.github.io/metrics-server/" },
        namespace: "kube-system",
        createNamespace: false,
      });
      expect(valuesOf(resources).image).toEqual({
        repository: "registry.k8s.io/metrics-server/metrics-server",
        tag: imageTag,
      });
    });
  });

  it("runs 2 replicas on on-demand nodes with a PDB that allows one pod down (never blocks a drain)", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.replicas).toBe(2);
    expect(values.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(values.nodeSelector).toEqual(ON_DEMAND_SELECTOR);
    expect(values.priorityClassName).toBe("system-cluster-critical");
    expect(values.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: {
          matchLabels: {
            "app.kubernetes.io/name": "metrics-server",
            "app.kubernetes.io/instance": "metrics-server",
          },
        },
      },
    ]);
  });

  it("sets requests and a memory limit, and a hardened container securityContext (the chart's key)", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.resources).toEqual({
      requests: { cpu: "100m", memory: "200Mi" },
      limits: { memory: "400Mi" },
    });
    expect(values.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
      capabilities: { drop: ["ALL"] },
    });
    expect(values).not.toHaveProperty("containerSecurityContext");
    expect(values).not.toHaveProperty("replicaCount");
  });

  it("creates no IAM role or policy and no namespace (it calls no AWS API; kube-system exists)", async () => {
    const { resources, value } = await run();
    expect(resources.filter((r) => r.type.startsWith("aws:iam/"))).toEqual([]);
    expect(ofType(resources, "kubernetes:core/v1:Namespace")).toEqual([]);
    expect(value.roleArn).toBeUndefined();
    expect(value).toMatchObject({ namespace: "kube-system", serviceAccountName: "metrics-server" });
  });

  it("keeps the service-account keys locked when extra values try to change them", async () => {
    const { resources } = await run("1.28", {
      replicas: 3,
      values: { serviceAccount: { create: false, name: "hijack" }, args: ["--v=2"] },
    });
    const values = valuesOf(resources);
    expect(values.serviceAccount).toEqual({
      create: true,
      name: METRICS_SERVER_DEFAULTS.serviceAccountName,
    });
    expect(values.replicas).toBe(3);
    expect(values.args).toEqual(["--v=2"]);
    expect(values.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
  });
});
