/**
 * The tenants contract (`tap:tenants`): what a tenant is, its defaults, and how the config parses
 * and checks it. Data and validation only; lib/tenants/index.ts builds them.
 */
import { show } from "../config-parse";
import { RESERVED_SERVICE_NAMES } from "../services/catalog";
import { FieldReader } from "../services/catalog-fields";
import { parseQuantity } from "../services/catalog-rules";
import { ServiceSpec } from "../services/types";

export const TENANT_ACCESS_LEVELS = ["view", "edit", "admin"] as const;
export type TenantAccessLevel = (typeof TENANT_ACCESS_LEVELS)[number];

/** The EKS access policy of each level, always scoped to the tenant's namespace. */
export const ACCESS_POLICY_OF: Readonly<Record<TenantAccessLevel, string>> = {
  view: "AmazonEKSViewPolicy",
  edit: "AmazonEKSEditPolicy",
  admin: "AmazonEKSAdminPolicy",
};

export interface TenantMember {
  /** An IAM role or user ARN. */
  readonly arn: string;
  readonly level: TenantAccessLevel;
}

/** The tenant namespace's ResourceQuota (`requests.cpu` ... `persistentvolumeclaims`). */
export interface TenantQuota {
  readonly requestsCpu: string;
  readonly requestsMemory: string;
  readonly limitsCpu: string;
  readonly limitsMemory: string;
  readonly pods: number;
  readonly services: number;
  readonly persistentVolumeClaims: number;
}

/** The LimitRange defaults a container without requests/limits gets (so quota admits and counts it). */
export interface TenantDefaults {
  readonly requestCpu: string;
  readonly requestMemory: string;
  readonly limitCpu: string;
  readonly limitMemory: string;
}

export interface TenantSpec {
  /** The tenant's name: its namespace, and part of its role and S3 prefix. */
  readonly name: string;
  readonly members: readonly TenantMember[];
  readonly quota: TenantQuota;
  readonly defaults: TenantDefaults;
  /** Whether its workloads get an IRSA role with access to s3://<tenant bucket>/<name>/. */
  readonly s3: boolean;
}

export const TENANT_DEFAULTS: Omit<TenantSpec, "name" | "members"> = {
  quota: {
    requestsCpu: "4",
    requestsMemory: "8Gi",
    limitsCpu: "8",
    limitsMemory: "16Gi",
    pods: 50,
    services: 20,
    persistentVolumeClaims: 10,
  },
  defaults: { requestCpu: "100m", requestMemory: "128Mi", limitCpu: "500m", limitMemory: "512Mi" },
  s3: false,
};

/** The service account a tenant's own workloads use for their S3 access. */
export const TENANT_WORKLOAD_SERVICE_ACCOUNT = "workloads";
/** Tenant names: a DNS label short enough for `tap-tenant-<name>-<suffix>` (an IAM role name, 64). */
export const TENANT_NAME_RE = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;
const MAX_TENANT_NAME = 24;

const TENANT_FIELDS = ["name", "members", "quota", "defaults", "s3"] as const;
const QUOTA_FIELDS = Object.keys(TENANT_DEFAULTS.quota);
const DEFAULT_FIELDS = Object.keys(TENANT_DEFAULTS.defaults);
const PRINCIPAL_ARN_RE = /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

type Fail = (key: string, reason: string) => void;

/**
 * `tap:tenants` (a list, or its JSON text; none by default), every problem to `fail("tenants", ...)`.
 * Cross-checks with the catalog and the cluster admins are in checkTenants.
 */
export function parseTenants(raw: unknown, fail: Fail): TenantSpec[] {
  if (raw === undefined || raw === null) return [];
  const problem = (path: string, reason: string) => fail("tenants", `tap:tenants${path} ${reason}`);
  let list: unknown = raw;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list) as unknown;
    } catch {
      problem("", `must be a list of tenant objects (got ${show(raw)})`);
      return [];
    }
  }
  if (!Array.isArray(list)) {
    problem("", `must be a list of tenant objects (got ${show(raw)})`);
    return [];
  }
  const r = new FieldReader(problem);
  const out: TenantSpec[] = [];
  list.forEach((entry: unknown, i) => {
    const at = `[${i}]`;
    const obj = r.object(entry, at);
    if (!obj) return;
    r.onlyFields(obj, at, TENANT_FIELDS);
    const name = r.string(obj.name, `${at}.name`) ?? "";
    if (name !== "" && (!TENANT_NAME_RE.test(name) || name.length > MAX_TENANT_NAME)) {
      problem(
        `${at}.name`,
        `must be a DNS label of at most ${MAX_TENANT_NAME} characters: lowercase letters, digits and '-', starting with a letter (got ${show(name)})`,
      );
    } else if (RESERVED_SERVICE_NAMES.includes(name) || name.startsWith("kube-")) {
      problem(
        `${at}.name`,
        `"${name}" is a system or add-on namespace; a tenant needs a namespace of its own (reserved: ${RESERVED_SERVICE_NAMES.join(", ")}, kube-*)`,
      );
    }
    out.push({
      name,
      members: parseMembers(r, obj.members, `${at}.members`),
      quota: parseQuota(r, obj.quota, `${at}.quota`),
      defaults: parseDefaults(r, obj.defaults, `${at}.defaults`),
      s3: r.bool(obj.s3, `${at}.s3`, TENANT_DEFAULTS.s3),
    });
  });
  const seen = new Map<string, number>();
  out.forEach((t, i) => {
    if (t.name === "") return;
    const first = seen.get(t.name);
    if (first !== undefined)
      problem(`[${i}].name`, `"${t.name}" is declared twice (first at tap:tenants[${first}])`);
    else seen.set(t.name, i);
  });
  return out;
}

function parseMembers(r: FieldReader, v: unknown, at: string): TenantMember[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    r.problem(at, `must be a list of { arn, level } (got ${show(v)})`);
    return [];
  }
  const members: TenantMember[] = [];
  v.forEach((m: unknown, i) => {
    const p = `${at}[${i}]`;
    const obj = r.object(m, p);
    if (!obj) return;
    r.onlyFields(obj, p, ["arn", "level"]);
    const arn = r.string(obj.arn, `${p}.arn`);
    if (arn !== undefined && !PRINCIPAL_ARN_RE.test(arn)) {
      r.problem(
        `${p}.arn`,
        `must be an IAM role or user ARN like arn:aws:iam::123456789012:role/RetailDevs (not an assumed-role session) (got ${show(arn)})`,
      );
    }
    const level = r.string(obj.level, `${p}.level`, "view");
    if (level !== undefined && !(TENANT_ACCESS_LEVELS as readonly string[]).includes(level)) {
      r.problem(
        `${p}.level`,
        `must be one of ${TENANT_ACCESS_LEVELS.join(", ")} (got ${show(level)})`,
      );
    }
    if (arn !== undefined) members.push({ arn, level: (level ?? "view") as TenantAccessLevel });
  });
  const arns = members.map((m) => m.arn);
  const twice = arns.filter((a, i) => arns.indexOf(a) !== i);
  if (twice.length > 0)
    r.problem(at, `names ${show([...new Set(twice)])} twice; give each person one level`);
  return members;
}

function quantity(
  r: FieldReader,
  v: unknown,
  path: string,
  fallback: string,
  kind: "cpu" | "memory",
): string {
  if (v === undefined) return fallback;
  const text = typeof v === "number" ? String(v) : v;
  if (typeof text !== "string") {
    r.problem(path, `must be a quantity (got ${show(v)})`);
    return fallback;
  }
  const q = parseQuantity(text, kind);
  if ("problem" in q) {
    r.problem(path, `${q.problem} (got ${show(v)})`);
    return fallback;
  }
  return text;
}

function parseQuota(r: FieldReader, v: unknown, at: string): TenantQuota {
  const d = TENANT_DEFAULTS.quota;
  if (v === undefined) return d;
  const obj = r.object(v, at);
  if (!obj) return d;
  r.onlyFields(obj, at, QUOTA_FIELDS);
  return {
    requestsCpu: quantity(r, obj.requestsCpu, `${at}.requestsCpu`, d.requestsCpu, "cpu"),
    requestsMemory: quantity(
      r,
      obj.requestsMemory,
      `${at}.requestsMemory`,
      d.requestsMemory,
      "memory",
    ),
    limitsCpu: quantity(r, obj.limitsCpu, `${at}.limitsCpu`, d.limitsCpu, "cpu"),
    limitsMemory: quantity(r, obj.limitsMemory, `${at}.limitsMemory`, d.limitsMemory, "memory"),
    pods: r.int(obj.pods, `${at}.pods`, d.pods, 1, 10000),
    services: r.int(obj.services, `${at}.services`, d.services, 0, 10000),
    persistentVolumeClaims: r.int(
      obj.persistentVolumeClaims,
      `${at}.persistentVolumeClaims`,
      d.persistentVolumeClaims,
      0,
      10000,
    ),
  };
}

function parseDefaults(r: FieldReader, v: unknown, at: string): TenantDefaults {
  const d = TENANT_DEFAULTS.defaults;
  if (v === undefined) return d;
  const obj = r.object(v, at);
  if (!obj) return d;
  r.onlyFields(obj, at, DEFAULT_FIELDS);
  const out = {
    requestCpu: quantity(r, obj.requestCpu, `${at}.requestCpu`, d.requestCpu, "cpu"),
    requestMemory: quantity(r, obj.requestMemory, `${at}.requestMemory`, d.requestMemory, "memory"),
    limitCpu: quantity(r, obj.limitCpu, `${at}.limitCpu`, d.limitCpu, "cpu"),
    limitMemory: quantity(r, obj.limitMemory, `${at}.limitMemory`, d.limitMemory, "memory"),
  };
  const val = (q: string, kind: "cpu" | "memory") => {
    const p = parseQuantity(q, kind);
    return "value" in p ? p.value : 0;
  };
  if (val(out.requestCpu, "cpu") > val(out.limitCpu, "cpu"))
    r.problem(`${at}.requestCpu`, `must be <= limitCpu (got ${out.requestCpu} > ${out.limitCpu})`);
  if (val(out.requestMemory, "memory") > val(out.limitMemory, "memory"))
    r.problem(
      `${at}.requestMemory`,
      `must be <= limitMemory (got ${out.requestMemory} > ${out.limitMemory})`,
    );
  return out;
}

/**
 * Rules across keys: a service's tenant exists; a tenant's namespace is no other service's; the
 * tenant's services fit its quota at their maximum replicas (plus a rollout's surge); nobody is
 * both a cluster admin and a tenant member; App Mesh (its injected proxy needs NET_ADMIN) and
 * tenant services (namespaces enforce restricted) exclude each other.
 */
export function checkTenants(
  tenants: readonly TenantSpec[],
  services: readonly ServiceSpec[],
  clusterAdminArns: readonly string[],
  appMesh: boolean,
  fail: Fail,
): void {
  const names = tenants.map((t) => t.name);
  services.forEach((s, i) => {
    if (s.tenant !== undefined && !names.includes(s.tenant)) {
      fail(
        "services",
        `tap:services[${i}].tenant names unknown tenant "${s.tenant}" (tap:tenants: ${names.join(", ") || "none"})`,
      );
    }
    const clash = tenants.find((t) => t.name === s.name && s.tenant !== t.name);
    if (clash && s.tenant === undefined) {
      fail(
        "tenants",
        `tap:tenants: tenant "${clash.name}" and service "${s.name}" would share namespace "${s.name}": rename one, or give the service tenant: ${clash.name}`,
      );
    }
  });
  for (const t of tenants) {
    for (const m of t.members.filter((x) => clusterAdminArns.includes(x.arn))) {
      fail(
        "tenants",
        `tap:tenants: ${m.arn} of tenant "${t.name}" is also in tap:clusterAdminArns (cluster-wide admin already; one access entry per person): remove it from one`,
      );
    }
    const own = services.filter((s) => s.tenant === t.name);
    // Names the tenant's own objects take in its namespace.
    for (const s of own.filter(
      (x) => x.name === TENANT_WORKLOAD_SERVICE_ACCOUNT || x.name === "tenant",
    )) {
      fail(
        "services",
        `tap:services: service "${s.name}" of tenant "${t.name}" would collide with the tenant's own ${s.name === "tenant" ? "NetworkPolicy tenant-allow-aws-apis" : `service account ${TENANT_WORKLOAD_SERVICE_ACCOUNT}`} in its namespace: rename the service`,
      );
    }
    if (own.length === 0) continue;
    if (appMesh) {
      fail(
        "tenants",
        `tap:tenants: tenant "${t.name}" runs services (${own.map((s) => s.name).join(", ")}) and tap:enableAppMesh is true: App Mesh's injected proxy needs NET_ADMIN, tenant namespaces enforce PSS restricted. Set tap:enableAppMesh false`,
      );
    }
    fitQuota(t, own, fail);
  }
}

/** The tenant's services at max replicas, plus one surge pod each (maxSurge 25%, rounded up), fit the quota. */
function fitQuota(t: TenantSpec, own: readonly ServiceSpec[], fail: Fail): void {
  const cpu = (q: string) => {
    const p = parseQuantity(q, "cpu");
    return "value" in p ? p.value : 0;
  };
  const mem = (q: string) => {
    const p = parseQuantity(q, "memory");
    return "value" in p ? p.value : 0;
  };
  const pods = (s: ServiceSpec) => s.replicas.max + Math.ceil(s.replicas.max * 0.25);
  const sum = (f: (s: ServiceSpec) => number) => own.reduce((n, s) => n + pods(s) * f(s), 0);
  const checks: [string, number, number][] = [
    ["requestsCpu", sum((s) => cpu(s.resources.requests.cpu)), cpu(t.quota.requestsCpu)],
    ["requestsMemory", sum((s) => mem(s.resources.requests.memory)), mem(t.quota.requestsMemory)],
    ["limitsCpu", sum((s) => cpu(s.resources.limits.cpu)), cpu(t.quota.limitsCpu)],
    ["limitsMemory", sum((s) => mem(s.resources.limits.memory)), mem(t.quota.limitsMemory)],
    ["pods", own.reduce((n, s) => n + pods(s), 0), t.quota.pods],
  ];
  for (const [key, need, have] of checks) {
    if (need > have) {
      const fmt = (n: number) =>
        key.endsWith("Memory")
          ? `${Math.ceil(n / 2 ** 20)}Mi`
          : key === "pods"
            ? String(n)
            : `${Math.round(n * 1000)}m`;
      fail(
        "tenants",
        `tap:tenants: tenant "${t.name}" quota.${key} is ${fmt(have)}, but its services (${own.map((s) => s.name).join(", ")}) need ${fmt(need)} at their maximum replicas plus a rollout's surge: raise quota.${key} or lower replicas.max`,
      );
    }
  }
}
