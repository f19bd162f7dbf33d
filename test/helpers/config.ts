/** The config contract's verdict on an input, as tests read it: every problem as `key: reason`. */
import { ResolveContext, TapConfigError, TapConfigInput, resolveConfig } from "../../lib/config";

export const DEV_CONTEXT: ResolveContext = { stackName: "dev", env: {} };

/** `tap:<key>: <reason>` for each problem resolveConfig reports; [] when the input is valid. */
export function configProblems(input: TapConfigInput, context = DEV_CONTEXT): string[] {
  try {
    resolveConfig(input, context);
    return [];
  } catch (e) {
    if (e instanceof TapConfigError) return e.problems.map((p) => `${p.propertyPath}: ${p.reason}`);
    throw e;
  }
}
