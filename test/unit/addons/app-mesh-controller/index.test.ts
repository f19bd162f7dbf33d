import {
  APP_MESH_CONTROLLER_DEFAULTS,
  AppMeshControllerArgs,
  deployAppMeshController,
} from "../../../../lib/addons/app-mesh-controller";
import { appMeshControllerPolicy } from "../../../../lib/addons/app-mesh-controller/iam";
import { ON_DEMAND_SELECTOR } from "../../../../lib/addons/types";
import { VERSION_PINS } from "../../../../lib/addons/versions";
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
  one,
  ofType,
  policyOf,
} from "../../../helpers/mocks";

type Obj = Record<string, unknown>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-appmesh-controller-dev`;
const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };
const MESH = "tap-mesh-dev";
const POLICY = appMeshControllerPolicy(SCOPE, MESH);
const meshArn = (m: string) => `arn:aws:appmesh:${REGION}:${ACCOUNT}:mesh/${m}`;
const SD = `arn:aws:servicediscovery:${REGION}:${ACCOUNT}`;

const run = (kubernetesVersion = "1.28", args?: AppMeshControllerArgs) =>
  mockTap(() => deployAppMeshController(testAddonContext({ kubernetesVersion }), args));
const valuesOf = (resources: readonly RecordedResource[]): Obj =>
  one(resources, RELEASE).inputs.values as Obj;

/** Every string leaf of a values tree, with its path. */
function leaves(v: unknown, path = ""): [string, string][] {
  if (typeof v === "string") return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k));
  }
  return [];
}

describe("deployAppMeshController: chart and values", () => {
  it.each(["1.28", "1.33"] as const)(
    "on Kubernetes %s installs the pinned appmesh-controller chart in appmesh-system",
    async (minor) => {
      const { resources } = await run(minor);
      const pin = VERSION_PINS[minor].appMeshController;
      expect(one(resources, RELEASE).inputs).toMatchObject({
        name: "appmesh-controller",
        chart: "appmesh-controller",
        version: pin.version,
        repositoryOpts: { repo: "https://aws.github.io/eks-charts" },
        namespace: "appmesh-system",
        atomic: true,
        timeout: 600,
      });
      expect(valuesOf(resources).image).toEqual({
        repository: pin.image.repository,
        tag: pin.image.tag,
        pullPolicy: "IfNotPresent",
      });
    },
  );

  it("locks the SA name, its IRSA annotation, region, account and cluster over user values", async () => {
    const values = valuesOf(
      (
        await run("1.28", {
          values: {
            serviceAccount: { name: "x", create: false, annotations: { a: "b" } },
            region: "eu-west-1",
            clusterName: "other",
            log: { level: "debug" },
          },
        })
      ).resources,
    );
    expect(values.serviceAccount).toEqual({
      create: true,
      name: "appmesh-controller",
      annotations: { a: "b", "eks.amazonaws.com/role-arn": ROLE_ARN },
    });
    expect([values.region, values.accountId, values.clusterName]).toEqual([
      REGION,
      ACCOUNT,
      "tap-eks-dev",
    ]);
    expect(values.log).toEqual({ level: "debug" });
  });

  it("turns on X-Ray tracing on the daemon port 2000", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.tracing).toEqual({
      enabled: true,
      provider: "x-ray",
      port: 2000,
      samplingRate: 0.05,
    });
  });

  it("pins every image it runs or injects, and no value anywhere says latest", async () => {
    const values = valuesOf((await run()).resources);
    const d = APP_MESH_CONTROLLER_DEFAULTS;
    expect((values.sidecar as Obj).image).toEqual(d.envoyImage);
    expect((values.init as Obj).image).toEqual(d.initImage);
    expect((values.xray as Obj).image).toEqual({
      repository: "public.ecr.aws/xray/aws-xray-daemon",
      tag: "3.3.12",
    });
    const all = leaves(values);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter(([, v]) => /latest/i.test(v))).toEqual([]);
    for (const key of ["image", "sidecar.image", "init.image", "xray.image"]) {
      const tag = all.find(([p]) => p === `${key}.tag`)?.[1] ?? "";
      expect(tag).toMatch(/^v?\d+\.\d+|^v\d+-prod$/);
    }
  });

  it("runs 2 replicas on on-demand nodes with a maxUnavailable-1 PDB (renders only with >1 replica)", async () => {
    const values = valuesOf((await run()).resources);
    expect(values.replicaCount).toBe(2);
    expect(values.replicaCount as number).toBeGreaterThan(1);
    expect(values.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    expect(values.nodeSelector).toEqual(ON_DEMAND_SELECTOR);
  });

  it("creates a baseline-PSS namespace whose manifest is schema-valid", async () => {
    const { resources } = await run();
    const manifests = kubernetesManifests(resources);
    expect(manifests.length).toBe(1);
    for (const m of manifests) validateManifest({ apiVersion: "v1", kind: "Namespace", ...m });
    const ns = manifests[0].metadata as { name: string; labels: Obj };
    expect(ns.name).toBe("appmesh-system");
    expect(ns.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
    expect(ns.labels["appmesh.k8s.aws/sidecarInjectorWebhook"]).toBeUndefined();
  });
});

describe("deployAppMeshController: IRSA", () => {
  it("trusts exactly appmesh-system/appmesh-controller with audience sts", async () => {
    const { resources } = await run();
    const role = ofType(resources, "aws:iam/role:Role").find(
      (r) => r.name === "tap-appmesh-controller-dev",
    ) as RecordedResource;
    const trust = policyOf(role, "assumeRolePolicy");
    const sim = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE_ARN, { sub, aud });
    await expect(sim("system:serviceaccount:appmesh-system:appmesh-controller")).resolves.toBe(
      "Allowed",
    );
    await expect(sim("system:serviceaccount:appmesh-system:default")).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(
      sim("system:serviceaccount:appmesh-system:appmesh-controller", "other"),
    ).resolves.toBe("ImplicitlyDenied");
  });

  it("attaches the policy built for the default mesh tap-mesh-<suffix>", async () => {
    const { resources, value } = await run();
    expect(value.meshName).toBe(MESH);
    const rp = one(resources, "aws:iam/rolePolicy:RolePolicy");
    expect(policyOf(rp)).toEqual(JSON.parse(JSON.stringify(POLICY)));
  });
});

describe("appMeshControllerPolicy", () => {
  const actions = POLICY.Statement.flatMap((s) => [s.Action].flat());

  it("has no wildcard action and no appmesh:*, servicediscovery:* or iam:*", () => {
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    expect(actions.filter((a) => a.startsWith("iam:"))).toEqual(["iam:CreateServiceLinkedRole"]);
    expect(actions).not.toContain("acm:ListCertificates");
  });

  it("keeps Resource * only for the actions IAM cannot scope", () => {
    const star = POLICY.Statement.filter((s) => s.Resource === "*").flatMap((s) =>
      [s.Action].flat(),
    );
    expect(star.sort()).toEqual([
      "appmesh:ListMeshes",
      "route53:CreateHealthCheck",
      "servicediscovery:ListNamespaces",
      "servicediscovery:ListServices",
    ]);
  });

  it.each([
    ["appmesh:CreateMesh", meshArn(MESH), "Allowed"],
    ["appmesh:DeleteMesh", meshArn(MESH), "Allowed"],
    ["appmesh:CreateVirtualNode", `${meshArn(MESH)}/virtualNode/payments-dev`, "Allowed"],
    ["appmesh:UpdateRoute", `${meshArn(MESH)}/virtualRouter/r-dev/route/default`, "Allowed"],
    ["appmesh:DeleteMesh", meshArn("someone-elses-mesh"), "ImplicitlyDenied"],
    ["appmesh:CreateVirtualNode", `${meshArn("other")}/virtualNode/x`, "ImplicitlyDenied"],
    ["appmesh:CreateVirtualNode", `${meshArn("tap-mesh-dev2")}/virtualNode/x`, "ImplicitlyDenied"],
    ["appmesh:StreamAggregatedResources", `${meshArn(MESH)}/virtualNode/x`, "ImplicitlyDenied"],
    ["servicediscovery:RegisterInstance", `${SD}:service/srv-abc`, "Allowed"],
    ["servicediscovery:CreateService", `${SD}:namespace/ns-abc`, "Allowed"],
    ["servicediscovery:DeleteNamespace", `${SD}:namespace/ns-abc`, "ImplicitlyDenied"],
    [
      "servicediscovery:RegisterInstance",
      `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:service/srv-abc`,
      "ImplicitlyDenied",
    ],
    ["route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z123", "Allowed"],
    ["route53:DeleteHostedZone", "arn:aws:route53:::hostedzone/Z123", "ImplicitlyDenied"],
    ["route53:DeleteHealthCheck", "arn:aws:route53:::healthcheck/abc", "Allowed"],
  ])("%s on %s -> %s", async (action, resource, expected) => {
    await expect(simulate(POLICY, { action, resource })).resolves.toBe(expected);
  });

  const slr = (role: string) => `arn:aws:iam::${ACCOUNT}:role/aws-service-role/${role}`;
  it.each([
    [slr("appmesh.amazonaws.com/AWSServiceRoleForAppMesh"), "appmesh.amazonaws.com", "Allowed"],
    [
      slr("appmesh.amazonaws.com/AWSServiceRoleForAppMesh"),
      "ecs.amazonaws.com",
      "ImplicitlyDenied",
    ],
    [slr("ecs.amazonaws.com/AWSServiceRoleForECS"), "ecs.amazonaws.com", "ImplicitlyDenied"],
    [slr("ecs.amazonaws.com/AWSServiceRoleForECS"), "appmesh.amazonaws.com", "ImplicitlyDenied"],
  ])("iam:CreateServiceLinkedRole %s for %s -> %s", async (resource, service, expected) => {
    await expect(
      simulate(POLICY, {
        action: "iam:CreateServiceLinkedRole",
        resource,
        context: { "iam:AWSServiceName": service },
      }),
    ).resolves.toBe(expected);
  });
});
