/**
 * Calico in policy-only mode, installed by the Tigera operator (chart `tigera-operator`): the Amazon
 * VPC CNI keeps pod networking and IPAM, Calico (Felix) enforces Kubernetes NetworkPolicies and
 * tap's GlobalNetworkPolicies (policies.ts).
 *
 * Prerequisite: the VPC CNI's own network-policy agent must stay off, or two engines enforce the
 * same objects (Calico EKS install guide). lib/cluster.ts sets vpcCniOptions.enableNetworkPolicy=false.
 *
 * The release goes to `tigera-operator`; the operator itself creates `calico-system` (calico-node,
 * typha, kube-controllers) and the API server's namespace, with the PSS labels they need.
 *
 * Order on a real engine: release (CRDs + operator + Installation) -> tap's `APIServer` object,
 * which Pulumi awaits until the operator reports `status.state: Ready` (the operator sets it only
 * once the API server Deployment is available: tigera/operator@v1.38.13:
 * pkg/controller/apiserver/apiserver_controller.go L505) -> the projectcalico.org/v3
 * GlobalNetworkPolicies that API serves. No second `pulumi up` is needed.
 *
 * No IRSA role: neither the operator nor any Calico component calls an AWS API.
 */
import * as k8s from "@pulumi/kubernetes";
import { ownershipLabels } from "../../naming";
import { CALICO_LOG_PREFIX, createDenyLoggingPolicies } from "./policies";
import { Values, deepMerge, deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult, ON_DEMAND_SELECTOR, inCluster } from "../types";
import { CriticalAddonPlacement, criticalAddonPlacement } from "../../node-classes";

export interface CalicoArgs {
  /** Felix (calico-node) Prometheus metrics port. Default: 9091. */
  readonly nodeMetricsPort?: number;
  /** Typha Prometheus metrics port. Default: 9093. */
  readonly typhaMetricsPort?: number;
  /** Replicas of the HA-capable control-plane components (API server; typha scales with nodes). Default: 2. */
  readonly controlPlaneReplicas?: number;
  /** Create the IMDS-deny and log-denied GlobalNetworkPolicies. Default: true. */
  readonly denyLogging?: boolean;
  /** Extra chart values, deep-merged over the defaults; a locked key may not be changed. Default: {}. */
  readonly values?: Values;
}

export const CALICO_DEFAULTS = {
  /** Calico's documented Helm release name (`helm install calico projectcalico/tigera-operator`). */
  releaseName: "calico",
  namespace: "tigera-operator",
  /** Created by the chart, hard-coded in its templates. */
  serviceAccountName: "tigera-operator",
  nodeMetricsPort: 9091,
  typhaMetricsPort: 9093,
  controlPlaneReplicas: 2,
  denyLogging: true,
} as const;

export interface CalicoResult extends AddonResult {
  /** operator.tigera.io/v1 APIServer `default`, awaited until Ready (serves projectcalico.org/v3). */
  readonly apiServer: k8s.apiextensions.CustomResource;
  /** tap-deny-imds and tap-log-denied (empty when denyLogging is false). */
  readonly policies: k8s.apiextensions.CustomResource[];
}

/** Pulumi's await annotation (pulumi-kubernetes >= 4.18: provider/pkg/metadata/overrides.go ReadyCondition). */
export const PULUMI_WAIT_FOR = "pulumi.com/waitFor";
/** APIServer readiness as the operator reports it. */
export const API_SERVER_READY = "jsonpath={.status.state}=Ready";

/**
 * Keys that must hold tap's value, whatever `args.values` says: policy-only mode beside the VPC CNI
 * (provider, CNI, IPAM, BGP) and the APIServer object, which tap creates itself so that it can be
 * awaited. The operator image is NOT overridden: each chart bundles the operator that deploys its
 * own Calico release and CRDs (chart v3.30.7 -> operator v1.38.13); the pin records that tag.
 */
export function calicoLockedValues(): Values {
  return {
    installation: {
      enabled: true,
      kubernetesProvider: "EKS",
      cni: { type: "AmazonVPC", ipam: { type: "AmazonVPC" } },
      calicoNetwork: { bgp: "Disabled" },
    },
    apiServer: { enabled: false },
  };
}

/**
 * Typha prefers on-demand nodes. Typha ignores controlPlaneNodeSelector (tigera/operator@v1.38.13:
 * pkg/render/typha.go sets only its own affinity, then the typhaDeployment override); a hard
 * selector would be wrong too: the operator runs up to 3 Typhas by TOTAL node count
 * (pkg/common/autoscale.go), one per node (host network), and Pending Typhas would make
 * cluster-autoscaler buy on-demand nodes. The override REPLACES the operator's affinity
 * (pkg/render/common/components/components.go L297), so its zone spreading (typha.go L748-765:
 * weight 1, k8s-app In [calico-typha], topology.kubernetes.io/zone) is restated here.
 */
export function typhaAffinity(preferred: Readonly<Record<string, string>>): Values {
  return {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: Object.entries(preferred).map(
        ([key, value]) => ({
          weight: 100,
          preference: { matchExpressions: [{ key, operator: "In", values: [value] }] },
        }),
      ),
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 1,
          podAffinityTerm: {
            labelSelector: {
              matchExpressions: [{ key: "k8s-app", operator: "In", values: ["calico-typha"] }],
            },
            topologyKey: "topology.kubernetes.io/zone",
          },
        },
      ],
    },
  };
}
export const TYPHA_AFFINITY: Values = typhaAffinity(ON_DEMAND_SELECTOR);

/** 30 for "v3.30.7". */
const calicoMinor = (chartVersion: string): number => Number(chartVersion.split(".")[1]);

/** The add-on's default values (before args.values and the locked keys). */
export function calicoDefaultValues(
  args: CalicoArgs = {},
  nodeOperatingSystem: string = "Bottlerocket",
  chartVersion: string = "v3.28.5",
  // The system node class (tap:nodeClasses.system): kube-controllers, the operator and
  // (preferred) Typha run there. kube-controllers tolerates CriticalAddonsOnly and Typha every
  // taint by the operator's defaults (tigera/operator@v1.38.13: pkg/render/kubecontrollers/
  // kube-controllers.go L643 TolerateCriticalAddonsAndControlPlane, pkg/render/typha.go L409
  // TolerateAll unless controlPlaneTolerations is set, which tap leaves alone); the operator's
  // own pod tolerates every NoSchedule taint by the chart's default `tolerations`
  // (projectcalico/calico@v3.28.5, v3.30.7, v3.31.7: charts/tigera-operator/values.yaml).
  placement?: CriticalAddonPlacement,
): Values {
  const selector = placement?.nodeSelector ?? ON_DEMAND_SELECTOR;
  const nodeMetricsPort = args.nodeMetricsPort ?? CALICO_DEFAULTS.nodeMetricsPort;
  return {
    // Charts from v3.30 turn on Goldmane (flow aggregation) and Whisker (its UI) by default
    // (projectcalico/calico@v3.30.7:charts/tigera-operator/values.yaml); policy-only tap runs
    // neither: no extra Deployments nobody was told about. Earlier charts have no such keys.
    ...(calicoMinor(chartVersion) >= 30
      ? { goldmane: { enabled: false }, whisker: { enabled: false } }
      : {}),
    installation: {
      // Installation.spec.nodeMetricsPort turns Felix metrics on (and overrides the Felix port).
      nodeMetricsPort,
      typhaMetricsPort: args.typhaMetricsPort ?? CALICO_DEFAULTS.typhaMetricsPort,
      // kube-controllers (and the operator's other Deployments that honour it) run on on-demand
      // nodes; calico-node is a DaemonSet and runs everywhere; Typha is placed below.
      controlPlaneNodeSelector: { ...selector },
      controlPlaneReplicas: args.controlPlaneReplicas ?? CALICO_DEFAULTS.controlPlaneReplicas,
      typhaDeployment: { spec: { template: { spec: { affinity: typhaAffinity(selector) } } } },
      // Bottlerocket's /usr is read-only: no FlexVolume driver directory (Calico's Bottlerocket
      // guidance; "None" disables the FlexVolume driver: operator api/v1/installation_types.go).
      ...(nodeOperatingSystem === "Bottlerocket" ? { flexVolumePath: "None" } : {}),
    },
    // FelixConfiguration/default (chart >= v3.28.0; every pin is v3.28.5 or newer): the same port as
    // nodeMetricsPort, and the Log-action prefix the deny logging relies on, written down rather
    // than left to Felix's default.
    defaultFelixConfiguration: {
      enabled: true,
      prometheusMetricsEnabled: true,
      prometheusMetricsPort: nodeMetricsPort,
      logPrefix: CALICO_LOG_PREFIX,
    },
    // The operator pod itself (one replica, hard-coded by the chart): on-demand Linux nodes.
    nodeSelector: { "kubernetes.io/os": "linux", ...selector },
  };
}

/** Dotted paths of every leaf in `v` (arrays are leaves). */
function leafPaths(v: Values, prefix = ""): [string, unknown][] {
  return Object.entries(v).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? leafPaths(value as Values, path)
      : [[path, value] as [string, unknown]];
  });
}

function valueAt(v: Values, path: string): unknown {
  let cur: unknown = v;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Values)[key];
  }
  return cur;
}

/** Throws one Error naming every locked key that `user` sets to another value. */
export function assertNoLockedOverride(user: Values, locked: Values): void {
  const problems = leafPaths(locked)
    .map(([path, want]) => ({ path, want, got: valueAt(user, path) }))
    .filter(({ got, want }) => got !== undefined && got !== want)
    .map(
      ({ path, want, got }) =>
        `values.${path} is locked to ${JSON.stringify(want)} (got ${JSON.stringify(got)})`,
    );
  if (problems.length > 0) throw new Error(`calico: ${problems.join("; ")}`);
}

export function deployCalico(ctx: AddonContext, args: CalicoArgs = {}): CalicoResult {
  const locked = calicoLockedValues();
  const user = args.values ?? {};
  assertNoLockedOverride(user, locked);

  const result = deployHelmAddon(ctx, {
    name: CALICO_DEFAULTS.releaseName,
    pin: ctx.pins.calico,
    namespace: CALICO_DEFAULTS.namespace,
    // privileged: the operator pod runs with hostNetwork and a hostPath volume (/var/lib/calico),
    // both forbidden by baseline and restricted; Calico's own manifest labels this namespace
    // `pod-security.kubernetes.io/enforce: privileged`. Only the operator runs here.
    createNamespace: { podSecurity: "privileged" },
    // The chart creates its own ServiceAccount; no policy, so no IRSA role.
    serviceAccount: { name: CALICO_DEFAULTS.serviceAccountName },
    values: deepMerge(
      calicoDefaultValues(
        args,
        ctx.config.nodeOperatingSystem,
        ctx.pins.calico.version,
        criticalAddonPlacement(ctx.config.nodeClasses),
      ),
      user,
    ),
    // Helm waits for the operator Deployment only, not for what the operator rolls out afterwards
    // (calico-node, typha, the API server): the default timeout is enough.
    lockedValues: () => locked,
  });

  // The chart's APIServer is off (locked): this one is awaited until the operator reports Ready.
  const apiServer = new k8s.apiextensions.CustomResource(
    ctx.name("calico-apiserver"),
    {
      apiVersion: "operator.tigera.io/v1",
      kind: "APIServer",
      metadata: {
        name: "default",
        labels: ownershipLabels(ctx.config.environmentSuffix),
        annotations: { [PULUMI_WAIT_FOR]: API_SERVER_READY },
      },
      spec: {},
    },
    {
      ...inCluster(ctx, [result.release]),
      customTimeouts: { create: "10m", update: "10m", delete: "5m" },
    },
  );
  annotatePodIpRbac(ctx);

  const policies =
    (args.denyLogging ?? CALICO_DEFAULTS.denyLogging)
      ? createDenyLoggingPolicies(ctx, apiServer)
      : [];
  return { ...result, apiServer, policies };
}

/**
 * The RBAC `ANNOTATE_POD_IP=true` on aws-node needs (Calico EKS guide: "add patch permission for
 * pods to the aws-node ClusterRole"). The upstream vpc-cni chart adds it itself when the variable is
 * set (aws/amazon-vpc-cni-k8s@v1.23.0:charts/aws-vpc-cni/templates/clusterrole.yaml L17-21); this
 * grants it explicitly, so it holds whatever the EKS-managed add-on renders.
 */
export function annotatePodIpRbac(ctx: AddonContext): void {
  const name = "tap-aws-node-annotate-pod-ip";
  const labels = ownershipLabels(ctx.config.environmentSuffix);
  const role = new k8s.rbac.v1.ClusterRole(
    ctx.name("aws-node-annotate-pod-ip"),
    {
      metadata: { name, labels },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["patch"] }],
    },
    inCluster(ctx),
  );
  new k8s.rbac.v1.ClusterRoleBinding(
    ctx.name("aws-node-annotate-pod-ip-binding"),
    {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: "aws-node", namespace: "kube-system" }],
    },
    inCluster(ctx, [role]),
  );
}
