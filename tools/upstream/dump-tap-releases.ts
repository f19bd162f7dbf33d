/**
 * Prints tap's Helm releases (chart, version, resolved values) for every supported Kubernetes
 * minor and every variant the chart facts cover (App Mesh on, App Mesh off, Karpenter instead of
 * cluster-autoscaler, the AWS Load Balancer Controller, ExternalDNS and the secrets store on, Kyverno on, Falco on: test/helpers/chart-facts.ts
 * TAP_VARIANTS) as JSON on stdout:
 * `node tools/upstream/run.js dump-tap-releases.ts`.
 */
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/addons/versions";
import { TAP_VARIANTS, TapRelease, synthesizeReleases } from "../../test/helpers/chart-facts";

export interface TapReleaseSet {
  readonly kubernetesVersion: string;
  readonly enableAppMesh: boolean;
  readonly karpenter: boolean;
  readonly loadBalancerController: boolean;
  readonly externalDns: boolean;
  readonly secretsStore: boolean;
  readonly istio: boolean;
  readonly kyverno: boolean;
  readonly falco: boolean;
  readonly releases: readonly TapRelease[];
}

export async function dumpTapReleases(): Promise<TapReleaseSet[]> {
  const out: TapReleaseSet[] = [];
  for (const kubernetesVersion of SUPPORTED_KUBERNETES_VERSIONS) {
    for (const variant of TAP_VARIANTS) {
      const { enableAppMesh, ...options } = variant;
      const releases = await synthesizeReleases(kubernetesVersion, enableAppMesh, options);
      out.push({ kubernetesVersion, ...variant, releases });
    }
  }
  return out;
}

export async function main(): Promise<void> {
  const text = `${JSON.stringify(await dumpTapReleases(), null, 2)}\n`;
  // run.js exits as soon as main resolves: wait until a pipe has taken all of it (else cut at 128K).
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}
