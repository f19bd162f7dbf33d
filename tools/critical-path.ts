/**
 * How long the first `pulumi up` waits: the engine creates in parallel, so the wait is the longest
 * chain of the resource graph (each resource starts when everything it depends on is created),
 * weighted by a typical create duration per resource type (tools/durations.ts, each sourced).
 *
 * The graph is the one the SDK sends a real engine (tools/offline-mocks.ts records each
 * registration's dependencies). A remote component (eks.Cluster, awsx Vpc, ManagedNodeGroup) is
 * done when its last modeled child is (tools/remote-model.ts): its outputs resolve then, and a
 * resource that uses one waits for all of it.
 */
import { createSeconds } from "./durations";
import { RecordedResource } from "./offline-mocks";

export interface PathStep {
  readonly type: string;
  readonly name: string;
  /** Seconds from the start of `pulumi up`. */
  readonly start: number;
  readonly finish: number;
}

export interface CriticalPath {
  /** Seconds until the last resource is created. */
  readonly seconds: number;
  /** The chain that takes that long, first to last. */
  readonly path: readonly PathStep[];
}

export function criticalPath(resources: readonly RecordedResource[]): CriticalPath {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, RecordedResource[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const finish = new Map<string, { at: number; via?: string }>();

  /** When everything `urn` stands for is created: a custom resource, or all of a component. */
  const done = (urn: string, seen: Set<string>): { at: number; via?: string } => {
    const memo = finish.get(urn);
    if (memo) return memo;
    if (seen.has(urn)) return { at: 0 }; // a cycle cannot happen in a real graph; stay finite
    seen.add(urn);
    const r = byUrn.get(urn);
    let result: { at: number; via?: string };
    if (!r) result = { at: 0 };
    else {
      // A child of a remote component also waits for the component's own inputs.
      const parent = byUrn.get(r.parent);
      const inherited = r.modeled && parent ? parent.dependencies : [];
      const deps = [...new Set([...r.dependencies, ...inherited])].filter((d) => d !== urn);
      let start = 0;
      let via: string | undefined;
      for (const d of deps) {
        const f = done(d, seen).at;
        if (f > start) {
          start = f;
          via = d;
        }
      }
      const kids = (children.get(urn) ?? []).filter((c) => !r.custom || c.modeled);
      if (!r.custom && kids.length > 0) {
        // A component: done when its last child is.
        result = { at: start, via };
        for (const c of kids) {
          const f = done(c.urn, seen).at;
          if (f >= result.at) result = { at: f, via: c.urn };
        }
      } else result = { at: start + (r.custom ? createSeconds(r.type) : 0), via };
    }
    seen.delete(urn);
    finish.set(urn, result);
    return result;
  };

  let last: string | undefined;
  let seconds = 0;
  for (const r of resources) {
    const f = done(r.urn, new Set()).at;
    if (f > seconds) {
      seconds = f;
      last = r.urn;
    }
  }
  const path: PathStep[] = [];
  for (let urn = last; urn; urn = finish.get(urn)?.via) {
    const r = byUrn.get(urn);
    if (!r) break;
    if (r.custom) {
      const f = finish.get(urn)?.at ?? 0;
      path.unshift({ type: r.type, name: r.name, start: f - createSeconds(r.type), finish: f });
    }
  }
  return { seconds, path };
}

/** The unavoidable chain: the control plane, one node group, the slowest Helm release after nodes. */
export function unavoidableSeconds(): number {
  return (
    createSeconds("aws:eks/cluster:Cluster") +
    createSeconds("aws:eks/nodeGroup:NodeGroup") +
    createSeconds("kubernetes:helm.sh/v3:Release")
  );
}

export interface FirstUp extends CriticalPath {
  /** The unavoidable chain's seconds, and the critical path as a multiple of it. */
  readonly unavoidable: number;
  readonly ratio: number;
}

export function firstUp(resources: readonly RecordedResource[]): FirstUp {
  const cp = criticalPath(resources);
  const unavoidable = unavoidableSeconds();
  return { ...cp, unavoidable, ratio: Math.round((100 * cp.seconds) / unavoidable) / 100 };
}
