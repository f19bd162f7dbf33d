import { deepMerge, deployHelmAddon } from "../../../lib/addons/helm-addon";
import { AddonContext } from "../../../lib/addons/types";
import { SeenOptions, recordingAddonContext, testAddonContext } from "../../helpers/addon-context";
import { OIDC_ISSUER, mockTap, one, policyOf } from "../../helpers/mocks";

describe("deepMerge", () => {
  it("merges nested objects, replaces scalars and arrays, and mutates neither input", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: "x" };
    const over = { a: { c: [3] }, e: true };
    expect(deepMerge(base, over)).toEqual({ a: { b: 1, c: [3] }, d: "x", e: true });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: "x" });
  });
});

/** A demo add-on exercising every step: namespace, IRSA role, locked values, release. */
const deployDemo = (ctx: AddonContext) =>
  deployHelmAddon(ctx, {
    name: "demo",
    pin: ctx.pins.metricsServer,
    namespace: "demo-system",
    createNamespace: { podSecurity: "restricted" },
    serviceAccount: {
      name: "demo-sa",
      policy: (s) => ({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "cloudwatch:GetMetricData",
            Resource: `arn:${s.partition}:x:${s.region}:${s.accountId}:y`,
          },
        ],
      }),
    },
    values: { replicas: 1, serviceAccount: { name: "user-choice", create: false } },
    lockedValues: (roleArn) => ({
      serviceAccount: {
        create: true,
        name: "demo-sa",
        annotations: { "eks.amazonaws.com/role-arn": roleArn },
      },
    }),
  });

describe("deployHelmAddon", () => {
  const run = () => mockTap(() => deployDemo(testAddonContext()));

  it("pins the chart and version from the pin table, with timeout, atomic and cleanup", async () => {
    const { resources } = await run();
    const release = one(resources, "kubernetes:helm.sh/v3:Release");
    expect(release.inputs).toMatchObject({
      chart: "metrics-server",
      version: "3.12.2",
      repositoryOpts: { repo: "https://kubernetes-sigs.github.io/metrics-server/" },
      namespace: "demo-system",
      timeout: 600,
      atomic: true,
      cleanupOnFail: true,
    });
  });

  it("re-applies locked keys over the defaults (service-account name and role annotation)", async () => {
    const { resources } = await run();
    const values = one(resources, "kubernetes:helm.sh/v3:Release").inputs.values as Record<
      string,
      unknown
    >;
    expect(values).toEqual({
      replicas: 1,
      serviceAccount: {
        create: true,
        name: "demo-sa",
        annotations: {
          "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/tap-demo-dev",
        },
      },
    });
  });

  it("creates the namespace with PSS labels and an IRSA role trusted by exactly its service account", async () => {
    const { resources } = await run();
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    expect(ns.inputs.metadata).toMatchObject({
      name: "demo-system",
      labels: { "pod-security.kubernetes.io/enforce": "restricted" },
    });
    const trust = policyOf(one(resources, "aws:iam/role:Role", "tap-demo-dev"), "assumeRolePolicy");
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:demo-system:demo-sa",
        [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
      },
    });
  });

  it("uses the explicit Kubernetes provider for the namespace and the release", async () => {
    const { resources } = await run();
    for (const type of ["kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v3:Release"]) {
      expect(one(resources, type).provider).toMatch(/tap-k8s-dev/);
    }
  });
});

describe("deployHelmAddon ordering", () => {
  it("waits for the node groups, the namespace and the IRSA role (and its policy) before the release", async () => {
    const seen: SeenOptions[] = [];
    const { value } = await mockTap(() => {
      const ctx = recordingAddonContext(seen);
      return { ctx, result: deployDemo(ctx) };
    });
    const release = seen.find((s) => s.type === "kubernetes:helm.sh/v3:Release");
    const deps = release?.dependsOn ?? [];
    const typeOf = (r: unknown) => (r as { __pulumiType?: string }).__pulumiType;
    expect(deps).toContain(value.ctx.nodeGroups[0]);
    expect(deps.map(typeOf).sort()).toEqual(
      [
        "eks:test:NodeGroupStandIn",
        "kubernetes:core/v1:Namespace",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
      ].sort(),
    );
  });
});
