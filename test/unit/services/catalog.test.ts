import {
  DEFAULT_SERVICES,
  DEFAULT_SERVICE_IMAGE,
  RESERVED_SERVICE_NAMES,
  SERVICE_DEFAULTS,
  parseServiceCatalog,
} from "../../../lib/services/catalog";
import { imageProblem, parseQuantity } from "../../../lib/services/catalog-rules";
import { ServiceSpec } from "../../../lib/services/types";

type Entry = Record<string, unknown>;

/** Parses `raw`, collecting every (key, reason) reported. */
function parse(raw: unknown): { specs: ServiceSpec[]; problems: [string, string][] } {
  const problems: [string, string][] = [];
  const specs = parseServiceCatalog(raw, (key, reason) => problems.push([key, reason]));
  return { specs, problems };
}
const reasons = (raw: unknown) => parse(raw).problems.map(([, r]) => r);

const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
/** A valid three-service catalog; tests break one entry at a time. */
const valid = (): Entry[] => [
  { name: "gateway", image: IMAGE, public: true, calls: ["payments"] },
  { name: "payments", image: IMAGE, calls: ["ledger"] },
  { name: "ledger", image: IMAGE },
];
const withEntry = (i: number, patch: Entry): Entry[] =>
  valid().map((e, j) => (j === i ? { ...e, ...patch } : e));

describe("DEFAULT_SERVICES", () => {
  it("is used when tap:services is not set", () => {
    const { specs, problems } = parse(undefined);
    expect(problems).toEqual([]);
    expect(specs).toEqual(DEFAULT_SERVICES);
  });

  it("models gateway (public) -> payments -> ledger with the documented replicas", () => {
    expect(
      DEFAULT_SERVICES.map((s) => [s.name, s.public, s.calls, s.replicas.min, s.replicas.max]),
    ).toEqual([
      ["gateway", true, ["payments"], 3, 20],
      ["payments", false, ["ledger"], 2, 10],
      ["ledger", false, [], 2, 6],
    ]);
  });

  it("uses the pinned nginx-unprivileged image on 8080, health /, CPU 70 %, 100m/128Mi..500m/256Mi", () => {
    for (const s of DEFAULT_SERVICES) {
      expect(s).toMatchObject({
        image: "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
        port: 8080,
        healthPath: "/",
        cpuTargetPercent: 70,
        resources: {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
      });
      expect(imageProblem(s.image)).toBeUndefined();
    }
  });

  it("scales payments on TAP/Payments PendingTransactions (static dimension) and only payments", () => {
    expect(DEFAULT_SERVICES.filter((s) => s.cloudwatchMetric).map((s) => s.name)).toEqual([
      "payments",
    ]);
    expect(DEFAULT_SERVICES[1].cloudwatchMetric).toEqual({
      namespace: "TAP/Payments",
      metricName: "PendingTransactions",
      dimensions: { Service: "payments" },
      targetValue: 50,
      statistic: "Average",
    });
  });

  it("grants AWS permissions only to ledger: three DynamoDB actions on table/ledger", () => {
    expect(DEFAULT_SERVICES.filter((s) => s.awsPermissions.length > 0).map((s) => s.name)).toEqual([
      "ledger",
    ]);
    expect(DEFAULT_SERVICES[2].awsPermissions).toEqual([
      {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        resources: ["arn:${partition}:dynamodb:${region}:${account}:table/ledger"],
      },
    ]);
  });

  it("passes its own validation when written out as config", () => {
    expect(parse(JSON.stringify(DEFAULT_SERVICES))).toEqual({
      specs: DEFAULT_SERVICES,
      problems: [],
    });
  });
});

describe("parseServiceCatalog: defaults and tolerance", () => {
  it("fills every omitted field from SERVICE_DEFAULTS (name and image are all it needs)", () => {
    const { specs, problems } = parse([{ name: "solo", image: IMAGE }]);
    expect(problems).toEqual([]);
    expect(specs).toEqual([
      {
        name: "solo",
        image: IMAGE,
        port: 8080,
        healthPath: "/",
        public: false,
        calls: [],
        replicas: { min: 2, max: 10 },
        cpuTargetPercent: 70,
        resources: {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        awsPermissions: [],
        publishesMetrics: [],
        secrets: [],
      },
    ]);
    expect(SERVICE_DEFAULTS.replicas).toEqual({ min: 2, max: 10 });
  });

  it("fills resources per field: an override of one quantity keeps the other three", () => {
    const { specs, problems } = parse([
      { name: "solo", image: IMAGE, resources: { limits: { memory: "1Gi" } } },
    ]);
    expect(problems).toEqual([]);
    expect(specs[0].resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "1Gi" },
    });
  });

  it("accepts numbers and booleans written as strings (how Pulumi config may give them)", () => {
    const { specs, problems } = parse([
      {
        name: "solo",
        image: IMAGE,
        port: "9090",
        public: "true",
        replicas: { min: "1", max: "4" },
        cpuTargetPercent: "55",
        cloudwatchMetric: {
          namespace: "TAP/X",
          metricName: "Depth",
          dimensions: { Queue: "q1", Tier: "gold" },
          targetValue: "12.5",
        },
        resources: { requests: { cpu: 0.25 } },
      },
    ]);
    expect(problems).toEqual([]);
    expect(specs[0]).toMatchObject({
      port: 9090,
      public: true,
      replicas: { min: 1, max: 4 },
      cpuTargetPercent: 55,
      cloudwatchMetric: {
        namespace: "TAP/X",
        metricName: "Depth",
        dimensions: { Queue: "q1", Tier: "gold" },
        targetValue: 12.5,
        statistic: "Average",
      },
      resources: { requests: { cpu: "0.25", memory: "128Mi" } },
    });
  });

  it("accepts the JSON text Pulumi stores for a YAML list", () => {
    const { specs, problems } = parse(JSON.stringify(valid()));
    expect(problems).toEqual([]);
    expect(specs.map((s) => s.name)).toEqual(["gateway", "payments", "ledger"]);
  });

  it("allows no public service (internal-only) and several public ones", () => {
    expect(reasons(valid().map((e) => ({ ...e, public: false })))).toEqual([]);
    expect(reasons(valid().map((e) => ({ ...e, public: true })))).toEqual([]);
  });

  it("accepts an image pinned by digest, and a registry with a port", () => {
    const digest = `${"a".repeat(64)}`;
    expect(reasons(withEntry(0, { image: `nginx@sha256:${digest}` }))).toEqual([]);
    expect(reasons(withEntry(0, { image: "registry.local:5000/team/app:v1.2.3" }))).toEqual([]);
  });
});

describe("parseServiceCatalog: every problem names the entry, the field and the value", () => {
  const ARN = "arn:${partition}:dynamodb:${region}:${account}:table/ledger";
  it.each<[string, Entry[] | unknown, string]>([
    [
      "not a list",
      { name: "x" },
      'tap:services must be a list of service objects (a YAML list) (got {"name":"x"})',
    ],
    ["empty list", [], "tap:services must list at least one service (got [])"],
    [
      "bad JSON text",
      "[{",
      'tap:services must be a list of service objects (a YAML list) (got "[{")',
    ],
    ["entry not an object", ["gateway"], 'tap:services[0] must be an object (got "gateway")'],
    ["missing name", withEntry(2, { name: undefined }), "tap:services[2].name is required"],
    ["missing image", withEntry(2, { image: undefined }), "tap:services[2].image is required"],
    [
      "unknown field",
      withEntry(0, { prot: 80 }),
      "tap:services[0].prot is not a field here (known: name, image, imageTag, port",
    ],
    [
      "unknown callee",
      withEntry(1, { calls: ["ledgr"] }),
      'tap:services[1].calls names unknown service "ledgr" (known: gateway, payments, ledger)',
    ],
    [
      "duplicate name",
      withEntry(2, { name: "payments", calls: [] }),
      'tap:services[2].name "payments" is declared twice (first at tap:services[1])',
    ],
    [
      "self call",
      withEntry(2, { calls: ["ledger"] }),
      'tap:services[2].calls names "ledger" itself; a service may not call itself',
    ],
    [
      "duplicate callee",
      withEntry(1, { calls: ["ledger", "ledger"] }),
      'tap:services[1].calls names "ledger" twice',
    ],
    [
      "calls not a list",
      withEntry(1, { calls: "ledger" }),
      'tap:services[1].calls must be a list of non-empty strings (got "ledger")',
    ],
    [
      "port too big",
      withEntry(0, { port: 70000 }),
      "tap:services[0].port must be an integer 1..65535 (got 70000)",
    ],
    [
      "port not a number",
      withEntry(0, { port: "http" }),
      'tap:services[0].port must be an integer 1..65535 (got "http")',
    ],
    [
      "min > max",
      withEntry(0, { replicas: { min: 5, max: 3 } }),
      "tap:services[0].replicas.min must be <= replicas.max (got 5 > 3)",
    ],
    [
      "min 0",
      withEntry(0, { replicas: { min: 0, max: 3 } }),
      "tap:services[0].replicas.min must be an integer 1..1000 (got 0)",
    ],
    [
      "cpu target 0",
      withEntry(0, { cpuTargetPercent: 0 }),
      "tap:services[0].cpuTargetPercent must be an integer 1..100 (got 0)",
    ],
    [
      "cpu target 150",
      withEntry(0, { cpuTargetPercent: 150 }),
      "tap:services[0].cpuTargetPercent must be an integer 1..100 (got 150)",
    ],
    [
      "public not bool",
      withEntry(0, { public: "yes" }),
      'tap:services[0].public must be true or false (got "yes")',
    ],
    [
      "health path",
      withEntry(0, { healthPath: "healthz" }),
      'tap:services[0].healthPath must be a URL path starting with "/" (got "healthz")',
    ],
    [
      "uppercase name",
      withEntry(2, { name: "Ledger" }),
      "tap:services[2].name must be a DNS label: lowercase letters, digits and '-', starting with a letter and not ending with '-' (got \"Ledger\")",
    ],
    [
      "name starts with digit",
      withEntry(2, { name: "1ledger" }),
      "tap:services[2].name must be a DNS label",
    ],
    [
      "name too long",
      withEntry(2, { name: "l".repeat(36) }),
      "tap:services[2].name must be at most 35 characters (its IAM role tap-svc-<name>-<suffix> must fit 64)",
    ],
    [
      "reserved kube-system",
      withEntry(2, { name: "kube-system" }),
      'tap:services[2].name "kube-system" is a reserved namespace',
    ],
    [
      "reserved keda",
      withEntry(2, { name: "keda" }),
      'tap:services[2].name "keda" is a reserved namespace',
    ],
    [
      "reserved appmesh-system",
      withEntry(2, { name: "appmesh-system" }),
      'tap:services[2].name "appmesh-system" is a reserved namespace',
    ],
    [
      "untagged image",
      withEntry(0, { image: "nginx" }),
      'tap:services[0].image must be pinned by a tag or a digest (an untagged image means the mutable `latest`) (got "nginx")',
    ],
    [
      "latest image",
      withEntry(0, { image: "nginx:latest" }),
      'tap:services[0].image must not use the mutable tag `latest`; pin a version tag or a digest (got "nginx:latest")',
    ],
    [
      "malformed image",
      withEntry(0, { image: "Nginx Server:1" }),
      "tap:services[0].image must be an image reference like registry/repository:tag",
    ],
    [
      "bad cpu quantity",
      withEntry(0, { resources: { requests: { cpu: "lots" } } }),
      'tap:services[0].resources.requests.cpu must be a Kubernetes quantity like 100m or 0.5 (got "lots")',
    ],
    [
      "milli memory",
      withEntry(0, { resources: { limits: { memory: "256m" } } }),
      'tap:services[0].resources.limits.memory must be bytes with a suffix like Mi or Gi (m is a fraction of a byte) (got "256m")',
    ],
    [
      "zero memory",
      withEntry(0, { resources: { limits: { memory: "0" } } }),
      "tap:services[0].resources.limits.memory must be greater than zero",
    ],
    [
      "cpu requests > limits",
      withEntry(0, { resources: { requests: { cpu: "1" } } }),
      "tap:services[0].resources.requests.cpu must be <= resources.limits.cpu (got 1 > 500m)",
    ],
    [
      "memory requests > limits",
      withEntry(0, { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } }),
      "tap:services[0].resources.requests.memory must be <= resources.limits.memory (got 1Gi > 512Mi)",
    ],
    [
      "metric without namespace",
      withEntry(1, {
        cloudwatchMetric: { metricName: "M", dimensions: { A: "b" }, targetValue: 5 },
      }),
      "tap:services[1].cloudwatchMetric.namespace is required",
    ],
    [
      "metric empty name",
      withEntry(1, {
        cloudwatchMetric: {
          namespace: "N",
          metricName: "",
          dimensions: { A: "b" },
          targetValue: 5,
        },
      }),
      'tap:services[1].cloudwatchMetric.metricName must be a non-empty string (got "")',
    ],
    [
      "metric target 0",
      withEntry(1, {
        cloudwatchMetric: {
          namespace: "N",
          metricName: "M",
          dimensions: { A: "b" },
          targetValue: 0,
        },
      }),
      "tap:services[1].cloudwatchMetric.targetValue must be a number greater than 0 (got 0)",
    ],
    [
      "metric no dimensions",
      withEntry(1, {
        cloudwatchMetric: { namespace: "N", metricName: "M", dimensions: {}, targetValue: 5 },
      }),
      "tap:services[1].cloudwatchMetric.dimensions must hold 1..30 name: value pairs (got 0)",
    ],
    [
      "metric ; in dimension",
      withEntry(1, {
        cloudwatchMetric: {
          namespace: "N",
          metricName: "M",
          dimensions: { A: "b;c" },
          targetValue: 5,
        },
      }),
      'tap:services[1].cloudwatchMetric.dimensions must map names to non-empty strings without ";" (got "A": "b;c")',
    ],
    [
      "metric statistic",
      withEntry(1, {
        cloudwatchMetric: {
          namespace: "N",
          metricName: "M",
          dimensions: { A: "b" },
          targetValue: 5,
          statistic: "p99",
        },
      }),
      'tap:services[1].cloudwatchMetric.statistic must be one of Average, Sum, Maximum, Minimum, SampleCount (got "p99")',
    ],
    [
      "action *",
      withEntry(2, { awsPermissions: [{ actions: ["*"], resources: [ARN] }] }),
      'tap:services[2].awsPermissions[0].actions[0] must be one explicit action like dynamodb:GetItem (service:Action, no wildcards) (got "*")',
    ],
    [
      "action *:*",
      withEntry(2, { awsPermissions: [{ actions: ["*:*"], resources: [ARN] }] }),
      "tap:services[2].awsPermissions[0].actions[0] must be one explicit action",
    ],
    [
      "action iam:*",
      withEntry(2, { awsPermissions: [{ actions: ["iam:*"], resources: [ARN] }] }),
      "tap:services[2].awsPermissions[0].actions[0] must be one explicit action",
    ],
    [
      "action s3:Get*",
      withEntry(2, { awsPermissions: [{ actions: ["s3:Get*"], resources: [ARN] }] }),
      "tap:services[2].awsPermissions[0].actions[0] must be one explicit action",
    ],
    [
      "action iam:PassRole",
      withEntry(2, { awsPermissions: [{ actions: ["iam:PassRole"], resources: [ARN] }] }),
      'tap:services[2].awsPermissions[0].actions[0] is an IAM action; a service role may not manage or pass IAM permissions (got "iam:PassRole")',
    ],
    [
      "action without service",
      withEntry(2, { awsPermissions: [{ actions: ["GetItem"], resources: [ARN] }] }),
      "tap:services[2].awsPermissions[0].actions[0] must be one explicit action",
    ],
    [
      "resource *",
      withEntry(2, { awsPermissions: [{ actions: ["dynamodb:GetItem"], resources: ["*"] }] }),
      'tap:services[2].awsPermissions[0].resources[0] must be a resource ARN; `*` is not allowed (scope the permission to named resources) (got "*")',
    ],
    [
      "resource wildcard ARN",
      withEntry(2, {
        awsPermissions: [
          { actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:${region}:${account}:*"] },
        ],
      }),
      'tap:services[2].awsPermissions[0].resources[0] must name a resource; an ARN whose resource part starts with `*` is a wildcard (got "arn:aws:dynamodb:${region}:${account}:*")',
    ],
    [
      "resource in any account",
      withEntry(2, {
        awsPermissions: [
          {
            actions: ["dynamodb:GetItem"],
            resources: ["arn:aws:dynamodb:us-east-1:*:table/ledger"],
          },
        ],
      }),
      "tap:services[2].awsPermissions[0].resources[0] must not use * for the region or account (it would match every region or account); use ${region} and ${account}, which become the stack's own",
    ],
    [
      "resource in any region",
      withEntry(2, {
        awsPermissions: [
          { actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:*:123456789012:table/l"] },
        ],
      }),
      "tap:services[2].awsPermissions[0].resources[0] must not use * for the region or account",
    ],
    [
      "PutMetricData as a permission",
      withEntry(2, {
        awsPermissions: [
          {
            actions: ["cloudwatch:PutMetricData"],
            resources: ["arn:aws:cloudwatch:${region}:${account}:metric/TAP/Ledger"],
          },
        ],
      }),
      "tap:services[2].awsPermissions[0].actions[0] accepts no resource ARN in IAM (it is granted on * with a cloudwatch:namespace condition); declare the namespaces instead: publishesMetrics",
    ],
    [
      "publishes to an AWS namespace",
      withEntry(2, { publishesMetrics: ["AWS/EC2"] }),
      'tap:services[2].publishesMetrics[0] must not start with AWS/ (reserved for AWS services) (got "AWS/EC2")',
    ],
    [
      "publishes to a namespace with a character CloudWatch refuses",
      withEntry(2, { publishesMetrics: ["TAP/Pay$"] }),
      'tap:services[2].publishesMetrics[0] must be a CloudWatch namespace: 1-255 of letters, digits, . - _ / # : and inner spaces (got "TAP/Pay$")',
    ],
    [
      "resource not an ARN",
      withEntry(2, {
        awsPermissions: [{ actions: ["dynamodb:GetItem"], resources: ["table/ledger"] }],
      }),
      'tap:services[2].awsPermissions[0].resources[0] must be an ARN like arn:${partition}:dynamodb:${region}:${account}:table/ledger (got "table/ledger")',
    ],
    [
      "no actions",
      withEntry(2, { awsPermissions: [{ actions: [], resources: [ARN] }] }),
      "tap:services[2].awsPermissions[0].actions must list at least one action",
    ],
    [
      "no resources",
      withEntry(2, { awsPermissions: [{ actions: ["dynamodb:GetItem"] }] }),
      "tap:services[2].awsPermissions[0].resources must list at least one resource ARN",
    ],
    [
      "permissions not a list",
      withEntry(2, { awsPermissions: { actions: [] } }),
      'tap:services[2].awsPermissions must be a list of {actions, resources} (got {"actions":[]})',
    ],
  ])("%s", (_, raw, expected) => {
    const { problems } = parse(raw);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every(([key]) => key === "services")).toBe(true);
    expect(problems.map(([, r]) => r).some((r) => r.startsWith(expected))).toBe(true);
  });

  it("reports ALL problems of a bad catalog together, each once, naming its entry and field", () => {
    const problems = reasons([
      { name: "gateway", image: "nginx:latest", port: 70000, public: true, calls: ["paymnts"] },
      { name: "payments", image: IMAGE, replicas: { min: 5, max: 3 }, calls: ["payments"] },
      { name: "gateway", image: IMAGE, cpuTargetPercent: "x" },
      { name: "ledger", image: IMAGE, awsPermissions: [{ actions: ["*"], resources: ["*"] }] },
    ]);
    expect(problems.map((r) => r.split(" ")[0])).toEqual([
      "tap:services[0].image",
      "tap:services[0].port",
      "tap:services[1].replicas.min",
      "tap:services[2].cpuTargetPercent",
      "tap:services[3].awsPermissions[0].actions[0]",
      "tap:services[3].awsPermissions[0].resources[0]",
      "tap:services[2].name",
      "tap:services[0].calls",
      "tap:services[1].calls",
    ]);
    expect(problems[7]).toBe(
      'tap:services[0].calls names unknown service "paymnts" (known: gateway, payments, ledger)',
    );
  });

  it("reserves every add-on and system namespace", () => {
    expect([...RESERVED_SERVICE_NAMES].sort()).toEqual(
      [
        "amazon-cloudwatch",
        "amazon-guardduty",
        "appmesh-system",
        "argo-rollouts",
        "argocd",
        "calico-apiserver",
        "calico-system",
        "default",
        "external-dns",
        "falco",
        "istio-system",
        "keda",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "kyverno",
        "opentelemetry",
        "prometheus",
        "tap-probe",
        "tigera-operator",
      ].sort(),
    );
    for (const name of RESERVED_SERVICE_NAMES) {
      expect(reasons(withEntry(2, { name }))).toContain(
        `tap:services[2].name "${name}" is a reserved namespace; pick another name (reserved: ${RESERVED_SERVICE_NAMES.join(", ")})`,
      );
    }
  });
});

describe("catalog rules", () => {
  it.each([
    ["100m", "cpu", 0.1],
    ["2", "cpu", 2],
    ["0.5", "cpu", 0.5],
    ["128Mi", "memory", 128 * 2 ** 20],
    ["1G", "memory", 1e9],
    ["1e3", "memory", 1000],
  ] as const)("quantity %s (%s) = %d", (text, kind, value) => {
    expect(parseQuantity(text, kind)).toEqual({ value });
  });

  it.each(["", "1.", "-1", "1 Mi", "1mb", "Mi"])("quantity %j is rejected", (text) => {
    expect(parseQuantity(text, "memory")).toHaveProperty("problem");
  });

  it("the default image constant is the KEDA probe's pinned image", () => {
    expect(DEFAULT_SERVICE_IMAGE).toBe(IMAGE);
  });
});
