/**
 * The SecretProviderClass of a service that reads secrets (secrets-store.csi.x-k8s.io/v1, checked
 * against the driver's CRD in facts/crds/secrets-store-csi-driver/): provider `aws`, the region,
 * and one object per secret by its ARN with the file it becomes (ASCP's `objects` parameter, a YAML
 * list as text: aws/secrets-store-csi-driver-provider-aws@3.1.1:README.md "SecretProviderClass
 * options"). Pure, so tests read it.
 */
import { SecretRef } from "../../services/types";

export function secretProviderClassName(service: string): string {
  return `${service}-secrets`;
}

/** ASCP's `objects` text: one entry per secret (JSON is YAML, and quotes every value). */
export function ascpObjects(
  secrets: readonly SecretRef[],
  arnOf: (s: SecretRef) => string,
): string {
  return secrets
    .map(
      (s) =>
        `- objectName: ${JSON.stringify(arnOf(s))}\n  objectType: "secretsmanager"\n  objectAlias: ${JSON.stringify(s.file)}`,
    )
    .join("\n");
}

export function secretProviderClassSpec(
  secrets: readonly SecretRef[],
  region: string,
  arnOf: (s: SecretRef) => string,
) {
  return {
    provider: "aws",
    parameters: {
      region,
      objects: ascpObjects(secrets, arnOf),
    },
  };
}
