import * as fs from "fs";
import * as path from "path";
import { isMap, parse, parseDocument } from "yaml";
import { isSupportedKubernetesVersion } from "../../lib/addons/versions";
import { phaseOn, recommendedKubernetesVersion } from "../../lib/support";

const FILE = path.resolve(__dirname, "..", "..", ".github", "workflows", "tap.yml");
const text = fs.readFileSync(FILE, "utf8");

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly "continue-on-error"?: boolean;
}
interface Job {
  readonly needs?: string | readonly string[];
  readonly if?: string;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly environment?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: {
    readonly pull_request: { readonly types: readonly string[] };
    readonly workflow_dispatch: {
      readonly inputs: Readonly<
        Record<string, { readonly type: string; readonly options?: readonly string[] }>
      >;
    };
  };
  readonly permissions: Readonly<Record<string, string>>;
  readonly concurrency: { readonly group: string; readonly "cancel-in-progress": boolean };
  readonly env: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

const workflow = parse(text) as Workflow;
const jobs = workflow.jobs;
const runs = (job: Job): string[] => job.steps.flatMap((s) => (s.run ? [s.run] : []));
const pulumiCommands = (job: Job): unknown[] =>
  job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")).map((s) => s.with?.command);

describe(".github/workflows/tap.yml", () => {
  it("is valid YAML with no duplicate keys, and a mapping at the top", () => {
    const doc = parseDocument(text, { uniqueKeys: true });
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(isMap(doc.contents)).toBe(true);
  });

  it("runs on PRs opened, synchronized, reopened and closed, and on dispatch with suffix and action", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "workflow_dispatch"]);
    expect([...workflow.on.pull_request.types].sort()).toEqual([
      "closed",
      "opened",
      "reopened",
      "synchronize",
    ]);
    const inputs = workflow.on.workflow_dispatch.inputs;
    expect(Object.keys(inputs).sort()).toEqual(["action", "environmentSuffix"]);
    expect(inputs.action).toMatchObject({
      type: "choice",
      options: ["preview", "deploy", "destroy"],
    });
  });

  it("derives the suffix from the input or pr<number>, and serializes runs per suffix", () => {
    const suffix =
      "github.event_name == 'pull_request' && format('pr{0}', github.event.pull_request.number) || inputs.environmentSuffix";
    expect(workflow.env.ENVIRONMENT_SUFFIX).toBe(`\${{ ${suffix} }}`);
    expect(workflow.env.PULUMI_STACK).toBe(`\${{ vars.PULUMI_ORG }}/tap/\${{ ${suffix} }}`);
    expect(workflow.concurrency.group).toBe(`tap-\${{ ${suffix} }}`);
    expect(workflow.concurrency["cancel-in-progress"]).toBe(false);
  });

  it("has the four jobs with their needs", () => {
    expect(Object.keys(jobs).sort()).toEqual(["checks", "deploy", "destroy", "preview"]);
    expect(jobs.checks.needs).toBeUndefined();
    expect(jobs.preview.needs).toBe("checks");
    expect(jobs.deploy.needs).toBe("checks");
    expect(jobs.destroy.needs).toBeUndefined();
  });

  it.each([
    ["checks", ["github.event_name == 'workflow_dispatch'", "github.event.action != 'closed'"]],
    [
      "preview",
      [
        "github.event_name == 'pull_request' && github.event.action != 'closed'",
        "inputs.action == 'preview'",
      ],
    ],
    ["deploy", ["github.event_name == 'workflow_dispatch' && inputs.action == 'deploy'"]],
    [
      "destroy",
      [
        "github.event_name == 'pull_request' && github.event.action == 'closed'",
        "github.event_name == 'workflow_dispatch' && inputs.action == 'destroy'",
      ],
    ],
  ])("runs %s only when it should", (job, conditions) => {
    const condition = (jobs[job].if ?? "").replace(/\s+/g, " ");
    for (const c of conditions) expect(condition).toContain(c);
  });

  it("runs typecheck, lint, unit tests and the offline plan in checks, on Node 20 with the npm cache", () => {
    expect(runs(jobs.checks)).toEqual(
      expect.arrayContaining([
        "npm ci",
        "npm run typecheck",
        "npm run lint",
        "npm test",
        "npm run plan",
      ]),
    );
    const node = jobs.checks.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(node?.with).toEqual({ "node-version": 24, cache: "npm" });
  });

  it.each(["preview", "deploy", "destroy"])(
    "%s gets AWS credentials through GitHub OIDC only",
    (name) => {
      const job = jobs[name];
      expect(job.permissions).toEqual({ "id-token": "write", contents: "read" });
      const aws = job.steps.filter((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      expect(aws).toHaveLength(1);
      expect(aws[0].uses).toBe("aws-actions/configure-aws-credentials@v4");
      expect(aws[0].with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    },
  );

  it("holds no long-lived AWS keys anywhere, and the workflow default token is read-only", () => {
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key/i);
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(jobs.checks.permissions).toBeUndefined();
  });

  it("pins every action to a major version tag", () => {
    const uses = Object.values(jobs).flatMap((j) =>
      j.steps.flatMap((s) => (s.uses ? [s.uses] : [])),
    );
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v[0-9]+$/);
  });

  it("previews the PR's stack, creating it and setting tap:environmentSuffix", () => {
    const step = jobs.preview.steps.find((s) => s.uses === "pulumi/actions@v6");
    expect(step?.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ env.PULUMI_STACK }}",
      upsert: true,
    });
    expect(step?.with?.["config-map"]).toContain(
      "tap:environmentSuffix: {value: ${{ env.ENVIRONMENT_SUFFIX }}",
    );
    expect(step?.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });

  it("deploys with pulumi up, then writes the outputs and runs the integration tests (required)", () => {
    const steps = jobs.deploy.steps;
    const up = steps.findIndex((s) => s.with?.command === "up");
    const output = steps.findIndex((s) =>
      s.run?.includes(
        'pulumi stack output --json --show-secrets --stack "$PULUMI_STACK" > cfn-outputs/flat-outputs.json',
      ),
    );
    const integration = steps.findIndex((s) => s.run === "npm run test:integration");
    expect(up).toBeGreaterThan(-1);
    expect(output).toBeGreaterThan(up);
    expect(integration).toBeGreaterThan(output);
    expect(steps[integration].env).toEqual({ TAP_REQUIRE_OUTPUTS: "true" });
    expect(jobs.deploy.environment).toBe("production");
    expect(jobs.deploy.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });

  it("destroys on PR close (retrying once) and then removes the stack", () => {
    const steps = jobs.destroy.steps;
    const destroys = steps.filter((s) => s.run?.includes("pulumi destroy --yes"));
    expect(destroys).toHaveLength(2);
    expect(destroys[0]["continue-on-error"]).toBe(true);
    expect(destroys[1].if).toContain(`steps.${destroys[0].id}.outcome == 'failure'`);
    const rm = steps.findIndex((s) =>
      s.run?.includes('pulumi stack rm --yes --stack "$PULUMI_STACK"'),
    );
    expect(rm).toBeGreaterThan(steps.indexOf(destroys[1]));
    expect(steps[rm]["continue-on-error"]).toBeUndefined();
    expect(pulumiCommands(jobs.destroy)).toEqual([undefined]); // the CLI install only
  });

  it("never interpolates inputs or PR data straight into a shell script", () => {
    for (const job of Object.values(jobs)) {
      for (const script of runs(job)) expect(script).not.toContain("${{");
    }
  });

  it("deploys what works today: every Pulumi step sets a Kubernetes version in standard support and App Mesh off", () => {
    const today = new Date().toISOString().slice(0, 10);
    const version = /vars\.TAP_KUBERNETES_VERSION \|\| '([0-9.]+)'/.exec(
      workflow.env.TAP_KUBERNETES_VERSION,
    )?.[1];
    expect(version).toBeDefined();
    expect(isSupportedKubernetesVersion(String(version))).toBe(true);
    expect(phaseOn(String(version), today)).toBe("standard");
    expect(version).toBe(recommendedKubernetesVersion(today));
    expect(workflow.env.TAP_ENABLE_APP_MESH).toBe("${{ vars.TAP_ENABLE_APP_MESH || 'false' }}");
    const steps = Object.values(jobs).flatMap((j) => j.steps.filter((s) => s.with?.command));
    const withConfig = steps.filter((s) => s.with?.command !== undefined && s.with?.["config-map"]);
    expect(withConfig.map((s) => s.with?.command)).toEqual(["preview", "up"]);
    // As GitHub expands it (1.30 shows that the quotes keep a version from becoming a number).
    const expanded: Record<string, string> = {
      ENVIRONMENT_SUFFIX: "pr9",
      AWS_REGION: "us-east-1",
      TAP_KUBERNETES_VERSION: "1.30",
      TAP_ENABLE_APP_MESH: "false",
    };
    for (const step of withConfig) {
      const text = String(step.with?.["config-map"]).replace(
        /\$\{\{ env\.([A-Z_]+) \}\}/g,
        (_, name: string) => expanded[name] ?? `<${name}>`,
      );
      const map = parse(text) as Record<string, { value: unknown; secret: boolean }>;
      expect(map).toEqual({
        "tap:environmentSuffix": { value: "pr9", secret: false },
        "aws:region": { value: "us-east-1", secret: false },
        "tap:kubernetesVersion": { value: "1.30", secret: false },
        "tap:enableAppMesh": { value: "false", secret: false },
      });
    }
  });

  it("asks for 1-hour role sessions by default (AWS's default MaxSessionDuration), everywhere", () => {
    expect(workflow.env.AWS_ROLE_DURATION_SECONDS).toBe(
      "${{ vars.AWS_ROLE_DURATION_SECONDS || '3600' }}",
    );
    const credentials = Object.values(jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
    );
    expect(credentials).toHaveLength(3);
    for (const step of credentials) {
      expect(step.with?.["role-duration-seconds"]).toBe("${{ env.AWS_ROLE_DURATION_SECONDS }}");
    }
  });
});

describe("Pulumi.dev.yaml", () => {
  const dev = parse(
    fs.readFileSync(path.resolve(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8"),
  ) as {
    config: Record<string, unknown>;
  };
  it("is a stack that deploys today: a version in standard support (quoted), App Mesh off", () => {
    const today = new Date().toISOString().slice(0, 10);
    const version = dev.config["tap:kubernetesVersion"];
    expect(typeof version).toBe("string");
    expect(isSupportedKubernetesVersion(String(version))).toBe(true);
    expect(phaseOn(String(version), today)).toBe("standard");
    expect(version).toBe(recommendedKubernetesVersion(today));
    expect(dev.config["tap:enableAppMesh"]).toBe("false");
  });
});
