/**
 * Tenants' network isolation, judged by what the synthesized NetworkPolicies allow (the generic
 * evaluator test/helpers/netpol.ts), not by what they are named: between the catalog's pods the
 * allowed edges are exactly the declared calls, across tenants too; an unlabeled pod in a tenant
 * namespace reaches only DNS and nothing reaches it; nothing crosses tenants but a declared call;
 * IMDS is closed to every tenant pod. First, the evaluator itself, on hand-written policies, so a
 * wrong policy set is seen to be wrong.
 */
import * as path from "path";
import { TapConfigInput, resolveConfig } from "../../../lib/config";
import { ServiceSpec, serviceNamespace, serviceSelector } from "../../../lib/services/types";
import { AWS_EGRESS_LABEL } from "../../../lib/tenants";
import { TapStack } from "../../../lib/tap-stack";
import { loadStackConfig } from "../../../tools/stack-config";
import { RecordedResource, mockTap } from "../../helpers/mocks";
import {
  Connection,
  Edge,
  ExtraPod,
  Model,
  Pod,
  Reach,
  allowedEdges,
  buildModel,
  edgeKey,
  fromModel,
  isolated,
  probePorts,
  reachability,
  selects,
} from "../../helpers/netpol";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const IMDS = { ip: "169.254.169.254" };
/** A public AWS endpoint address (STS, us-east-1): outside the VPC. */
const AWS_API = { ip: "52.94.0.1" };
const INTERNET_DNS = { ip: "8.8.8.8" };

// ---------------------------------------------------------------------------------------------
// Hand-written manifests for the evaluator's own tests

type Obj = Record<string, unknown>;

const res = (type: string, inputs: Obj): RecordedResource => ({
  type,
  name: String((inputs.metadata as Obj).name),
  inputs,
  custom: true,
  at: 0,
  urn: "",
  parent: "",
  dependencies: [],
  deletedWith: "",
});
const ns = (name: string, labels?: Record<string, string>) =>
  res("kubernetes:core/v1:Namespace", { metadata: { name, ...(labels ? { labels } : {}) } });
const deploy = (
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ports: Obj[] = [{ name: "http", containerPort: 8080 }],
) =>
  res("kubernetes:apps/v1:Deployment", {
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "app", ports }] } },
    },
  });
const np = (namespace: string, name: string, spec: Obj) =>
  res("kubernetes:networking.k8s.io/v1:NetworkPolicy", { metadata: { name, namespace }, spec });
const app = (name: string) => ({ app: name });
const peer = (namespace: string, name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
  podSelector: { matchLabels: app(name) },
});
const denyAll = (namespace: string) =>
  np(namespace, "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
const tcp = (port: number | string) => [{ protocol: "TCP", port }];

/** front (ns a) calls back (ns b) on 8080: both sides written the way a correct generator would. */
function callPolicies(ingressPeers: Obj[] = [peer("a", "front")], ingressPort: number = 8080) {
  return [
    np("a", "front-out", {
      podSelector: { matchLabels: app("front") },
      policyTypes: ["Egress"],
      egress: [{ to: [peer("b", "back")], ports: tcp(8080) }],
    }),
    np("b", "back-in", {
      podSelector: { matchLabels: app("back") },
      policyTypes: ["Ingress"],
      ingress: [{ from: ingressPeers, ports: tcp(ingressPort) }],
    }),
  ];
}

const twoNamespaces = [
  ns("a"),
  ns("b"),
  deploy("a", "front", app("front")),
  deploy("b", "back", app("back")),
  denyAll("a"),
  denyAll("b"),
];
/** An unlabeled pod in `a`, and a pod in `c` that wears front's labels. */
const strangers: ExtraPod[] = [
  { namespace: "a", name: "intruder" },
  { namespace: "c", name: "spoof", labels: app("front") },
];
const keys = (edges: readonly Edge[]) => edges.map(edgeKey);

describe("netpol evaluator", () => {
  it("a pod no policy selects is open both ways; a default-deny closes it both ways", () => {
    const open = reachability([ns("a"), deploy("a", "x", app("x")), deploy("a", "y", app("y"))]);
    expect(open("a/x", "a/y", 8080)).toBe(true);
    expect(open("a/x", IMDS, 80)).toBe(true);
    expect(open(INTERNET_DNS, "a/y", 1234)).toBe(true);
    const closed = reachability([
      ns("a"),
      deploy("a", "x", app("x")),
      deploy("a", "y", app("y")),
      denyAll("a"),
    ]);
    expect(closed("a/x", "a/y", 8080)).toBe(false);
    expect(closed("a/x", IMDS, 80)).toBe(false);
    expect(closed(INTERNET_DNS, "a/y", 8080)).toBe(false);
  });

  it("needs egress AND ingress: either side alone is not enough", () => {
    const [out, inn] = callPolicies();
    const both = reachability([...twoNamespaces, out, inn]);
    expect(both("a/front", "b/back", 8080)).toBe(true);
    expect(reachability([...twoNamespaces, out])("a/front", "b/back", 8080)).toBe(false);
    expect(reachability([...twoNamespaces, inn])("a/front", "b/back", 8080)).toBe(false);
    // Without the deny-all in a, front is not egress-isolated: the ingress side alone decides.
    const aOpen = twoNamespaces.filter((r) => r.name !== "deny");
    expect(reachability([...aOpen, denyAll("b"), inn])("a/front", "b/back", 8080)).toBe(true);
    expect(reachability([...aOpen, denyAll("b")])("a/front", "b/back", 8080)).toBe(false);
  });

  it("sees a wrongly allowed and a wrongly denied connection against the declared graph", () => {
    const declared = ["a/front -> b/back:8080/TCP"];
    const edges = (policies: RecordedResource[]) =>
      keys(allowedEdges(buildModel([...twoNamespaces, ...policies], { extraPods: strangers })));
    expect(edges(callPolicies())).toEqual(declared);
    // The caller's namespace left open (namespaceSelector {}): front's look-alike in namespace c,
    // which has no policy (open egress), gets in.
    const anyNamespace = edges(
      callPolicies([{ namespaceSelector: {}, podSelector: peer("a", "front").podSelector }]),
    );
    expect(anyNamespace).not.toEqual(declared);
    expect(anyNamespace).toEqual(["a/front -> b/back:8080/TCP", "c/spoof -> b/back:8080/TCP"]);
    // The two selectors as two peers (an OR, not an AND): with a's egress open, every pod of a
    // passes back's ingress; as one peer only front does.
    const aOpen = (peers: Obj[]) =>
      keys(
        allowedEdges(
          buildModel(
            [
              ...twoNamespaces.filter((r) => r.name !== "deny"),
              denyAll("b"),
              ...callPolicies(peers).slice(1),
            ],
            { extraPods: strangers },
          ),
          { to: (p) => p.id === "b/back" },
        ),
      );
    expect(aOpen([peer("a", "front")])).toEqual(declared);
    const or = aOpen([
      { namespaceSelector: peer("a", "front").namespaceSelector },
      { podSelector: peer("a", "front").podSelector },
    ]);
    expect(or).toEqual(["a/front -> b/back:8080/TCP", "a/intruder -> b/back:8080/TCP"]);
    // The wrong port on the ingress side: the declared call is denied.
    expect(edges(callPolicies(undefined, 8081))).toEqual([]);
  });

  it("defaults policyTypes: Ingress always, Egress only with egress rules", () => {
    const model = buildModel([
      ns("a"),
      deploy("a", "x", app("x")),
      deploy("a", "y", app("y")),
      deploy("a", "z", app("z")),
      np("a", "x-egress-only", {
        podSelector: { matchLabels: app("x") },
        egress: [{ to: [{ podSelector: {} }] }],
      }),
      np("a", "y-ingress-only", {
        podSelector: { matchLabels: app("y") },
        ingress: [{ from: [{ podSelector: { matchLabels: app("z") } }] }],
      }),
      np("a", "z-empty-egress", { podSelector: { matchLabels: app("z") }, egress: [] }),
    ]);
    const pod = (id: string) => model.pods.find((p) => p.id === id) as Pod;
    expect(model.policies.map((p) => p.policyTypes)).toEqual([
      ["Ingress", "Egress"],
      ["Ingress"],
      ["Ingress"],
    ]);
    expect(isolated(model, pod("a/x"), "Ingress")).toBe(true); // a policy with egress rules only
    expect(isolated(model, pod("a/y"), "Egress")).toBe(false);
    expect(isolated(model, pod("a/z"), "Egress")).toBe(false);
    const reach = fromModel(model);
    expect(reach("a/y", "a/x", 8080)).toBe(false); // x took ingress isolation with its egress rule
    expect(reach("a/z", "a/y", 8080)).toBe(true);
    expect(reach("a/x", "a/y", 8080)).toBe(false); // x may send, y admits only z
  });

  it("reads a peer's namespaceSelector + podSelector as an AND, a podSelector alone as the policy's namespace", () => {
    const resources = [
      ns("a"),
      ns("b"),
      ns("c", { team: "x" }),
      deploy("a", "front", app("front")),
      deploy("c", "front", app("front")),
      deploy("c", "other", app("other")),
      deploy("b", "back", app("back")),
    ];
    const policy = (from: Obj[]) =>
      reachability([
        ...resources,
        np("b", "in", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from }] }),
      ]);
    const and = policy([
      {
        namespaceSelector: { matchLabels: { team: "x" } },
        podSelector: { matchLabels: app("front") },
      },
    ]);
    expect([
      and("a/front", "b/back", 1),
      and("c/front", "b/back", 1),
      and("c/other", "b/back", 1),
    ]).toEqual([false, true, false]);
    const podOnly = policy([{ podSelector: { matchLabels: app("front") } }]);
    expect(podOnly("a/front", "b/back", 1)).toBe(false); // front is not in b
    const nsOnly = policy([{ namespaceSelector: {} }]);
    expect([nsOnly("a/front", "b/back", 1), nsOnly("c/other", "b/back", 1)]).toEqual([true, true]);
  });

  it("gives every namespace kubernetes.io/metadata.name, even one without a Namespace resource", () => {
    const model = buildModel([ns("a", { "kubernetes.io/metadata.name": "forged" })], {
      extraPods: [{ namespace: "kube-system", name: "dns", labels: { "k8s-app": "kube-dns" } }],
    });
    expect(model.namespaces.get("a")?.labels).toEqual({ "kubernetes.io/metadata.name": "a" });
    expect(model.namespaces.get("kube-system")?.labels).toEqual({
      "kubernetes.io/metadata.name": "kube-system",
    });
  });

  it("evaluates matchExpressions In, NotIn, Exists and DoesNotExist (ANDed with matchLabels)", () => {
    const l = { tier: "web", env: "prod" };
    const e = (operator: string, values?: string[], key = "tier") => ({
      matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
    });
    expect(selects(e("In", ["web", "db"]), l)).toBe(true);
    expect(selects(e("In", ["db"]), l)).toBe(false);
    expect(selects(e("In", ["web"], "nope"), l)).toBe(false);
    expect(selects(e("NotIn", ["db"]), l)).toBe(true);
    expect(selects(e("NotIn", ["web"]), l)).toBe(false);
    expect(selects(e("NotIn", ["web"], "nope"), l)).toBe(true); // absent key: not in
    expect(selects(e("Exists"), l)).toBe(true);
    expect(selects(e("Exists", undefined, "nope"), l)).toBe(false);
    expect(selects(e("DoesNotExist", undefined, "nope"), l)).toBe(true);
    expect(selects(e("DoesNotExist"), l)).toBe(false);
    expect(selects({ matchLabels: { env: "dev" }, ...e("Exists") }, l)).toBe(false);
    expect(selects({}, l)).toBe(true);
    expect(() => selects(e("In", []), l)).toThrow(/needs values/);
    expect(() => selects(e("Exists", ["x"]), l)).toThrow(/takes no values/);
    expect(() => selects(e("Gt", ["1"]), l)).toThrow(/unknown operator/);

    const reach = reachability([
      ns("a"),
      deploy("a", "web", { tier: "web" }),
      deploy("a", "db", { tier: "db" }),
      deploy("a", "batch", { tier: "batch", canary: "yes" }),
      np("a", "db-in", {
        podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] },
        ingress: [
          {
            from: [
              {
                podSelector: {
                  matchExpressions: [
                    { key: "tier", operator: "NotIn", values: ["db"] },
                    { key: "canary", operator: "DoesNotExist" },
                  ],
                },
              },
            ],
          },
        ],
      }),
    ]);
    expect(reach("a/web", "a/db", 8080)).toBe(true);
    expect(reach("a/batch", "a/db", 8080)).toBe(false); // a canary
    expect(reach("a/db", "a/web", 8080)).toBe(true); // web is not isolated
  });

  it("resolves a named port on each destination pod's own container ports", () => {
    const reach = reachability(
      [
        ns("a"),
        deploy("a", "client", app("client")),
        deploy("a", "one", { role: "server" }, [{ name: "http", containerPort: 8080 }]),
        deploy("a", "two", { role: "server" }, [
          { name: "http", containerPort: 9090 },
          { name: "metrics", containerPort: 8080 },
        ]),
        deploy("a", "dns", { role: "dns" }, [{ name: "dns", containerPort: 53, protocol: "UDP" }]),
        np("a", "servers-in", {
          podSelector: { matchExpressions: [{ key: "role", operator: "Exists" }] },
          ingress: [{ ports: [...tcp("http"), ...tcp("dns")] }],
        }),
        np("a", "client-out", {
          podSelector: { matchLabels: app("client") },
          egress: [{ ports: [{ protocol: "UDP", port: "dns" }, ...tcp("http")] }],
        }),
      ],
      [],
    );
    expect(reach("a/client", "a/one", 8080)).toBe(true);
    expect(reach("a/client", "a/one", 9090)).toBe(false);
    expect(reach("a/client", "a/two", 9090)).toBe(true);
    expect(reach("a/client", "a/two", 8080)).toBe(false); // 8080 is two's "metrics"
    // dns is UDP: the ingress rule's TCP "dns" names no port of it.
    expect(reach("a/client", "a/dns", { port: 53, protocol: "UDP" })).toBe(false);
    // A named port never matches an address: there is no pod to name it.
    expect(reach("a/client", { ip: "10.0.9.9" }, 8080)).toBe(false);
  });

  it("matches port ranges (endPort), protocols, and a port-less entry as every port of its protocol", () => {
    const reach = reachability([
      ns("a"),
      deploy("a", "x", app("x")),
      np("a", "x-out", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ ports: [{ protocol: "TCP", port: 8000, endPort: 8100 }, { protocol: "UDP" }] }],
      }),
    ]);
    const to = { ip: "192.0.2.1" };
    expect([7999, 8000, 8050, 8100, 8101].map((p) => reach("a/x", to, p))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(reach("a/x", to, { port: 8050, protocol: "SCTP" })).toBe(false);
    expect(reach("a/x", to, { port: 1, protocol: "UDP" })).toBe(true);
    expect(reach("a/x", to, { port: 65535, protocol: "UDP" })).toBe(true);
    const probes = probePorts(reach.model)
      .filter((c) => c.protocol === "TCP")
      .map((c) => c.port);
    expect(probes).toEqual(expect.arrayContaining([1, 7999, 8000, 8100, 8101, 65535]));
  });

  it("reads an empty rule, empty peer list and empty port list as 'all', and no rule as none", () => {
    const base = [ns("a"), deploy("a", "x", app("x")), deploy("a", "y", app("y"))];
    const ingress = (rules: Obj[]) =>
      reachability([
        ...base,
        np("a", "y-in", { podSelector: { matchLabels: app("y") }, ingress: rules }),
      ]);
    expect(ingress([{}])("a/x", "a/y", 4242)).toBe(true);
    expect(ingress([{}])({ ip: "203.0.113.7" }, "a/y", 4242)).toBe(true);
    expect(ingress([{ from: [], ports: [] }])("a/x", "a/y", 4242)).toBe(true);
    expect(
      ingress([{ from: [{ podSelector: {} }], ports: [] }])({ ip: "203.0.113.7" }, "a/y", 1),
    ).toBe(false);
    expect(ingress([])("a/x", "a/y", 8080)).toBe(false);
  });

  it("places pods in the pod CIDR, so an ipBlock that covers the VPC covers pods; except carves out", () => {
    const resources = [
      ns("a"),
      ns("b"),
      deploy("a", "x", app("x")),
      deploy("b", "y", app("y")),
      np("a", "x-out", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }] }],
      }),
      np("b", "y-in", {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.200.0/24"] } }] }],
      }),
    ];
    const vpc = reachability(resources);
    expect(vpc.model.pods.every((p) => p.ip.startsWith("10.0."))).toBe(true);
    expect(vpc("a/x", IMDS, 80)).toBe(false);
    expect(vpc("a/x", AWS_API, 443)).toBe(true);
    expect(vpc("a/x", "b/y", 8080)).toBe(true); // both ipBlocks cover pod addresses
    expect(vpc({ ip: "10.0.7.1" }, "b/y", 8080)).toBe(true);
    expect(vpc({ ip: "10.0.200.9" }, "b/y", 8080)).toBe(false);
    const pinned = reachability(resources, [{ namespace: "a", name: "lb", ip: "10.0.200.5" }]);
    expect(pinned("a/lb", "b/y", 8080)).toBe(false); // inside the except
    const overlay = reachability(resources, [], { podCidr: "100.64.0.0/16" });
    expect(overlay("a/x", "b/y", 8080)).toBe(false); // pods outside 10.0.0.0/16
    expect(overlay("a/x", { ip: "100.64.9.9" }, 8080)).toBe(true);
  });

  it("rejects what the API server would reject", () => {
    const bad = (peers: Obj[]) => () =>
      buildModel([np("a", "bad", { podSelector: {}, ingress: [{ from: peers }] })]);
    expect(bad([{}])).toThrow(/must name pods/);
    expect(bad([{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }])).toThrow(/may not also/);
    expect(bad([{ ipBlock: { cidr: "10.0.0.0/8", except: ["192.168.0.0/16"] } }])).toThrow(
      /not inside/,
    );
    const port = (p: Obj) => () =>
      buildModel([np("a", "bad", { podSelector: {}, ingress: [{ ports: [p] }] })]);
    expect(port({ port: "http", endPort: 90 })).toThrow(/endPort needs a numeric port/);
    expect(port({ port: "8080" })).toThrow(/invalid named port/);
    expect(port({ protocol: "ICMP", port: 1 })).toThrow(/unknown protocol/);
    expect(() => buildModel([ns("a")], { extraPods: [strangers[0], strangers[0]] })).toThrow(
      /two pods/,
    );
  });

  it("takes one pod per workload template, of every workload kind", () => {
    const tpl = (labels: Obj) => ({ metadata: { labels }, spec: { containers: [{ name: "c" }] } });
    const model = buildModel([
      res("kubernetes:apps/v1:DaemonSet", {
        metadata: { name: "ds", namespace: "n" },
        spec: { template: tpl({ k: "ds" }) },
      }),
      res("kubernetes:apps/v1:StatefulSet", {
        metadata: { name: "ss", namespace: "n" },
        spec: { template: tpl({ k: "ss" }) },
      }),
      res("kubernetes:batch/v1:Job", {
        metadata: { name: "job" },
        spec: { template: tpl({ k: "job" }) },
      }),
      res("kubernetes:batch/v1:CronJob", {
        metadata: { name: "cron", namespace: "n" },
        spec: { jobTemplate: { spec: { template: tpl({ k: "cron" }) } } },
      }),
    ]);
    expect(model.pods.map((p) => [p.id, p.kind, p.labels.k])).toEqual([
      ["n/ds", "DaemonSet", "ds"],
      ["n/ss", "StatefulSet", "ss"],
      ["default/job", "Job", "job"],
      ["n/cron", "CronJob", "cron"],
    ]);
    expect(new Set(model.pods.map((p) => p.ip)).size).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------
// tap's tenants, synthesized

const BIG_QUOTA = {
  requestsCpu: "16",
  requestsMemory: "32Gi",
  limitsCpu: "32",
  limitsMemory: "64Gi",
  pods: 100,
};
const IMAGE = "public.ecr.aws/nginx/nginx:1.27.3";
/**
 * The other variant: calls across tenants in both directions (gateway retail -> payments core,
 * payments core -> notifier retail), a service of no tenant in its own namespace that is called
 * from a tenant and calls into one (ledger -> audit -> notifier), services on other ports than
 * 8080, and a tenant service with AWS permissions (so it has an HTTPS-to-the-internet egress).
 */
const BOTH_WAYS: TapConfigInput = {
  kubernetesVersion: "1.35",
  enableAppMesh: false,
  tenants: [
    { name: "retail", quota: BIG_QUOTA, s3: true },
    { name: "core", quota: BIG_QUOTA },
  ],
  services: [
    { name: "gateway", tenant: "retail", image: IMAGE, public: true, calls: ["payments"] },
    { name: "payments", tenant: "core", image: IMAGE, calls: ["ledger", "notifier"] },
    {
      name: "ledger",
      tenant: "core",
      image: IMAGE,
      calls: ["audit"],
      awsPermissions: [
        {
          actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
          resources: ["arn:${partition}:dynamodb:${region}:${account}:table/ledger"],
        },
      ],
    },
    { name: "notifier", tenant: "retail", image: IMAGE, port: 9090 },
    { name: "audit", image: IMAGE, port: 8081, calls: ["notifier"] },
  ],
};

const VARIANTS: [string, TapConfigInput][] = [
  ["Pulumi.tenants.yaml", loadStackConfig({ stack: "tenants", overrides: [] }, ROOT).config],
  ["calls across tenants both ways, and a service of no tenant", BOTH_WAYS],
];

interface World {
  readonly services: readonly ServiceSpec[];
  readonly tenants: readonly string[];
  readonly model: Model;
  readonly reach: Reach;
  /** Service name -> its one representative pod. */
  readonly podOf: ReadonlyMap<string, Pod>;
  readonly probes: readonly Connection[];
}

const DNS_POD = "kube-system/kube-dns";

async function synthesize(config: TapConfigInput): Promise<World> {
  const { config: resolved } = resolveConfig(config, { stackName: "dev", env: {} });
  const { resources } = await mockTap(
    () => new TapStack("tap", { config, context: { stackName: "dev" } }),
  );
  const namespaces = [
    ...new Set([...buildModel(resources).namespaces.keys(), "kube-system", "default"]),
  ];
  const tenants = resolved.tenants.map((t) => t.name);
  const extraPods: ExtraPod[] = [
    {
      namespace: "kube-system",
      name: "kube-dns",
      labels: { "k8s-app": "kube-dns" },
      ports: [
        { name: "dns", containerPort: 53, protocol: "UDP" },
        { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
      ],
    },
    // An unlabeled pod in every namespace (tenant, service, add-on, kube-system, default).
    ...namespaces.map((namespace) => ({ namespace, name: "intruder" })),
    // A tenant pod allowed AWS APIs (tenant-wide label), in every tenant namespace.
    ...tenants.map((namespace) => ({ namespace, name: "aws-client", labels: AWS_EGRESS_LABEL })),
    // Look-alikes: each service's labels and port, in every namespace but its own.
    ...resolved.services.flatMap((s) =>
      namespaces
        .filter((n) => n !== serviceNamespace(s))
        .map((namespace) => ({
          namespace,
          name: `spoof-${s.name}`,
          labels: serviceSelector(s.name),
          ports: [{ name: "http", containerPort: s.port, protocol: "TCP" }],
        })),
    ),
  ];
  const model = buildModel(resources, { extraPods });
  const podOf = new Map(
    resolved.services.map((s) => {
      const found = model.pods.filter(
        (p) =>
          p.kind === "Deployment" &&
          p.namespace === serviceNamespace(s) &&
          selects({ matchLabels: serviceSelector(s.name) }, p.labels),
      );
      expect(found.map((p) => p.id)).toEqual([`${serviceNamespace(s)}/${s.name}`]);
      return [s.name, found[0]];
    }),
  );
  return {
    services: resolved.services,
    tenants,
    model,
    reach: fromModel(model),
    podOf,
    probes: probePorts(model),
  };
}

/** Every (pod or address -> pod or address, probe port) the policies allow, as edge keys. */
function allowedOver(
  w: World,
  sources: readonly (Pod | { ip: string })[],
  targets: readonly (Pod | { ip: string })[],
): string[] {
  const out: string[] = [];
  const id = (e: Pod | { ip: string }) => ("id" in e ? e.id : e.ip);
  for (const a of sources)
    for (const b of targets)
      for (const c of w.probes)
        if (a !== b && w.reach(a, b, c)) out.push(`${id(a)} -> ${id(b)}:${c.port}/${c.protocol}`);
  return out.sort();
}

describe.each(VARIANTS)("tenants' network, %s", (_label, config) => {
  let w: World;
  beforeAll(async () => {
    w = await synthesize(config);
  });

  const declared = (filter: (from: ServiceSpec, to: ServiceSpec) => boolean = () => true) => {
    const byName = new Map(w.services.map((s) => [s.name, s]));
    return w.services
      .flatMap((s) =>
        s.calls
          .map((c) => byName.get(c) as ServiceSpec)
          .filter((t) => filter(s, t))
          .map((t) => ({ from: s, to: t })),
      )
      .map(
        ({ from, to }) =>
          `${(w.podOf.get(from.name) as Pod).id} -> ${(w.podOf.get(to.name) as Pod).id}:${to.port}/TCP`,
      )
      .sort();
  };
  const inNamespace = (namespace: string) => w.model.pods.filter((p) => p.namespace === namespace);

  it("runs each tenant's services in the tenant's namespace, and calls across tenants", () => {
    for (const s of w.services)
      expect((w.podOf.get(s.name) as Pod).namespace).toBe(s.tenant ?? s.name);
    expect(declared((a, b) => a.tenant !== b.tenant).length).toBeGreaterThan(0);
  });

  it("allows between the catalog's pods exactly the declared calls", () => {
    const catalog = new Set(w.podOf.values());
    const edges = allowedEdges(w.model, { from: (p) => catalog.has(p), to: (p) => catalog.has(p) });
    expect(keys(edges)).toEqual(declared());
  });

  it("allows no other edge between the stack's workloads (every synthesized pod template)", () => {
    const real = (p: Pod) => p.kind !== "synthetic";
    expect(w.model.pods.filter(real).length).toBeGreaterThan(w.services.length);
    expect(keys(allowedEdges(w.model, { from: real, to: real }))).toEqual(declared());
  });

  it("lets an unlabeled pod in a tenant namespace reach kube-dns on 53 and nothing else", () => {
    const outside = [IMDS, AWS_API, INTERNET_DNS, { ip: "10.0.3.3" }];
    for (const t of w.tenants) {
      const intruder = `${t}/intruder`;
      expect(w.reach(intruder, DNS_POD, { port: 53, protocol: "UDP" })).toBe(true);
      expect(
        allowedOver(
          w,
          [w.reach.model.pods.find((p) => p.id === intruder) as Pod],
          [...w.model.pods, ...outside],
        ),
      ).toEqual([`${intruder} -> ${DNS_POD}:53/TCP`, `${intruder} -> ${DNS_POD}:53/UDP`]);
    }
  });

  it("lets nothing reach an unlabeled pod in a tenant namespace, from any namespace or address", () => {
    for (const t of w.tenants) {
      const intruder = w.model.pods.find((p) => p.id === `${t}/intruder`) as Pod;
      const others = w.model.pods.filter((p) => p.namespace !== t);
      expect(new Set(others.map((p) => p.namespace)).size).toBeGreaterThan(3);
      expect(allowedOver(w, others, [intruder])).toEqual([]);
      expect(
        allowedOver(w, [...inNamespace(t), { ip: "10.0.3.3" }, INTERNET_DNS], [intruder]),
      ).toEqual([]);
    }
  });

  it("lets nothing in one tenant's namespace reach another's but the declared calls", () => {
    for (const a of w.tenants)
      for (const b of w.tenants.filter((x) => x !== a)) {
        const tenantOf = (s: ServiceSpec) => s.tenant;
        expect(allowedOver(w, inNamespace(a), inNamespace(b))).toEqual(
          declared((from, to) => tenantOf(from) === a && tenantOf(to) === b),
        );
      }
  });

  it("would see a policy widened or dropped (the checks above are not vacuous)", () => {
    const [a] = w.tenants;
    const catalog = new Set(w.podOf.values());
    const withPolicies = (policies: Model["policies"]): Model => ({ ...w.model, policies });
    // Widened: one hand-added allow-all egress in tenant a.
    const allowAll = {
      namespace: a,
      name: "oops",
      podSelector: {},
      policyTypes: ["Egress" as const],
      ingress: [],
      egress: [{}],
    };
    const widened = fromModel(withPolicies([...w.model.policies, allowAll]));
    expect(widened(`${a}/intruder`, IMDS, 80)).toBe(true);
    expect(widened(`${a}/intruder`, DNS_POD, { port: 53, protocol: "UDP" })).toBe(true);
    // Dropped: the ingress policies of the first cross-tenant call's callee.
    const [edge] = declared((from, to) => from.tenant !== to.tenant);
    const target = w.model.pods.find((p) => p.id === edge.split(" -> ")[1].split(":")[0]) as Pod;
    const dropped = withPolicies(
      w.model.policies.filter(
        (p) =>
          !(
            p.namespace === target.namespace &&
            p.ingress.length > 0 &&
            selects(p.podSelector, target.labels)
          ),
      ),
    );
    const edges = keys(
      allowedEdges(dropped, { from: (p) => catalog.has(p), to: (p) => catalog.has(p) }),
    );
    expect(edges).not.toContain(edge);
    expect(edges.length).toBeLessThan(declared().length);
  });

  it("keeps IMDS closed to every tenant pod, while a pod allowed AWS APIs reaches them", () => {
    const tenantPods = w.tenants.flatMap(inNamespace);
    expect(tenantPods.length).toBeGreaterThan(w.tenants.length * 3);
    expect(allowedOver(w, tenantPods, [IMDS])).toEqual([]);
    for (const p of tenantPods) expect(w.reach(p, IMDS, 80)).toBe(false);
    // Not vacuous: the same pods' HTTPS egress to AWS works where it is granted.
    expect(tenantPods.filter((p) => w.reach(p, AWS_API, 443)).length).toBeGreaterThan(0);
  });
});

/**
 * Found by this evaluator and fixed: a public service used to admit its load balancer from the
 * whole VPC CIDR, and with the VPC CNI that holds every pod; `allow-aws-apis` (a service with AWS
 * permissions) and `tenant-allow-aws-apis` (a tenant's labeled pods) open 443 to 0.0.0.0/0 minus
 * IMDS, which holds every pod too, so a public service on 443 was reachable from any such pod, in
 * any tenant (core/ledger -> retail/gateway:443). Now the load balancer is admitted from the public
 * subnets' CIDRs only (where an internet-facing load balancer's ENIs are; pods live in the private
 * subnets: the mocks lay them out as tap's masks do).
 */
describe("tenants' network, a public service on 443 and a tenant service with AWS permissions", () => {
  const onHttps: TapConfigInput = {
    ...BOTH_WAYS,
    services: [
      {
        name: "gateway",
        tenant: "retail",
        image: IMAGE,
        public: true,
        port: 443,
        calls: ["payments"],
      },
      { name: "payments", tenant: "core", image: IMAGE, calls: ["ledger"] },
      {
        name: "ledger",
        tenant: "core",
        image: IMAGE,
        awsPermissions: [
          {
            actions: ["dynamodb:GetItem"],
            resources: ["arn:${partition}:dynamodb:${region}:${account}:table/ledger"],
          },
        ],
      },
    ],
  };

  it("allows between the catalog's pods exactly the declared calls", async () => {
    const w = await synthesize(onHttps);
    const catalog = new Set(w.podOf.values());
    const edges = keys(
      allowedEdges(w.model, { from: (p) => catalog.has(p), to: (p) => catalog.has(p) }),
    );
    expect(edges).toEqual([
      "core/payments -> core/ledger:8080/TCP",
      "retail/gateway -> core/payments:8080/TCP",
    ]);
  });
});
