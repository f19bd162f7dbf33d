/**
 * Small helpers shared by tap's policies: typed readers over `props` (the Pulumi inputs, camelCase)
 * and a type-token filter.
 *
 * The pack depends only on @pulumi/policy and @pulumi/pulumi (policy/package.json), so it has no
 * @pulumi/aws, @pulumi/eks or @pulumi/kubernetes classes to hand `validateResourceOfType`. `onTypes`
 * is its token-based equivalent: `validateResourceOfType(cls, fn)` runs `fn` when
 * `args.isType(cls)`, i.e. when `cls.isInstance({ __pulumiType: args.type })` — the type token.
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";

export type Props = Readonly<Record<string, unknown>>;

/** Runs `validate` only for resources of one of `types` (the type tokens, e.g. `aws:kms/key:Key`). */
export function onTypes(
  types: readonly string[],
  validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
  return (args, report) => {
    if (!types.includes(args.type)) return;
    validate(args.props as Props, args, report);
  };
}

export function obj(v: unknown): Props | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Props) : undefined;
}

export function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === "string");
}

/** A number, also from a numeric string (some inputs are strings in the provider schema). */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?[0-9]+$/.test(v)) return Number(v);
  return undefined;
}

/** `true`, also from the string "true" (launch-template EBS flags are strings). */
export function isTrue(v: unknown): boolean {
  return v === true || v === "true";
}

/** How a message names a resource: `<type> "<name>"`. */
export function who(args: { type: string; name: string }): string {
  return `${args.type} "${args.name}"`;
}

/** Kubernetes metadata.labels of a resource's props. */
export function labels(props: Props): Props {
  return obj(obj(props.metadata)?.labels) ?? {};
}

export function metadataName(props: Props): string | undefined {
  return str(obj(props.metadata)?.name);
}

/** True when `name` carries `suffix` as a whole token (delimited by a non-alphanumeric or an end). */
export function hasSuffixToken(name: string, suffix: string): boolean {
  const escaped = suffix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, "i").test(name);
}

/** Packages whose components tap uses as one resource (their children are theirs, not tap's). */
const PACKAGED_COMPONENT_PREFIXES = ["eks:", "awsx:"];

/**
 * Whether the resource was created inside a packaged component (pulumi-eks, awsx): on a real
 * preview the engine shows their children (URN type chain `...$eks:index:Cluster$aws:...`), which
 * tap cannot tag one by one; the component's own `tags` input is what tap controls.
 */
export function insidePackagedComponent(urn: string): boolean {
  const chain = (urn.split("::")[2] ?? "").split("$").slice(0, -1);
  return chain.some((t) => PACKAGED_COMPONENT_PREFIXES.some((p) => t.startsWith(p)));
}
