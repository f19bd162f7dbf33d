import * as pulumi from "@pulumi/pulumi";
import { PreflightError, judge, judgeVersion } from "../../lib/preflight";
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
        "EKS offers: 1.31, 1.32, 1.33, 1.34, 1.35; tap supports: 1.28, 1.31, 1.32, 1.33, 1.34, 1.35. " +
        "Set one both support: pulumi config set tap:kubernetesVersion 1.35",
    );
  });

  it("suggests only a version tap supports, preferring standard support", () => {
    const withNewer = [
      ...EKS_VERSIONS_2026_11,
      {
        clusterVersion: "1.99",
        versionStatus: "STANDARD_SUPPORT" as const,
        endOfStandardSupportDate: "2028-01-01T00:00:00Z",
        endOfExtendedSupportDate: "2029-01-01T00:00:00Z",
      },
    ];
    expect(() => judgeVersion("1.28", withNewer)).toThrow(
      /Set one both support: pulumi config set tap:kubernetesVersion 1\.35$/,
    );
  });

  it("stops App Mesh after its discontinuation, naming both keys in one message", () => {
    const stop = () =>
      judge(
        { kubernetesVersion: "1.28", enableAppMesh: true, supportType: "STANDARD" },
        EKS_VERSIONS_2026_11,
        "2026-12-01",
      );
    expect(stop).toThrow(PreflightError);
    expect(stop).toThrow(/2 problems/);
    expect(stop).toThrow(/- tap:kubernetesVersion 1\.28 is not offered/);
    expect(stop).toThrow(
      /- tap:enableAppMesh is true, but AWS App Mesh was discontinued on 2026-09-30.*pulumi config set tap:enableAppMesh false/,
    );
    expect(() =>
      judge(
        { kubernetesVersion: "1.35", enableAppMesh: true, supportType: "STANDARD" },
        EKS_VERSIONS_2026_11,
        "2026-12-01",
      ),
    ).toThrow(/\(1 problem\):\n {2}- tap:enableAppMesh/);
    expect(
      judge(
        { kubernetesVersion: "1.35", enableAppMesh: false, supportType: "STANDARD" },
        EKS_VERSIONS_2026_11,
        "2026-12-01",
      ).status,
    ).toBe("STANDARD_SUPPORT");
  });

  it("is a Pulumi RunError: `pulumi up` prints the message without a stack trace", () => {
    expect(pulumi.RunError.isInstance(new PreflightError(["x"]))).toBe(true);
    expect(pulumi.RunError.isInstance(new TapConfigError([]))).toBe(true);
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
        /1\.33 is in EKS extended support \(since 2026-07-29, ends 2027-07-29\).*USD 438 a month instead of 73 \(\+365: 0\.60 instead of 0\.10 per cluster-hour\)/,
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
        // No transforms: Pulumi's mock monitor refuses them (the program passes them always).
        return await main(undefined, {});
      } catch (e) {
        return e as Error;
      }
    });

  it("stops before creating anything with the specification's defaults (1.28, App Mesh on)", async () => {
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
      "tap:enableAppMesh": "false",
      "tap:environmentSuffix": "pr9",
    });
    expect(value).not.toBeInstanceOf(Error);
    expect(Object.keys(value as object)).toContain("kubeconfig");
    expect(resources.find((r) => r.type === "eks:index:Cluster")?.inputs.version).toBe("1.34");
  });

  it("drops the deploying identity from clusterAdminArns (pulumi-eks already made it admin)", async () => {
    const { resources, value } = await run({
      "tap:kubernetesVersion": "1.35",
      "tap:enableAppMesh": "false",
      // The mocks' caller is arn:aws:iam::123456789012:user/ci.
      "tap:clusterAdminArns": JSON.stringify([
        "arn:aws:iam::123456789012:user/ci",
        "arn:aws:iam::123456789012:role/PlatformAdmin",
      ]),
    });
    expect(value).not.toBeInstanceOf(Error);
    const entries = resources.find((r) => r.type === "eks:index:Cluster")?.inputs
      .accessEntries as Record<string, { principalArn: string }>;
    expect(Object.values(entries).map((e) => e.principalArn)).toEqual([
      "arn:aws:iam::123456789012:role/PlatformAdmin",
    ]);
  });
});
