/**
 * The EKS support calendar as data (lib/support.ts): phases on given days, the recommended minor,
 * what tap:supportType means 90 days before the end of standard support and after it, and that
 * every shipped file names a minor in standard support.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/addons/versions";
import { PreflightError, calendarClusterVersions, judge } from "../../lib/preflight";
import {
  CONTROL_PLANE_USD_PER_MONTH,
  EKS_CALENDAR,
  SupportWindow,
  calendarVersionsOn,
  daysBetween,
  judgeSupport,
  nextSupportedVersion,
  phaseOn,
  recommendedKubernetesVersion,
} from "../../lib/support";

const ROOT = path.resolve(__dirname, "..", "..");
const window = (version: string): SupportWindow => ({
  version,
  status: "STANDARD_SUPPORT",
  endOfStandardSupport: `${EKS_CALENDAR[version].endOfStandardSupport}T00:00:00Z`,
  endOfExtendedSupport: `${EKS_CALENDAR[version].endOfExtendedSupport}T00:00:00Z`,
});

describe("the EKS calendar", () => {
  it.each([
    ["1.34", "2026-12-02", "standard"], // its last day of standard support
    ["1.34", "2026-12-03", "extended"],
    ["1.31", "2026-11-26", "extended"],
    ["1.31", "2026-11-27", "ended"],
    ["1.28", "2026-12-02", "ended"],
    ["1.99", "2026-12-02", "unknown"],
  ])("%s on %s is in %s support", (version, date, phase) => {
    expect(phaseOn(version, date)).toBe(phase);
  });

  it("covers every minor tap supports, each standard window shorter than its extended one", () => {
    for (const v of SUPPORTED_KUBERNETES_VERSIONS) {
      const c = EKS_CALENDAR[v];
      expect(c).toBeDefined();
      expect(daysBetween(c.endOfStandardSupport, c.endOfExtendedSupport)).toBeGreaterThan(360);
    }
  });

  it("recommends the newest supported minor in standard support on each day", () => {
    expect(recommendedKubernetesVersion("2026-07-01")).toBe("1.35");
    expect(recommendedKubernetesVersion("2026-12-02")).toBe("1.35");
    expect(nextSupportedVersion("1.28")).toBe("1.31");
    expect(nextSupportedVersion("1.34")).toBe("1.35");
  });

  it("rebuilds EKS's version list for a day: only minors still offered, with their status", () => {
    expect(calendarVersionsOn("2026-12-03").map((w) => `${w.version} ${w.status}`)).toEqual([
      "1.32 EXTENDED_SUPPORT",
      "1.33 EXTENDED_SUPPORT",
      "1.34 EXTENDED_SUPPORT",
      "1.35 STANDARD_SUPPORT",
    ]);
  });

  it("prices the control plane per month from the hourly rates (730 h)", () => {
    expect(CONTROL_PLANE_USD_PER_MONTH).toEqual({ standard: 73, extended: 438 });
  });
});

describe("judgeSupport (what tap:supportType means)", () => {
  it("is silent more than 90 days before the end of standard support", () => {
    expect(judgeSupport(window("1.35"), "STANDARD", "2026-12-01")).toEqual({
      problems: [],
      warnings: [],
    });
    expect(judgeSupport(window("1.35"), "EXTENDED", "2026-12-26").warnings).toEqual([]);
  });

  it("within 90 days, STANDARD warns of the automatic upgrade and names the next minor", () => {
    const { problems, warnings } = judgeSupport(window("1.35"), "STANDARD", "2026-12-27");
    expect(problems).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "Kubernetes 1.35 leaves EKS standard support on 2027-03-27 (90 days from 2026-12-27)",
    );
    expect(warnings[0]).toContain("EKS then upgrades the control plane to the next minor");
  });

  it("within 90 days, EXTENDED warns of the price and names both ways out", () => {
    const [warning] = judgeSupport(window("1.34"), "EXTENDED", "2026-12-02").warnings;
    expect(warning).toContain("leaves EKS standard support on 2026-12-02 (0 days from 2026-12-02)");
    expect(warning).toContain("USD 438 a month instead of 73 (+365");
    expect(warning).toContain("pulumi config set tap:kubernetesVersion 1.35");
    expect(warning).toContain("pulumi config set tap:supportType STANDARD");
  });

  it("in extended support, STANDARD is a problem (EKS sets the policy only in standard support)", () => {
    const extended = { ...window("1.33"), status: "EXTENDED_SUPPORT" as const };
    const { problems } = judgeSupport(extended, "STANDARD", "2026-12-02");
    expect(problems).toEqual([
      expect.stringMatching(
        /^tap:supportType is STANDARD, but Kubernetes 1\.33 has been in EKS extended support since 2026-07-29.*pulumi config set tap:kubernetesVersion 1\.34.*pulumi config set tap:supportType EXTENDED$/,
      ),
    ]);
    expect(judgeSupport(extended, "EXTENDED", "2026-12-02")).toEqual({
      problems: [],
      warnings: [expect.stringContaining("USD 438 a month")],
    });
  });

  it("the preflight stops on it together with every other problem, before anything exists", () => {
    const versions = calendarClusterVersions("2026-12-03");
    const stop = () =>
      judge(
        { kubernetesVersion: "1.34", enableAppMesh: true, supportType: "STANDARD" },
        versions,
        "2026-12-03",
      );
    expect(stop).toThrow(PreflightError);
    expect(stop).toThrow(
      /2 problems\):\n {2}- tap:supportType is STANDARD.*\n {2}- tap:enableAppMesh/,
    );
  });
});

describe("shipped files name a minor in standard support, the recommended one", () => {
  const today = new Date().toISOString().slice(0, 10);
  const recommended = recommendedKubernetesVersion(today);

  it("today's recommendation is itself in standard support", () => {
    expect(phaseOn(recommended, today)).toBe("standard");
  });

  it("Pulumi.dev.yaml and Pulumi.yaml's default", () => {
    const dev = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(dev.config["tap:kubernetesVersion"]).toBe(recommended);
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    expect(project.config["tap:kubernetesVersion"].default).toBe(recommended);
  });

  it("every `tap:kubernetesVersion <minor>` the README tells a reader to set", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const told = [...readme.matchAll(/config set tap:kubernetesVersion "?(1\.[0-9]+)"?/g)].map(
      (m) => m[1],
    );
    expect(told.length).toBeGreaterThan(0);
    for (const v of told) expect(`${v}: ${phaseOn(v, today)}`).toBe(`${v}: standard`);
  });
});
