import { readFileSync } from "fs";
import { DEFAULT_CAPABILITIES, DEFAULT_CAPABILITY_SETTINGS } from "../../lib/capabilities";
import { join } from "path";
import {
  CONFIG_KEYS,
  DEFAULTS,
  TapConfigError,
  TapConfigInput,
  instanceArchitecture,
  creatorRecord,
  isCallerIdentity,
  resolveConfig,
  tapConfigFromPulumi,
  withoutCreator,
} from "../../lib/config";

const ctx = { stackName: "dev" };

/** The problems resolveConfig reports for `input` (fails the test if it does not throw). */
function problemsOf(input: TapConfigInput, context = ctx) {
  try {
    resolveConfig(input, context);
  } catch (e) {
    if (e instanceof TapConfigError) return e.problems;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("resolveConfig defaults", () => {
  it("resolves an empty config to the documented defaults, the suffix from the stack name", () => {
    const { config } = resolveConfig({}, ctx);
    // `addons: {}` (no overrides) resolves to every capability at its default; `dr: {}` to no
    // recovery region (the key absent).
    const { dr, ...defaults } = DEFAULTS;
    expect(dr).toEqual({});
    expect(config).toEqual({
      environmentSuffix: "dev",
      ...defaults,
      addons: DEFAULT_CAPABILITIES,
      addonSettings: DEFAULT_CAPABILITY_SETTINGS,
    });
  });

  it("takes the suffix from ENVIRONMENT_SUFFIX before the stack name, and tap:environmentSuffix before both", () => {
    expect(
      resolveConfig({}, { stackName: "dev", env: { ENVIRONMENT_SUFFIX: "pr42" } }).config
        .environmentSuffix,
    ).toBe("pr42");
    expect(
      resolveConfig(
        { environmentSuffix: "qa" },
        { stackName: "dev", env: { ENVIRONMENT_SUFFIX: "pr42" } },
      ).config.environmentSuffix,
    ).toBe("qa");
  });

  it("parses Pulumi's string forms: integers, booleans, JSON lists and comma lists", () => {
    const { config } = resolveConfig(
      {
        spotPercentage: "60",
        enableAppMesh: "false",
        nodeInstanceTypes: '["m6i.xlarge","m5.xlarge","m5a.xlarge"]',
        endpointPublicAccessCidrs: "203.0.113.0/24, 198.51.100.0/24",
      },
      ctx,
    );
    expect(config.spotPercentage).toBe(60);
    expect(config.enableAppMesh).toBe(false);
    expect(config.nodeInstanceTypes).toEqual(["m6i.xlarge", "m5.xlarge", "m5a.xlarge"]);
    expect(config.endpointPublicAccessCidrs).toEqual(["203.0.113.0/24", "198.51.100.0/24"]);
  });

  it("picks tap: keys out of Pulumi's flat config and leaves other namespaces alone", () => {
    expect(tapConfigFromPulumi({ "tap:spotPercentage": "50", "aws:region": "us-east-1" })).toEqual({
      spotPercentage: "50",
    });
  });
});

describe("resolveConfig warnings", () => {
  it("warns that the default public endpoint is world-open and App Mesh is discontinued", () => {
    const { warnings } = resolveConfig({}, ctx);
    expect(warnings.join("\n")).toMatch(/0\.0\.0\.0\/0.*whole internet/);
    expect(warnings.join("\n")).toMatch(/App Mesh on 2026-09-30.*tap:enableAppMesh false/);
  });

  it("does not warn about the endpoint or the mesh once they are narrowed and off", () => {
    const { warnings } = resolveConfig(
      { endpointPublicAccessCidrs: ["203.0.113.0/24"], enableAppMesh: false },
      ctx,
    );
    expect(warnings).toEqual([]);
  });
});

describe("resolveConfig rejects bad input, naming the key, the value and what is allowed", () => {
  it.each<[string, TapConfigInput, string, RegExp]>([
    [
      "an upper-case suffix",
      { environmentSuffix: "Dev" },
      "tap:environmentSuffix",
      /lowercase.*\(got "Dev"\)/,
    ],
    [
      "a 21-character suffix",
      { environmentSuffix: "a".repeat(21) },
      "tap:environmentSuffix",
      /1-20/,
    ],
    [
      "a suffix starting with '-'",
      { environmentSuffix: "-dev" },
      "tap:environmentSuffix",
      /starting with a letter or digit/,
    ],
    ["an empty team", { team: "" }, "tap:team", /non-empty.*\(got ""\)/],
    [
      "a costCenter with forbidden characters",
      { costCenter: "fin$tech" },
      "tap:costCenter",
      /AWS tag value.*fin\$tech/,
    ],
    [
      "an unknown Kubernetes version",
      { kubernetesVersion: "1.29" },
      "tap:kubernetesVersion",
      /one of 1\.28, 1\.31.*\(got "1\.29"\)/,
    ],
    [
      "1.36, which EKS offers and tap cannot pin yet: the blocking components named",
      { kubernetesVersion: "1.36" },
      "tap:kubernetesVersion",
      /\(got "1\.36"\); EKS offers 1\.36 but tap cannot pin its add-ons yet: KEDA \(needs KEDA v2\.21\.0.*\); cluster-autoscaler \(needs .*Karpenter.*\); Calico \(needs work in tap.*UNPINNABLE_KUBERNETES_VERSIONS/,
    ],
    [
      "a version YAML read as a number (1.30 -> 1.3)",
      { kubernetesVersion: "1.3" },
      "tap:kubernetesVersion",
      /\(got "1\.3"\); an unquoted 1\.30 in a stack file is the YAML number 1\.3: quote it, tap:kubernetesVersion: "1\.30"/,
    ],
    [
      "an unknown support type",
      { supportType: "extended" },
      "tap:supportType",
      /must be one of STANDARD, EXTENDED \(got "extended"\)/,
    ],
    [
      "a minimum above the maximum, named as such",
      { nodeMinSize: "5", nodeMaxSize: "4", nodeDesiredSize: "4" },
      "tap:nodeMinSize",
      /^tap:nodeMinSize must be <= tap:nodeMaxSize \(got 5 > 4\)$/,
    ],
    [
      "a malformed Kubernetes version",
      { kubernetesVersion: "v1.33" },
      "tap:kubernetesVersion",
      /1\.<minor>/,
    ],
    [
      "a CIDR with host bits",
      { vpcCidr: "10.0.0.1/16" },
      "tap:vpcCidr",
      /host bits zero.*10\.0\.0\.1\/16/,
    ],
    ["a /8 VPC", { vpcCidr: "10.0.0.0/8" }, "tap:vpcCidr", /\/16 to \/20.*10\.0\.0\.0\/8/],
    ["a /24 VPC", { vpcCidr: "10.0.0.0/24" }, "tap:vpcCidr", /\/16 to \/20/],
    ["1 AZ", { availabilityZoneCount: 1 }, "tap:availabilityZoneCount", /integer 2\.\.4 \(got 1\)/],
    [
      "a non-integer AZ count",
      { availabilityZoneCount: "three" },
      "tap:availabilityZoneCount",
      /integer 2\.\.4 \(got "three"\)/,
    ],
    [
      "an unknown NAT strategy",
      { natGatewayStrategy: "None" },
      "tap:natGatewayStrategy",
      /one of OnePerAz, Single \(got "None"\)/,
    ],
    ["no instance types", { nodeInstanceTypes: [] }, "tap:nodeInstanceTypes", /at least one/],
    [
      "a bad instance type",
      { nodeInstanceTypes: ["m5.large", "large"] },
      "tap:nodeInstanceTypes",
      /instance-type names.*"large"/,
    ],
    [
      "mixed architectures",
      { nodeInstanceTypes: ["m6i.large", "m6g.large"] },
      "tap:nodeInstanceTypes",
      /all x86_64 or all arm64/,
    ],
    [
      "duplicate instance types",
      { nodeInstanceTypes: ["m5.large", "m5.large"] },
      "tap:nodeInstanceTypes",
      /duplicates/,
    ],
    ["spot 150%", { spotPercentage: 150 }, "tap:spotPercentage", /integer 0\.\.100 \(got 150\)/],
    [
      "spot 70.5%",
      { spotPercentage: 70.5 },
      "tap:spotPercentage",
      /integer 0\.\.100 \(got 70\.5\)/,
    ],
    ["min 0", { nodeMinSize: 0 }, "tap:nodeMinSize", /integer 1\.\.450 \(got 0\)/],
    ["max 451", { nodeMaxSize: 451 }, "tap:nodeMaxSize", /integer 1\.\.450 \(got 451\)/],
    [
      "min above desired",
      { nodeMinSize: 5, nodeDesiredSize: 4 },
      "tap:nodeMinSize",
      /<= tap:nodeDesiredSize \(got 5 > 4\)/,
    ],
    [
      "desired above max",
      { nodeDesiredSize: 40 },
      "tap:nodeDesiredSize",
      /<= tap:nodeMaxSize \(got 40 > 30\)/,
    ],
    [
      "a split with room for one node",
      { nodeMinSize: 1, nodeDesiredSize: 1, nodeMaxSize: 1 },
      "tap:nodeMaxSize",
      /both the spot and the on-demand group/,
    ],
    [
      "retention CloudWatch refuses",
      { logRetentionDays: 10 },
      "tap:logRetentionDays",
      /one of 1, 3, 5.*\(got 10\)/,
    ],
    [
      "no endpoint CIDRs",
      { endpointPublicAccessCidrs: [] },
      "tap:endpointPublicAccessCidrs",
      /at least one CIDR/,
    ],
    [
      "a bad endpoint CIDR",
      { endpointPublicAccessCidrs: ["1.2.3.4"] },
      "tap:endpointPublicAccessCidrs",
      /IPv4 CIDRs.*1\.2\.3\.4/,
    ],
    [
      "an assumed-role admin ARN",
      { clusterAdminArns: ["arn:aws:sts::123456789012:assumed-role/Admin/me"] },
      "tap:clusterAdminArns",
      /role or user ARNs.*assumed-role/,
    ],
    [
      "a non-boolean mesh flag",
      { enableAppMesh: "yes" },
      "tap:enableAppMesh",
      /true or false \(got "yes"\)/,
    ],
    [
      "an unknown OS",
      { nodeOperatingSystem: "Windows" },
      "tap:nodeOperatingSystem",
      /Bottlerocket, AL2023, AL2/,
    ],
    [
      "AL2 on 1.33",
      { nodeOperatingSystem: "AL2", kubernetesVersion: "1.33" },
      "tap:nodeOperatingSystem",
      /no AL2 AMIs for 1\.33 and later/,
    ],
    ["a list that is not JSON", { clusterAdminArns: "[arn" }, "tap:clusterAdminArns", /JSON list/],
  ])("%s", (_title, input, key, message) => {
    const problems = problemsOf(input);
    expect(problems.map((p) => p.propertyPath)).toEqual([key]);
    expect(problems[0].reason).toContain(key);
    expect(problems[0].reason).toMatch(message);
  });

  it("reports a suffix from the stack name as such", () => {
    const [problem] = problemsOf({}, { stackName: "Prod_Stack" });
    expect(problem.reason).toMatch(/\(got "Prod_Stack" \(from the stack name\)\)/);
  });

  it("reports a typo'd key with a suggestion", () => {
    const [problem] = problemsOf({ spotPercent: "70" });
    expect(problem).toEqual({
      propertyPath: "tap:spotPercent",
      reason: expect.stringMatching(
        /tap:spotPercent is not a tap setting; did you mean tap:spotPercentage\?/,
      ),
    });
  });

  it("lists every problem at once, in one error", () => {
    let error: unknown;
    try {
      resolveConfig({ spotPercentage: 150, vpcCidr: "nope", logRetentionDays: 2, typo: 1 }, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TapConfigError);
    const e = error as TapConfigError;
    expect(e.problems.map((p) => p.propertyPath).sort()).toEqual(
      ["tap:logRetentionDays", "tap:spotPercentage", "tap:typo", "tap:vpcCidr"].sort(),
    );
    expect(e.message).toMatch(/^tap: invalid configuration \(4 problems\):/);
    for (const p of e.problems) expect(e.message).toContain(p.reason);
  });

  it("accepts AL2 below 1.33 with a warning about its end of support", () => {
    const { config, warnings } = resolveConfig({ nodeOperatingSystem: "AL2" }, ctx);
    expect(config.nodeOperatingSystem).toBe("AL2");
    expect(warnings.join("\n")).toMatch(/AL2, which AWS stopped supporting on 2025-06-30/);
  });
});

describe("values as Pulumi passes them", () => {
  it("takes numbers and booleans where text is expected, as their text (YAML numbers)", () => {
    const { config } = resolveConfig(
      { kubernetesVersion: 1.35, team: 42, enableAppMesh: "false" },
      { stackName: "dev" },
    );
    expect(config.kubernetesVersion).toBe("1.35");
    expect(config.team).toBe("42");
  });

  it("reports min > max once, not as a desired-size problem", () => {
    expect(() => resolveConfig({ nodeMinSize: 12, nodeMaxSize: 8 }, { stackName: "dev" })).toThrow(
      /\(1 problem\):\n {2}- tap:nodeMinSize must be <= tap:nodeMaxSize \(got 12 > 8\)$/,
    );
  });
});

describe("the README's configuration table", () => {
  const whole = readFileSync(join(__dirname, "../../README.md"), "utf8");
  const start = whole.indexOf("\n## Configuration");
  const section = whole.slice(start, whole.indexOf("\n## ", start + 1));
  // The key table only (the section also holds the capability settings and example stacks tables).
  const tableStart = section.indexOf("\n| key ");
  const readme = section.slice(tableStart, section.indexOf("\n\n", tableStart + 1));
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\|\s*`([a-zA-Z]+)`\s*\|[^|]+\|\s*([^|]+?)\s*\|/gm))
    rows.set(m[1], m[2].trim());

  it("documents every config key, and no key tap does not read", () => {
    expect([...rows.keys()].sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it("names the default service catalog's services and call graph", () => {
    expect(rows.get("services")).toBe("`gateway → payments → ledger` (see Service catalog)");
    expect(DEFAULTS.services.map((s) => s.name)).toEqual(["gateway", "payments", "ledger"]);
    expect(DEFAULTS.services.map((s) => s.calls)).toEqual([["payments"], ["ledger"], []]);
  });

  const scalarDefaults = Object.entries(DEFAULTS).filter(([key]) => key !== "services");
  it.each(scalarDefaults)("shows the default of %s as DEFAULTS has it", (key, value) => {
    const shown =
      typeof value === "object" ? `\`${JSON.stringify(value)}\`` : `\`${String(value)}\``;
    expect(rows.get(key)).toBe(shown);
  });
});

describe("instanceArchitecture", () => {
  it.each([
    ["m6i.large", "x86_64"],
    ["m5a.large", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["m6g.large", "arm64"],
    ["c7gn.xlarge", "arm64"],
    ["t4g.medium", "arm64"],
  ])("%s is %s", (type, arch) => {
    expect(instanceArchitecture(type)).toBe(arch);
  });
});

describe("withoutCreator: the cluster's creator gets no second access entry", () => {
  const ROLE = "arn:aws:iam::123456789012:role/Deployer";
  it.each([
    [ROLE, ROLE, true],
    [
      "arn:aws:iam::123456789012:role/ci/Deployer",
      "arn:aws:sts::123456789012:assumed-role/Deployer/gh-42",
      true,
    ],
    [ROLE, "arn:aws:sts::123456789012:assumed-role/Deployer/session", true],
    [ROLE, "arn:aws:sts::999999999999:assumed-role/Deployer/session", false],
    [ROLE, "arn:aws:sts::123456789012:assumed-role/Other/session", false],
    ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice", true],
    [
      "arn:aws:iam::123456789012:user/alice",
      "arn:aws:sts::123456789012:assumed-role/alice/x",
      false,
    ],
  ])("isCallerIdentity(%s, %s) = %s", (principal, caller, expected) => {
    expect(isCallerIdentity(principal, caller)).toBe(expected);
  });

  it.each([
    [
      "arn:aws:sts::123456789012:assumed-role/Deployer/gh,run=42",
      "arn:aws:sts::123456789012:assumed-role/Deployer",
    ],
    ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"],
  ])("records the creator %s as %s (a tag value: no session name)", (caller, recorded) => {
    expect(creatorRecord(caller)).toBe(recorded);
    expect(
      isCallerIdentity("arn:aws:iam::123456789012:role/ci/Deployer", creatorRecord(caller)),
    ).toBe(caller.includes("Deployer"));
  });

  it("drops only the creator, with a warning naming it, and keeps the rest in order", () => {
    const admins = ["arn:aws:iam::123456789012:role/PlatformAdmin", ROLE];
    const resolved = resolveConfig({ clusterAdminArns: admins }, { stackName: "dev" });
    const out = withoutCreator(resolved, "arn:aws:sts::123456789012:assumed-role/Deployer/ci");
    expect(out.config.clusterAdminArns).toEqual(["arn:aws:iam::123456789012:role/PlatformAdmin"]);
    expect(out.warnings.slice(resolved.warnings.length)).toEqual([
      expect.stringMatching(
        /^tap:clusterAdminArns: arn:aws:iam::123456789012:role\/Deployer created the cluster/,
      ),
    ]);
    expect(withoutCreator(resolved, "arn:aws:iam::123456789012:user/bob")).toBe(resolved);
  });

  it("drops the creator from tenant members too (its entry exists), with a warning", () => {
    const tenants = [
      {
        name: "retail",
        members: [
          { arn: ROLE, level: "edit" },
          { arn: "arn:aws:iam::123456789012:role/RetailDevelopers", level: "edit" },
        ],
      },
    ];
    const resolved = resolveConfig({ tenants }, { stackName: "dev" });
    const out = withoutCreator(resolved, "arn:aws:sts::123456789012:assumed-role/Deployer/ci");
    expect(out.config.tenants[0].members.map((m) => m.arn)).toEqual([
      "arn:aws:iam::123456789012:role/RetailDevelopers",
    ]);
    expect(out.warnings.slice(resolved.warnings.length)).toEqual([
      expect.stringMatching(
        /^tap:tenants: retail: arn:aws:iam::123456789012:role\/Deployer created the cluster/,
      ),
    ]);
  });
});
