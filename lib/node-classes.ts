/**
 * Node classes (`tap:nodeClasses`): each class's labels and taints, defined once and read by the
 * node groups (lib/node-groups.ts), their scale-from-zero tags and the catalog's pods
 * (lib/services/pod.ts). Absent, the stack is the specification's: the two 70/30 groups, no class
 * label. Pure: the config contract parses and checks it before anything exists.
 *
 * system: an on-demand managed node group tainted CriticalAddonsOnly for the add-ons that must
 * survive spot reclaims: CoreDNS, Calico's kube-controllers, operator and (preferred) Typha, and
 * cluster-autoscaler select it and tolerate the taint (criticalAddonPlacement); nothing else
 * tolerates it.
 *
 * gpu: a managed node group of Bottlerocket's NVIDIA variant at zero until a pod asks for a GPU.
 * The variant ships the NVIDIA driver, container runtime and the NVIDIA k8s device plugin
 * (bottlerocket-os/bottlerocket@85f0d68 (v1.26.0):QUICKSTART-EKS.md "aws-k8s-*-nvidia variants"),
 * so tap installs no device-plugin DaemonSet. cluster-autoscaler can start one only from what the
 * group's auto scaling group says its nodes will have (kubernetes/autoscaler@cluster-autoscaler-
 * 1.35.2:cluster-autoscaler/cloudprovider/aws/README.md: node-template label, taint and resources
 * tags, "only required if scaling up from 0 nodes"); a managed node group's own tags stay on the
 * node group, so tap tags the auto scaling group itself. Its GPU label is the one the autoscaler's
 * AWS provider treats as a GPU node's (aws_cloud_provider.go GPULabel).
 */
import { numberFromConfig, show } from "./config-parse";
import { GPU_INSTANCE_TYPES } from "./gpu-instance-types";

export { GPU_INSTANCE_TYPES };

/** The label every node of a class carries (only with tap:nodeClasses set). */
export const NODE_CLASS_LABEL = "tap/node-class";
/** cluster-autoscaler's GPU label on AWS (its GPULabel) and tap's value per accelerator. */
export const ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator";
/** The extended resource NVIDIA's device plugin advertises. */
export const GPU_RESOURCE = "nvidia.com/gpu";

export type NodeClassName = "system" | "application" | "gpu";
/** The classes a catalog service may ask for (the system class is the critical add-ons'). */
export const SERVICE_NODE_CLASSES = ["application", "gpu"] as const;

export interface Taint {
  readonly key: string;
  readonly value: string;
  /** Kubernetes' spelling; EKS's node group API spells it NO_SCHEDULE (eksTaintEffect). */
  readonly effect: "NoSchedule";
}

export interface GpuClassSettings {
  /** NVIDIA GPU instance types of one accelerator and architecture (cluster-autoscaler templates from the first). */
  readonly instanceTypes: readonly string[];
  /** Nodes at most; the group starts and rests at zero. */
  readonly maxSize: number;
}

export interface SystemClassSettings {
  /** Nodes it keeps (min = desired; max one more, for a replacement during a roll). */
  readonly nodes: number;
}

export interface NodeClassesConfig {
  readonly system?: SystemClassSettings;
  readonly gpu?: GpuClassSettings;
}

export const DEFAULT_GPU_CLASS: GpuClassSettings = { instanceTypes: ["g5.xlarge"], maxSize: 2 };
export const DEFAULT_SYSTEM_CLASS: SystemClassSettings = { nodes: 2 };

/** Kubernetes' conventional taint for nodes kept for critical add-ons (its Exists toleration). */
export const CRITICAL_ADDONS_TAINT: Taint = {
  key: "CriticalAddonsOnly",
  value: "true",
  effect: "NoSchedule",
};

/** Only pods that tolerate it (the catalog's GPU services) land on a GPU node. */
export const GPU_TAINT: Taint = { key: GPU_RESOURCE, value: "true", effect: "NoSchedule" };

export interface NodeClassDefinition {
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}

/** A class's labels and taints: what its nodes carry, what its pods select and tolerate. */
export function nodeClassDefinition(
  name: NodeClassName,
  classes: NodeClassesConfig,
): NodeClassDefinition {
  if (name === "application") return { labels: { [NODE_CLASS_LABEL]: "application" }, taints: [] };
  if (name === "system")
    return { labels: { [NODE_CLASS_LABEL]: "system" }, taints: [CRITICAL_ADDONS_TAINT] };
  const gpu = classes.gpu ?? DEFAULT_GPU_CLASS;
  return {
    labels: {
      [NODE_CLASS_LABEL]: "gpu",
      [ACCELERATOR_LABEL]: GPU_INSTANCE_TYPES[gpu.instanceTypes[0]]?.accelerator ?? "nvidia",
    },
    taints: [GPU_TAINT],
  };
}

export interface Toleration {
  readonly key: string;
  readonly operator: "Exists" | "Equal";
  readonly value?: string;
  readonly effect?: "NoSchedule";
}

/** Where a critical add-on runs: the system class when there is one, else nothing to change. */
export interface CriticalAddonPlacement {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
}

/**
 * The system class's node selector and its taint's toleration (Exists: the value is not a
 * contract), for the critical add-ons; undefined without the class (they keep their on-demand
 * selector).
 */
export function criticalAddonPlacement(
  classes: NodeClassesConfig,
): CriticalAddonPlacement | undefined {
  if (!classes.system) return undefined;
  const def = nodeClassDefinition("system", classes);
  return {
    nodeSelector: { ...def.labels },
    tolerations: def.taints.map((t) => ({ key: t.key, operator: "Exists", effect: t.effect })),
  };
}

/** EKS's node group taint effect for Kubernetes' (the CreateNodegroup API's enum). */
export const eksTaintEffect = (t: Taint): "NO_SCHEDULE" => {
  if (t.effect === "NoSchedule") return "NO_SCHEDULE";
  throw new Error(`no EKS taint effect for ${String(t.effect)}`);
};

/**
 * The auto scaling group tags cluster-autoscaler reads to build a node of the group when it has
 * none: its labels, its taints (`<value>:<effect>`) and its GPUs per node.
 */
export function scaleFromZeroTags(
  def: NodeClassDefinition,
  gpusPerNode: number,
): Record<string, string> {
  const p = "k8s.io/cluster-autoscaler/node-template";
  return {
    ...Object.fromEntries(Object.entries(def.labels).map(([k, v]) => [`${p}/label/${k}`, v])),
    ...Object.fromEntries(def.taints.map((t) => [`${p}/taint/${t.key}`, `${t.value}:${t.effect}`])),
    ...(gpusPerNode > 0 ? { [`${p}/resources/${GPU_RESOURCE}`]: String(gpusPerNode) } : {}),
  };
}

/** `tap:nodeClasses`: a map of class -> true or its settings; every problem to `fail`. */
export function parseNodeClasses(
  raw: unknown,
  fail: (key: string, reason: string) => void,
): NodeClassesConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail(
      "nodeClasses",
      `tap:nodeClasses must be a map of class -> true or its settings, e.g. { "gpu": { "maxSize": 2 } } (got ${show(raw)})`,
    );
    return {};
  }
  let out: NodeClassesConfig = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === "application") {
      fail(
        "nodeClasses.application",
        "tap:nodeClasses.application is always there (the 70/30 split of tap:nodeMinSize..tap:nodeMaxSize): it takes no settings",
      );
      continue;
    }
    if (key !== "gpu" && key !== "system") {
      fail(
        `nodeClasses.${key}`,
        `tap:nodeClasses.${key} is not a node class tap builds; known: system, gpu (the application class is always there)`,
      );
      continue;
    }
    if (value === false || value === "false") continue;
    const v =
      value === true || value === "true"
        ? {}
        : value !== null && typeof value === "object" && !Array.isArray(value)
          ? (value as Record<string, unknown>)
          : undefined;
    if (v === undefined) {
      fail(
        `nodeClasses.${key}`,
        `tap:nodeClasses.${key} must be true, false or ${key === "gpu" ? "{ instanceTypes, maxSize }" : "{ nodes }"} (got ${show(value)})`,
      );
      continue;
    }
    if (key === "system") {
      const system = parseSystemClass(v, fail);
      if (system) out = { ...out, system };
      continue;
    }
    const gpu = parseGpuClass(v, fail);
    if (gpu) out = { ...out, gpu };
  }
  return out;
}

function parseSystemClass(
  v: Record<string, unknown>,
  fail: (key: string, reason: string) => void,
): SystemClassSettings | undefined {
  const unknown = Object.keys(v).filter((k) => k !== "nodes");
  if (unknown.length > 0) {
    fail(
      "nodeClasses.system",
      `tap:nodeClasses.system has unknown settings ${unknown.join(", ")}; allowed: nodes`,
    );
    return undefined;
  }
  const raw = v.nodes ?? DEFAULT_SYSTEM_CLASS.nodes;
  const n = numberFromConfig(raw);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 2 || n > 10) {
    fail(
      "nodeClasses.system.nodes",
      `tap:nodeClasses.system.nodes must be an integer from 2 to 10: the critical add-ons run two replicas on different nodes (got ${show(raw)})`,
    );
    return undefined;
  }
  return { nodes: n };
}

function parseGpuClass(
  v: Record<string, unknown>,
  fail: (key: string, reason: string) => void,
): GpuClassSettings | undefined {
  const unknown = Object.keys(v).filter((k) => k !== "instanceTypes" && k !== "maxSize");
  if (unknown.length > 0) {
    fail(
      "nodeClasses.gpu",
      `tap:nodeClasses.gpu has unknown settings ${unknown.join(", ")}; allowed: instanceTypes, maxSize`,
    );
    return undefined;
  }
  let ok = true;
  const types = v.instanceTypes ?? DEFAULT_GPU_CLASS.instanceTypes;
  if (
    !Array.isArray(types) ||
    types.length === 0 ||
    !types.every((t): t is string => typeof t === "string")
  ) {
    fail(
      "nodeClasses.gpu.instanceTypes",
      `tap:nodeClasses.gpu.instanceTypes must be a non-empty list of instance types (got ${show(types)})`,
    );
    return undefined;
  }
  const unknownTypes = types.filter((t) => !(t in GPU_INSTANCE_TYPES));
  if (unknownTypes.length > 0) {
    ok = false;
    fail(
      "nodeClasses.gpu.instanceTypes",
      `tap:nodeClasses.gpu.instanceTypes must be NVIDIA GPU instance types tap knows (${[
        ...new Set(Object.keys(GPU_INSTANCE_TYPES).map((t) => t.split(".")[0])),
      ].join(", ")} families) (got ${show(unknownTypes)})`,
    );
  } else {
    const kinds = new Set(
      types.map((t) => {
        const f = GPU_INSTANCE_TYPES[t];
        return `${f.accelerator} ${f.architecture} ${f.gpus}`;
      }),
    );
    if (kinds.size > 1) {
      ok = false;
      fail(
        "nodeClasses.gpu.instanceTypes",
        `tap:nodeClasses.gpu.instanceTypes must share one accelerator, architecture and GPU count: the group's label, AMI and cluster-autoscaler's template are one for all (got ${show(types)})`,
      );
    }
  }
  if (new Set(types).size !== types.length) {
    ok = false;
    fail(
      "nodeClasses.gpu.instanceTypes",
      `tap:nodeClasses.gpu.instanceTypes has duplicates (got ${show(types)})`,
    );
  }
  const rawMax = v.maxSize ?? DEFAULT_GPU_CLASS.maxSize;
  const max = numberFromConfig(rawMax);
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 100) {
    ok = false;
    fail(
      "nodeClasses.gpu.maxSize",
      `tap:nodeClasses.gpu.maxSize must be an integer from 1 to 100 (got ${show(rawMax)})`,
    );
  }
  return ok ? { instanceTypes: types, maxSize: max as number } : undefined;
}
