/**
 * The plan's command line as a newcomer meets it: --help, a stack that has no file, options npm
 * kept for itself, YAML that does not parse, stack files written as people write them (unquoted
 * numbers, read the way Pulumi reads them), ENVIRONMENT_SUFFIX, each warning once, and the
 * offline preflight stopping what `pulumi up` would stop.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io, USAGE, main } from "../../../tools/plan";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A project directory with tap's Pulumi.yaml and the given stack files. */
function project(stacks: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-plan-cli-"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const [name, text] of Object.entries(stacks))
    fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(argv, io, { cwd, env });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const DEV = "config:\n  aws:region: us-east-1\n  tap:enableAppMesh: false\n";

describe("the plan's command line", () => {
  const cwd = project({ dev: DEV, staging: DEV });

  it("--help prints the usage, with the `npm run plan --` form, and exits 0", async () => {
    const r = await run(["--help"], cwd);
    expect(r.code).toBe(0);
    expect(r.out).toBe(USAGE);
    expect(USAGE).toContain("npm run plan -- [options]");
    for (const option of [
      "--stack",
      "--no-stack-file",
      "--config",
      "--date",
      "--json",
      "--manifests",
    ])
      expect(USAGE).toContain(option);
  });

  it("an unknown stack is an error naming the stack files that exist", async () => {
    const r = await run(["--stack", "prod"], cwd);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown stack "prod": there is no Pulumi.prod.yaml here');
    expect(r.err).toContain("(stack files: Pulumi.dev.yaml, Pulumi.staging.yaml)");
    expect(r.err).toContain("--stack prod --no-stack-file");
  });

  it("options npm kept for itself (no `--`) are named, with the form that works", async () => {
    const r = await run(["dev"], cwd, { npm_lifecycle_event: "plan", npm_config_stack: "true" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("npm kept --stack for itself");
    expect(r.err).toContain("npm run plan -- --stack dev");
    const bare = await run(["dev"], cwd);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('unexpected argument "dev"');
  });

  it("a YAML syntax error names the file and the line, without a stack trace", async () => {
    const bad = project({ dev: "config:\n  tap:team: platform\n  tap:services: [{name: a\n" });
    const r = await run([], bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Pulumi\.dev\.yaml:\d+:\d+: .*\(the file is not valid YAML\)$/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("an unquoted 1.30 is named as the YAML number Pulumi passes as 1.3, with the fix", async () => {
    const r = await run([], project({ dev: "config:\n  tap:kubernetesVersion: 1.30\n" }));
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      'Pulumi.dev.yaml:2: tap:kubernetesVersion 1.30 is a YAML number, which Pulumi passes as "1.3": quote it, tap:kubernetesVersion: "1.30"',
    );
    expect(r.err).toContain('(got "1.3"); an unquoted 1.30 in a stack file');
  });

  it("reads a stack file as people write it: numbers and booleans as text, the suffix from ENVIRONMENT_SUFFIX, each warning once", async () => {
    const written = project({
      dev:
        "config:\n  tap:kubernetesVersion: 1.35\n  tap:spotPercentage: 50\n  tap:nodeMaxSize: 20\n" +
        "  tap:enableAppMesh: false\n  tap:natGatewayStrategy: Single\n",
    });
    const r = await run(["--date", "2026-12-02"], written, { ENVIRONMENT_SUFFIX: "pr42" });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("tap-spot-pr42: SPOT 2/5/10");
    // The remote components expanded: one NAT gateway and one EIP with the Single strategy.
    expect(r.out).toContain("    1  aws:ec2/natGateway:NatGateway");
    expect(r.out).toContain("    1  aws:ec2/eip:Eip");
    expect(r.out).toContain("    6  aws:ec2/subnet:Subnet");
    const warnings = r.out.split("\n").filter((l) => l.startsWith("warning: "));
    expect(new Set(warnings).size).toBe(warnings.length);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining("tap:kubernetesVersion 1.35 is a YAML number"),
        expect.stringContaining("tap:natGatewayStrategy is Single"),
      ]),
    );
  });

  it("--no-stack-file plans Pulumi.yaml's defaults: what deploys today", async () => {
    const r = await run(["--stack", "pr9", "--no-stack-file"], cwd);
    expect(r.code).toBe(0);
    expect(r.out).toContain("config: Pulumi.yaml defaults (stack pr9 has no stack file)");
    expect(r.out).toContain("Kubernetes 1.35 standard support until 2027-03-27");
    expect(r.out).toContain("tap-spot-pr9: SPOT");
  });

  it("stops, like the preflight, on STANDARD support for a minor already in extended support", async () => {
    const r = await run(
      [
        "--config",
        "tap:kubernetesVersion=1.33",
        "--config",
        "tap:supportType=STANDARD",
        "--date",
        "2026-12-02",
      ],
      cwd,
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain("pulumi up would stop before creating anything (1 problem):");
    expect(r.out).toContain("  - tap:supportType is STANDARD, but Kubernetes 1.33");
    expect(r.out.trim().split("\n").pop()).toMatch(/, blocked by the preflight \(1\)$/);
  });
});
