/**
 * A service's IRSA role policy: the catalog's explicit statements, plus the mesh data plane's when
 * App Mesh is on. Pure, so tests can simulate it.
 */
import { AwsScope, PolicyDocument, PolicyStatement } from "../iam/policy";
import { templateArn } from "./catalog-rules";
import { MeshBinding, ServiceSpec, callsAwsApis } from "./types";

/**
 * Whether `service` gets its own IRSA role: the catalog grants it AWS permissions, App Mesh is on,
 * or it reads secrets (the CSI driver reads them as the pod).
 */
export function needsRole(service: ServiceSpec, mesh: MeshBinding | undefined): boolean {
  return callsAws(service, mesh) || service.secrets.length > 0;
}

/**
 * Whether the service's own container calls AWS (its SDK, or the mesh's Envoy) and so mounts its
 * token. Secrets alone do not: the CSI driver asks for a token of the pod's account itself.
 */
export function callsAws(service: ServiceSpec, mesh: MeshBinding | undefined): boolean {
  return callsAwsApis(service) || mesh !== undefined;
}

/**
 * Reading the declared secrets, and nothing else: GetSecretValue (the first mount) and
 * DescribeSecret (the driver's rotation check) on exactly their ARNs (ASCP 3.1.1:
 * provider/secrets_manager_provider.go L20-34, README "Usage"); kms:Decrypt on the customer keys
 * they name, only through Secrets Manager in this region and only for those secrets (Secrets
 * Manager's encryption context SecretARN).
 */
export function secretStatements(service: ServiceSpec, scope: AwsScope): PolicyStatement[] {
  if (service.secrets.length === 0) return [];
  const arns = service.secrets.map((s) => templateArn(s.arn, scope));
  const keys = [
    ...new Set(
      service.secrets.flatMap((s) => (s.kmsKeyArn ? [templateArn(s.kmsKeyArn, scope)] : [])),
    ),
  ];
  return [
    {
      Sid: "ReadDeclaredSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: arns,
    },
    ...(keys.length > 0
      ? [
          {
            Sid: "DecryptDeclaredSecrets",
            Effect: "Allow" as const,
            Action: ["kms:Decrypt"],
            Resource: keys,
            Condition: {
              StringEquals: {
                "kms:ViaService": `secretsmanager.${scope.region}.amazonaws.com`,
                "kms:EncryptionContext:SecretARN": service.secrets
                  .filter((s) => s.kmsKeyArn)
                  .map((s) => templateArn(s.arn, scope)),
              },
            },
          },
        ]
      : []),
  ];
}

/** The IAM role of `service` (before the environment suffix): `tap-svc-<name>`. */
export function serviceRoleName(service: string): string {
  return `tap-svc-${service}`;
}

/**
 * The catalog's permissions as Allow statements, in catalog order (`Catalog0`, `Catalog1`, ...),
 * ARNs templated with the stack's partition, region and account; then `PublishMetrics`:
 * PutMetricData on `*` (it has no resource type) limited by `cloudwatch:namespace`.
 */
export function catalogStatements(service: ServiceSpec, scope: AwsScope): PolicyStatement[] {
  const granted: PolicyStatement[] = service.awsPermissions.map((p, i) => ({
    Sid: `Catalog${i}`,
    Effect: "Allow",
    Action: [...p.actions],
    Resource: p.resources.map((r) => templateArn(r, scope)),
  }));
  if (service.publishesMetrics.length === 0) return granted;
  return [
    ...granted,
    {
      Sid: "PublishMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": [...service.publishesMetrics] } },
    },
  ];
}

/** The role policy of `service`: catalog statements, then the mesh's (when on). */
export function servicePolicy(
  service: ServiceSpec,
  mesh: MeshBinding | undefined,
  scope: AwsScope,
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      ...catalogStatements(service, scope),
      ...secretStatements(service, scope),
      ...(mesh ? mesh.policyStatements(service.name, scope) : []),
    ],
  };
}
