/**
 * The service catalog on the platform: the mesh first when App Mesh is on (the workloads need its
 * binding: injection labels, Envoy's IAM, mesh egress), then every service's workloads, then the
 * mesh's per-service objects once their namespaces exist. With the mesh off nothing App Mesh is
 * created and the workloads carry no mesh reference.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppMeshControllerResult } from "../addons/app-mesh-controller";
import { KedaResult } from "../addons/keda";
import { LoadBalancerControllerResult } from "../addons/load-balancer-controller";
import { AddonContext } from "../addons/types";
import { MeshResult, createMesh } from "./mesh";
import { ServicesDeps, ServicesResult, deployServices } from "./workloads";
import { ServiceSpec } from "./types";

export interface ServiceCatalogArgs {
  readonly services: readonly ServiceSpec[];
  /** KEDA (every service scales with a ScaledObject); absent only with an empty catalog. */
  readonly keda?: KedaResult;
  /** The App Mesh controller when the appMesh capability is on; absent, nothing App Mesh exists. */
  readonly meshController?: AppMeshControllerResult;
  /** The tap VPC (the mesh's Cloud Map namespace is associated with it). */
  readonly vpcId: pulumi.Input<string>;
  /** What every service namespace waits for (the Calico release: policies enforced from the start). */
  readonly dependsOn: pulumi.Resource[];
  /** The public subnets' CIDRs: the only sources a public service admits besides its callers. */
  readonly loadBalancerSources: readonly pulumi.Input<string>[];
  /** The load balancer controller when on: each public service gets an ALB Ingress. */
  readonly loadBalancer?: LoadBalancerControllerResult;
  /** The tenants' namespaces, by tenant name (a tenant's services run there). */
  readonly tenantNamespaces?: ReadonlyMap<string, k8s.core.v1.Namespace>;
  /** ExternalDNS when on: public services answer `<service>.<zone>`. */
  readonly dns?: ServicesDeps["dns"];
  /** The secrets store when on: services' declared secrets become files. */
  readonly secrets?: ServicesDeps["secrets"];
  /** Istio's ambient mesh when on. */
  readonly ambient?: ServicesDeps["ambient"];
  /** The registry when on: service repositories and their pull policies. */
  readonly registry?: ServicesDeps["registry"];
  /** The database when on: its declaring services' egress, secret and settings. */
  readonly database?: ServicesDeps["database"];
  /** The API's web ACL (edge and load balancer controller on): on every ALB Ingress. */
  readonly webAclArn?: ServicesDeps["webAclArn"];
  /** Argo Rollouts when on: its canary service is released by a Rollout. */
  readonly rollouts?: ServicesDeps["rollouts"];
  /** The platform's own ALB Ingresses (Argo CD's UI) the admission policy admits too. */
  readonly platformIngresses?: ServicesDeps["platformIngresses"];
  /** The OpenTelemetry Collector when on: every service's spans go there. */
  readonly tracing?: ServicesDeps["tracing"];
}

export interface ServiceCatalog {
  readonly workloads: ServicesResult;
  readonly mesh?: MeshResult & { readonly controller: AppMeshControllerResult };
}

export function deployServiceCatalog(ctx: AddonContext, args: ServiceCatalogArgs): ServiceCatalog {
  const controller = args.meshController;
  const deps: ServicesDeps = {
    keda: args.keda,
    dependsOn: args.dependsOn,
    tenantNamespaces: args.tenantNamespaces,
    loadBalancerSources: args.loadBalancerSources,
    loadBalancer: args.loadBalancer,
    dns: args.dns,
    secrets: args.secrets,
    ambient: args.ambient,
    registry: args.registry,
    database: args.database,
    webAclArn: args.webAclArn,
    rollouts: args.rollouts,
    platformIngresses: args.platformIngresses,
    tracing: args.tracing,
  };
  if (!controller) return { workloads: deployServices(ctx, args.services, deps) };
  let handOver: (namespaces: pulumi.Resource[]) => void = () => undefined;
  const namespaces = new Promise<pulumi.Resource[]>((resolve) => (handOver = resolve));
  const mesh = createMesh(ctx, args.services, controller, { vpcId: args.vpcId, namespaces });
  const workloads = deployServices(ctx, args.services, {
    ...deps,
    // Pods wait for their virtual nodes too: the injector configures Envoy from them.
    mesh: { ...mesh.binding, dependsOn: [...mesh.binding.dependsOn, ...mesh.objects] },
  });
  handOver(Object.values(workloads.services).map((s) => s.namespaceResource));
  return { workloads, mesh: { ...mesh, controller } };
}
