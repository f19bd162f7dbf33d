/**
 * The service catalog: one `ServiceSpec` per microservice, from `tap:services` (a YAML list in
 * Pulumi.<stack>.yaml) or DEFAULT_SERVICES. Every Kubernetes object, IAM role and NetworkPolicy of
 * a service is derived from it (workloads.ts, network.ts, autoscaling.ts, mesh.ts).
 *
 * Parsing fills each omitted field from SERVICE_DEFAULTS, accepts numbers and booleans written as
 * strings ("8080", "true"), and reports EVERY problem through `fail("services", reason)`, each
 * reason naming the entry and field: `tap:services[1].calls names unknown service "ledgr" (...)`.
 *
 * Public services: any number, including none (an internal-only catalog is valid: nothing admits
 * load-balancer traffic). Call cycles are allowed (each edge is one NetworkPolicy rule).
 */
import { ADDON_NAMESPACES, RESERVED_NAMESPACES } from "../addons/reserved-namespaces";
import { SERVICE_NODE_CLASSES } from "../node-classes";
import { KEDA_PROBE_DEFAULTS } from "../addons/keda/defaults";
import {
  MAX_SERVICE_NAME_LENGTH,
  SERVICE_NAME_RE,
  imageProblem,
  imageTagProblem,
} from "./catalog-rules";
import {
  Fail,
  FieldReader,
  parseMetric,
  parseMetricNamespaces,
  parseSecrets,
  parsePermissions,
  parseReplicas,
  parseResources,
  show,
} from "./catalog-fields";
import { ServiceSpec } from "./types";

/** The image of the default catalog: UID 101, serves HTTP on 8080, temp files in /tmp. */
export const DEFAULT_SERVICE_IMAGE = KEDA_PROBE_DEFAULTS.image;

/** What an entry of `tap:services` gets for each field it omits (`name` and `image` are required). */
export const SERVICE_DEFAULTS = {
  port: 8080,
  healthPath: "/",
  public: false,
  calls: [] as readonly string[],
  replicas: { min: 2, max: 10 },
  cpuTargetPercent: 70,
  resources: {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  },
  awsPermissions: [],
  publishesMetrics: [],
  /** `cloudwatchMetric`: none (CPU scaling only). */
} as const satisfies Partial<ServiceSpec>;

/** Names a service may not take: its namespace would collide with a system or add-on namespace. */
export const RESERVED_SERVICE_NAMES: readonly string[] = [
  ...new Set<string>([...RESERVED_NAMESPACES, ...ADDON_NAMESPACES]),
];

const base = {
  image: DEFAULT_SERVICE_IMAGE,
  port: SERVICE_DEFAULTS.port,
  healthPath: SERVICE_DEFAULTS.healthPath,
  cpuTargetPercent: SERVICE_DEFAULTS.cpuTargetPercent,
  resources: SERVICE_DEFAULTS.resources,
  secrets: [],
} as const;

/** A small payments system: gateway (public edge) -> payments -> ledger. */
export const DEFAULT_SERVICES: readonly ServiceSpec[] = [
  {
    ...base,
    name: "gateway",
    public: true,
    calls: ["payments"],
    replicas: { min: 3, max: 20 },
    awsPermissions: [],
    publishesMetrics: [],
  },
  {
    ...base,
    name: "payments",
    public: false,
    calls: ["ledger"],
    replicas: { min: 2, max: 10 },
    // tap's own namespace with static dimensions; with no datapoints KEDA uses minMetricValue (0).
    cloudwatchMetric: {
      namespace: "TAP/Payments",
      metricName: "PendingTransactions",
      dimensions: { Service: "payments" },
      targetValue: 50,
      statistic: "Average",
    },
    awsPermissions: [],
    // payments itself reports the queue depth it is scaled on.
    publishesMetrics: ["TAP/Payments"],
  },
  {
    ...base,
    name: "ledger",
    public: false,
    calls: [],
    replicas: { min: 2, max: 6 },
    awsPermissions: [
      {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        resources: ["arn:${partition}:dynamodb:${region}:${account}:table/ledger"],
      },
    ],
    publishesMetrics: [],
  },
];

const FIELDS = [
  "name",
  "image",
  "imageTag",
  "port",
  "healthPath",
  "public",
  "calls",
  "replicas",
  "cpuTargetPercent",
  "cloudwatchMetric",
  "resources",
  "awsPermissions",
  "publishesMetrics",
  "tenant",
  "secrets",
  "database",
  "nodeClass",
] as const;

const HEALTH_PATH_RE = /^\/[^\s?#]*$/;

/**
 * The catalog from `tap:services` (`raw` undefined -> DEFAULT_SERVICES). `raw` is the parsed list
 * or its JSON text. Problems go to `fail("services", reason)`; the result is then best-effort and
 * must not be deployed (resolveConfig throws once every key is checked).
 */
export function parseServiceCatalog(raw: unknown, fail: Fail): ServiceSpec[] {
  if (raw === undefined) return [...DEFAULT_SERVICES];
  const problem = (path: string, reason: string) =>
    fail("services", `tap:services${path} ${reason}`);
  let list: unknown = raw;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list) as unknown;
    } catch {
      problem("", `must be a list of service objects (a YAML list) (got ${show(raw)})`);
      return [];
    }
  }
  if (!Array.isArray(list)) {
    problem("", `must be a list of service objects (a YAML list) (got ${show(raw)})`);
    return [];
  }
  if (list.length === 0) {
    problem(
      "",
      "must list at least one service (got []); omit tap:services for the default catalog",
    );
    return [];
  }

  const specs: { index: number; spec: ServiceSpec }[] = [];
  list.forEach((entry: unknown, index) => {
    const spec = parseEntry(entry, `[${index}]`, problem);
    if (spec) specs.push({ index, spec });
  });

  // Cross-entry rules: unique names, calls only to declared services, never to oneself.
  const firstIndex = new Map<string, number>();
  for (const { index, spec } of specs) {
    if (spec.name === "") continue;
    const first = firstIndex.get(spec.name);
    if (first === undefined) firstIndex.set(spec.name, index);
    else
      problem(
        `[${index}].name`,
        `"${spec.name}" is declared twice (first at tap:services[${first}])`,
      );
  }
  const known = [...firstIndex.keys()];
  for (const { index, spec } of specs) {
    const seen = new Set<string>();
    for (const callee of spec.calls) {
      if (seen.has(callee)) problem(`[${index}].calls`, `names "${callee}" twice`);
      seen.add(callee);
      if (callee === spec.name) {
        problem(`[${index}].calls`, `names "${callee}" itself; a service may not call itself`);
      } else if (!firstIndex.has(callee)) {
        problem(
          `[${index}].calls`,
          `names unknown service "${callee}" (known: ${known.join(", ")})`,
        );
      }
    }
  }
  return specs.map((s) => s.spec);
}

function parseEntry(
  entry: unknown,
  at: string,
  problem: (path: string, reason: string) => void,
): ServiceSpec | undefined {
  const r = new FieldReader(problem);
  const obj = r.object(entry, at);
  if (!obj) return undefined;
  r.onlyFields(obj, at, FIELDS);
  const d = SERVICE_DEFAULTS;

  const name = r.string(obj.name, `${at}.name`);
  if (name !== undefined && !SERVICE_NAME_RE.test(name)) {
    problem(
      `${at}.name`,
      `must be a DNS label: lowercase letters, digits and '-', starting with a letter and not ending with '-' (got ${show(name)})`,
    );
  } else if (name !== undefined && name.length > MAX_SERVICE_NAME_LENGTH) {
    problem(
      `${at}.name`,
      `must be at most ${MAX_SERVICE_NAME_LENGTH} characters (its IAM role tap-svc-<name>-<suffix> must fit 64) (got ${show(name)}, ${name.length})`,
    );
  } else if (name !== undefined && RESERVED_SERVICE_NAMES.includes(name)) {
    problem(
      `${at}.name`,
      `"${name}" is a reserved namespace; pick another name (reserved: ${RESERVED_SERVICE_NAMES.join(", ")})`,
    );
  }

  // An image, or (with tap:addons.registry) the tag of the service's own repository.
  const imageTag =
    obj.imageTag === undefined ? undefined : r.string(obj.imageTag, `${at}.imageTag`);
  const badTag = imageTag === undefined ? undefined : imageTagProblem(imageTag);
  if (badTag) problem(`${at}.imageTag`, `${badTag} (got ${show(imageTag)})`);
  if (obj.image !== undefined && obj.imageTag !== undefined)
    problem(
      `${at}.imageTag`,
      "and image are both set: give image (any registry) or imageTag (the service's own tap:addons.registry repository), not both",
    );
  let image: string | undefined;
  if (obj.image !== undefined) image = r.string(obj.image, `${at}.image`);
  else if (obj.imageTag === undefined)
    problem(
      `${at}.image`,
      "is required (or imageTag, the tag of the service's own repository with tap:addons.registry on)",
    );
  const badImage = image === undefined ? undefined : imageProblem(image);
  if (badImage) problem(`${at}.image`, `${badImage} (got ${show(image)})`);

  const healthPath = r.string(obj.healthPath, `${at}.healthPath`, d.healthPath);
  if (healthPath !== undefined && !HEALTH_PATH_RE.test(healthPath)) {
    problem(`${at}.healthPath`, `must be a URL path starting with "/" (got ${show(healthPath)})`);
  }

  const metric =
    obj.cloudwatchMetric === undefined
      ? undefined
      : parseMetric(r, obj.cloudwatchMetric, `${at}.cloudwatchMetric`);

  const tenant = obj.tenant === undefined ? undefined : r.string(obj.tenant, `${at}.tenant`);

  return {
    name: name ?? "",
    ...(tenant !== undefined ? { tenant } : {}),
    image: image ?? "",
    ...(imageTag !== undefined && obj.image === undefined ? { imageTag } : {}),
    port: r.int(obj.port, `${at}.port`, d.port, 1, 65535),
    healthPath: healthPath ?? d.healthPath,
    public: r.bool(obj.public, `${at}.public`, d.public),
    calls: r.stringList(obj.calls, `${at}.calls`, d.calls),
    replicas: parseReplicas(r, obj.replicas, `${at}.replicas`, d.replicas),
    cpuTargetPercent: r.int(
      obj.cpuTargetPercent,
      `${at}.cpuTargetPercent`,
      d.cpuTargetPercent,
      1,
      100,
    ),
    ...(metric ? { cloudwatchMetric: metric } : {}),
    resources: parseResources(r, obj.resources, `${at}.resources`, d.resources),
    awsPermissions: parsePermissions(r, obj.awsPermissions, `${at}.awsPermissions`),
    publishesMetrics: parseMetricNamespaces(r, obj.publishesMetrics, `${at}.publishesMetrics`),
    secrets: parseSecrets(r, obj.secrets, `${at}.secrets`),
    ...(obj.database !== undefined
      ? { database: r.string(obj.database, `${at}.database`) ?? "" }
      : {}),
    ...parseNodeClass(obj.nodeClass, `${at}.nodeClass`, problem),
  };
}

/** `nodeClass`: "application" (the default) or "gpu" (tap:nodeClasses.gpu must be set). */
function parseNodeClass(
  raw: unknown,
  at: string,
  problem: (at: string, reason: string) => void,
): { nodeClass?: "gpu" } {
  if (raw === undefined || raw === "application") return {};
  if (raw === "gpu") return { nodeClass: "gpu" };
  problem(at, `must be one of ${SERVICE_NODE_CLASSES.join(", ")} (got ${show(raw)})`);
  return {};
}
