/**
 * Prints tap's Helm releases (chart, version, resolved values) for every supported Kubernetes
 * minor, App Mesh on and off, as JSON on stdout: `node tools/upstream/run.js dump-tap-releases.ts`.
 */
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/addons/versions";
import { TapRelease, synthesizeReleases } from "../../test/helpers/chart-facts";

export interface TapReleaseSet {
  readonly kubernetesVersion: string;
  readonly enableAppMesh: boolean;
  readonly releases: readonly TapRelease[];
}

export async function dumpTapReleases(): Promise<TapReleaseSet[]> {
  const out: TapReleaseSet[] = [];
  for (const kubernetesVersion of SUPPORTED_KUBERNETES_VERSIONS) {
    for (const enableAppMesh of [true, false]) {
      const releases = await synthesizeReleases(kubernetesVersion, enableAppMesh);
      out.push({ kubernetesVersion, enableAppMesh, releases });
    }
  }
  return out;
}

export async function main(): Promise<void> {
  process.stdout.write(`${JSON.stringify(await dumpTapReleases(), null, 2)}\n`);
}
