/**
 * The service catalog on the platform: App Mesh first when it is on (the workloads need its
 * binding: injection labels, Envoy's IAM, mesh egress), then every service's workloads, then the
 * mesh's per-service objects once their namespaces exist. With the mesh off nothing App Mesh is
 * created and the workloads carry no mesh reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppMeshControllerResult, deployAppMeshController } from "../addons/app-mesh-controller";
import { KedaResult } from "../addons/keda";
import { AddonContext } from "../addons/types";
import { MeshResult, createMesh } from "./mesh";
import { ServicesResult, deployServices } from "./workloads";
import { ServiceSpec } from "./types";

export interface ServiceCatalogArgs {
  readonly services: readonly ServiceSpec[];
  readonly keda: KedaResult;
  readonly enableAppMesh: boolean;
  /** The tap VPC (the mesh's Cloud Map namespace is associated with it). */
  readonly vpcId: pulumi.Input<string>;
  /** What every service namespace waits for (the Calico release: policies enforced from the start). */
  readonly dependsOn: pulumi.Resource[];
}

export interface ServiceCatalog {
  readonly workloads: ServicesResult;
  readonly mesh?: MeshResult & { readonly controller: AppMeshControllerResult };
}

export function deployServiceCatalog(ctx: AddonContext, args: ServiceCatalogArgs): ServiceCatalog {
  if (!args.enableAppMesh) {
    return {
      workloads: deployServices(ctx, args.services, { keda: args.keda, dependsOn: args.dependsOn }),
    };
  }
  const controller = deployAppMeshController(ctx);
  let handOver: (namespaces: pulumi.Resource[]) => void = () => undefined;
  const namespaces = new Promise<pulumi.Resource[]>((resolve) => (handOver = resolve));
  const mesh = createMesh(ctx, args.services, controller, { vpcId: args.vpcId, namespaces });
  const workloads = deployServices(ctx, args.services, {
    keda: args.keda,
    // Pods wait for their virtual nodes too: the injector configures Envoy from them.
    mesh: { ...mesh.binding, dependsOn: [...mesh.binding.dependsOn, ...mesh.objects] },
    dependsOn: args.dependsOn,
  });
  handOver(Object.values(workloads.services).map((s) => s.namespaceResource));
  return { workloads, mesh: { ...mesh, controller } };
}
