/**
 * tap's admission policies as the real Kyverno CLI applies them (tools/kyverno/test.sh builds it from
 * the Go module proxy; offline: no cluster, no registry). The policies are the ValidatingPolicies
 * tap synthesizes with Kyverno on; the workloads are test/helpers/kyverno-samples.ts in a workload
 * namespace, in a namespace of no one's, in kube-system, and every workload tap deploys. Each
 * result must equal what test/helpers/kyverno-eval.ts (the unit tests' evaluator) says, so the
 * offline evaluation is held to Kyverno's own.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PolicyDoc, admit } from "../helpers/kyverno-eval";
import { Obj, SAMPLES } from "../helpers/kyverno-samples";
import { RecordedResource, ofType, synthStack } from "../helpers/mocks";

const CLI = process.env.TAP_KYVERNO_CLI;
const NAMESPACES = [
  { name: "payments", labels: { "tap/workload": "true" } },
  { name: "team-x", labels: {} },
  { name: "kube-system", labels: {} },
] as const;

interface Result {
  readonly policy: string;
  readonly result: string;
  readonly resources?: readonly { kind: string; namespace?: string; name: string }[];
}

/** Runs `kyverno apply` on every policy and resource; the (policy, resource) pairs that fail. */
async function kyvernoApply(
  policies: readonly Obj[],
  resources: readonly Obj[],
  namespaces: readonly { name: string; labels: Record<string, string> }[],
): Promise<{ fails: string[]; passes: string[]; errors: string[] }> {
  if (!CLI) throw new Error("TAP_KYVERNO_CLI is not set: run tools/kyverno/test.sh");
  const dir = mkdtempSync(join(tmpdir(), "tap-kyverno-"));
  const files = (prefix: string, objs: readonly Obj[]) =>
    objs.map((o, i) => {
      // .yaml: the CLI loads no .json policy (JSON is YAML).
      const f = join(dir, `${prefix}-${i}.yaml`);
      writeFileSync(f, JSON.stringify(o));
      return f;
    });
  const values = join(dir, "values.yaml");
  writeFileSync(
    values,
    JSON.stringify({
      apiVersion: "cli.kyverno.io/v1alpha1",
      kind: "Value",
      metadata: { name: "values" },
      // The API server labels every namespace with its name; the CLI's values do not unless told.
      namespaceSelector: namespaces.map((n) => ({
        name: n.name,
        labels: { ...n.labels, "kubernetes.io/metadata.name": n.name },
      })),
    }),
  );
  const args = [
    "apply",
    ...files("policy", policies),
    ...files("resource", resources).flatMap((f) => ["--resource", f]),
    "--values-file",
    values,
    "-p",
    "--output-format",
    "json",
  ];
  // Exit 1 when anything fails (by design here); the report is on stdout either way.
  const out = await promisify(execFile)(CLI, args, {
    env: { PATH: process.env.PATH ?? "", HOME: dir },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((e: { stdout?: string; stderr?: string; code?: number }) => {
    if (e.code !== 1 || !e.stdout) throw new Error(`kyverno apply failed: ${e.stderr ?? ""}`);
    return { stdout: e.stdout };
  });
  const report = JSON.parse(out.stdout) as { results?: Result[] };
  const key = (r: Result) =>
    (r.resources ?? []).map((x) => `${r.policy} ${x.kind} ${x.namespace ?? ""}/${x.name}`);
  const of = (what: string) =>
    (report.results ?? [])
      .filter((r) => r.result === what)
      .flatMap(key)
      .sort();
  return { fails: of("fail"), passes: of("pass"), errors: of("error") };
}

let tapPolicies: Obj[];
let stack: readonly RecordedResource[];
beforeAll(async () => {
  const { resources } = await synthStack({
    enableAppMesh: "false",
    kubernetesVersion: "1.35",
    addons: { kyverno: true },
  });
  stack = resources;
  tapPolicies = ofType(resources, "kubernetes:policies.kyverno.io/v1beta1:ValidatingPolicy").map(
    (r) => r.inputs as Obj,
  );
  expect(tapPolicies).toHaveLength(8);
});

const inNamespace = (o: Obj, namespace: string, name: string): Obj => ({
  ...o,
  metadata: { ...(o.metadata as Obj), name, namespace },
});

describe("the Kyverno CLI on tap's policies", () => {
  it("refuses and reports exactly what the offline evaluation does, in every namespace", async () => {
    const resources = NAMESPACES.flatMap((ns) =>
      SAMPLES.map((s) => inNamespace(s.object, ns.name, s.name)),
    );
    const cli = await kyvernoApply(tapPolicies, resources, [...NAMESPACES]);
    expect(cli.errors).toEqual([]);
    const expected: string[] = [];
    for (const ns of NAMESPACES)
      for (const s of SAMPLES)
        for (const p of tapPolicies) {
          const a = admit(p as unknown as PolicyDoc, s.object, ns);
          if (a.applies && a.failures.length > 0)
            expected.push(
              `${(p.metadata as { name: string }).name} ${String(s.object.kind)} ${ns.name}/${s.name}`,
            );
        }
    expect(cli.fails).toEqual(expected.sort());
    // And what that means: in the workload namespace each bad sample fails its one Enforce policy;
    // elsewhere only Audit policies report; kube-system is never evaluated.
    const inPayments = cli.fails.filter((f) => f.includes(" payments/"));
    expect(inPayments.every((f) => !f.split(" ")[0].endsWith("-audit"))).toBe(true);
    for (const s of SAMPLES)
      expect(
        inPayments.filter((f) => f.endsWith(` payments/${s.name}`)).map((f) => f.split(" ")[0]),
      ).toEqual(s.refusedBy ? [s.refusedBy] : []);
    expect(
      cli.fails
        .filter((f) => f.includes(" team-x/"))
        .every((f) => f.split(" ")[0].endsWith("-audit")),
    ).toBe(true);
    expect([...cli.fails, ...cli.passes].filter((f) => f.includes(" kube-system/"))).toEqual([]);
  });

  it("admits every workload tap itself deploys", async () => {
    const namespaces = ofType(stack, "kubernetes:core/v1:Namespace").map((n) => {
      const m = n.inputs.metadata as { name: string; labels?: Record<string, string> };
      return { name: m.name, labels: m.labels ?? {} };
    });
    const workloads = stack
      .filter((r) =>
        /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet)|batch\/v1:(Job|CronJob))$/.test(
          r.type,
        ),
      )
      .map((r) => ({
        ...(r.inputs as Obj),
        apiVersion: r.type.split(":")[1],
        kind: r.type.split(":")[2],
      }));
    expect(workloads.length).toBeGreaterThan(3);
    const cli = await kyvernoApply(tapPolicies, workloads, namespaces);
    expect(cli.errors).toEqual([]);
    expect(cli.fails).toEqual([]);
    // Evaluated, not skipped: the catalog's Deployments pass every Enforce policy.
    expect(
      cli.passes.filter((p) => p.startsWith("tap-pss-restricted Deployment payments/")).length,
    ).toBeGreaterThan(0);
  });
});
