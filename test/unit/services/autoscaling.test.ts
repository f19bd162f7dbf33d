import { DEFAULT_SERVICES } from "../../../lib/services/catalog";
import { REGION } from "../../helpers/mocks";
import { FAN_OUT_CATALOG, Obj, TYPES, object, run } from "./fixtures";

type Trigger = { type: string; metricType?: string; authenticationRef?: Obj; metadata: Obj };
type ScaledObjectSpec = {
  scaleTargetRef: Obj;
  minReplicaCount: number;
  maxReplicaCount: number;
  advanced: { horizontalPodAutoscalerConfig: { behavior: unknown } };
  triggers: Trigger[];
};

const EXPECTED_BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    policies: [
      { type: "Percent", value: 100, periodSeconds: 15 },
      { type: "Pods", value: 4, periodSeconds: 15 },
    ],
    selectPolicy: "Max",
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
  },
};

const scaledObject = async (services = DEFAULT_SERVICES, name: string) =>
  object((await run(services)).resources, TYPES.scaledObject, name)
    .spec as unknown as ScaledObjectSpec;

describe("ScaledObjects", () => {
  it.each([
    ["gateway", 3, 20],
    ["payments", 2, 10],
    ["ledger", 2, 6],
  ])(
    "%s: targets its Deployment, %d..%d replicas, bounded HPA behaviour",
    async (name, min, max) => {
      const { resources } = await run();
      const so = object(resources, TYPES.scaledObject, name);
      expect(so.apiVersion).toBe("keda.sh/v1alpha1");
      const spec = so.spec as unknown as ScaledObjectSpec;
      expect(spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name });
      expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([min, max]);
      expect(spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual(EXPECTED_BEHAVIOR);
      expect(spec.triggers[0]).toEqual({
        type: "cpu",
        metricType: "Utilization",
        metadata: { value: "70" },
      });
    },
  );

  it("gateway and ledger scale on CPU only", async () => {
    for (const name of ["gateway", "ledger"]) {
      expect((await scaledObject(DEFAULT_SERVICES, name)).triggers).toHaveLength(1);
    }
  });

  it("payments also scales on its CloudWatch metric through the cluster trigger auth", async () => {
    const spec = await scaledObject(DEFAULT_SERVICES, "payments");
    expect(spec.triggers[1]).toEqual({
      type: "aws-cloudwatch",
      authenticationRef: { name: "tap-aws", kind: "ClusterTriggerAuthentication" },
      metadata: {
        awsRegion: REGION,
        namespace: "TAP/Payments",
        metricName: "PendingTransactions",
        dimensionName: "Service",
        dimensionValue: "payments",
        targetMetricValue: "50",
        minMetricValue: "0",
        metricStat: "Average",
        metricStatPeriod: "60",
      },
    });
  });

  it("a user metric: ;-joined dimensions, its statistic, its CPU target; every value a string", async () => {
    const spec = await scaledObject(FAN_OUT_CATALOG, "orders");
    expect(spec.triggers[0].metadata).toEqual({ value: "60" });
    expect(spec.triggers[1].metadata).toMatchObject({
      namespace: "TAP/Orders",
      metricName: "Backlog",
      dimensionName: "Queue;Tier",
      dimensionValue: "orders;gold",
      targetMetricValue: "25",
      metricStat: "Maximum",
    });
    const values = spec.triggers.flatMap((t) => Object.values(t.metadata));
    expect(values).toHaveLength(10);
    expect(values.filter((v) => typeof v !== "string")).toEqual([]);
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([2, 10]);
  });

  it("every ScaledObject's trigger metadata is strings only (KEDA types it map[string]string)", async () => {
    const { resources } = await run(FAN_OUT_CATALOG);
    for (const s of FAN_OUT_CATALOG) {
      const spec = object(resources, TYPES.scaledObject, s.name)
        .spec as unknown as ScaledObjectSpec;
      const values = spec.triggers.flatMap((t) => Object.values(t.metadata));
      expect(values.filter((v) => typeof v !== "string")).toEqual([]);
    }
  });
});
