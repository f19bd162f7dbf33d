/**
 * The mesh of the service catalog. kubernetes-models has no App Mesh (appmesh.k8s.aws/v1beta2)
 * schema, so the Mesh/VirtualNode/VirtualRouter/VirtualService manifests are asserted field by
 * field here (shapes from the controller's CRDs, eks-facts §1f); the NetworkPolicy egress rule the
 * binding contributes is validated against the networking/v1 schema.
 */
import { deployAppMeshController } from "../../../lib/addons/app-mesh-controller";
import { PolicyDocument } from "../../../lib/iam/policy";
import {
  APP_MESH_API_VERSION,
  MeshResult,
  assertMeshableCatalog,
  createMesh,
  meshName,
  meshPodAnnotations,
  virtualNodeAwsName,
} from "../../../lib/services/mesh";
import { ServiceSpec } from "../../../lib/services/types";
import { testAddonContext } from "../../helpers/addon-context";
import { simulate } from "../../helpers/iam-sim";
import { validateManifest } from "../../helpers/k8s-schema";
import { ACCOUNT, REGION, RecordedResource, mockTap, one, ofType } from "../../helpers/mocks";

type Obj = Record<string, unknown>;
const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };
const VPC = "vpc-0123456789abcdef0";
const CR = (kind: string) => `kubernetes:${APP_MESH_API_VERSION}:${kind}`;

const svc = (
  name: string,
  calls: string[] = [],
  extra: Partial<ServiceSpec> = {},
): ServiceSpec => ({
  name,
  image: `public.ecr.aws/tap/${name}:1.0.0`,
  port: 8080,
  healthPath: "/healthz",
  public: false,
  calls,
  replicas: { min: 2, max: 4 },
  cpuTargetPercent: 70,
  resources: {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  },
  awsPermissions: [],
  publishesMetrics: [],
  secrets: [],
  ...extra,
});

const DEFAULT_LIKE = [
  svc("gateway", ["payments"], { public: true, port: 8000, healthPath: "/ready" }),
  svc("payments", ["ledger"], {
    awsPermissions: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:::q"] }],
  }),
  svc("ledger"),
];
const FAN_OUT = [
  svc("edge", ["a", "b", "c"]),
  svc("a", ["c"]),
  svc("b", ["c"]),
  svc("c"),
  svc("audit"),
];

const run = (services: readonly ServiceSpec[]) =>
  mockTap(() => {
    const ctx = testAddonContext();
    const controller = deployAppMeshController(ctx);
    return { mesh: createMesh(ctx, services, controller, { vpcId: VPC }), ctx };
  });

const specOf = (r: RecordedResource) => r.inputs.spec as Obj;
const metaOf = (r: RecordedResource) => r.inputs.metadata as { name: string; namespace?: string };
const byName = (resources: readonly RecordedResource[], kind: string, name: string) =>
  ofType(resources, CR(kind)).find((r) => metaOf(r).name === name) as RecordedResource;

describe("createMesh: objects", () => {
  it("creates a tagged Cloud Map private DNS namespace tap-<suffix>.local in the tap VPC", async () => {
    const { resources, value } = await run(DEFAULT_LIKE);
    const ns = one(resources, "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace");
    expect(ns.name).toBe("tap-cloudmap-dev");
    expect(ns.inputs).toMatchObject({ name: "tap-dev.local", vpc: VPC });
    expect(ns.inputs.tags).toEqual(value.ctx.tags);
    expect(Object.keys(ns.inputs.tags as Obj).sort()).toEqual(
      ["CostCenter", "Environment", "ManagedBy", "Team"].sort(),
    );
  });

  it("creates one cluster-scoped Mesh that drops non-mesh egress and selects the mesh label", async () => {
    const { resources, value } = await run(DEFAULT_LIKE);
    const mesh = one(resources, CR("Mesh"));
    expect(mesh.inputs.apiVersion).toBe("appmesh.k8s.aws/v1beta2");
    expect(mesh.inputs.kind).toBe("Mesh");
    expect(metaOf(mesh)).toMatchObject({ name: "tap-mesh-dev" });
    expect(metaOf(mesh).namespace).toBeUndefined();
    expect(specOf(mesh)).toEqual({
      awsName: "tap-mesh-dev",
      egressFilter: { type: "DROP_ALL" },
      namespaceSelector: { matchLabels: { "tap/mesh": "tap-mesh-dev" } },
    });
    expect(value.mesh.meshName).toBe(meshName(value.ctx));
    expect(value.mesh.objects.length).toBe(1 + 3 * DEFAULT_LIKE.length);
  });

  it.each([
    ["default-like", DEFAULT_LIKE],
    ["fan-out", FAN_OUT],
  ])("%s catalog: every virtual node's backends are exactly its calls", async (_, services) => {
    const { resources } = await run(services);
    expect(ofType(resources, CR("VirtualNode")).length).toBe(services.length);
    for (const s of services) {
      const backends = specOf(byName(resources, "VirtualNode", s.name)).backends as Obj[];
      expect(backends).toEqual(
        s.calls.map((c) => ({ virtualService: { virtualServiceRef: { name: c, namespace: c } } })),
      );
    }
    // And every referenced virtual service exists in its namespace.
    for (const vs of ofType(resources, CR("VirtualService"))) {
      expect(metaOf(vs).namespace).toBe(metaOf(vs).name);
    }
  });

  it("gives the gateway node its pods, HTTP listener, health check, Cloud Map discovery and stdout log", async () => {
    const { resources } = await run(DEFAULT_LIKE);
    const vn = byName(resources, "VirtualNode", "gateway");
    expect(metaOf(vn)).toMatchObject({ name: "gateway", namespace: "gateway" });
    expect(specOf(vn)).toEqual({
      awsName: "gateway-dev",
      podSelector: {
        matchLabels: { "app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "tap" },
      },
      listeners: [
        {
          portMapping: { port: 8000, protocol: "http" },
          healthCheck: {
            protocol: "http",
            path: "/ready",
            port: 8000,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
            timeoutMillis: 2000,
            intervalMillis: 5000,
          },
          timeout: { http: { perRequest: { unit: "ms", value: 15000 } } },
        },
      ],
      serviceDiscovery: { awsCloudMap: { namespaceName: "tap-dev.local", serviceName: "gateway" } },
      backends: [
        { virtualService: { virtualServiceRef: { name: "payments", namespace: "payments" } } },
      ],
      logging: { accessLog: { file: { path: "/dev/stdout" } } },
    });
  });

  it("routes each router 100% to its node with connection-level retries within the timeout", async () => {
    const { resources } = await run(DEFAULT_LIKE);
    const vr = byName(resources, "VirtualRouter", "payments-router");
    expect(metaOf(vr).namespace).toBe("payments");
    const spec = specOf(vr);
    expect(spec.awsName).toBe("payments-router-dev");
    expect(spec.listeners).toEqual([{ portMapping: { port: 8080, protocol: "http" } }]);
    const [route] = spec.routes as { name: string; httpRoute: Obj }[];
    expect(route.httpRoute).toEqual({
      match: { prefix: "/" },
      action: { weightedTargets: [{ virtualNodeRef: { name: "payments" }, weight: 100 }] },
      retryPolicy: {
        maxRetries: 2,
        perRetryTimeout: { unit: "ms", value: 5000 },
        httpRetryEvents: ["stream-error"],
        tcpRetryEvents: ["connection-error"],
      },
      timeout: { perRequest: { unit: "ms", value: 15000 } },
    });
  });

  it("names each virtual service after the service's cluster DNS name, provided by its router", async () => {
    const { resources } = await run(DEFAULT_LIKE);
    expect(specOf(byName(resources, "VirtualService", "ledger"))).toEqual({
      awsName: "ledger.ledger.svc.cluster.local",
      provider: { virtualRouter: { virtualRouterRef: { name: "ledger-router" } } },
    });
  });

  it("carries the suffix in every Pulumi name and every App Mesh name except the DNS-named services", async () => {
    const { resources } = await run(DEFAULT_LIKE);
    const mine = resources.filter(
      (r) =>
        r.type.startsWith(`kubernetes:${APP_MESH_API_VERSION}`) ||
        r.type.includes("servicediscovery"),
    );
    expect(mine.length).toBe(1 + 1 + 9);
    for (const r of mine) expect(r.name).toMatch(/-dev$/);
    for (const r of mine.filter((x) => x.type !== CR("VirtualService") && x.inputs.spec)) {
      expect(String(specOf(r).awsName)).toMatch(/-dev$/);
    }
  });

  it.each([
    [[svc("a", ["ghost"])], 'mesh: service "a" calls unknown service(s) ghost'],
    [[svc("a"), svc("a")], 'mesh: service "a" is declared twice'],
    [[svc("a", [], { port: 443 })], 'mesh: service "a" serves on port 443'],
  ])("refuses a catalog it cannot mesh (%#)", (services, message) => {
    expect(() => assertMeshableCatalog(services)).toThrow(message);
  });
});

describe("createMesh: binding", () => {
  const bindingOf = async (): Promise<MeshResult["binding"]> =>
    (await run(DEFAULT_LIKE)).value.mesh.binding;

  it("labels namespaces for injection and mesh membership, privileged for proxyinit's NET_ADMIN", async () => {
    const b = await bindingOf();
    expect(b.meshName).toBe("tap-mesh-dev");
    expect(b.namespaceLabels).toEqual({
      "appmesh.k8s.aws/sidecarInjectorWebhook": "enabled",
      "tap/mesh": "tap-mesh-dev",
    });
    expect(b.podSecurity).toBe("privileged");
  });

  it.each([
    ["payments", { "appmesh.k8s.aws/egressIgnoredPorts": "443" }],
    ["gateway", {}],
    ["ledger", {}],
  ])(
    "pod annotations of %s: HTTPS bypasses Envoy only for services that call AWS",
    async (s, a) => {
      expect((await bindingOf()).podAnnotations(s)).toEqual(a);
    },
  );

  it("lets HTTPS by for every way a service's SDK calls AWS: permissions, metrics, its database", () => {
    const catalog = [
      svc("metrics", [], { publishesMetrics: ["TAP/Payments"] }),
      svc("db", [], { database: "main" }),
      svc("plain"),
    ];
    expect(meshPodAnnotations(catalog, "metrics")).toEqual({
      "appmesh.k8s.aws/egressIgnoredPorts": "443",
    });
    expect(meshPodAnnotations(catalog, "db")).toEqual({
      "appmesh.k8s.aws/egressIgnoredPorts": "443",
    });
    expect(meshPodAnnotations(catalog, "plain")).toEqual({});
    expect(meshPodAnnotations(catalog, "plain", [4317, 4318])).toEqual({
      "appmesh.k8s.aws/egressIgnoredPorts": "4317,4318",
    });
  });

  it("opens HTTPS to the internet (never IMDS) as a schema-valid egress rule", async () => {
    const b = await bindingOf();
    expect(b.extraEgress).toEqual([
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }],
        ports: [{ protocol: "TCP", port: 443 }],
      },
    ]);
    validateManifest({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "mesh-egress", namespace: "payments" },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: b.extraEgress },
    });
  });

  it("makes workloads wait for the controller release and the Mesh", async () => {
    const { value } = await run(DEFAULT_LIKE);
    const b = value.mesh.binding;
    expect(b.dependsOn.length).toBe(2);
    expect(b.dependsOn[1]).toBe(value.mesh.objects[0]);
  });

  const doc = (service: string): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: policyFor(service),
  });
  let policyFor: (service: string) => ReturnType<MeshResult["binding"]["policyStatements"]>;
  beforeAll(async () => {
    const b = await bindingOf();
    policyFor = (service) => b.policyStatements(service, SCOPE);
  });
  const vnArn = (mesh: string, vn: string) =>
    `arn:aws:appmesh:${REGION}:${ACCOUNT}:mesh/${mesh}/virtualNode/${vn}`;

  it.each([
    ["payments", vnArn("tap-mesh-dev", "payments-dev"), "Allowed"],
    ["payments", vnArn("tap-mesh-dev", "ledger-dev"), "ImplicitlyDenied"],
    ["payments", vnArn("tap-mesh-dev", "gateway-dev"), "ImplicitlyDenied"],
    ["payments", vnArn("other-mesh", "payments-dev"), "ImplicitlyDenied"],
    ["ledger", vnArn("tap-mesh-dev", "ledger-dev"), "Allowed"],
    ["ledger", vnArn("tap-mesh-prod", "ledger-dev"), "ImplicitlyDenied"],
  ])("Envoy of %s: StreamAggregatedResources on %s -> %s", async (service, resource, expected) => {
    await expect(
      simulate(doc(service), { action: "appmesh:StreamAggregatedResources", resource }),
    ).resolves.toBe(expected);
  });

  it.each([
    ["xray:PutTraceSegments", "Allowed"],
    ["xray:PutTelemetryRecords", "Allowed"],
    ["xray:GetSamplingRules", "Allowed"],
    ["xray:GetSamplingTargets", "Allowed"],
    ["xray:GetSamplingStatisticSummaries", "Allowed"],
    ["xray:BatchGetTraces", "ImplicitlyDenied"],
    ["xray:DeleteSamplingRule", "ImplicitlyDenied"],
  ])("X-Ray daemon: %s -> %s", async (action, expected) => {
    await expect(simulate(doc("payments"), { action, resource: "*" })).resolves.toBe(expected);
  });

  it("grants the data plane exactly two statements and no wildcard action", () => {
    const statements = policyFor("gateway");
    expect(statements.map((s) => s.Sid)).toEqual(["EnvoyOwnVirtualNodeOnly", "XRayDaemonWrite"]);
    expect(statements[0].Resource).toBe(
      vnArn("tap-mesh-dev", virtualNodeAwsName({ name: (r) => `${r}-dev` }, "gateway")),
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });
});
