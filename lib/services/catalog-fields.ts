/**
 * Field readers for the service catalog: each reads one raw value (as Pulumi config or code gives
 * it: numbers and booleans may be strings), reports a problem naming its path
 * (`tap:services[0].replicas.min ...`) and returns a usable fallback so parsing can go on.
 */
import {
  actionProblem,
  metricNamespaceProblem,
  parseQuantity,
  resourceProblem,
} from "./catalog-rules";
import { show } from "../config-parse";
import {
  CloudWatchScaling,
  ResourceQuantities,
  SecretRef,
  ServicePermission,
  ServiceSpec,
} from "./types";

export type Fail = (key: string, reason: string) => void;
type Problem = (path: string, reason: string) => void;
type Obj = Record<string, unknown>;

export { show };

export class FieldReader {
  constructor(readonly problem: Problem) {}

  object(v: unknown, path: string): Obj | undefined {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Obj;
    this.problem(path, `must be an object (got ${show(v)})`);
    return undefined;
  }

  /** Reports every field of `obj` not in `allowed` (typos must not silently become defaults). */
  onlyFields(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.problem(`${path}.${key}`, `is not a field here (known: ${allowed.join(", ")})`);
      }
    }
  }

  /** A non-empty string; `fallback` undefined makes the field required. */
  string(v: unknown, path: string, fallback?: string): string | undefined {
    if (v === undefined) {
      if (fallback === undefined) this.problem(path, "is required");
      return fallback;
    }
    if (typeof v === "string" && v.trim() !== "") return v.trim();
    this.problem(path, `must be a non-empty string (got ${show(v)})`);
    return fallback;
  }

  int(v: unknown, path: string, fallback: number, min: number, max: number): number {
    if (v === undefined) return fallback;
    const n = typeof v === "string" && /^-?[0-9]+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) return n;
    this.problem(path, `must be an integer ${min}..${max} (got ${show(v)})`);
    return fallback;
  }

  positiveNumber(v: unknown, path: string): number | undefined {
    const n = typeof v === "string" && /^[0-9]*\.?[0-9]+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n === "number" && Number.isFinite(n) && n > 0) return n;
    this.problem(path, `must be a number greater than 0 (got ${show(v)})`);
    return undefined;
  }

  bool(v: unknown, path: string, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    this.problem(path, `must be true or false (got ${show(v)})`);
    return fallback;
  }

  stringList(v: unknown, path: string, fallback: readonly string[]): string[] {
    if (v === undefined) return [...fallback];
    if (Array.isArray(v) && v.every((x): x is string => typeof x === "string" && x.trim() !== "")) {
      return v.map((s) => s.trim());
    }
    this.problem(path, `must be a list of non-empty strings (got ${show(v)})`);
    return [...fallback];
  }
}

export function parseReplicas(
  r: FieldReader,
  v: unknown,
  path: string,
  fallback: { readonly min: number; readonly max: number },
): { min: number; max: number } {
  if (v === undefined) return { ...fallback };
  const obj = r.object(v, path);
  if (!obj) return { ...fallback };
  r.onlyFields(obj, path, ["min", "max"]);
  const min = r.int(obj.min, `${path}.min`, fallback.min, 1, 1000);
  const max = r.int(obj.max, `${path}.max`, Math.max(fallback.max, min), 1, 1000);
  if (min > max) r.problem(`${path}.min`, `must be <= replicas.max (got ${min} > ${max})`);
  return { min, max };
}

const STATISTICS = ["Average", "Sum", "Maximum", "Minimum", "SampleCount"] as const;

export function parseMetric(
  r: FieldReader,
  v: unknown,
  path: string,
): CloudWatchScaling | undefined {
  const obj = r.object(v, path);
  if (!obj) return undefined;
  r.onlyFields(obj, path, ["namespace", "metricName", "dimensions", "targetValue", "statistic"]);
  const namespace = r.string(obj.namespace, `${path}.namespace`);
  const metricName = r.string(obj.metricName, `${path}.metricName`);
  const targetValue = r.positiveNumber(obj.targetValue, `${path}.targetValue`);
  const statistic = r.string(obj.statistic, `${path}.statistic`, "Average");
  if (statistic !== undefined && !(STATISTICS as readonly string[]).includes(statistic)) {
    r.problem(
      `${path}.statistic`,
      `must be one of ${STATISTICS.join(", ")} (got ${show(statistic)})`,
    );
  }
  const dimensions: Record<string, string> = {};
  const dims = r.object(obj.dimensions, `${path}.dimensions`);
  if (dims) {
    const entries = Object.entries(dims);
    // KEDA joins names and values with ";" and CloudWatch allows 30 dimensions per metric.
    if (entries.length < 1 || entries.length > 30) {
      r.problem(`${path}.dimensions`, `must hold 1..30 name: value pairs (got ${entries.length})`);
    }
    for (const [name, value] of entries) {
      const ok = (s: string) => s.trim() !== "" && !s.includes(";");
      if (!ok(name) || typeof value !== "string" || !ok(value)) {
        r.problem(
          `${path}.dimensions`,
          `must map names to non-empty strings without ";" (got ${show(name)}: ${show(value)})`,
        );
      } else {
        dimensions[name.trim()] = value.trim();
      }
    }
  }
  if (!namespace || !metricName || targetValue === undefined) return undefined;
  return {
    namespace,
    metricName,
    dimensions,
    targetValue,
    statistic: (statistic ?? "Average") as CloudWatchScaling["statistic"],
  };
}

export function parseResources(
  r: FieldReader,
  v: unknown,
  path: string,
  fallback: ServiceSpec["resources"],
): ServiceSpec["resources"] {
  const obj = v === undefined ? {} : r.object(v, path);
  if (!obj) return fallback;
  r.onlyFields(obj, path, ["requests", "limits"]);
  const values: Record<string, Record<string, number | undefined>> = {};
  const side = (which: "requests" | "limits"): ResourceQuantities => {
    const inner = obj[which] === undefined ? {} : r.object(obj[which], `${path}.${which}`);
    values[which] = {};
    if (!inner) return fallback[which];
    r.onlyFields(inner, `${path}.${which}`, ["cpu", "memory"]);
    const read = (kind: "cpu" | "memory"): string => {
      const raw = inner[kind];
      const text = typeof raw === "number" ? String(raw) : raw;
      const p = `${path}.${which}.${kind}`;
      if (text === undefined) {
        values[which][kind] = (
          parseQuantity(fallback[which][kind], kind) as { value: number }
        ).value;
        return fallback[which][kind];
      }
      const parsed = typeof text === "string" ? parseQuantity(text.trim(), kind) : undefined;
      if (!parsed || "problem" in parsed) {
        r.problem(p, `${parsed?.problem ?? "must be a Kubernetes quantity"} (got ${show(raw)})`);
        return fallback[which][kind];
      }
      values[which][kind] = parsed.value;
      return (text as string).trim();
    };
    return { cpu: read("cpu"), memory: read("memory") };
  };
  const requests = side("requests");
  const limits = side("limits");
  for (const kind of ["cpu", "memory"] as const) {
    const [req, lim] = [values.requests[kind], values.limits[kind]];
    if (req !== undefined && lim !== undefined && req > lim) {
      r.problem(
        `${path}.requests.${kind}`,
        `must be <= resources.limits.${kind} (got ${requests[kind]} > ${limits[kind]})`,
      );
    }
  }
  return { requests, limits };
}

export function parsePermissions(r: FieldReader, v: unknown, path: string): ServicePermission[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    r.problem(path, `must be a list of {actions, resources} (got ${show(v)})`);
    return [];
  }
  const out: ServicePermission[] = [];
  v.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const obj = r.object(item, at);
    if (!obj) return;
    r.onlyFields(obj, at, ["actions", "resources"]);
    const actions = r.stringList(obj.actions, `${at}.actions`, []);
    const resources = r.stringList(obj.resources, `${at}.resources`, []);
    if (actions.length === 0) r.problem(`${at}.actions`, "must list at least one action");
    if (resources.length === 0) r.problem(`${at}.resources`, "must list at least one resource ARN");
    actions.forEach((a, j) => {
      const bad = actionProblem(a);
      if (bad) r.problem(`${at}.actions[${j}]`, `${bad} (got ${show(a)})`);
    });
    resources.forEach((res, j) => {
      const bad = resourceProblem(res);
      if (bad) r.problem(`${at}.resources[${j}]`, `${bad} (got ${show(res)})`);
    });
    out.push({ actions, resources });
  });
  return out;
}

/** `publishesMetrics`: CloudWatch namespaces the service may publish to. */
export function parseMetricNamespaces(r: FieldReader, v: unknown, path: string): string[] {
  const namespaces = r.stringList(v, path, []);
  namespaces.forEach((ns, i) => {
    const bad = metricNamespaceProblem(ns);
    if (bad) r.problem(`${path}[${i}]`, `${bad} (got ${show(ns)})`);
  });
  return namespaces;
}

/** A complete Secrets Manager secret ARN: the name, then "-" and the 6 characters AWS appends. */
const SECRET_ARN_RE =
  /^arn:(\$\{partition\}|aws(-[a-z]+)*):secretsmanager:(\$\{region\}|[a-z0-9-]+):(\$\{account\}|[0-9]{12}):secret:([A-Za-z0-9/_+=.@-]+)-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN_RE =
  /^arn:(\$\{partition\}|aws(-[a-z]+)*):kms:(\$\{region\}|[a-z0-9-]+):(\$\{account\}|[0-9]{12}):key\/[A-Za-z0-9-]+$/;
const FILE_RE = /^[A-Za-z0-9._-]{1,253}$/;

/**
 * `secrets`: Secrets Manager secrets, each its ARN or `{ arn, kmsKeyArn, file }`. The ARN must be
 * complete (IAM then grants exactly that secret); the file defaults to the secret's name.
 */
export function parseSecrets(r: FieldReader, v: unknown, path: string): SecretRef[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    r.problem(path, `must be a list of secret ARNs or { arn, kmsKeyArn, file } (got ${show(v)})`);
    return [];
  }
  const out: SecretRef[] = [];
  v.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const obj: Record<string, unknown> | undefined =
      typeof item === "string" ? { arn: item } : r.object(item, at);
    if (!obj) return;
    r.onlyFields(obj, at, ["arn", "kmsKeyArn", "file"]);
    const arnAt = typeof item === "string" ? at : `${at}.arn`;
    const arn = r.string(obj.arn, arnAt);
    if (arn === undefined) return;
    const m = SECRET_ARN_RE.exec(arn);
    if (!m) {
      r.problem(
        arnAt,
        `must be a complete Secrets Manager secret ARN, with the 6 characters AWS appends to the name, like arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/db-AbCdEf (aws secretsmanager describe-secret --secret-id <name> --query ARN) (got ${show(arn)})`,
      );
      return;
    }
    const kmsKeyArn =
      obj.kmsKeyArn === undefined ? undefined : r.string(obj.kmsKeyArn, `${at}.kmsKeyArn`);
    if (kmsKeyArn !== undefined && !KMS_KEY_ARN_RE.test(kmsKeyArn)) {
      r.problem(
        `${at}.kmsKeyArn`,
        `must be a KMS key ARN like arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias) (got ${show(kmsKeyArn)})`,
      );
    }
    const file = r.string(obj.file, `${at}.file`, m[5].split("/").join("_"));
    if (file !== undefined && !FILE_RE.test(file)) {
      r.problem(
        `${at}.file`,
        `must be a file name of letters, digits, ".", "_" and "-" (got ${show(file)})`,
      );
    }
    out.push({ arn, ...(kmsKeyArn ? { kmsKeyArn } : {}), file: file ?? "" });
  });
  const files = out.map((s) => s.file);
  files.forEach((f, i) => {
    if (files.indexOf(f) !== i) r.problem(path, `has two secrets in file "${f}": give one a file`);
  });
  const arns = out.map((s) => s.arn);
  arns.forEach((a, i) => {
    if (arns.indexOf(a) !== i) r.problem(path, `lists ${a} twice`);
  });
  return out;
}
