import { runSimulation } from "@cloud-copilot/iam-simulate";
import {
  DEFAULT_HPA_BEHAVIOR,
  KEDA_PROBE_DEFAULTS,
  KedaArgs,
  assertSupportedKedaChart,
  deployKeda,
  kedaProbe,
} from "../../../../lib/addons/keda";
import { kedaOperatorPolicy } from "../../../../lib/addons/keda/iam";
import { ON_DEMAND_SELECTOR } from "../../../../lib/addons/types";
import { SUPPORTED_KUBERNETES_VERSIONS, VERSION_PINS } from "../../../../lib/addons/versions";
import { PolicyDocument as LibPolicyDocument } from "../../../../lib/iam/policy";
import { testAddonContext } from "../../../helpers/addon-context";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import { kubernetesManifests, validateManifest } from "../../../helpers/k8s-schema";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  RecordedResource,
  mockTap,
  ofType,
  one,
  policyOf,
  valueOf,
} from "../../../helpers/mocks";

type Obj = Record<string, unknown>;

/**
 * Identity-policy simulation on resource "*" (actions with no IAM resource type). iam-simulate
 * answers these as "wildcard" (or "single") simulations; the shared `simulate` accepts only single.
 */
async function simulateUnscoped(policy: LibPolicyDocument, action: string): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/tap-test`,
        action,
        resource: { resource: "*", accountId: ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [{ name: "under-test", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  if (result.resultType === "single" && (result.result.ignoredContextKeys ?? []).length > 0) {
    throw new Error(`simulator ignored context keys: ${result.result.ignoredContextKeys}`);
  }
  return result.overallResult;
}
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CTA = "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication";
const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-keda-dev`;

const run = (kubernetesVersion = "1.28", args?: KedaArgs) =>
  mockTap(() => {
    const ctx = testAddonContext({ kubernetesVersion });
    const keda = deployKeda(ctx, args);
    return { keda, probe: kedaProbe(ctx, keda) };
  });

const valuesOf = (resources: readonly RecordedResource[]): Obj =>
  one(resources, RELEASE).inputs.values as Obj;
const namespaceNamed = (resources: readonly RecordedResource[], name: string): Obj =>
  ofType(resources, NAMESPACE).find((r) => (r.inputs.metadata as Obj).name === name)?.inputs as Obj;

describe("deployKeda: chart and pins", () => {
  describe.each([
    ["1.28", "2.14.3", "2.14.1"],
    ["1.33", "2.20.2", "2.20.2"],
  ] as const)("on Kubernetes %s", (minor, chartVersion, appVersion) => {
    it(`installs chart keda ${chartVersion} with all three images at ${appVersion}, CRDs included`, async () => {
      const { resources } = await run(minor);
      const pin = VERSION_PINS[minor].keda;
      expect([pin.version, pin.image.tag]).toEqual([chartVersion, appVersion]);
      expect(one(resources, RELEASE).inputs).toMatchObject({
        name: "keda",
        chart: "keda",
        version: chartVersion,
        repositoryOpts: { repo: "https://kedacore.github.io/charts" },
        namespace: "keda",
      });
      const values = valuesOf(resources);
      expect(values.image).toEqual({
        keda: { tag: appVersion },
        metricsApiServer: { tag: appVersion },
        webhooks: { tag: appVersion },
      });
      expect(values.crds).toEqual({ install: true });
    });
  });

  it.each(SUPPORTED_KUBERNETES_VERSIONS)(
    "the keda pin for %s has serviceAccount.operator.* (chart >= 2.14)",
    (minor) => {
      expect(() => assertSupportedKedaChart(VERSION_PINS[minor].keda.version)).not.toThrow();
    },
  );

  it.each(["2.13.2", "v2.12.0", "1.5.0", "latest"])(
    "rejects chart %s, whose service-account keys tap cannot lock",
    (version) => {
      expect(() => assertSupportedKedaChart(version)).toThrow(
        `keda chart "${version}" is not supported: tap locks serviceAccount.operator.*`,
      );
    },
  );

  it("refuses to deploy a pre-2.14 chart before creating anything", async () => {
    const { resources, value } = await mockTap(() => {
      const ctx = testAddonContext();
      const old = { ...ctx, pins: { ...ctx.pins, keda: { ...ctx.pins.keda, version: "2.13.2" } } };
      try {
        deployKeda(old);
        return "deployed";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(value).toMatch(/^keda chart "2\.13\.2" is not supported/);
    expect(ofType(resources, RELEASE)).toEqual([]);
    expect(resources.filter((r) => r.type.startsWith("aws:iam/"))).toEqual([]);
  });
});

describe("deployKeda: values", () => {
  it("locks the operator service account, its IRSA role ARN and audience, the cluster and region", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.serviceAccount).toEqual({ operator: { create: true, name: "keda-operator" } });
    expect(values.podIdentity).toEqual({
      aws: { irsa: { enabled: true, roleArn: ROLE_ARN, audience: "sts.amazonaws.com" } },
    });
    expect(values.clusterName).toBe("tap-eks-dev");
    expect(values.env).toEqual([{ name: "AWS_REGION", value: REGION }]);
  });

  it("re-applies the locked keys over user values that try to change them", async () => {
    const values = valuesOf(
      (
        await run("1.28", {
          values: {
            serviceAccount: { operator: { name: "other", create: false } },
            podIdentity: { aws: { irsa: { enabled: false, roleArn: "arn:aws:iam::1:role/x" } } },
            logging: { operator: { level: "debug" } },
          },
        })
      ).resources,
    );
    expect(values.serviceAccount).toEqual({ operator: { create: true, name: "keda-operator" } });
    expect(values.podIdentity).toEqual({
      aws: { irsa: { enabled: true, roleArn: ROLE_ARN, audience: "sts.amazonaws.com" } },
    });
    expect(values.logging).toEqual({ operator: { level: "debug" } });
  });

  it("runs 2 replicas of each component on on-demand nodes, each with a maxUnavailable-1 PDB", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.operator).toMatchObject({ replicaCount: 2 });
    expect(values.metricsServer).toEqual({ replicaCount: 2 });
    expect(values.webhooks).toEqual({ enabled: true, replicaCount: 2 });
    expect(values.podDisruptionBudget).toEqual({
      operator: { maxUnavailable: 1 },
      metricServer: { maxUnavailable: 1 },
      webhooks: { maxUnavailable: 1 },
    });
    expect(values.nodeSelector).toEqual(ON_DEMAND_SELECTOR);
    const spread = values.topologySpreadConstraints as Record<string, { labelSelector: Obj }[]>;
    expect(Object.keys(spread).sort()).toEqual(["metricsServer", "operator", "webhooks"]);
    expect(spread.metricsServer[0].labelSelector).toEqual({
      matchLabels: { app: "keda-operator-metrics-apiserver" },
    });
  });

  it("pins restricted-PSS security contexts for every component in a restricted namespace", async () => {
    const { resources } = await run();
    const values = valuesOf(resources);
    const container = {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
    const pod = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
    expect(values.securityContext).toEqual({
      operator: container,
      metricServer: container,
      webhooks: container,
    });
    expect(values.podSecurityContext).toEqual({ operator: pod, metricServer: pod, webhooks: pod });
    const labels = (namespaceNamed(resources, "keda").metadata as Obj).labels as Obj;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("deployKeda: IAM", () => {
  it("trusts exactly system:serviceaccount:keda:keda-operator with audience sts.amazonaws.com", async () => {
    const { resources } = await run();
    const trust = policyOf(one(resources, "aws:iam/role:Role", "tap-keda-dev"), "assumeRolePolicy");
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Federated: OIDC_PROVIDER_ARN },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:keda:keda-operator",
          [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
        },
      },
    });
  });

  it.each([
    ["system:serviceaccount:keda:keda-operator", "sts.amazonaws.com", "Allowed"],
    ["system:serviceaccount:keda:keda-metrics-server", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["system:serviceaccount:default:keda-operator", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["system:serviceaccount:keda:keda-operator", "other-audience", "ImplicitlyDenied"],
  ])("web identity sub=%s aud=%s -> %s", async (sub, aud, expected) => {
    const { resources } = await run();
    const role = one(resources, "aws:iam/role:Role", "tap-keda-dev");
    const trust = policyOf(role, "assumeRolePolicy") as LibPolicyDocument;
    await expect(
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud }),
    ).resolves.toBe(expected);
  });

  it("attaches exactly one statement: cloudwatch:GetMetricData on * (no wildcard action, no iam:)", async () => {
    const { resources } = await run();
    const attached = policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy"));
    expect(attached).toEqual(
      kedaOperatorPolicy({ partition: "aws", region: REGION, accountId: ACCOUNT }),
    );
    expect(attached.Statement).toEqual([
      {
        Sid: "ReadCloudWatchMetricsForScaling",
        Effect: "Allow",
        Action: "cloudwatch:GetMetricData",
        Resource: "*",
      },
    ]);
    const actions = attached.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.includes("*") || a.startsWith("iam:"))).toEqual([]);
  });

  // These CloudWatch actions have no IAM resource type: the request resource can only be "*".
  it.each([
    ["cloudwatch:GetMetricData", "Allowed"],
    ["cloudwatch:PutMetricData", "ImplicitlyDenied"],
    ["cloudwatch:GetMetricStatistics", "ImplicitlyDenied"],
    ["cloudwatch:ListMetrics", "ImplicitlyDenied"],
  ])("the operator policy: %s on * -> %s", async (action, expected) => {
    const policy = kedaOperatorPolicy({ partition: "aws", region: REGION, accountId: ACCOUNT });
    await expect(simulateUnscoped(policy, action)).resolves.toBe(expected);
  });

  const alarm = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:tap-alarm`;
  it.each([
    ["cloudwatch:DeleteAlarms", alarm, "ImplicitlyDenied"],
    ["cloudwatch:PutMetricAlarm", alarm, "ImplicitlyDenied"],
    ["sqs:ReceiveMessage", `arn:aws:sqs:${REGION}:${ACCOUNT}:q`, "ImplicitlyDenied"],
    ["iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/any`, "ImplicitlyDenied"],
  ])("the operator policy: %s on %s -> %s", async (action, resource, expected) => {
    const policy = kedaOperatorPolicy({ partition: "aws", region: REGION, accountId: ACCOUNT });
    await expect(simulate(policy, { action, resource })).resolves.toBe(expected);
  });
});

describe("ClusterTriggerAuthentication", () => {
  it("is cluster-wide `tap-aws` with podIdentity provider aws, valid against the KEDA schema", async () => {
    const { resources, value } = await run();
    const cta = one(resources, CTA);
    expect(cta.provider).toMatch(/tap-k8s-dev/);
    expect(cta.inputs).toMatchObject({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ClusterTriggerAuthentication",
      metadata: { name: "tap-aws" },
    });
    expect(cta.inputs.metadata).not.toHaveProperty("namespace");
    expect(cta.inputs.spec).toEqual({ podIdentity: { provider: "aws" } });
    expect(() => validateManifest(cta.inputs)).not.toThrow();
    expect(value.keda.clusterTriggerAuthenticationName).toBe("tap-aws");
    await expect(valueOf(value.keda.roleArn)).resolves.toBe(ROLE_ARN);
  });
});

describe("kedaProbe", () => {
  const scaledObjectOf = (resources: readonly RecordedResource[]) =>
    one(resources, SCALED_OBJECT).inputs as {
      spec: {
        scaleTargetRef: Obj;
        minReplicaCount: number;
        maxReplicaCount: number;
        advanced: { horizontalPodAutoscalerConfig: { behavior: unknown } };
        triggers: { type: string; metricType?: string; authenticationRef?: Obj; metadata: Obj }[];
      };
    };

  it("creates the tap-probe namespace at PSS restricted", async () => {
    const ns = namespaceNamed((await run()).resources, "tap-probe");
    expect((ns.metadata as Obj).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });

  it("puts the probe namespace under the workload baseline: default-deny plus DNS only", async () => {
    const policies = (await run()).resources
      .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((r) => r.inputs as { metadata: { name: string; namespace: string } });
    expect(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "tap-probe/allow-dns",
      "tap-probe/default-deny-all",
    ]);
  });

  it("runs a hardened, pinned, resource-bounded probe Deployment that leaves replicas to the HPA", async () => {
    const { resources } = await run();
    const dep = one(resources, DEPLOYMENT).inputs as {
      metadata: Obj;
      spec: { replicas?: number; template: { spec: Obj & { containers: Obj[] } } };
    };
    expect(dep.metadata).toMatchObject({ name: "keda-probe", namespace: "tap-probe" });
    expect(dep.spec.replicas).toBeUndefined();
    const pod = dep.spec.template.spec;
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 101,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({
      image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
      resources: {
        requests: { cpu: "10m", memory: "16Mi" },
        limits: { cpu: "100m", memory: "64Mi" },
      },
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    });
    expect(pod.containers[0].image).toMatch(/:[0-9][^:]*$/); // a tag, never :latest or none
  });

  it("scales the probe 1..3 on CPU 70 % and a CloudWatch metric through the cluster trigger auth", async () => {
    const { resources } = await run();
    const so = scaledObjectOf(resources);
    expect(so.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "keda-probe",
    });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([1, 3]);
    expect(so.spec.triggers).toEqual([
      { type: "cpu", metricType: "Utilization", metadata: { value: "70" } },
      {
        type: "aws-cloudwatch",
        authenticationRef: { name: "tap-aws", kind: "ClusterTriggerAuthentication" },
        metadata: {
          awsRegion: REGION,
          namespace: KEDA_PROBE_DEFAULTS.metricNamespace,
          metricName: "ProbeLoad",
          dimensionName: "Environment",
          dimensionValue: "dev",
          targetMetricValue: "100",
          minMetricValue: "0",
          metricStat: "Average",
          metricStatPeriod: "60",
        },
      },
    ]);
  });

  it("gives every trigger string-only metadata (KEDA types it map[string]string)", async () => {
    const so = scaledObjectOf((await run()).resources);
    const values = so.spec.triggers.flatMap((t) => Object.values(t.metadata));
    expect(values.length).toBeGreaterThan(9);
    expect(values.filter((v) => typeof v !== "string")).toEqual([]);
  });

  it("uses DEFAULT_HPA_BEHAVIOR: up 100 %/15 s or 4 pods/15 s (max), down 10 %/60 s after 300 s", async () => {
    const so = scaledObjectOf((await run()).resources);
    const expected = {
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
    expect(DEFAULT_HPA_BEHAVIOR).toEqual(expected);
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual(expected);
  });

  it.each(["1.28", "1.33"])(
    "every Kubernetes object created on %s validates against its schema",
    async (minor) => {
      const manifests = kubernetesManifests((await run(minor)).resources);
      const kinds = manifests.map((m) => String(m.kind)).sort();
      expect(kinds).toEqual([
        "ClusterTriggerAuthentication",
        "Deployment",
        "Namespace",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "ScaledObject",
      ]);
      for (const m of manifests) expect(() => validateManifest(m)).not.toThrow();
    },
  );

  it("the schema check is real: a numeric trigger value or a string replica count is rejected", async () => {
    const so = one((await run()).resources, SCALED_OBJECT).inputs as Obj & { spec: Obj };
    const bad = {
      ...so,
      spec: {
        ...so.spec,
        minReplicaCount: "1",
        triggers: [{ type: "cpu", metricType: "Utilization", metadata: { value: 70 } }],
      },
    };
    expect(() => validateManifest(bad)).toThrow(/minReplicaCount must be integer/);
    expect(() => validateManifest(bad)).toThrow(/metadata\/value must be string/);
  });
});
