/**
 * Kyverno's ValidatingPolicy admission, the part tap's policies use, evaluated offline: whether a
 * policy applies to a Pod (or a controller's Pod template, as Kyverno's autogen applies it) in a
 * namespace with given labels, and which of its validations fail. The CEL runs on the API server
 * subset of test/helpers/crd-schema.ts; an expression outside it throws (never passes silently).
 *
 * Semantics, from Kyverno's docs and source at v1.19.0 (facts/kyverno.md): matchConstraints are the
 * Kubernetes admission match (namespaceSelector over the namespace's labels, which always include
 * kubernetes.io/metadata.name; resourceRules over group/version/resource/operation); variables are
 * evaluated in order and read as `variables.<name>`; a request is refused when any validation is
 * false and the actions include Deny. Autogen rewrites a Pod rule for the controllers, reading
 * `object.spec.template` (CronJob: `object.spec.jobTemplate.spec.template`) as the Pod.
 */
import { evaluateExpression } from "./crd-schema";

type Obj = Record<string, unknown>;
interface Expr {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}
export interface PolicyDoc {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly validationActions: readonly string[];
    readonly matchConstraints: {
      readonly namespaceSelector?: { readonly matchExpressions?: readonly Expr[] };
      readonly resourceRules: readonly { readonly resources: readonly string[] }[];
    };
    readonly variables?: readonly { readonly name: string; readonly expression: string }[];
    readonly validations: readonly { readonly expression: string; readonly message: string }[];
  };
}

export function selectsNamespace(
  selector: PolicyDoc["spec"]["matchConstraints"]["namespaceSelector"],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  const all: Record<string, string> = { ...labels, "kubernetes.io/metadata.name": name };
  return (selector?.matchExpressions ?? []).every((e) => {
    const has = e.key in all;
    const inValues = has && (e.values ?? []).includes(all[e.key]);
    switch (e.operator) {
      case "In":
        return inValues;
      case "NotIn":
        return !inValues;
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        throw new Error(`operator ${e.operator}`);
    }
  });
}

/** The Pod an object stands for under autogen (the object itself for a Pod). */
export function podOf(object: Obj): Obj {
  const kind = String(object.kind);
  const spec = (object.spec ?? {}) as Obj;
  if (kind === "Pod") return object;
  if (kind === "CronJob")
    return podOf({ kind: "Job", spec: ((spec.jobTemplate as Obj).spec ?? {}) as Obj });
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(kind))
    return { kind: "Pod", ...(spec.template as Obj) };
  throw new Error(`kind ${kind} is not a Pod or a Pod controller`);
}

export interface Admission {
  /** The policy applies (namespace and resource match). */
  readonly applies: boolean;
  /** The messages of the validations that fail. */
  readonly failures: readonly string[];
  /** Refused at admission (applies, fails, and Deny is an action). */
  readonly denied: boolean;
}

export function admit(
  policy: PolicyDoc,
  object: Obj,
  namespace: { readonly name: string; readonly labels?: Readonly<Record<string, string>> },
): Admission {
  const mc = policy.spec.matchConstraints;
  const applies =
    mc.resourceRules.some((r) => r.resources.includes("pods")) &&
    selectsNamespace(mc.namespaceSelector, namespace.name, namespace.labels);
  if (!applies) return { applies, failures: [], denied: false };
  const pod = podOf(object);
  const variables: Obj = {};
  for (const v of policy.spec.variables ?? [])
    variables[v.name] = evaluateExpression(v.expression, { object: pod, variables });
  const failures = policy.spec.validations
    .filter((v) => evaluateExpression(v.expression, { object: pod, variables }) !== true)
    .map((v) => v.message);
  return {
    applies,
    failures,
    denied: failures.length > 0 && policy.spec.validationActions.includes("Deny"),
  };
}
