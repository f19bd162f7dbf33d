/**
 * The offline plan's content, read from the registered resources only (not from tap's code, so new
 * add-ons, services and mesh objects show up without touching this file): counts by type, node
 * groups, add-ons, IRSA roles and the service graph, plus the text rendering.
 */
import { parseDocument, statements, trustedSubjects, isIrsaTrust, list } from "../policy/iam";
import { Props, arr, num, obj, str, strings } from "../policy/util";
import { RecordedResource } from "./offline-mocks";
import { Violation } from "./policy-runner";
import { FirstUp } from "./critical-path";
import { CostEstimate, renderCost } from "./cost";

export interface NodeGroupPlan {
  readonly name: string;
  readonly capacityType: string;
  readonly instanceTypes: readonly string[];
  readonly min: number;
  readonly desired: number;
  readonly max: number;
}
export interface AddonPlan {
  readonly release: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly imageTag: string;
}
export interface IrsaStatement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditionKeys: readonly string[];
}
export interface IrsaRolePlan {
  readonly role: string;
  readonly serviceAccounts: readonly string[];
  readonly statements: readonly IrsaStatement[];
}
export interface ServiceEdge {
  readonly from: string;
  readonly to: string;
  readonly via: readonly string[];
}
export interface ScaledObjectPlan {
  readonly name: string;
  readonly target: string;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly triggers: readonly string[];
}
export interface ServiceGraph {
  readonly services: readonly string[];
  readonly edges: readonly ServiceEdge[];
  readonly scaledObjects: readonly ScaledObjectPlan[];
}

const inputs = (r: RecordedResource): Props => r.inputs as Props;

export function countByType(resources: readonly RecordedResource[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resources) out[r.type] = (out[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function nodeGroups(resources: readonly RecordedResource[]): NodeGroupPlan[] {
  return resources
    .filter(
      (r) => r.type === "eks:index:ManagedNodeGroup" || r.type === "aws:eks/nodeGroup:NodeGroup",
    )
    .map((r) => {
      const p = inputs(r);
      const s = obj(p.scalingConfig) ?? {};
      return {
        name: r.name,
        capacityType: str(p.capacityType) ?? "ON_DEMAND",
        instanceTypes: strings(p.instanceTypes),
        min: num(s.minSize) ?? 0,
        desired: num(s.desiredSize) ?? 0,
        max: num(s.maxSize) ?? 0,
      };
    });
}

/** The image tag a chart's values pin: image.tag, image.<part>.tag, or an operator version. */
export function imageTag(values: unknown): string {
  const v = obj(values) ?? {};
  const image = obj(v.image);
  if (str(image?.tag)) return String(image?.tag);
  for (const part of Object.values(image ?? {}))
    if (str(obj(part)?.tag)) return String(obj(part)?.tag);
  for (const [key, sub] of Object.entries(v)) {
    if (/operator|image/i.test(key) && str(obj(sub)?.version)) return String(obj(sub)?.version);
    if (/image/i.test(key) && str(obj(sub)?.tag)) return String(obj(sub)?.tag);
  }
  // A component's image one level down (Karpenter's controller.image).
  for (const sub of Object.values(v)) {
    const nested = obj(obj(sub)?.image);
    if (str(nested?.tag)) return String(nested?.tag);
  }
  return "(chart default)";
}

export function addons(resources: readonly RecordedResource[]): AddonPlan[] {
  return resources
    .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
    .map((r) => {
      const p = inputs(r);
      return {
        release: str(p.name) ?? r.name,
        chart: str(p.chart) ?? "?",
        version: str(p.version) ?? "(unpinned)",
        namespace: str(p.namespace) ?? "default",
        imageTag: imageTag(p.values),
      };
    });
}

function statementPlans(raw: unknown): IrsaStatement[] {
  const doc = parseDocument(raw);
  return (doc ? statements(doc) : []).map((st) => ({
    effect: str(st.Effect) ?? "?",
    actions: list(st.Action),
    resources: list(st.Resource),
    conditionKeys: Object.values(obj(st.Condition) ?? {}).flatMap((c) => Object.keys(obj(c) ?? {})),
  }));
}

export function irsaRoles(resources: readonly RecordedResource[]): IrsaRolePlan[] {
  const rolePolicies = resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
  return resources
    .filter((r) => r.type === "aws:iam/role:Role")
    .flatMap((r) => {
      const trust = parseDocument(inputs(r).assumeRolePolicy);
      if (!trust || !isIrsaTrust(trust)) return [];
      const physical = str(inputs(r).name) ?? r.name;
      const refs = [r.name, `${r.name}-id`, physical];
      const inline = rolePolicies.filter((p) => refs.includes(str(inputs(p).role) ?? "\0"));
      return [
        {
          role: physical,
          serviceAccounts: trustedSubjects(trust),
          statements: [
            ...inline.flatMap((p) => statementPlans(inputs(p).policy)),
            ...arr(inputs(r).inlinePolicies).flatMap((p) => statementPlans(obj(p)?.policy)),
          ],
        },
      ];
    });
}

const NAME_LABEL = "app.kubernetes.io/name";

/** caller -> callee edges from allow-from-callers NetworkPolicies and App Mesh VirtualNode backends. */
export function serviceGraph(resources: readonly RecordedResource[]): ServiceGraph {
  const edges = new Map<string, { from: string; to: string; via: Set<string> }>();
  const add = (from: string, to: string, via: string) => {
    const key = `${from}\0${to}`;
    const e = edges.get(key) ?? { from, to, via: new Set<string>() };
    e.via.add(via);
    edges.set(key, e);
  };
  for (const r of resources) {
    const p = inputs(r);
    const meta = obj(p.metadata) ?? {};
    const spec = obj(p.spec) ?? {};
    if (
      r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
      // `allow-from-callers`, or `<service>-allow-from-callers` in a tenant's shared namespace.
      /(^|-)allow-from-callers$/.test(str(meta.name) ?? "")
    ) {
      const callee =
        str(obj(obj(spec.podSelector)?.matchLabels)?.[NAME_LABEL]) ?? str(meta.namespace) ?? r.name;
      for (const peer of arr(spec.ingress)
        .flatMap((rule) => arr(obj(rule)?.from))
        .map(obj)) {
        const caller = str(obj(obj(peer?.podSelector)?.matchLabels)?.[NAME_LABEL]);
        const cidr = str(obj(peer?.ipBlock)?.cidr);
        if (caller || cidr) add(caller ?? `cidr ${cidr}`, callee, "networkpolicy");
      }
    }
    if (r.type.endsWith(":VirtualNode") && r.type.includes("appmesh")) {
      const caller = str(meta.name) ?? r.name;
      for (const b of arr(spec.backends).map(obj)) {
        const callee = str(obj(obj(b?.virtualService)?.virtualServiceRef)?.name);
        if (callee) add(caller, callee, "app-mesh");
      }
    }
  }
  const scaledObjects = resources
    .filter((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject")
    .map((r) => {
      const p = inputs(r);
      const meta = obj(p.metadata) ?? {};
      const spec = obj(p.spec) ?? {};
      return {
        name: `${str(meta.namespace) ?? "default"}/${str(meta.name) ?? r.name}`,
        target: `${str(obj(spec.scaleTargetRef)?.kind) ?? "Deployment"}/${str(obj(spec.scaleTargetRef)?.name) ?? "?"}`,
        min: num(spec.minReplicaCount),
        max: num(spec.maxReplicaCount),
        triggers: arr(spec.triggers).map((t) => str(obj(t)?.type) ?? "?"),
      };
    });
  const list_ = [...edges.values()].map((e) => ({
    from: e.from,
    to: e.to,
    via: [...e.via].sort(),
  }));
  list_.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const services = [
    ...new Set(list_.flatMap((e) => [e.from, e.to]).filter((s) => !s.startsWith("cidr "))),
  ];
  return { services: services.sort(), edges: list_, scaledObjects };
}

/** The preflight as the plan can run it offline (EKS's versions from the calendar). */
export interface PreflightPlan {
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

export interface PlanReport {
  readonly stack: string;
  readonly region: string;
  readonly date: string;
  /** Which files the config came from. */
  readonly source: string;
  readonly lifecycle: string;
  readonly preflight: PreflightPlan;
  readonly warnings: readonly string[];
  readonly resources: {
    readonly total: number;
    readonly byType: Record<string, number>;
    /** Resources per AWS region (the stack's, and tap:dr's when on): where each one's provider is. */
    readonly byRegion: Record<string, number>;
    /** How many of them are remote components' children, modeled from their source. */
    readonly modeled: number;
    readonly modeledFrom: readonly string[];
  };
  /** The first `pulumi up`'s critical path (tools/critical-path.ts). */
  readonly firstUp: FirstUp;
  readonly nodeGroups: readonly NodeGroupPlan[];
  /** The capabilities on (in deploy order) and those available but off, with their switch. */
  readonly capabilities: {
    readonly on: readonly string[];
    readonly off: readonly {
      readonly name: string;
      readonly configKey: string;
      readonly summary: string;
      readonly needs: readonly string[];
      readonly conflicts: readonly string[];
    }[];
  };
  readonly addons: readonly AddonPlan[];
  readonly irsaRoles: readonly IrsaRolePlan[];
  readonly services: ServiceGraph;
  readonly violations: readonly Violation[];
  /** The monthly estimate (tools/cost.ts, prices in facts/pricing/aws.json). */
  readonly cost: CostEstimate;
}

const sizes = (g: { min: number; desired: number; max: number }) =>
  `${g.min}/${g.desired}/${g.max}`;

export function renderPlan(plan: PlanReport): string {
  const out: string[] = [
    `tap offline plan — stack ${plan.stack}, region ${plan.region}, as of ${plan.date}`,
  ];
  out.push(`config: ${plan.source}`, plan.lifecycle);
  const stops = plan.preflight.problems;
  out.push(
    stops.length === 0
      ? "preflight (offline, EKS calendar in lib/support.ts; `pulumi preview` asks EKS itself): passes"
      : `preflight (offline, EKS calendar in lib/support.ts): pulumi up would stop before creating anything (${stops.length} problem${stops.length === 1 ? "" : "s"}):`,
  );
  for (const p of stops) out.push(`  - ${p}`);
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  out.push(
    "",
    `resources (${plan.resources.total}, of which ${plan.resources.modeled} are remote components' children, modeled from their source):`,
  );
  if (Object.keys(plan.resources.byRegion).length > 1)
    out.push(
      `  by region: ${Object.entries(plan.resources.byRegion)
        .map(([r, n]) => `${r} ${n}`)
        .join(", ")}`,
    );
  for (const [type, n] of Object.entries(plan.resources.byType))
    out.push(`  ${String(n).padStart(3)}  ${type}`);
  for (const source of plan.resources.modeledFrom) out.push(`  (modeled: ${source})`);
  const min = (s: number) => `${Math.round(s / 60)} min`;
  out.push(
    "",
    `first pulumi up: about ${min(plan.firstUp.seconds)} (the critical path; ${plan.firstUp.ratio}x the unavoidable ` +
      `control plane + node group + add-on chain of ${min(plan.firstUp.unavoidable)}; durations: tools/durations.ts):`,
  );
  for (const step of plan.firstUp.path.filter((s) => s.finish - s.start >= 30))
    out.push(
      `  ${min(step.start).padStart(6)} -> ${min(step.finish).padStart(6)}  ${step.type} ${step.name}`,
    );
  out.push("", ...renderCost(plan.cost));
  out.push("", "node groups (min/desired/max):");
  const total = { min: 0, desired: 0, max: 0 };
  for (const g of plan.nodeGroups) {
    total.min += g.min;
    total.desired += g.desired;
    total.max += g.max;
    out.push(`  ${g.name}: ${g.capacityType} ${sizes(g)} [${g.instanceTypes.join(", ")}]`);
  }
  const spot = plan.nodeGroups
    .filter((g) => g.capacityType === "SPOT")
    .reduce((n, g) => n + g.desired, 0);
  const pct = total.desired > 0 ? Math.round((100 * spot) / total.desired) : 0;
  out.push(`  total: ${sizes(total)} (spot ${pct}% / on-demand ${100 - pct}% at desired)`);
  out.push("", `capabilities on, in deploy order: ${plan.capabilities.on.join(", ")}`);
  if (plan.capabilities.off.length > 0) {
    out.push("available, off (turn one on: pulumi config set --path '<switch>' true):");
    for (const c of plan.capabilities.off) {
      const rel = [
        c.needs.length > 0 ? `needs ${c.needs.join(", ")}` : "",
        c.conflicts.length > 0 ? `conflicts with ${c.conflicts.join(", ")}` : "",
      ].filter((x) => x !== "");
      out.push(`  ${c.name} (${[c.configKey, ...rel].join("; ")}): ${c.summary}`);
    }
  }
  out.push("", "add-ons (chart@version, namespace, image tag):");
  for (const a of plan.addons)
    out.push(`  ${a.release}: ${a.chart}@${a.version} in ${a.namespace}, image ${a.imageTag}`);
  out.push("", "IRSA roles (role -> service account -> allowed actions on resources):");
  for (const r of plan.irsaRoles) {
    out.push(`  ${r.role} -> ${r.serviceAccounts.join(", ") || "(no pinned sub)"}`);
    for (const s of r.statements) {
      const cond = s.conditionKeys.length > 0 ? ` if ${s.conditionKeys.join(", ")}` : "";
      out.push(
        `      ${s.effect} ${s.actions.join(", ")} on ${s.resources.join(", ") || "?"}${cond}`,
      );
    }
  }
  out.push("", "service graph (caller -> callee):");
  if (plan.services.services.length === 0) out.push("  no services");
  for (const e of plan.services.edges) out.push(`  ${e.from} -> ${e.to} (${e.via.join(", ")})`);
  for (const s of plan.services.scaledObjects) {
    out.push(
      `  autoscaled ${s.name} -> ${s.target} ${s.min ?? "?"}..${s.max ?? "?"} on ${s.triggers.join(", ")}`,
    );
  }
  for (const level of ["mandatory", "advisory"] as const) {
    const vs = plan.violations.filter((v) => v.enforcementLevel === level);
    out.push("", `${level} policy violations (${vs.length}):`);
    if (vs.length === 0) out.push("  none");
    for (const v of vs) out.push(`  [${v.policy}] ${v.message}`);
  }
  const mandatory = plan.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const blocked = stops.length > 0 ? `, blocked by the preflight (${stops.length})` : "";
  out.push(
    "",
    `plan: ${plan.resources.total} resources, ${mandatory} mandatory violations, ${plan.violations.length - mandatory} advisories${blocked}`,
  );
  return out.join("\n");
}
