/**
 * The Deployment spec of a catalog service (pure, so tests read it without deploying): hardened,
 * resource-bounded, spread over zones and nodes, preferring spot capacity, draining cleanly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ownershipLabels } from "../naming";
import { SECRETS_STORE_DEFAULTS } from "../addons/secrets-store";
import { GPU_RESOURCE, NODE_CLASS_LABEL, nodeClassDefinition } from "../node-classes";
import { MeshBinding, SECRETS_MOUNT_PATH, ServiceSpec, serviceSelector } from "./types";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;

export const POD_DEFAULTS = {
  containerName: "app",
  /** nginx-unprivileged's UID/GID; catalog images must run as (or tolerate) this UID. */
  runAsUser: 101,
  runAsGroup: 101,
  /** Seconds the pod keeps serving after it is taken out of endpoints (spot notice: 2 minutes). */
  preStopSleepSeconds: 5,
  terminationGracePeriodSeconds: 30,
  tmpSizeLimit: "64Mi",
  /** Preference weight for spot nodes (1..100); preferred, never required. */
  spotPreferenceWeight: 100,
} as const;

/** EKS's node label for the capacity type of a managed node group. */
export const CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType";

/** The container's security context (restricted PSS). */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: POD_DEFAULTS.runAsUser,
    runAsGroup: POD_DEFAULTS.runAsGroup,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Labels of a service's objects and pods: its selector plus ownership. */
export function serviceLabels(name: string, environmentSuffix: string): Record<string, string> {
  return {
    ...serviceSelector(name),
    ...ownershipLabels(environmentSuffix),
  };
}

export interface PodOptions {
  readonly environmentSuffix: string;
  /** Whether the pod mounts its service-account token (IRSA role or mesh). */
  readonly automountServiceAccountToken: boolean;
  readonly mesh?: MeshBinding;
  /**
   * With Karpenter: the label whose values split its spot and on-demand NodePools 7:3 (or as
   * tap:spotPercentage says). Replicas spread over it instead of preferring spot nodes.
   */
  readonly capacitySpreadLabel?: string;
  /** The SecretProviderClass its secrets volume names (the service lists secrets). */
  readonly secretProviderClass?: string;
  /**
   * The service account has an IRSA role only so the CSI driver can read its secrets: the EKS pod
   * identity webhook is told not to inject the role's token and variables into the container
   * (amazon-eks-pod-identity-webhook pkg/handler/handler.go: `eks.amazonaws.com/skip-containers`).
   */
  readonly roleForSecretsOnly?: boolean;
  /** The image when the service runs its own repository's `imageTag` (tap:addons.registry). */
  readonly image?: pulumi.Input<string>;
  /** Environment variables of its container (the database's connection settings). */
  readonly env?: readonly { readonly name: string; readonly value: pulumi.Input<string> }[];
}

/** The pod annotation naming containers the EKS pod identity webhook leaves without credentials. */
export const SKIP_CONTAINERS_ANNOTATION = "eks.amazonaws.com/skip-containers";

/** One NVIDIA GPU for a service of the GPU class. */
const gpuRequest = (service: ServiceSpec): Record<string, string> =>
  service.nodeClass === "gpu" ? { [GPU_RESOURCE]: "1" } : {};

/** The Deployment spec; no `replicas` (the HPA that KEDA creates owns it). */
export function deploymentSpec(service: ServiceSpec, opts: PodOptions): DeploymentSpec {
  const d = POD_DEFAULTS;
  // Its labels and taint do not depend on the group's settings but its accelerator label: the
  // pods select the class label only.
  const gpuClass = {
    labels: { [NODE_CLASS_LABEL]: "gpu" },
    taints: nodeClassDefinition("gpu", {}).taints,
  };
  const selector = serviceSelector(service.name);
  const httpGet = { path: service.healthPath, port: "http" };
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
  });
  return {
    selector: { matchLabels: selector },
    // Surge, never fewer ready pods than the HPA asked for during a rollout.
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
    revisionHistoryLimit: 5,
    template: {
      metadata: {
        labels: serviceLabels(service.name, opts.environmentSuffix),
        ...(opts.mesh || opts.roleForSecretsOnly
          ? {
              annotations: {
                ...(opts.mesh ? opts.mesh.podAnnotations(service.name) : {}),
                ...(opts.roleForSecretsOnly
                  ? { [SKIP_CONTAINERS_ANNOTATION]: d.containerName }
                  : {}),
              },
            }
          : {}),
      },
      spec: {
        serviceAccountName: service.name,
        automountServiceAccountToken: opts.automountServiceAccountToken,
        // runAsNonRoot is set per container, and pod-wide only without the mesh: the mesh's
        // injected init container configures iptables as root and must not inherit it.
        securityContext: {
          ...(opts.mesh ? {} : { runAsNonRoot: true }),
          seccompProfile: { type: "RuntimeDefault" },
        },
        terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
        // The GPU class: on its nodes only (their label), past their taint.
        ...(service.nodeClass === "gpu"
          ? {
              nodeSelector: { ...gpuClass.labels },
              tolerations: gpuClass.taints.map((t) => ({
                key: t.key,
                operator: "Equal",
                value: t.value,
                effect: t.effect,
              })),
            }
          : {}),
        // Managed node groups: prefer the spot group. Karpenter: spread over its capacity domains,
        // which is what makes the 70/30 split hold for each service (node-pools.ts). A GPU
        // service's group is on-demand only.
        ...(opts.capacitySpreadLabel || service.nodeClass === "gpu"
          ? {}
          : {
              affinity: {
                nodeAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: d.spotPreferenceWeight,
                      preference: {
                        matchExpressions: [
                          { key: CAPACITY_TYPE_LABEL, operator: "In", values: ["SPOT"] },
                        ],
                      },
                    },
                  ],
                },
              },
            }),
        topologySpreadConstraints: [
          spread("topology.kubernetes.io/zone"),
          spread("kubernetes.io/hostname"),
          // Hard, as Karpenter's own ratio recipe has it: the scheduler then places a replica only
          // on a node of one of the capacity domains (never the untainted system group), and
          // Karpenter launches into the domain the skew asks for.
          ...(opts.capacitySpreadLabel
            ? [{ ...spread(opts.capacitySpreadLabel), whenUnsatisfiable: "DoNotSchedule" }]
            : []),
        ],
        containers: [
          {
            name: d.containerName,
            image: opts.image ?? service.image,
            // Every start asks the registry (its authorization too), never a node's cached copy
            // that another tenant's pull left behind (CKV_K8S_15).
            imagePullPolicy: "Always",
            ...(opts.env ? { env: opts.env.map((e) => ({ ...e })) } : {}),
            ports: [{ name: "http", containerPort: service.port, protocol: "TCP" }],
            // A GPU service's pod asks for one GPU (extended resources: requests equal limits).
            resources: {
              requests: { ...service.resources.requests, ...gpuRequest(service) },
              limits: { ...service.resources.limits, ...gpuRequest(service) },
            },
            readinessProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
            livenessProbe: {
              httpGet,
              initialDelaySeconds: 10,
              periodSeconds: 10,
              timeoutSeconds: 2,
              failureThreshold: 3,
            },
            // Keep serving while endpoints and load balancers drop the pod (spot interruption,
            // drain, rollout), then stop within the grace period.
            lifecycle: { preStop: { exec: { command: ["sleep", String(d.preStopSleepSeconds)] } } },
            securityContext: containerSecurityContext(),
            volumeMounts: [
              { name: "tmp", mountPath: "/tmp" },
              ...(opts.secretProviderClass
                ? [{ name: "secrets", mountPath: SECRETS_MOUNT_PATH, readOnly: true }]
                : []),
            ],
          },
        ],
        volumes: [
          { name: "tmp", emptyDir: { sizeLimit: d.tmpSizeLimit } },
          // The Secrets Store CSI driver: each declared secret a file, fetched by ASCP as the pod.
          ...(opts.secretProviderClass
            ? [
                {
                  name: "secrets",
                  csi: {
                    driver: SECRETS_STORE_DEFAULTS.csiDriver,
                    readOnly: true,
                    volumeAttributes: { secretProviderClass: opts.secretProviderClass },
                  },
                },
              ]
            : []),
        ],
      },
    },
  };
}
