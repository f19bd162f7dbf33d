/** The tests' mock harness is the offline harness the plan and the benchmark use. */
export * from "../../tools/offline-mocks";

import { TapConfigInput } from "../../lib/config";
import { TapStack } from "../../lib/tap-stack";
import { SynthesisResult, mockTap } from "../../tools/offline-mocks";

const stacks = new Map<string, Promise<SynthesisResult<TapStack>>>();

/**
 * The whole TapStack for `config` (stack "dev"), synthesized once per test file and shared by the
 * tests that read it: a synthesis is deterministic and the tests only read what it recorded.
 */
export function synthStack(config: TapConfigInput = {}): Promise<SynthesisResult<TapStack>> {
  const key = JSON.stringify(config);
  let hit = stacks.get(key);
  if (!hit) {
    hit = mockTap(() => new TapStack("tap", { config, context: { stackName: "dev" } }));
    stacks.set(key, hit);
  }
  return hit;
}
