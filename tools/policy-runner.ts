/**
 * Runs tap's policies offline over recorded resources, the way the policy analyzer would during a
 * `pulumi preview --policy-pack policy` (security checklist §2): each resource policy's validation
 * functions get a hand-built ResourceValidationArgs, each stack policy a StackValidationArgs, and a
 * NotApplicable thrown by one function skips only that function.
 */
import {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/** What the runner needs of a resource: RecordedResource (tools/offline-mocks.ts) fits. */
export interface PolicyInput {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Resource options the mocks cannot record (protect, retainOnDelete); default: none. */
  readonly opts?: Readonly<{ protect?: boolean; retainOnDelete?: boolean }>;
  /** Its URN as the mocks made it (with the parent type chain); default: built from type and name. */
  readonly urn?: string;
}

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The offending resource; undefined for a stack-level finding that names no URN. */
  readonly resource?: { readonly type: string; readonly name: string };
  readonly message: string;
}

export interface RunOptions {
  /** Per-policy config (policy name -> settings), over the policies' configSchema defaults. */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly project?: string;
  readonly stack?: string;
}

/** What `args.notApplicable()` throws; caught per validation function (as the server does). */
export class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
    this.name = "NotApplicable";
  }
}

type Settings = Record<string, unknown>;

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
  return typeof (p as Partial<StackValidationPolicy>).validateStack === "function";
}

/** Schema defaults, then the caller's settings (what the engine's getConfig returns). */
function settingsFor(policy: Policies[number], options: RunOptions): Settings {
  const out: Settings = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (schema.default !== undefined) out[key] = schema.default;
  }
  return { ...out, ...(options.config?.[policy.name] ?? {}) };
}

export const urnOf = (
  r: { type: string; name: string; urn?: string },
  o: RunOptions = {},
): string => r.urn || `urn:pulumi:${o.stack ?? "dev"}::${o.project ?? "tap"}::${r.type}::${r.name}`;

function optsOf(r: PolicyInput): PolicyResourceOptions {
  const base: PolicyResourceOptions = {
    protect: r.opts?.protect === true,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  };
  // retainOnDelete is not in PolicyResourceOptions 1.21; pass it through for the policy to read.
  return r.opts?.retainOnDelete ? { ...base, ...{ retainOnDelete: true } } : base;
}

/**
 * THE adapter to @pulumi/policy's class-generic members. `isType`/`asType` are typed over resource
 * classes with `any[]` constructor parameters and return `Unwrap<TArgs>`/`ResolvedResource<T>`,
 * which no plain function can satisfy without `any`; the casts below are the only place the runner
 * bends those types. isType follows the server: `cls.isInstance({ __pulumiType: type })`.
 */
function typeMembers(type: string, props: Settings) {
  const isType = (cls: unknown): boolean => {
    const isInstance = (cls as { isInstance?: unknown } | undefined)?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
  };
  const asType = (cls: unknown) => (isType(cls) ? props : undefined);
  return {
    isType: isType as ResourceValidationArgs["isType"],
    asType: asType as unknown as ResourceValidationArgs["asType"],
    asResolved: asType as unknown as PolicyResource["asType"],
  };
}

function getConfigOf(settings: Settings): <T extends object>() => T {
  return <T extends object>() => settings as T;
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** The fields a resource and a stack policy both see of one resource. */
function resourceView(r: PolicyInput, o: RunOptions) {
  const props = { ...r.inputs };
  return {
    view: { type: r.type, name: r.name, urn: urnOf(r, o), props, opts: optsOf(r) },
    members: typeMembers(r.type, props),
  };
}

/** Builds what the analyzer hands a resource policy (the checklist's makeArgs). */
export function makeArgs(
  r: PolicyInput,
  settings: Settings = {},
  o: RunOptions = {},
): ResourceValidationArgs {
  const { view, members } = resourceView(r, o);
  return {
    ...view,
    stackTags: new Map<string, string>(),
    isType: members.isType,
    asType: members.asType,
    getConfig: getConfigOf(settings),
    notApplicable: throwNotApplicable,
  };
}

/** Builds what the analyzer hands a stack policy. */
export function makeStackArgs(
  resources: readonly PolicyInput[],
  settings: Settings = {},
  o: RunOptions = {},
): StackValidationArgs {
  return {
    resources: resources.map((r): PolicyResource => {
      const { view, members } = resourceView(r, o);
      return {
        ...view,
        isType: members.isType,
        asType: members.asResolved,
        dependencies: [],
        propertyDependencies: {},
      };
    }),
    stackTags: new Map<string, string>(),
    getConfig: getConfigOf(settings),
    notApplicable: throwNotApplicable,
  };
}

async function guarded(policy: string, run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof NotApplicable) return;
    throw new Error(`policy ${policy} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Runs every policy over `resources`; returns every violation, in policy order. */
export async function runPolicies(
  policies: Policies,
  resources: readonly PolicyInput[],
  options: RunOptions = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const byUrn = new Map(resources.map((r) => [urnOf(r, options), r]));
  for (const policy of policies) {
    const settings = settingsFor(policy, options);
    const level =
      (settings.enforcementLevel as EnforcementLevel | undefined) ??
      policy.enforcementLevel ??
      "advisory";
    if (level === "disabled") continue;
    const push = (message: string, resource?: { type: string; name: string }) =>
      violations.push({
        policy: policy.name,
        enforcementLevel: level,
        resource: resource ? { type: resource.type, name: resource.name } : undefined,
        message,
      });
    if (isStackPolicy(policy)) {
      const report: ReportViolation = (message, urn) =>
        push(message, urn ? byUrn.get(urn) : undefined);
      await guarded(policy.name, () =>
        policy.validateStack(makeStackArgs(resources, settings, options), report),
      );
      continue;
    }
    const v = (policy as ResourceValidationPolicy).validateResource;
    const fns = v === undefined ? [] : Array.isArray(v) ? v : [v];
    for (const r of resources) {
      const report: ReportViolation = (message) => push(message, r);
      for (const fn of fns) {
        await guarded(policy.name, () => fn(makeArgs(r, settings, options), report));
      }
    }
  }
  return violations;
}
