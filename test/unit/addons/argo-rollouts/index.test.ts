/**
 * Argo Rollouts: the controller (pinned per minor, two on on-demand nodes, a role that may only
 * read CloudWatch metrics), the canary of the catalog's payments service (a Rollout that takes its
 * Deployment over, analysed on the metric it scales on, scaled by KEDA instead of the Deployment).
 */
import {
  ANALYSIS_LIMIT_FACTOR,
  CANARY_STEPS,
  analysisTemplateSpec,
} from "../../../../lib/addons/argo-rollouts";
import { SUPPORTED_KUBERNETES_VERSIONS, pinsFor } from "../../../../lib/addons/versions";
import { DEFAULT_SERVICES } from "../../../../lib/services/catalog";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  RecordedResource,
  ofType,
  policyOf,
  synthStack,
  named,
} from "../../../helpers/mocks";

const ON = { enableAppMesh: "false", kubernetesVersion: "1.35", addons: { argoRollouts: true } };
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-argo-rollouts-dev`;
type Obj = Record<string, unknown>;

describe("Argo Rollouts' config", () => {
  it("needs a canary service that has a CloudWatch metric", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { argoRollouts: { canaryService: "ledger" } },
      }),
    ).toEqual([
      expect.stringMatching(
        /^tap:addons\.argoRollouts\.canaryService: .*cloudwatchMetric .*"ledger".*payments/,
      ),
    ]);
    expect(
      configProblems({ enableAppMesh: "false", addons: { argoRollouts: { canaryService: "No" } } }),
    ).toEqual([expect.stringMatching(/^tap:addons\.argoRollouts\.canaryService: .*"No"/)]);
  });

  it("is pinned per minor to the newest chart of a release tested on it", () => {
    expect(
      Object.fromEntries(
        SUPPORTED_KUBERNETES_VERSIONS.map((v) => [v, pinsFor(v).argoRollouts.version]),
      ),
    ).toEqual({
      "1.28": "2.40.7",
      "1.31": "2.41.0",
      "1.32": "2.41.0",
      "1.33": "2.41.0",
      "1.34": "2.41.0",
      "1.35": "2.41.0",
    });
  });
});

describe("Argo Rollouts on", () => {
  it("runs two controllers on on-demand nodes, given their region and role", async () => {
    const { resources } = await synthStack(ON);
    const r = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
      (x) => x.inputs.name === "argo-rollouts",
    );
    expect(r?.inputs).toMatchObject({
      chart: "argo-rollouts",
      version: "2.41.0",
      namespace: "argo-rollouts",
      values: {
        controller: {
          replicas: 2,
          nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
          pdb: { enabled: true, minAvailable: 1 },
          image: { registry: "quay.io", repository: "argoproj/argo-rollouts", tag: "v1.9.0" },
          extraEnv: [{ name: "AWS_REGION", value: REGION }],
        },
        serviceAccount: {
          name: "argo-rollouts",
          annotations: { "eks.amazonaws.com/role-arn": ROLE_ARN },
        },
        dashboard: { enabled: false },
      },
    });
  });

  it("may read CloudWatch metrics and nothing else, as argo-rollouts/argo-rollouts alone", async () => {
    const { resources } = await synthStack(ON);
    const policy = policyOf(named(resources, "tap-argo-rollouts-policy-dev"));
    await expect(
      simulate(policy, { action: "cloudwatch:GetMetricData", resource: "*" }),
    ).resolves.toBe("Allowed");
    for (const action of [
      "cloudwatch:PutMetricData",
      "cloudwatch:DeleteAlarms",
      "cloudwatch:GetMetricStatistics",
      "logs:GetLogEvents",
    ])
      await expect(simulate(policy, { action, resource: "*" })).resolves.toBe("ImplicitlyDenied");
    const trust = policyOf(named(resources, "tap-argo-rollouts-dev"), "assumeRolePolicy");
    const sim = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud });
    await expect(sim("system:serviceaccount:argo-rollouts:argo-rollouts")).resolves.toBe("Allowed");
    await expect(sim("system:serviceaccount:argo-rollouts:default")).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(sim("system:serviceaccount:argo-rollouts:argo-rollouts", "x")).resolves.toBe(
      "ImplicitlyDenied",
    );
  });

  it("releases payments as a canary analysed on the metric it scales on, scaled by KEDA", async () => {
    const { resources } = await synthStack(ON);
    const rollout = named(resources, "svc-payments-rollout-dev");
    expect(rollout.inputs).toMatchObject({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      metadata: { name: "payments", namespace: "payments" },
      spec: {
        workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "payments" },
        strategy: {
          canary: {
            steps: CANARY_STEPS,
            analysis: { templates: [{ templateName: "payments-canary" }], startingStep: 1 },
          },
        },
      },
    });
    const analysis = named(resources, "svc-payments-analysis-dev");
    expect(analysis.inputs.kind).toBe("AnalysisTemplate");
    const m = (analysis.inputs.spec as { metrics: Obj[] }).metrics[0];
    expect(m.successCondition).toBe(`all(result[0].Values, {# <= ${50 * ANALYSIS_LIMIT_FACTOR}})`);
    expect(m.provider).toEqual({
      cloudWatch: {
        interval: "5m",
        metricDataQueries: [
          {
            id: "m1",
            metricStat: {
              metric: {
                namespace: "TAP/Payments",
                metricName: "PendingTransactions",
                dimensions: [{ name: "Service", value: "payments" }],
              },
              period: 60,
              stat: "Average",
            },
            returnData: true,
          },
        ],
      },
    });
    const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
      (x) => x.inputs.name === "argo-rollouts",
    ) as RecordedResource;
    expect(rollout.dependencies).toEqual(
      expect.arrayContaining([
        release.urn,
        analysis.urn,
        named(resources, "svc-payments-deployment-dev").urn,
      ]),
    );
    const scaled = (svc: string) =>
      (named(resources, `svc-${svc}-scaledobject-dev`).inputs.spec as Obj).scaleTargetRef;
    expect(scaled("payments")).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: "payments",
    });
    expect(scaled("ledger")).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "ledger" });
    expect(resources.filter((r) => r.inputs.kind === "Rollout")).toHaveLength(1);
  });

  it("has no analysis to write for a service without a metric", () => {
    const ledger = DEFAULT_SERVICES.find((s) => s.name === "ledger");
    if (!ledger) throw new Error("no ledger in the default catalog");
    expect(() => analysisTemplateSpec(ledger)).toThrow(/no cloudwatchMetric/);
  });
});

describe("Argo Rollouts off", () => {
  it("leaves no trace, and every service scales its Deployment", async () => {
    const { resources } = await synthStack({ ...ON, addons: {} });
    expect(resources.filter((r) => /rollout/i.test(r.name) || /argoproj/.test(r.type))).toEqual([]);
    for (const s of ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject"))
      expect((s.inputs.spec as Obj).scaleTargetRef).toMatchObject({ kind: "Deployment" });
  });
});
