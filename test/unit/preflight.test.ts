import * as pulumi from "@pulumi/pulumi";
import { PreflightError, judgeVersion } from "../../lib/preflight";
import { TapConfigError } from "../../lib/config";
import { EKS_VERSIONS_2026_11, mockTap } from "../helpers/mocks";
// bin/tap.ts is a CommonJS `export =` (what the Pulumi runtime calls).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import main = require("../../bin/tap");

describe("judgeVersion", () => {
  it("refuses a version EKS no longer offers, saying why and what to set", () => {
    expect(() => judgeVersion("1.28", EKS_VERSIONS_2026_11)).toThrow(PreflightError);
    expect(() => judgeVersion("1.28", EKS_VERSIONS_2026_11)).toThrow(
      "tap:kubernetesVersion 1.28 is not offered by EKS in this region (its extended support ended 2025-11-26). " +
        "EKS offers: 1.31, 1.32, 1.33, 1.34, 1.35. Choose one that tap also supports, e.g.: pulumi config set tap:kubernetesVersion 1.35",
    );
  });

  it("refuses a version EKS does not list at all", () => {
    expect(() => judgeVersion("1.36", EKS_VERSIONS_2026_11)).toThrow(
      /1\.36 is not offered by EKS in this region \(EKS does not list it\)/,
    );
  });

  it("warns, with the cost, for a version in extended support", () => {
    const result = judgeVersion("1.33", EKS_VERSIONS_2026_11);
    expect(result.status).toBe("EXTENDED_SUPPORT");
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /1\.33 is in EKS extended support \(ends 2027-07-29\).*0\.60 per cluster-hour/,
      ),
    ]);
  });

  it("passes a version in standard support silently", () => {
    expect(judgeVersion("1.35", EKS_VERSIONS_2026_11)).toEqual({
      offered: ["1.31", "1.32", "1.33", "1.34", "1.35"],
      status: "STANDARD_SUPPORT",
      warnings: [],
    });
  });
});

describe("bin/tap.ts", () => {
  const run = (config: Record<string, string>) =>
    mockTap(async () => {
      pulumi.runtime.setAllConfig(config);
      try {
        return await main();
      } catch (e) {
        return e as Error;
      }
    });

  it("stops before creating anything when EKS no longer offers the default 1.28", async () => {
    const { resources, calls, value } = await run({});
    expect(value).toBeInstanceOf(PreflightError);
    expect(resources).toEqual([]);
    expect(calls.map((c) => c.token)).toEqual(["aws:eks/getClusterVersions:getClusterVersions"]);
    expect(calls[0].inputs).toMatchObject({ clusterType: "eks", includeAll: true });
  });

  it("stops on bad config before asking EKS or creating anything", async () => {
    const { resources, calls, value } = await run({
      "tap:spotPercentage": "150",
      "tap:nodeMaxSize": "1000",
    });
    expect(value).toBeInstanceOf(TapConfigError);
    expect((value as TapConfigError).problems.map((p) => p.propertyPath)).toEqual([
      "tap:spotPercentage",
      "tap:nodeMaxSize",
    ]);
    expect(resources).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("builds the stack and exports its outputs for an offered version", async () => {
    const { resources, value } = await run({
      "tap:kubernetesVersion": "1.34",
      "tap:environmentSuffix": "pr9",
    });
    expect(value).not.toBeInstanceOf(Error);
    expect(Object.keys(value as object)).toContain("kubeconfig");
    expect(resources.find((r) => r.type === "eks:index:Cluster")?.inputs.version).toBe("1.34");
  });
});
