/**
 * Validates Kubernetes manifests that tap registers against their OpenAPI schemas
 * (kubernetes-models 4.x and @kubernetes-models/keda 0.4.x: CommonJS, works under ts-jest).
 * A manifest with no known schema is an error, never a silent pass.
 */
import { RecordedResource } from "./mocks";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** Module path of the model for apiVersion + kind. */
function modulePath(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function modelFor(apiVersion: string, kind: string): ModelClass {
  const path = modulePath(apiVersion, kind);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path) as Record<string, unknown>;
  } catch {
    throw new Error(`no schema for ${apiVersion} ${kind} (looked for ${path})`);
  }
  const cls = mod[kind] ?? mod.default;
  if (typeof cls !== "function") throw new Error(`${path} exports no ${kind} model`);
  return cls as ModelClass;
}

/** Throws the validator's message (prefixed with the manifest's identity) when invalid. */
export function validateManifest(manifest: Record<string, unknown>): void {
  const apiVersion = String(manifest.apiVersion);
  const kind = String(manifest.kind);
  const Model = modelFor(apiVersion, kind);
  try {
    new Model(manifest).validate();
  } catch (e) {
    const name = (manifest.metadata as { name?: string } | undefined)?.name ?? "?";
    throw new Error(`${apiVersion} ${kind} ${name}: ${(e as Error).message}`);
  }
}

/** The Kubernetes objects (not Helm releases or providers) among recorded resources, as manifests. */
export function kubernetesManifests(
  resources: readonly RecordedResource[],
): Record<string, unknown>[] {
  return resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"))
    .filter((r) => r.type !== "pulumi:providers:kubernetes")
    .map((r) => r.inputs);
}
