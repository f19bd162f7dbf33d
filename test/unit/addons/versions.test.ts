/** The minors EKS offers that tap cannot pin yet: recorded with their evidence, never both ways. */
import {
  SUPPORTED_KUBERNETES_VERSIONS,
  UNPINNABLE_KUBERNETES_VERSIONS,
  pinsFor,
} from "../../../lib/addons/versions";
import { resolveConfig } from "../../../lib/config";

describe("UNPINNABLE_KUBERNETES_VERSIONS", () => {
  const entries = Object.entries(UNPINNABLE_KUBERNETES_VERSIONS);

  it("records 1.36 with KEDA, cluster-autoscaler and Calico as what holds it back", () => {
    expect(entries.map(([v, b]) => [v, b.map((x) => x.component)])).toEqual([
      ["1.36", ["KEDA", "cluster-autoscaler", "Calico"]],
    ]);
  });

  it.each(entries)("%s is not pinned as well (the record goes when the pins come)", (version) => {
    expect(SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).not.toContain(version);
    expect(() => pinsFor(version)).toThrow(/not supported/);
  });

  it.each(entries.flatMap(([v, bs]) => bs.map((b) => [v, b.component, b] as const)))(
    "%s / %s cites an upstream file as repo@ref:path and says what unblocks it",
    (_v, _c, blocker) => {
      expect(blocker.source).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{7,}:[^\s]+/);
      expect(blocker.fact.length).toBeGreaterThan(40);
      expect(blocker.unblockedBy.length).toBeGreaterThan(10);
    },
  );

  it("a stack asking for 1.36 is refused before anything exists, naming why and what to set", () => {
    expect(() =>
      resolveConfig(
        { kubernetesVersion: "1.36", enableAppMesh: "false" },
        { stackName: "dev", env: {} },
      ),
    ).toThrow(/1\.35.*\(got "1\.36"\); EKS offers 1\.36 but tap cannot pin its add-ons yet: KEDA/s);
  });
});
