import { DEFAULT_SERVICES } from "../../../lib/services/catalog";
import { namespacePodSecurity, serviceEndpoint } from "../../../lib/services/workloads";
import { servicePolicy } from "../../../lib/services/service-iam";
import { PolicyDocument as LibPolicyDocument } from "../../../lib/iam/policy";
import { simulate, simulateWebIdentity } from "../../helpers/iam-sim";
import { kubernetesManifests, validateManifest } from "../../helpers/k8s-schema";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  RecordedResource,
  ofType,
  one,
  policyOf,
  valueOf,
} from "../../helpers/mocks";
import { FAKE_MESH, FAN_OUT_CATALOG, Obj, TYPES, object, objects, run } from "./fixtures";

const namespaceNamed = (resources: readonly RecordedResource[], name: string) => {
  const found = objects(resources, TYPES.namespace).filter((n) => n.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one namespace ${name}, got ${found.length}`);
  return found[0];
};
const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/tap-svc-${name}-dev`;
const svcRoles = (resources: readonly RecordedResource[]) =>
  ofType(resources, "aws:iam/role:Role")
    .map((r) => r.name)
    .filter((n) => n.startsWith("tap-svc-"))
    .sort();

type Container = Obj & { securityContext: Obj; resources: Obj; ports: Obj[] };
type PodSpec = Obj & { containers: Container[]; securityContext: Obj };
const podOf = (resources: readonly RecordedResource[], name: string) => {
  const spec = object(resources, TYPES.deployment, name).spec as Obj & {
    template: { metadata: Obj; spec: PodSpec };
  };
  return { spec, template: spec.template, pod: spec.template.spec };
};

describe("namespaces", () => {
  it("gives each service its own restricted workload namespace with the default-deny + DNS baseline", async () => {
    const { resources } = await run();
    const names = objects(resources, TYPES.namespace).map((n) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["gateway", "payments", "ledger"]));
    for (const s of DEFAULT_SERVICES) {
      const ns = namespaceNamed(resources, s.name);
      expect(ns.metadata.labels).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
        "tap/workload": "true",
      });
      expect(ns.metadata.labels).not.toHaveProperty("fake-mesh/member");
      const policies = objects(resources, TYPES.networkPolicy, s.name).map((p) => p.metadata.name);
      expect(policies).toEqual(expect.arrayContaining(["default-deny-all", "allow-dns"]));
    }
  });

  it("with the mesh: the mesh's labels land on every namespace, at the PSS level the proxy needs", async () => {
    const { resources } = await run(DEFAULT_SERVICES, FAKE_MESH);
    for (const s of DEFAULT_SERVICES) {
      const ns = namespaceNamed(resources, s.name);
      expect(ns.metadata.labels).toMatchObject({
        "fake-mesh/member": "yes",
        "appmesh.k8s.aws/sidecarInjectorWebhook": "enabled",
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/warn": "restricted",
        "tap/workload": "true",
      });
    }
  });

  it.each([
    [undefined, "restricted"],
    ["restricted", "restricted"],
    ["baseline", "baseline"],
    ["privileged", "privileged"],
  ] as const)("mesh podSecurity %s -> namespace enforce %s", (level, expected) => {
    const mesh = level === undefined ? undefined : { ...FAKE_MESH, podSecurity: level };
    expect(namespacePodSecurity(mesh)).toBe(expected);
  });
});

describe("service accounts and IRSA", () => {
  it("mesh off: only ledger (catalog permissions) and payments (publishes metrics) get roles; only their SAs mount a token", async () => {
    const { resources, value } = await run();
    expect(svcRoles(resources)).toEqual(["tap-svc-ledger-dev", "tap-svc-payments-dev"]);
    const sa = (name: string) => object(resources, TYPES.serviceAccount, name);
    for (const name of ["ledger", "payments"]) {
      expect(sa(name).metadata.annotations).toEqual({
        "eks.amazonaws.com/role-arn": roleArn(name),
      });
      expect(sa(name).automountServiceAccountToken).toBe(true);
      expect(podOf(resources, name).pod).toMatchObject({
        serviceAccountName: name,
        automountServiceAccountToken: true,
      });
    }
    expect(sa("gateway").metadata.annotations).toBeUndefined();
    expect(sa("gateway").automountServiceAccountToken).toBe(false);
    expect(podOf(resources, "gateway").pod.automountServiceAccountToken).toBe(false);
    expect(Object.keys(value.roleArns).sort()).toEqual(["ledger", "payments"]);
    await expect(valueOf(value.roleArns.ledger)).resolves.toBe(roleArn("ledger"));
    expect(value.services.gateway.roleArn).toBeUndefined();
  });

  it.each([
    ["TAP/Payments", "Allowed"],
    ["TAP/Ledger", "ImplicitlyDenied"],
  ])(
    "payments may publish its own metrics: PutMetricData with cloudwatch:namespace=%s -> %s",
    async (namespace, expected) => {
      const { resources } = await run();
      const attached = policyOf(
        one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-svc-payments-policy-dev"),
      ) as LibPolicyDocument;
      expect(attached.Statement).toEqual([
        {
          Sid: "PublishMetrics",
          Effect: "Allow",
          Action: ["cloudwatch:PutMetricData"],
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": ["TAP/Payments"] } },
        },
      ]);
      await expect(
        simulate(attached, {
          action: "cloudwatch:PutMetricData",
          resource: "*",
          context: { "cloudwatch:namespace": namespace },
        }),
      ).resolves.toBe(expected);
    },
  );

  it("trusts exactly system:serviceaccount:ledger:ledger with audience sts.amazonaws.com", async () => {
    const { resources } = await run();
    const trust = policyOf(
      one(resources, "aws:iam/role:Role", "tap-svc-ledger-dev"),
      "assumeRolePolicy",
    );
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: OIDC_PROVIDER_ARN },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:ledger:ledger",
            [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ]);
  });

  it.each([
    ["system:serviceaccount:ledger:ledger", "sts.amazonaws.com", "Allowed"],
    ["system:serviceaccount:payments:payments", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["system:serviceaccount:ledger:default", "sts.amazonaws.com", "ImplicitlyDenied"],
    ["system:serviceaccount:ledger:ledger", "other", "ImplicitlyDenied"],
  ])("web identity sub=%s aud=%s -> %s", async (sub, aud, expected) => {
    const { resources } = await run();
    const trust = policyOf(
      one(resources, "aws:iam/role:Role", "tap-svc-ledger-dev"),
      "assumeRolePolicy",
    ) as LibPolicyDocument;
    await expect(
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, roleArn("ledger"), { sub, aud }),
    ).resolves.toBe(expected);
  });

  const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
  it.each([
    ["dynamodb:GetItem", table("ledger"), "Allowed"],
    ["dynamodb:PutItem", table("ledger"), "Allowed"],
    ["dynamodb:Query", table("ledger"), "Allowed"],
    ["dynamodb:GetItem", table("accounts"), "ImplicitlyDenied"],
    ["dynamodb:DeleteItem", table("ledger"), "ImplicitlyDenied"],
    ["dynamodb:DeleteTable", table("ledger"), "ImplicitlyDenied"],
    ["s3:GetObject", "arn:aws:s3:::ledger/x", "ImplicitlyDenied"],
    // The catalog's ${region}/${account} became the stack's: another account's table is out of reach.
    [
      "dynamodb:GetItem",
      "arn:aws:dynamodb:us-east-1:999999999999:table/ledger",
      "ImplicitlyDenied",
    ],
    [
      "dynamodb:GetItem",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/ledger",
      "ImplicitlyDenied",
    ],
  ])("the ledger role: %s on %s -> %s", async (action, resource, expected) => {
    const { resources } = await run();
    const attached = policyOf(
      one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-svc-ledger-policy-dev"),
    );
    expect(attached).toEqual(servicePolicy(DEFAULT_SERVICES[2], undefined, SCOPE));
    await expect(simulate(attached as LibPolicyDocument, { action, resource })).resolves.toBe(
      expected,
    );
  });

  it("mesh on: every service gets a role = catalog statements + the mesh's, and mounts its token", async () => {
    const { resources, value } = await run(DEFAULT_SERVICES, FAKE_MESH);
    expect(svcRoles(resources)).toEqual([
      "tap-svc-gateway-dev",
      "tap-svc-ledger-dev",
      "tap-svc-payments-dev",
    ]);
    expect(Object.keys(value.roleArns).sort()).toEqual(["gateway", "ledger", "payments"]);
    const policy = (name: string) =>
      policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy", `tap-svc-${name}-policy-dev`));
    expect(policy("gateway").Statement.map((s) => s.Sid)).toEqual(["FakeMeshXds"]);
    expect(policy("ledger").Statement.map((s) => s.Sid)).toEqual(["Catalog0", "FakeMeshXds"]);
    expect(policy("payments").Statement.map((s) => s.Sid)).toEqual([
      "PublishMetrics",
      "FakeMeshXds",
    ]);
    expect(policy("payments").Statement[1].Resource).toEqual([
      `arn:aws:appmesh:${REGION}:${ACCOUNT}:mesh/fake-mesh/virtualNode/vn-payments`,
    ]);
    for (const s of DEFAULT_SERVICES) {
      const sa = object(resources, TYPES.serviceAccount, s.name);
      expect(sa.automountServiceAccountToken).toBe(true);
      expect(sa.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": roleArn(s.name) });
    }
  });
});

describe("Deployments", () => {
  it.each(DEFAULT_SERVICES.map((s) => [s.name, s] as const))(
    "%s: hardened, pinned, resource-bounded, probed, HPA-owned replicas",
    async (name, s) => {
      const { resources } = await run();
      const { spec, template, pod } = podOf(resources, name);
      expect(spec.replicas).toBeUndefined();
      expect(spec.selector).toEqual({
        matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "tap" },
      });
      expect(template.metadata.labels).toMatchObject(
        (spec.selector as { matchLabels: Obj }).matchLabels,
      );
      expect(template.metadata.annotations).toBeUndefined();
      expect(pod.securityContext).toEqual({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.containers).toHaveLength(1);
      const c = pod.containers[0];
      expect(c.image).toBe(s.image);
      expect(c.imagePullPolicy).toBe("Always");
      expect(c.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 101,
        runAsGroup: 101,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(c.resources).toEqual({
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      });
      expect(c.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/", port: "http" } });
      expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/", port: "http" } });
      expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
    },
  );

  it("prefers spot nodes (weight 100, never required), spreads over zones and nodes, drains cleanly", async () => {
    const { pod } = podOf((await run()).resources, "gateway");
    expect(pod.affinity).toEqual({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: {
              matchExpressions: [
                { key: "eks.amazonaws.com/capacityType", operator: "In", values: ["SPOT"] },
              ],
            },
          },
        ],
      },
    });
    expect(pod.nodeSelector).toBeUndefined();
    const selector = {
      matchLabels: { "app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "tap" },
    };
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: selector,
      },
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: selector,
      },
    ]);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ["sleep", "5"] } } });
  });

  it("a user catalog's port, health path and image flow into the container", async () => {
    const { resources } = await run(FAN_OUT_CATALOG);
    const c = podOf(resources, "catalog").pod.containers[0];
    expect(c.ports).toEqual([{ name: "http", containerPort: 9100, protocol: "TCP" }]);
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
  });

  it("mesh on: pods carry the mesh's annotations; runAsNonRoot moves to the container only", async () => {
    const { resources } = await run(DEFAULT_SERVICES, FAKE_MESH);
    for (const s of DEFAULT_SERVICES) {
      const { template, pod } = podOf(resources, s.name);
      expect(template.metadata.annotations).toEqual({ "fake-mesh/virtual-node": `vn-${s.name}` });
      expect(pod.securityContext).toEqual({ seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.containers[0].securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 101,
      });
    }
  });
});

describe("Services and PodDisruptionBudgets", () => {
  it.each(FAN_OUT_CATALOG.map((s) => [s.name, s.port] as const))(
    "%s: ClusterIP port %d named http -> the container port; PDB maxUnavailable 1",
    async (name, port) => {
      const { resources, value } = await run(FAN_OUT_CATALOG);
      const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "tap" };
      expect(object(resources, TYPES.service, name).spec).toEqual({
        type: "ClusterIP",
        selector,
        ports: [{ name: "http", port, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
      });
      expect(object(resources, TYPES.pdb, name).spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: selector },
      });
      expect(value.services[name]).toMatchObject({
        namespace: name,
        endpoint: `http://${name}.${name}.svc.cluster.local:${port}`,
      });
    },
  );

  it("serviceEndpoint is the in-cluster URL", () => {
    expect(serviceEndpoint(DEFAULT_SERVICES[0])).toBe(
      "http://gateway.gateway.svc.cluster.local:8080",
    );
  });
});

describe("schemas", () => {
  it.each([
    ["default catalog, mesh off", DEFAULT_SERVICES, undefined],
    ["default catalog, mesh on", DEFAULT_SERVICES, FAKE_MESH],
    ["fan-out catalog, mesh on", FAN_OUT_CATALOG, FAKE_MESH],
  ] as const)("%s: every object validates against its schema", async (_, services, mesh) => {
    const { resources } = await run(services, mesh);
    const manifests = kubernetesManifests(resources).filter(
      (m) => (m.metadata as Obj).namespace !== "keda" && (m.metadata as Obj).name !== "keda",
    );
    const kinds = new Set(manifests.map((m) => String(m.kind)));
    expect([...kinds].sort()).toEqual([
      "ClusterTriggerAuthentication",
      "Deployment",
      "Namespace",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "ScaledObject",
      "Service",
      "ServiceAccount",
    ]);
    for (const kind of [
      "Deployment",
      "Service",
      "PodDisruptionBudget",
      "ScaledObject",
      "ServiceAccount",
    ]) {
      expect(manifests.filter((m) => m.kind === kind)).toHaveLength(services.length);
    }
    for (const m of manifests) expect(() => validateManifest(m)).not.toThrow();
  });

  it("every namespaced object is explicit: name, namespace, apiVersion and kind, on the one provider", async () => {
    const { resources } = await run();
    const ours = resources.filter((r) => r.name.startsWith("svc-"));
    // 5 kinds each + 7 policies (gateway: callers + callees; payments: callers + callees + AWS
    // APIs, for the metric it publishes; ledger: callers + AWS APIs)
    expect(ours.length).toBe(3 * 5 + 7);
    for (const r of ours) {
      const inputs = r.inputs as { apiVersion?: string; kind?: string; metadata: Obj };
      expect([typeof inputs.apiVersion, typeof inputs.kind]).toEqual(["string", "string"]);
      expect(DEFAULT_SERVICES.map((s) => s.name)).toContain(inputs.metadata.namespace);
      expect(typeof inputs.metadata.name).toBe("string");
      expect(r.provider).toMatch(/tap-k8s-dev/);
      expect(r.name).toMatch(/^svc-(gateway|payments|ledger)-[a-z-]+-dev$/);
    }
  });
});
