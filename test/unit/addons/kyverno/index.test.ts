/**
 * Kyverno's release and objects: pinned per minor (none for 1.28, which the config refuses), HA on
 * on-demand nodes with disruption budgets, webhooks that never see the system namespaces; the
 * policies after the release and the catalog after the policies; image signatures verified only
 * with a configured key, kept a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { SYSTEM_NAMESPACES, kyvernoValues } from "../../../../lib/addons/kyverno";
import { pinsFor } from "../../../../lib/addons/versions";
import { configProblems } from "../../../helpers/config";
import { ACCOUNT, REGION, RecordedResource, ofType, synthStack } from "../../../helpers/mocks";

const ON = { enableAppMesh: "false", kubernetesVersion: "1.35", addons: { kyverno: true } };
const PEM =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEabc123DEF456ghi789JKL==\n-----END PUBLIC KEY-----\n";
const release = (resources: readonly RecordedResource[]) =>
  ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kyverno");

describe("Kyverno's config", () => {
  it("is refused on 1.28, where no Kyverno serves ValidatingPolicy", () => {
    expect(pinsFor("1.28").kyverno).toBeUndefined();
    expect(
      configProblems({
        kubernetesVersion: "1.28",
        enableAppMesh: "false",
        addons: { kyverno: true },
      }),
    ).toEqual([expect.stringMatching(/^tap:addons\.kyverno: .*Kubernetes 1\.31 or newer/)]);
    for (const v of ["1.31", "1.32", "1.33", "1.34", "1.35"] as const)
      expect(pinsFor(v).kyverno?.chart).toBe("kyverno");
  });

  it("reports a key that is not a PEM public key, and registries without a key", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        kubernetesVersion: "1.35",
        addons: { kyverno: { cosignPublicKey: "ssh-ed25519 AAAA", imageRegistries: ["bad glob"] } },
      }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.kyverno\.cosignPublicKey: .*PEM public key/),
      expect.stringMatching(/^tap:addons\.kyverno\.imageRegistries: .*globs/),
    ]);
    expect(
      configProblems({
        enableAppMesh: "false",
        kubernetesVersion: "1.35",
        addons: { kyverno: { imageRegistries: ["ghcr.io/acme/*"] } },
      }),
    ).toEqual([
      expect.stringMatching(/imageRegistries: .*needs tap:addons\.kyverno\.cosignPublicKey/),
    ]);
  });
});

describe("Kyverno on", () => {
  it("runs three admission controllers and two of each other on on-demand nodes, with budgets", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources);
    expect(r?.inputs).toMatchObject({
      chart: "kyverno",
      version: pinsFor("1.35").kyverno?.version,
      namespace: "kyverno",
      repositoryOpts: { repo: "https://kyverno.github.io/kyverno/" },
    });
    const values = r?.inputs.values as Record<string, Record<string, unknown>>;
    expect(values.admissionController).toMatchObject({
      replicas: 3,
      podDisruptionBudget: { minAvailable: 2 },
      nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND", "kubernetes.io/os": "linux" },
    });
    for (const c of ["backgroundController", "cleanupController", "reportsController"])
      expect(values[c]).toMatchObject({ replicas: 2, podDisruptionBudget: { minAvailable: 1 } });
    // Helm replaces lists: kube-system (the chart's default exclusion) is listed again.
    expect(kyvernoValues()).toMatchObject({
      config: {
        webhooks: {
          namespaceSelector: {
            matchExpressions: [
              { key: "kubernetes.io/metadata.name", operator: "NotIn", values: SYSTEM_NAMESPACES },
            ],
          },
        },
      },
      webhooksCleanup: { enabled: true },
    });
    expect(SYSTEM_NAMESPACES).toContain("kube-system");
  });

  it("creates the policies after the release, and the catalog's namespaces after the policies", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources);
    const policies = ofType(resources, "kubernetes:policies.kyverno.io/v1beta1:ValidatingPolicy");
    expect(policies.map((p) => p.name).sort()).toEqual([
      "kyverno-tap-disallow-latest-tag-audit-dev",
      "kyverno-tap-disallow-latest-tag-dev",
      "kyverno-tap-pss-restricted-audit-dev",
      "kyverno-tap-pss-restricted-dev",
      "kyverno-tap-require-labels-audit-dev",
      "kyverno-tap-require-labels-dev",
      "kyverno-tap-require-requests-limits-audit-dev",
      "kyverno-tap-require-requests-limits-dev",
    ]);
    for (const p of policies) expect(p.dependencies).toContain(r?.urn);
    const payments = ofType(resources, "kubernetes:core/v1:Namespace").find(
      (n) => (n.inputs.metadata as { name: string }).name === "payments",
    );
    for (const p of policies) expect(payments?.dependencies).toContain(p.urn);
    // No signature policy without a key.
    expect(
      ofType(resources, "kubernetes:policies.kyverno.io/v1beta1:ImageValidatingPolicy"),
    ).toEqual([]);
  });

  it("verifies signatures of this account's ECR images with the configured key", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { kyverno: { cosignPublicKey: PEM } },
    });
    const [verify] = ofType(
      resources,
      "kubernetes:policies.kyverno.io/v1beta1:ImageValidatingPolicy",
    );
    // The key is configured as a secret and stays one: the whole spec is a Pulumi secret.
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const secret = verify.inputs.spec as Record<string, unknown>;
    expect(secret[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
    const spec = secret.value as Record<string, unknown>;
    expect(spec).toMatchObject({
      validationActions: ["Deny"],
      failurePolicy: "Fail",
      matchImageReferences: [{ glob: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/*` }],
      attestors: [{ name: "cosign", cosign: { key: { data: PEM } } }],
    });
    expect(
      (spec as { matchConstraints: { namespaceSelector: unknown } }).matchConstraints
        .namespaceSelector,
    ).toMatchObject({
      matchExpressions: expect.arrayContaining([
        { key: "tap/workload", operator: "In", values: ["true"] },
      ]),
    });
  });

  it("exports the policy report command; with Kyverno off, no trace of it", async () => {
    const on = await synthStack(ON);
    await expect(
      new Promise((resolve) =>
        (on.value.kyvernoPolicyReportCommand as pulumi.Output<string | undefined>).apply(resolve),
      ),
    ).resolves.toMatch(/kubectl get policyreports/);
    const off = await synthStack({ enableAppMesh: "false", kubernetesVersion: "1.35" });
    expect(off.resources.filter((r) => /kyverno/i.test(`${r.type} ${r.name}`))).toEqual([]);
  });
});
