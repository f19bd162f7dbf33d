/**
 * Which AWS region each planned resource is in: the region of the aws provider it (or the
 * component it is in, or, for a Kubernetes object, its provider's cluster) was registered with;
 * the stack's otherwise. Read by the plan (resources per region) and the cost estimate (which
 * prices one region).
 */
import { RecordedResource } from "./offline-mocks";

export function resourceRegions(
  resources: readonly RecordedResource[],
  stackRegion: string,
): (r: RecordedResource) => string {
  const providerRegion = new Map(
    resources
      .filter((r) => r.type === "pulumi:providers:aws" && typeof r.inputs.region === "string")
      .map((r) => [r.urn, String(r.inputs.region)]),
  );
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // A component whose own resources use another region's provider is in that region (the
  // recovery region's): so are its remote components' children, which carry no provider here.
  const componentRegion = new Map<string, string>();
  for (const r of resources) {
    const region = providerRegion.get(r.provider?.replace(/::[^:]*$/, "") ?? "");
    const parent = byUrn.get(r.parent);
    if (region && parent && !parent.custom && parent.type !== "tap:index:TapStack")
      componentRegion.set(parent.urn, region);
  }
  // A resource's aws provider, or its nearest ancestor's; a Kubernetes object's region is its
  // provider's cluster's (the provider is made from that cluster's kubeconfig: it depends on it).
  const regionOf = (r: RecordedResource | undefined, seen = new Set<string>()): string => {
    for (let at = r; at && !seen.has(at.urn); at = byUrn.get(at.parent)) {
      seen.add(at.urn);
      const inComponent = componentRegion.get(at.urn);
      if (inComponent) return inComponent;
      const ref = at.provider?.replace(/::[^:]*$/, "");
      if (!ref) continue;
      if (providerRegion.has(ref)) return providerRegion.get(ref) as string;
      if (ref.includes("pulumi:providers:aws")) return stackRegion;
      const provider = byUrn.get(ref);
      const cluster = provider?.dependencies
        .map((d) => byUrn.get(d))
        .find((d) => d?.type === "eks:index:Cluster");
      return cluster ? regionOf(cluster, seen) : stackRegion;
    }
    return stackRegion;
  };
  return (r) => regionOf(r);
}

/** Custom resources per region. */
export function countByRegion(
  resources: readonly RecordedResource[],
  stackRegion: string,
): Record<string, number> {
  const regionOf = resourceRegions(resources, stackRegion);
  const out: Record<string, number> = {};
  for (const r of resources) {
    if (!r.custom) continue;
    const region = regionOf(r);
    out[region] = (out[region] ?? 0) + 1;
  }
  return out;
}
