/** Shared fixtures for the services tests: a run of deployServices, a fake mesh, a user catalog. */
import { deployKeda } from "../../../lib/addons/keda";
import { TapConfigInput } from "../../../lib/config";
import { DEFAULT_SERVICES, parseServiceCatalog } from "../../../lib/services/catalog";
import { deployServices } from "../../../lib/services/workloads";
import { MeshBinding, ServiceSpec } from "../../../lib/services/types";
import { testAddonContext } from "../../helpers/addon-context";
import { RecordedResource, mockTap } from "../../helpers/mocks";

export type Obj = Record<string, unknown>;

/** A recognizable mesh binding: every value it contributes carries "fake-mesh". */
export const FAKE_MESH: MeshBinding = {
  meshName: "fake-mesh",
  namespaceLabels: {
    "fake-mesh/member": "yes",
    "appmesh.k8s.aws/sidecarInjectorWebhook": "enabled",
  },
  podAnnotations: (service) => ({ "fake-mesh/virtual-node": `vn-${service}` }),
  podSecurity: "privileged",
  policyStatements: (service, scope) => [
    {
      Sid: "FakeMeshXds",
      Effect: "Allow",
      Action: ["appmesh:StreamAggregatedResources"],
      Resource: [
        `arn:${scope.partition}:appmesh:${scope.region}:${scope.accountId}:mesh/fake-mesh/virtualNode/vn-${service}`,
      ],
    },
  ],
  extraEgress: [
    { to: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ protocol: "TCP", port: 15443 }] },
  ],
  dependsOn: [],
};

/** A user catalog with a fan-out: edge -> orders, edge -> catalog, orders -> catalog; audit alone. */
export const FAN_OUT_CATALOG: ServiceSpec[] = parseServiceCatalog(
  [
    {
      name: "edge",
      image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
      port: "8081",
      public: true,
      calls: ["orders", "catalog"],
      replicas: { min: 2, max: 4 },
    },
    {
      name: "orders",
      image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
      port: 9000,
      calls: ["catalog"],
      cpuTargetPercent: 60,
      cloudwatchMetric: {
        namespace: "TAP/Orders",
        metricName: "Backlog",
        dimensions: { Queue: "orders", Tier: "gold" },
        targetValue: 25,
        statistic: "Maximum",
      },
    },
    {
      name: "catalog",
      image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
      port: 9100,
      healthPath: "/healthz",
    },
    { name: "audit", image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine" },
  ],
  (_, reason) => {
    throw new Error(reason);
  },
);

/** The public subnets' CIDRs the fixtures' load balancer sends from. */
export const PUBLIC_SUBNET_CIDRS = ["10.0.96.0/20", "10.0.112.0/20", "10.0.128.0/20"];

export const run = (
  services: readonly ServiceSpec[] = DEFAULT_SERVICES,
  mesh?: MeshBinding,
  config: TapConfigInput = {},
) =>
  mockTap(() => {
    const ctx = testAddonContext(config);
    const keda = deployKeda(ctx);
    return deployServices(ctx, services, { keda, mesh, loadBalancerSources: PUBLIC_SUBNET_CIDRS });
  });

export const TYPES = {
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
} as const;

/** Inputs of the objects of `type` in namespace `ns` (or all of them). */
export function objects(
  resources: readonly RecordedResource[],
  type: string,
  ns?: string,
): (Obj & { metadata: Obj; spec: Obj })[] {
  return resources
    .filter((r) => r.type === type)
    .map((r) => r.inputs as Obj & { metadata: Obj; spec: Obj })
    .filter((o) => ns === undefined || o.metadata.namespace === ns);
}

/** The one object of `type` named `name` in namespace `ns`. */
export function object(
  resources: readonly RecordedResource[],
  type: string,
  ns: string,
  name = ns,
): Obj & { metadata: Obj; spec: Obj } {
  const found = objects(resources, type, ns).filter((o) => o.metadata.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${type} ${ns}/${name}, got ${found.length}`);
  return found[0];
}
