/**
 * IAM policy of the App Mesh controller (IRSA role of appmesh-system/appmesh-controller).
 *
 * Starts from upstream's controller policy (aws/aws-app-mesh-controller-for-k8s
 * config/iam/controller-iam-policy.json, eks-facts §2d) and narrows it:
 * - App Mesh: the same List/Describe/Create/Update/Delete actions, but only on tap's one mesh and
 *   the objects inside it (`mesh/<meshName>` and `mesh/<meshName>/*`), never `appmesh:*`.
 * - iam:CreateServiceLinkedRole: only the AppMesh service-linked role, only for appmesh.amazonaws.com.
 * - Cloud Map: upstream's twelve actions, each on the resource types the IAM Service Authorization
 *   Reference gives it (namespace/*, service/* in this account and region); never `servicediscovery:*`.
 * - Route 53: upstream's health-check and record actions (Cloud Map registers instances through
 *   them), on health checks and hosted zones rather than `*` where the action has a resource type.
 * - Dropped: upstream's acm:* / acm-pca:* reads. They only resolve TLS certificate ARNs in
 *   listener/backend TLS specs, which tap's mesh objects do not use (lib/services/mesh.ts).
 */
import { AwsScope, PolicyDocument } from "../../iam/policy";

/** The App Mesh actions the controller calls on a mesh and its children (upstream list, minus ListMeshes). */
export const APP_MESH_CONTROLLER_MESH_ACTIONS: readonly string[] = [
  "appmesh:ListVirtualRouters",
  "appmesh:ListVirtualServices",
  "appmesh:ListRoutes",
  "appmesh:ListGatewayRoutes",
  "appmesh:ListVirtualNodes",
  "appmesh:ListVirtualGateways",
  "appmesh:DescribeMesh",
  "appmesh:DescribeVirtualRouter",
  "appmesh:DescribeRoute",
  "appmesh:DescribeVirtualNode",
  "appmesh:DescribeVirtualGateway",
  "appmesh:DescribeGatewayRoute",
  "appmesh:DescribeVirtualService",
  "appmesh:CreateMesh",
  "appmesh:CreateVirtualRouter",
  "appmesh:CreateVirtualGateway",
  "appmesh:CreateVirtualService",
  "appmesh:CreateGatewayRoute",
  "appmesh:CreateRoute",
  "appmesh:CreateVirtualNode",
  "appmesh:UpdateMesh",
  "appmesh:UpdateRoute",
  "appmesh:UpdateVirtualGateway",
  "appmesh:UpdateVirtualRouter",
  "appmesh:UpdateGatewayRoute",
  "appmesh:UpdateVirtualService",
  "appmesh:UpdateVirtualNode",
  "appmesh:DeleteMesh",
  "appmesh:DeleteRoute",
  "appmesh:DeleteVirtualRouter",
  "appmesh:DeleteGatewayRoute",
  "appmesh:DeleteVirtualService",
  "appmesh:DeleteVirtualNode",
  "appmesh:DeleteVirtualGateway",
];

/** Cloud Map actions that act on one service (resource type `service` only). */
export const CLOUD_MAP_SERVICE_ACTIONS: readonly string[] = [
  "servicediscovery:DeleteService",
  "servicediscovery:GetService",
  "servicediscovery:GetInstance",
  "servicediscovery:RegisterInstance",
  "servicediscovery:DeregisterInstance",
  "servicediscovery:ListInstances",
  "servicediscovery:GetInstancesHealthStatus",
  "servicediscovery:UpdateInstanceCustomHealthStatus",
];

/**
 * Actions with NO resource type in the Service Authorization Reference: IAM only accepts them on
 * `"Resource": "*"`. All are reads or creations that name no existing resource:
 * - servicediscovery:ListNamespaces / ListServices: the controller finds tap's namespace and its
 *   services by name (list calls, filtered client-side).
 * - appmesh:ListMeshes: account-wide listing of mesh names (read-only; kept from upstream).
 * - route53:CreateHealthCheck: Cloud Map creates a health check per instance when the service
 *   has one (creation: there is no ARN before it exists).
 */
export const UNSCOPABLE_CONTROLLER_ACTIONS: readonly string[] = [
  "servicediscovery:ListNamespaces",
  "servicediscovery:ListServices",
  "appmesh:ListMeshes",
  "route53:CreateHealthCheck",
];

/** The App Mesh service-linked role the controller may create once per account. */
export const APP_MESH_SERVICE_LINKED_ROLE_PATH =
  "role/aws-service-role/appmesh.amazonaws.com/AWSServiceRoleForAppMesh";
export const APP_MESH_SERVICE_NAME = "appmesh.amazonaws.com";

/** `arn:<p>:appmesh:<region>:<acct>:mesh/<meshName>`. */
export function meshArn(scope: AwsScope, meshName: string): string {
  return `arn:${scope.partition}:appmesh:${scope.region}:${scope.accountId}:mesh/${meshName}`;
}

/** The controller's permissions for tap's one mesh (`meshName`) and the Cloud Map it registers into. */
export function appMeshControllerPolicy(scope: AwsScope, meshName: string): PolicyDocument {
  const { partition, region, accountId } = scope;
  const mesh = meshArn(scope, meshName);
  const cloudMap = `arn:${partition}:servicediscovery:${region}:${accountId}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ManageTapMeshOnly",
        Effect: "Allow",
        Action: APP_MESH_CONTROLLER_MESH_ACTIONS,
        Resource: [mesh, `${mesh}/*`],
      },
      {
        Sid: "CreateAppMeshServiceLinkedRole",
        Effect: "Allow",
        Action: "iam:CreateServiceLinkedRole",
        Resource: `arn:${partition}:iam::${accountId}:${APP_MESH_SERVICE_LINKED_ROLE_PATH}`,
        Condition: { StringEquals: { "iam:AWSServiceName": APP_MESH_SERVICE_NAME } },
      },
      {
        // CreateService needs both resource types (the namespace it creates in, the new service).
        // Namespace and service IDs are generated by Cloud Map (ns-..., srv-...), so the policy
        // can name only this account and region; the namespace itself is tap-<suffix>.local.
        Sid: "CloudMapCreateServiceInAccountRegion",
        Effect: "Allow",
        Action: ["servicediscovery:CreateService", "servicediscovery:GetOperation"],
        Resource: [`${cloudMap}:namespace/*`, `${cloudMap}:service/*`],
      },
      {
        Sid: "CloudMapServicesAndInstances",
        Effect: "Allow",
        Action: CLOUD_MAP_SERVICE_ACTIONS,
        Resource: `${cloudMap}:service/*`,
      },
      {
        // Route 53 ARNs carry no account or region (arn:<p>:route53:::healthcheck/<id>).
        Sid: "Route53HealthChecksForCloudMap",
        Effect: "Allow",
        Action: [
          "route53:GetHealthCheck",
          "route53:UpdateHealthCheck",
          "route53:DeleteHealthCheck",
        ],
        Resource: `arn:${partition}:route53:::healthcheck/*`,
      },
      {
        Sid: "Route53RecordsForCloudMap",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: `arn:${partition}:route53:::hostedzone/*`,
      },
      {
        Sid: "UnscopableListAndCreateHealthCheck",
        Effect: "Allow",
        Action: UNSCOPABLE_CONTROLLER_ACTIONS,
        Resource: "*",
      },
    ],
  };
}
