/**
 * The harness's shortcut (tools/offline-mocks.ts quietSdk): within a synthesis the SDK captures no
 * stack traces for promises and resources, and nothing else changes. The same stack synthesized
 * with the SDK as a real run has it (faithfulSdk, what the start-up benchmark uses) records the
 * same resources, inputs, dependencies and calls; the SDK is restored after each synthesis.
 */
import * as pulumi from "@pulumi/pulumi";
import { TapStack } from "../../../lib/tap-stack";
import { RecordedResource, faithfulSdk, mockTap } from "../../helpers/mocks";

interface Debuggable {
  debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };

const CONFIG = { kubernetesVersion: "1.35", enableAppMesh: false } as const;
const build = () => new TapStack("tap", { config: CONFIG, context: { stackName: "dev" } });
/** Everything recorded except when (timestamps and the order of concurrent registrations vary). */
const recorded = (rs: readonly RecordedResource[]) =>
  rs
    .map(({ at: _at, ...rest }) => JSON.stringify(rest))
    .sort()
    .map((r) => JSON.parse(r) as unknown);
const sortedCalls = (cs: readonly { token: string; inputs: unknown }[]) =>
  cs.map((c) => JSON.stringify(c)).sort();

describe("the offline harness's SDK shortcut", () => {
  afterEach(() => faithfulSdk(false));

  test("a quiet synthesis records exactly what a faithful one does", async () => {
    faithfulSdk(true);
    const faithful = await mockTap(build);
    faithfulSdk(false);
    const quiet = await mockTap(build);
    expect(quiet.resources.length).toBeGreaterThan(50);
    expect(recorded(quiet.resources)).toEqual(recorded(faithful.resources));
    expect(sortedCalls(quiet.calls)).toEqual(sortedCalls(faithful.calls));
  });

  test("the SDK captures no stacks during a synthesis and is restored after it", async () => {
    const [wrap, callsites] = [debuggable.debuggablePromise, resourceClass.callsites];
    let during: [unknown, unknown[]] | undefined;
    await mockTap(async () => {
      during = [debuggable.debuggablePromise, resourceClass.callsites()];
      return build();
    });
    expect(during?.[0]).not.toBe(wrap);
    expect(during?.[1]).toEqual([]);
    expect(debuggable.debuggablePromise).toBe(wrap);
    expect(resourceClass.callsites).toBe(callsites);
    expect(resourceClass.callsites().length).toBeGreaterThan(0);
  });

  test("with faithfulSdk the SDK is untouched during a synthesis", async () => {
    faithfulSdk(true);
    const wrap = debuggable.debuggablePromise;
    let during: unknown;
    await mockTap(async () => {
      during = debuggable.debuggablePromise;
      return new pulumi.ComponentResource("test:index:Probe", "probe");
    });
    expect(during).toBe(wrap);
  });
});
