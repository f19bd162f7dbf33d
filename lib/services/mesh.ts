/**
 * The App Mesh service mesh of the catalog (only when `tap:enableAppMesh`; App Mesh was
 * discontinued by AWS on 2026-09-30, see lib/addons/app-mesh-controller/).
 *
 * Why the controller's injector and not explicit sidecars: the App Mesh controller is the one
 * component that (1) creates the App Mesh objects from these CRs, (2) registers every pod's IP
 * as an instance in Cloud Map, which the virtual nodes' `awsCloudMap` service discovery reads
 * (hand-written Envoy sidecars would leave Cloud Map empty: Envoy only consumes discovery, nothing
 * else registers pods), and (3) injects Envoy, the iptables proxy-init container and the X-Ray
 * daemon with the right per-pod settings, keeping the Deployment specs mesh-agnostic.
 *
 * Per service, in its own namespace: a VirtualNode (pods by `serviceSelector`, HTTP listener with
 * health check, Cloud Map discovery, backends = exactly its `calls`, access log to stdout), a
 * VirtualRouter (one route, weight 100, retry + timeout) and a VirtualService named after the
 * service's normal DNS name, so callers keep using `serviceHost(name)`. The Mesh drops all egress
 * that is not a mesh backend (DROP_ALL).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../naming";
import { internetEgressPeer } from "../addons/network-policies";
import { TRACING_DEFAULTS } from "../addons/tracing";
import { AddonContext, AddonResult, inCluster } from "../addons/types";
import {
  meshDataPlaneStatements,
  meshName,
  virtualNodeAwsName,
  virtualRouterAwsName,
} from "./mesh-iam";
import {
  MeshBinding,
  ServiceSpec,
  callsAwsApis,
  serviceHost,
  serviceNamespace,
  serviceSelector,
} from "./types";

export { meshName, virtualNodeAwsName, virtualRouterAwsName } from "./mesh-iam";

export const APP_MESH_API_VERSION = "appmesh.k8s.aws/v1beta2";
/** Namespace label the App Mesh webhook reads to inject sidecars. */
export const SIDECAR_INJECTOR_LABEL = "appmesh.k8s.aws/sidecarInjectorWebhook";
/** Namespace label the Mesh's namespaceSelector matches (value: the mesh name). */
export const MESH_MEMBER_LABEL = "tap/mesh";
/** Pod annotation: egress ports the proxy-init iptables rules leave to the app (not via Envoy). */
export const EGRESS_IGNORED_PORTS_ANNOTATION = "appmesh.k8s.aws/egressIgnoredPorts";

export const MESH_DEFAULTS = {
  /** Route and listener per-request timeout (Envoy's own default is 15 s). */
  perRequestTimeoutMillis: 15000,
  /** Retries: 2 x 5 s per try fits in the 15 s request timeout (3 tries x 5 s). */
  maxRetries: 2,
  perRetryTimeoutMillis: 5000,
  health: { healthyThreshold: 2, unhealthyThreshold: 2, timeoutMillis: 2000, intervalMillis: 5000 },
  accessLogPath: "/dev/stdout",
  /** Egress port left to the app (not via Envoy) in services that call AWS APIs. */
  egressIgnoredPorts: "443",
} as const;

export interface CreateMeshArgs {
  /** The tap VPC: the Cloud Map private DNS namespace is associated with it. */
  readonly vpcId: pulumi.Input<string>;
  /**
   * The service namespaces (labelled with `meshNamespaceLabels`); the namespaced CRs wait for them.
   * A promise lets the stack create the mesh first (the workloads need its binding) and hand the
   * namespaces over once the workloads have made them.
   */
  readonly namespaces?: readonly pulumi.Resource[] | Promise<readonly pulumi.Resource[]>;
}

export interface MeshResult {
  readonly binding: MeshBinding;
  readonly meshName: string;
  readonly cloudMapNamespace: aws.servicediscovery.PrivateDnsNamespace;
  /** The Mesh CR first, then per service: VirtualNode, VirtualRouter, VirtualService. */
  readonly objects: k8s.apiextensions.CustomResource[];
}

/** The Cloud Map private DNS namespace name: `tap-<suffix>.local`. */
export function cloudMapNamespaceName(ctx: Pick<AddonContext, "name">): string {
  return `${ctx.name("tap")}.local`;
}

/** Labels every meshed service namespace carries (also `binding.namespaceLabels`). */
export function meshNamespaceLabels(ctx: Pick<AddonContext, "name">): Record<string, string> {
  return { [SIDECAR_INJECTOR_LABEL]: "enabled", [MESH_MEMBER_LABEL]: meshName(ctx) };
}

/** Throws unless every call targets a catalog service, names are unique and no port is bypassed. */
export function assertMeshableCatalog(services: readonly ServiceSpec[]): void {
  const names = new Set<string>();
  for (const s of services) {
    if (names.has(s.name)) throw new Error(`mesh: service "${s.name}" is declared twice`);
    names.add(s.name);
  }
  for (const s of services) {
    const unknown = s.calls.filter((c) => !names.has(c));
    if (unknown.length > 0) {
      throw new Error(`mesh: service "${s.name}" calls unknown service(s) ${unknown.join(", ")}`);
    }
    if (String(s.port) === MESH_DEFAULTS.egressIgnoredPorts) {
      throw new Error(
        `mesh: service "${s.name}" serves on port ${s.port}, which bypasses Envoy (egressIgnoredPorts); use another port`,
      );
    }
  }
}

/**
 * Pod annotations of a meshed service. Envoy (UID 1337) and the X-Ray daemon are exempt from the
 * iptables redirect, so they need none. The app's own egress goes through Envoy, where DROP_ALL
 * drops everything but mesh backends: a service that calls AWS APIs (callsAwsApis: its
 * permissions, the metrics it publishes, its database's secret) gets HTTPS (443) left out of the
 * redirect (the NetworkPolicy still limits where it goes); every other
 * service keeps the default, and Envoy drops its app's HTTPS. With tracing on, the collector's OTLP
 * ports are left out too (Envoy would drop the spans: the collector is no mesh backend), and
 * `allow-traces` limits them to the collector's pods.
 */
export function meshPodAnnotations(
  services: readonly ServiceSpec[],
  service: string,
  tracesPorts: readonly number[] = [],
): Record<string, string> {
  const spec = services.find((s) => s.name === service);
  if (!spec) throw new Error(`mesh: "${service}" is not a service of the mesh`);
  const ports = [
    ...(callsAwsApis(spec) ? [MESH_DEFAULTS.egressIgnoredPorts] : []),
    ...tracesPorts.map(String),
  ];
  return ports.length > 0 ? { [EGRESS_IGNORED_PORTS_ANNOTATION]: ports.join(",") } : {};
}

const ms = (value: number) => ({ unit: "ms", value });

/** VirtualNode spec: pods, listener + health check, Cloud Map discovery, backends = `calls`. */
export function virtualNodeSpec(ctx: AddonContext, s: ServiceSpec): Record<string, unknown> {
  const d = MESH_DEFAULTS;
  return {
    awsName: virtualNodeAwsName(ctx, s.name),
    podSelector: { matchLabels: serviceSelector(s.name) },
    listeners: [
      {
        portMapping: { port: s.port, protocol: "http" },
        healthCheck: { protocol: "http", path: s.healthPath, port: s.port, ...d.health },
        timeout: { http: { perRequest: ms(d.perRequestTimeoutMillis) } },
      },
    ],
    serviceDiscovery: {
      awsCloudMap: { namespaceName: cloudMapNamespaceName(ctx), serviceName: s.name },
    },
    backends: s.calls.map((callee) => ({
      // A callee's own namespace: App Mesh and tenant services exclude each other (lib/config.ts).
      virtualService: {
        virtualServiceRef: { name: callee, namespace: serviceNamespace({ name: callee }) },
      },
    })),
    logging: { accessLog: { file: { path: d.accessLogPath } } },
  };
}

/** VirtualRouter spec: one HTTP route to the service's node, weight 100, safe retries, timeout. */
export function virtualRouterSpec(ctx: AddonContext, s: ServiceSpec): Record<string, unknown> {
  const d = MESH_DEFAULTS;
  return {
    awsName: virtualRouterAwsName(ctx, s.name),
    listeners: [{ portMapping: { port: s.port, protocol: "http" } }],
    routes: [
      {
        name: "default",
        httpRoute: {
          match: { prefix: "/" },
          action: { weightedTargets: [{ virtualNodeRef: { name: s.name }, weight: 100 }] },
          // Retry only when the request cannot have reached the service (connection failure,
          // HTTP/2 refused stream): payment calls are not idempotent, so 5xx are never replayed.
          retryPolicy: {
            maxRetries: d.maxRetries,
            perRetryTimeout: ms(d.perRetryTimeoutMillis),
            httpRetryEvents: ["stream-error"],
            tcpRetryEvents: ["connection-error"],
          },
          timeout: { perRequest: ms(d.perRequestTimeoutMillis) },
        },
      },
    ],
  };
}

/** VirtualService spec: named after the service's DNS name, provided by its router. */
export function virtualServiceSpec(s: ServiceSpec): Record<string, unknown> {
  return {
    awsName: serviceHost(s),
    provider: { virtualRouter: { virtualRouterRef: { name: `${s.name}-router` } } },
  };
}

/** Creates the Cloud Map namespace, the Mesh and every service's mesh objects; returns the binding. */
export function createMesh(
  ctx: AddonContext,
  services: readonly ServiceSpec[],
  controller: AddonResult,
  args: CreateMeshArgs,
): MeshResult {
  assertMeshableCatalog(services);
  const mesh = meshName(ctx);
  const labels = ownershipLabels(ctx.config.environmentSuffix);

  const cloudMapNamespace = new aws.servicediscovery.PrivateDnsNamespace(
    ctx.name("tap-cloudmap"),
    {
      name: cloudMapNamespaceName(ctx),
      vpc: args.vpcId,
      description: `Cloud Map namespace of the tap mesh ${mesh} (instances registered by the App Mesh controller)`,
      tags: ctx.tags,
    },
    { parent: ctx.parent },
  );

  const namespaces = Promise.resolve(args.namespaces ?? []);
  const crOpts = (dependsOn: pulumi.Resource[], inNamespace: boolean) =>
    inCluster(
      ctx,
      inNamespace
        ? namespaces.then((ns) => [controller.release, ...ns, ...dependsOn])
        : [controller.release, ...dependsOn],
    );
  const cr = (
    role: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    spec: Record<string, unknown>,
    dependsOn: pulumi.Resource[],
  ) =>
    new k8s.apiextensions.CustomResource(
      ctx.name(role),
      {
        apiVersion: APP_MESH_API_VERSION,
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}), labels },
        spec,
      },
      crOpts(dependsOn, namespace !== undefined),
    );

  // Cluster-scoped: no metadata.namespace.
  const meshCr = cr(
    "mesh",
    "Mesh",
    undefined,
    mesh,
    {
      awsName: mesh,
      egressFilter: { type: "DROP_ALL" },
      namespaceSelector: { matchLabels: { [MESH_MEMBER_LABEL]: mesh } },
    },
    [],
  );

  const objects: k8s.apiextensions.CustomResource[] = [meshCr];
  const namespaced = [meshCr];
  for (const s of services) {
    const ns = serviceNamespace(s);
    // The node waits for the Cloud Map namespace, so on destroy it is deleted first and the
    // controller removes its Cloud Map service before the namespace goes.
    const node = cr(`mesh-vn-${s.name}`, "VirtualNode", ns, s.name, virtualNodeSpec(ctx, s), [
      ...namespaced,
      cloudMapNamespace,
    ]);
    const router = cr(
      `mesh-vr-${s.name}`,
      "VirtualRouter",
      ns,
      `${s.name}-router`,
      virtualRouterSpec(ctx, s),
      [...namespaced, node],
    );
    const service = cr(`mesh-vs-${s.name}`, "VirtualService", ns, s.name, virtualServiceSpec(s), [
      ...namespaced,
      router,
    ]);
    objects.push(node, router, service);
  }

  const binding: MeshBinding = {
    meshName: mesh,
    namespaceLabels: meshNamespaceLabels(ctx),
    podAnnotations: (service) =>
      meshPodAnnotations(
        services,
        service,
        ctx.config.addons.tracing
          ? [TRACING_DEFAULTS.otlpGrpcPort, TRACING_DEFAULTS.otlpHttpPort]
          : [],
      ),
    // privileged: the injected `proxyinit` init container adds the NET_ADMIN capability (it
    // writes the iptables rules that send the pod's traffic through Envoy) and sets no runAsNonRoot.
    // PSS baseline allows only a fixed list of added capabilities, without NET_ADMIN, so any level
    // below privileged rejects every meshed pod. This binding applies only to mesh namespaces.
    podSecurity: "privileged",
    policyStatements: (service, scope) =>
      meshDataPlaneStatements(scope, mesh, virtualNodeAwsName(ctx, service)),
    // Envoy -> App Mesh xDS (appmesh-envoy-management.<region>.amazonaws.com), X-Ray daemon -> X-Ray
    // API, and the STS call for their IRSA credentials: HTTPS only, never IMDS. DNS is already open
    // by the namespace baseline (CoreDNS); Envoy gets endpoints over xDS, not Cloud Map DNS.
    // A NetworkPolicy cannot tell containers apart: the app container may pass it too, but its
    // HTTPS is redirected to Envoy and dropped unless the service calls AWS (meshPodAnnotations).
    extraEgress: [{ to: [internetEgressPeer()], ports: [{ protocol: "TCP", port: 443 }] }],
    dependsOn: [controller.release, meshCr],
  };

  return { binding, meshName: mesh, cloudMapNamespace, objects };
}
