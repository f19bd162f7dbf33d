/**
 * A generic evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1) over the
 * resources a synthesis recorded. It knows nothing about tap's policy names or labels: it reads
 * Namespaces, pod templates and NetworkPolicies and answers "may this pod open a connection to
 * that pod (or IP) on this port?" the way the API's documented semantics do
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/ and the
 * networking.k8s.io/v1 API reference):
 *
 * - A pod is isolated for ingress (egress) iff some NetworkPolicy in its namespace selects it
 *   (spec.podSelector, {} = every pod of the namespace) and has Ingress (Egress) in its policyTypes.
 *   policyTypes defaults to ["Ingress"], plus "Egress" when spec.egress has a rule.
 * - Policies are additive: a connection A -> B on port P is allowed iff
 *   (A is not egress-isolated OR some egress rule of a policy selecting A allows B:P) AND
 *   (B is not ingress-isolated OR some ingress rule of a policy selecting B allows A:P).
 * - A rule's peers (`from` / `to`) absent or empty = every peer; its `ports` absent or empty =
 *   every port; so the rule `{}` allows everything.
 * - A peer is one of: podSelector (pods of the POLICY's namespace), namespaceSelector (every pod
 *   of the matching namespaces), both (matching pods in matching namespaces: an AND, not an OR),
 *   or ipBlock (cidr minus except; never combined with the others).
 * - A port is protocol (default TCP) + port (number or a named container port of the DESTINATION
 *   pod, resolved per pod) + endPort (a range, numeric ports only); no port = every port of the
 *   protocol.
 * - Label selectors: matchLabels AND matchExpressions (In, NotIn, Exists, DoesNotExist); the empty
 *   selector matches everything.
 * - Every namespace carries `kubernetes.io/metadata.name: <name>` (the API server sets it, whatever
 *   the manifest says). A namespace a pod lives in without a Namespace resource (kube-system,
 *   default) exists with only that label.
 *
 * Pod IPs and ipBlock: NetworkPolicy leaves it to the implementation whether ipBlock matches pod
 * IPs; Calico (tap's policy engine) matches a peer's CIDR against the packet's address, pod or not,
 * and tap's VPC CNI gives pods addresses from the VPC's subnets. So every modeled pod gets a
 * concrete address from a pod CIDR (default 10.0.0.0/16, tap's default VPC CIDR: pods ARE VPC
 * addresses), and an ipBlock that covers the VPC (10.0.0.0/16, 0.0.0.0/0) covers pods too. Pass
 * another `podCidr` (e.g. an overlay's 100.64.0.0/16) to model a CNI that gives pods other addresses.
 *
 * Out of scope: traffic a node's kubelet sends to its own pods (always allowed), hostNetwork pods,
 * Services (policies see pod addresses after DNAT), and non-Kubernetes policy CRDs (Calico's
 * GlobalNetworkPolicy): what this answers is what the networking.k8s.io/v1 objects alone allow.
 */
import { RecordedResource } from "./mocks";

export type Protocol = "TCP" | "UDP" | "SCTP";
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface IpBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: IpBlock;
}

export interface PolicyPort {
  readonly protocol?: string;
  readonly port?: number | string;
  readonly endPort?: number;
}

export interface IngressRule {
  readonly from?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}

export interface EgressRule {
  readonly to?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: string;
}

/** A NetworkPolicy as the evaluator reads it (policyTypes already defaulted). */
export interface Policy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly ("Ingress" | "Egress")[];
  readonly ingress: readonly IngressRule[];
  readonly egress: readonly EgressRule[];
}

export interface Namespace {
  readonly name: string;
  /** Including kubernetes.io/metadata.name. */
  readonly labels: Labels;
}

/** One pod: a workload template's representative, or a synthetic one a test added. */
export interface Pod {
  /** `<namespace>/<name>`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly ports: readonly ContainerPort[];
  readonly ip: string;
  /** The workload it represents ("Deployment", ...), or "synthetic". */
  readonly kind: string;
}

/** A pod a test adds (an intruder, a kube-dns stand-in): the namespace need not exist. */
export interface ExtraPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Labels;
  readonly ports?: readonly ContainerPort[];
  /** Its address; default: the next free one of the pod CIDR. */
  readonly ip?: string;
}

/** Something outside the pod model: an address (the internet, IMDS, a load balancer's ENI). */
export interface Address {
  readonly ip: string;
}

export type Endpoint = Pod | Address;

/** What is being opened: a port and its protocol (TCP when a bare number is given). */
export interface Connection {
  readonly port: number;
  readonly protocol: Protocol;
}

export interface Model {
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly pods: readonly Pod[];
  readonly policies: readonly Policy[];
  readonly podCidr: string;
}

export interface ModelOptions {
  readonly extraPods?: readonly ExtraPod[];
  /** The addresses pods get (see the header). Default: 10.0.0.0/16. */
  readonly podCidr?: string;
}

export const DEFAULT_POD_CIDR = "10.0.0.0/16";
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NAMESPACE = "kubernetes:core/v1:Namespace";
/** Workload kinds and where their pod template is. */
const TEMPLATE_OF: Readonly<Record<string, (spec: Obj) => unknown>> = {
  "kubernetes:apps/v1:Deployment": (s) => s.template,
  "kubernetes:apps/v1:DaemonSet": (s) => s.template,
  "kubernetes:apps/v1:StatefulSet": (s) => s.template,
  "kubernetes:apps/v1:ReplicaSet": (s) => s.template,
  "kubernetes:batch/v1:Job": (s) => s.template,
  "kubernetes:batch/v1:CronJob": (s) => asObj(asObj(s.jobTemplate).spec).template,
};
const POD = "kubernetes:core/v1:Pod";

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
const asList = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

// ---------------------------------------------------------------------------------------------
// Addresses (IPv4 and IPv6, as bigints)

interface Cidr {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

function parseIp(ip: string): { v6: boolean; value: bigint } {
  if (ip.includes(":")) {
    const [head, tail, extra] = ip.split("::");
    if (extra !== undefined) throw new Error(`not an IP address: ${ip}`);
    const groups = (s: string | undefined) => (s ? s.split(":") : []);
    const h = groups(head);
    const t = groups(tail);
    const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)))
      throw new Error(`not an IP address: ${ip}`);
    return { v6: true, value: all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255))
    throw new Error(`not an IP address: ${ip}`);
  return { v6: false, value: parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n) };
}

function formatIp(v6: boolean, value: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(":");
}

export function parseCidr(cidr: string): Cidr {
  const [ip, prefix, extra] = cidr.split("/");
  const { v6, value } = parseIp(ip);
  const width = v6 ? 128 : 32;
  const bits = Number(prefix);
  if (extra !== undefined || !/^\d{1,3}$/.test(prefix ?? "") || bits > width)
    throw new Error(`not a CIDR: ${cidr}`);
  const host = (1n << BigInt(width - bits)) - 1n;
  return { v6, base: value & ~host, bits };
}

function inCidr(ip: string, cidr: Cidr): boolean {
  const a = parseIp(ip);
  if (a.v6 !== cidr.v6) return false;
  const width = cidr.v6 ? 128 : 32;
  const host = (1n << BigInt(width - cidr.bits)) - 1n;
  return (a.value & ~host) === cidr.base;
}

/** Whether `ip` is in the ipBlock: in its cidr and in none of its excepts. */
export function inIpBlock(ip: string, block: IpBlock): boolean {
  const cidr = parseCidr(block.cidr);
  const except = (block.except ?? []).map(parseCidr);
  for (const [i, e] of except.entries()) {
    // The API rejects an except outside the cidr.
    if (e.v6 !== cidr.v6 || e.bits <= cidr.bits || !inCidr(formatIp(e.v6, e.base), cidr))
      throw new Error(`ipBlock ${block.cidr}: except ${block.except?.[i]} is not inside the cidr`);
  }
  return inCidr(ip, cidr) && !except.some((e) => inCidr(ip, e));
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** Label selector semantics (metav1.LabelSelector): every matchLabels pair and every expression. */
export function selects(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0)
          throw new Error(`matchExpressions ${e.key} ${e.operator} needs values`);
        if (
          e.operator === "In"
            ? !(has && values.includes(labels[e.key]))
            : has && values.includes(labels[e.key])
        )
          return false;
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0)
          throw new Error(`matchExpressions ${e.key} ${e.operator} takes no values`);
        if (e.operator === "Exists" ? !has : has) return false;
        break;
      default:
        throw new Error(`matchExpressions ${e.key}: unknown operator ${e.operator}`);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The model

function policyOf(namespace: string, name: string, spec: Obj): Policy {
  const ingress = asList<IngressRule>(spec.ingress);
  const egress = asList<EgressRule>(spec.egress);
  const given = asList<string>(spec.policyTypes);
  for (const t of given)
    if (t !== "Ingress" && t !== "Egress")
      throw new Error(`NetworkPolicy ${namespace}/${name}: unknown policyType ${t}`);
  // The API's default: Ingress always, Egress when the policy has egress rules.
  const policyTypes: ("Ingress" | "Egress")[] =
    given.length > 0
      ? (given as ("Ingress" | "Egress")[])
      : egress.length > 0
        ? ["Ingress", "Egress"]
        : ["Ingress"];
  const check = (peers: readonly PolicyPeer[] | undefined) => {
    for (const p of peers ?? []) validatePeer(p, `NetworkPolicy ${namespace}/${name}`);
  };
  ingress.forEach((r) => check(r.from));
  egress.forEach((r) => check(r.to));
  [...ingress, ...egress].forEach((r) =>
    (r.ports ?? []).forEach((p) => validatePort(p, `NetworkPolicy ${namespace}/${name}`)),
  );
  // spec.podSelector is a required struct: absent is the empty selector (every pod).
  return { namespace, name, podSelector: asObj(spec.podSelector), policyTypes, ingress, egress };
}

function validatePeer(p: PolicyPeer, where: string): void {
  if (p.ipBlock && (p.podSelector || p.namespaceSelector))
    throw new Error(`${where}: a peer with ipBlock may not also have a selector`);
  if (!p.ipBlock && !p.podSelector && !p.namespaceSelector)
    throw new Error(`${where}: a peer must name pods, namespaces or an ipBlock`);
  if (p.ipBlock) inIpBlock("0.0.0.0", p.ipBlock); // throws on an invalid cidr / except
}

const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validatePort(p: PolicyPort, where: string): void {
  const protocol = p.protocol ?? "TCP";
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    throw new Error(`${where}: unknown protocol ${protocol}`);
  if (typeof p.port === "string") {
    if (!IANA_SVC_NAME.test(p.port)) throw new Error(`${where}: invalid named port "${p.port}"`);
    if (p.endPort !== undefined) throw new Error(`${where}: endPort needs a numeric port`);
  } else if (p.port === undefined) {
    if (p.endPort !== undefined) throw new Error(`${where}: endPort needs a port`);
  } else if (p.endPort !== undefined && p.endPort < p.port) {
    throw new Error(`${where}: endPort ${p.endPort} < port ${p.port}`);
  }
}

class IpAllocator {
  private readonly cidr: Cidr;
  private next: bigint;
  private readonly used = new Set<string>();
  constructor(private readonly podCidr: string) {
    this.cidr = parseCidr(podCidr);
    this.next = this.cidr.base + 10n;
  }
  claim(ip: string): string {
    this.used.add(ip);
    return ip;
  }
  take(): string {
    for (;;) {
      const ip = formatIp(this.cidr.v6, this.next);
      this.next += 1n;
      if (!inCidr(ip, this.cidr)) throw new Error(`pod CIDR ${this.podCidr} is full`);
      if (!this.used.has(ip)) return this.claim(ip);
    }
  }
}

/** Namespaces, one representative pod per workload template (plus `extraPods`), and policies. */
export function buildModel(
  resources: readonly RecordedResource[],
  options: ModelOptions = {},
): Model {
  const podCidr = options.podCidr ?? DEFAULT_POD_CIDR;
  const namespaces = new Map<string, Namespace>();
  const policies: Policy[] = [];
  const specs: Omit<Pod, "id" | "ip">[] = [];
  const pinned = new Map<number, string>();

  for (const r of resources) {
    const metadata = asObj(r.inputs.metadata);
    const spec = asObj(r.inputs.spec);
    const name = typeof metadata.name === "string" ? metadata.name : r.name;
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
    if (r.type === NAMESPACE) {
      namespaces.set(name, {
        name,
        labels: { ...(asObj(metadata.labels) as Labels), [NAMESPACE_NAME_LABEL]: name },
      });
    } else if (r.type === NETWORK_POLICY) {
      policies.push(policyOf(namespace, name, spec));
    } else if (r.type in TEMPLATE_OF || r.type === POD) {
      const template = r.type === POD ? r.inputs : asObj(TEMPLATE_OF[r.type](spec));
      const podSpec = asObj(template.spec);
      specs.push({
        namespace,
        name,
        labels: asObj(asObj(template.metadata).labels) as Labels,
        ports: asList<Obj>(podSpec.containers).flatMap((c) => asList<ContainerPort>(c.ports)),
        kind: r.type.split(":").pop() ?? r.type,
      });
    }
  }
  for (const p of options.extraPods ?? []) {
    if (p.ip !== undefined) pinned.set(specs.length, p.ip);
    specs.push({
      namespace: p.namespace,
      name: p.name,
      labels: p.labels ?? {},
      ports: p.ports ?? [],
      kind: "synthetic",
    });
  }

  const ips = new IpAllocator(podCidr);
  for (const ip of pinned.values()) ips.claim(ip);
  const pods: Pod[] = [];
  const ids = new Set<string>();
  specs.forEach((s, i) => {
    const id = `${s.namespace}/${s.name}`;
    if (ids.has(id)) throw new Error(`two pods named ${id}: name the extra pod differently`);
    ids.add(id);
    pods.push({ ...s, id, ip: pinned.get(i) ?? ips.take() });
    if (!namespaces.has(s.namespace))
      namespaces.set(s.namespace, {
        name: s.namespace,
        labels: { [NAMESPACE_NAME_LABEL]: s.namespace },
      });
  });
  return { namespaces, pods, policies, podCidr };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const isPod = (e: Endpoint): e is Pod => "namespace" in e;

/** Whether the rule's peer list admits `peer` (a policy in `namespace` evaluates it). */
function peersMatch(
  model: Model,
  peers: readonly PolicyPeer[] | undefined,
  namespace: string,
  peer: Endpoint,
): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((p) => {
    if (p.ipBlock) return inIpBlock(peer.ip, p.ipBlock);
    if (!isPod(peer)) return false; // selectors name pods only
    const nsOk = p.namespaceSelector
      ? selects(p.namespaceSelector, namespaceLabels(model, peer.namespace))
      : peer.namespace === namespace;
    return nsOk && (!p.podSelector || selects(p.podSelector, peer.labels));
  });
}

function namespaceLabels(model: Model, name: string): Labels {
  return model.namespaces.get(name)?.labels ?? { [NAMESPACE_NAME_LABEL]: name };
}

/** Whether the rule's ports admit `conn` to `destination` (named ports are the destination's). */
function portsMatch(
  ports: readonly PolicyPort[] | undefined,
  destination: Endpoint,
  conn: Connection,
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    const protocol = p.protocol ?? "TCP";
    if (protocol !== conn.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "number")
      return conn.port >= p.port && conn.port <= (p.endPort ?? p.port);
    // A named port: the destination pod's container port of that name and protocol.
    if (!isPod(destination)) return false;
    return destination.ports.some(
      (c) =>
        c.name === p.port && (c.protocol ?? "TCP") === protocol && c.containerPort === conn.port,
    );
  });
}

const selecting = (model: Model, pod: Pod, type: "Ingress" | "Egress"): Policy[] =>
  model.policies.filter(
    (p) =>
      p.namespace === pod.namespace &&
      p.policyTypes.includes(type) &&
      selects(p.podSelector, pod.labels),
  );

export function isolated(model: Model, pod: Pod, type: "Ingress" | "Egress"): boolean {
  return selecting(model, pod, type).length > 0;
}

const asConnection = (port: number | Connection): Connection =>
  typeof port === "number" ? { port, protocol: "TCP" } : port;

/** The policies' verdict on `from` opening `port` on `to` (egress side AND ingress side). */
export function allows(
  model: Model,
  from: Endpoint,
  to: Endpoint,
  port: number | Connection,
): boolean {
  if (!isPod(from) && !isPod(to)) throw new Error("at least one end must be a pod");
  const conn = asConnection(port);
  const egressOk =
    !isPod(from) ||
    !isolated(model, from, "Egress") ||
    selecting(model, from, "Egress").some((p) =>
      p.egress.some(
        (r) => peersMatch(model, r.to, p.namespace, to) && portsMatch(r.ports, to, conn),
      ),
    );
  if (!egressOk) return false;
  return (
    !isPod(to) ||
    !isolated(model, to, "Ingress") ||
    selecting(model, to, "Ingress").some((p) =>
      p.ingress.some(
        (r) => peersMatch(model, r.from, p.namespace, from) && portsMatch(r.ports, to, conn),
      ),
    )
  );
}

/** A pod by id (`<namespace>/<name>`), or the endpoint itself. */
export function endpoint(model: Model, e: string | Endpoint): Endpoint {
  if (typeof e !== "string") return e;
  const pod = model.pods.find((p) => p.id === e);
  if (!pod) throw new Error(`no pod ${e} (pods: ${model.pods.map((p) => p.id).join(", ")})`);
  return pod;
}

export type Reach = ((
  from: string | Endpoint,
  to: string | Endpoint,
  port: number | Connection,
) => boolean) & { readonly model: Model };

/**
 * `reach(from, to, port)`: may `from` open `port` (a number = TCP) on `to`? Ends are pods (objects
 * or `<namespace>/<name>` ids) or addresses (`{ ip }`).
 */
export function reachability(
  resources: readonly RecordedResource[],
  extraPods: readonly ExtraPod[] = [],
  options: Omit<ModelOptions, "extraPods"> = {},
): Reach {
  const model = buildModel(resources, { ...options, extraPods });
  return fromModel(model);
}

export function fromModel(model: Model): Reach {
  const reach = (from: string | Endpoint, to: string | Endpoint, port: number | Connection) =>
    allows(model, endpoint(model, from), endpoint(model, to), port);
  return Object.assign(reach, { model });
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** `from -> to:port/protocol`. */
export const edgeKey = (e: Edge): string => `${e.from} -> ${e.to}:${e.port}/${e.protocol}`;

/**
 * Every allowed (from, to) pair of pods, each on the target's own container ports. `from === to`
 * is included: a representative pod stands for all of its workload's replicas, and one replica
 * calling another is a connection like any other. Filters pick the pods on each side.
 */
export function allowedEdges(
  model: Model,
  filter: { from?: (p: Pod) => boolean; to?: (p: Pod) => boolean } = {},
): Edge[] {
  const edges: Edge[] = [];
  const sources = model.pods.filter(filter.from ?? (() => true));
  const targets = model.pods.filter(filter.to ?? (() => true));
  for (const from of sources)
    for (const to of targets)
      for (const c of to.ports) {
        const conn: Connection = {
          port: c.containerPort,
          protocol: (c.protocol ?? "TCP") as Protocol,
        };
        if (allows(model, from, to, conn)) edges.push({ from: from.id, to: to.id, ...conn });
      }
  return edges.sort((a, b) => edgeKey(a).localeCompare(edgeKey(b)));
}

/**
 * Ports that together decide every port: a verdict only changes where some policy port range or
 * container port (a named port's number) starts or ends, so each such boundary, its neighbours,
 * and 1 and 65535, per protocol, stand for all 65535 ports of all three protocols.
 */
export function probePorts(model: Model): Connection[] {
  const ranges: [number, number][] = [[1, 65535]];
  for (const p of model.policies)
    for (const r of [...p.ingress, ...p.egress])
      for (const port of r.ports ?? [])
        if (typeof port.port === "number") ranges.push([port.port, port.endPort ?? port.port]);
  for (const pod of model.pods)
    for (const c of pod.ports) ranges.push([c.containerPort, c.containerPort]);
  const numbers = new Set<number>();
  for (const [a, b] of ranges)
    for (const n of [a - 1, a, b, b + 1]) if (n >= 1 && n <= 65535) numbers.add(n);
  const sorted = [...numbers].sort((a, b) => a - b);
  return PROTOCOLS.flatMap((protocol) => sorted.map((port) => ({ port, protocol })));
}
