/**
 * Names and IAM of the mesh data plane, as pure functions: the mesh and virtual-node names (so the
 * CRs, the outputs and the IAM ARNs agree), and the statements every meshed service's own IRSA role
 * gets for its injected Envoy and X-Ray daemon (both run with the pod's service account).
 */
import { Namer, meshName } from "../addons/app-mesh-controller/names";
import { AwsScope, PolicyStatement } from "../iam/policy";

export type { Namer };
export { meshName };

/** A service's virtual node name in App Mesh: `<service>-<suffix>`. */
export function virtualNodeAwsName(ctx: Namer, service: string): string {
  return ctx.name(service);
}

/** A service's virtual router name in App Mesh: `<service>-router-<suffix>`. */
export function virtualRouterAwsName(ctx: Namer, service: string): string {
  return ctx.name(`${service}-router`);
}

/** `arn:<p>:appmesh:<region>:<acct>:mesh/<mesh>/virtualNode/<vn>` (proxy authorization resource). */
export function virtualNodeArn(scope: AwsScope, mesh: string, virtualNode: string): string {
  const { partition, region, accountId } = scope;
  return `arn:${partition}:appmesh:${region}:${accountId}:mesh/${mesh}/virtualNode/${virtualNode}`;
}

/**
 * The X-Ray daemon's writes (managed policy AWSXRayDaemonWriteAccess v2). None of these actions has
 * a resource type in the Service Authorization Reference, so IAM only accepts `"Resource": "*"`;
 * they write trace segments/telemetry and read sampling rules, and cannot read traces back.
 */
export const XRAY_DAEMON_ACTIONS: readonly string[] = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:GetSamplingStatisticSummaries",
];

/**
 * Envoy proxy authorization: `appmesh:StreamAggregatedResources` on exactly this service's virtual
 * node, so a compromised pod can receive only its own node's configuration (not the AWS managed
 * AWSAppMeshEnvoyAccess, which grants it on `*`); plus the X-Ray daemon's writes. No TLS actions
 * (acm:ExportCertificate, ...): the mesh configures no TLS.
 */
export function meshDataPlaneStatements(
  scope: AwsScope,
  mesh: string,
  virtualNode: string,
): PolicyStatement[] {
  return [
    {
      Sid: "EnvoyOwnVirtualNodeOnly",
      Effect: "Allow",
      Action: "appmesh:StreamAggregatedResources",
      Resource: virtualNodeArn(scope, mesh, virtualNode),
    },
    {
      Sid: "XRayDaemonWrite",
      Effect: "Allow",
      Action: XRAY_DAEMON_ACTIONS,
      Resource: "*",
    },
  ];
}
