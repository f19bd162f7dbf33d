/**
 * The capabilities tap can switch, as data: each one's config key, default, what it needs and what it
 * conflicts with, and what it adds to the stack outputs. The config contract reads this file to
 * validate `tap:addons` (it knows the names and the shape of their settings, not how they are
 * built); lib/addons/index.ts holds how each one is deployed, in the order computed here.
 * Adding a capability: one entry here, one folder lib/addons/<name>/, one line in the registry.
 */
import { closestKey, show } from "./config-parse";
import {
  DEFAULT_REGISTRY_SETTINGS,
  REGISTRY_SETTING_DOCS,
  RegistrySettings,
  parseRegistrySettings,
} from "./addons/registry/settings";
import {
  DATABASE_SETTING_DOCS,
  DEFAULT_DATABASE_SETTINGS,
  DatabaseSettings,
  parseDatabaseSettings,
} from "./addons/database/settings";
import {
  DEFAULT_EDGE_SETTINGS,
  EDGE_SETTING_DOCS,
  EdgeSettings,
  parseEdgeSettings,
} from "./addons/edge/settings";
import {
  COST_ALERTS_SETTING_DOCS,
  CostAlertsSettings,
  DEFAULT_COST_ALERTS_SETTINGS,
  parseCostAlertsSettings,
} from "./addons/cost-alerts/settings";
import {
  DEFAULT_KYVERNO_SETTINGS,
  KYVERNO_SETTING_DOCS,
  KyvernoSettings,
  parseKyvernoSettings,
} from "./addons/kyverno/settings";
import {
  ARGO_ROLLOUTS_SETTING_DOCS,
  ArgoRolloutsSettings,
  DEFAULT_ARGO_ROLLOUTS_SETTINGS,
  parseArgoRolloutsSettings,
} from "./addons/argo-rollouts/settings";
import {
  ARGOCD_SETTING_DOCS,
  ArgoCdSettings,
  DEFAULT_ARGOCD_SETTINGS,
  parseArgoCdSettings,
} from "./addons/argocd/settings";
import {
  DEFAULT_FALCO_SETTINGS,
  FALCO_SETTING_DOCS,
  FalcoSettings,
  parseFalcoSettings,
} from "./addons/falco/settings";
import {
  DEFAULT_TRACING_SETTINGS,
  TRACING_SETTING_DOCS,
  TracingSettings,
  parseTracingSettings,
} from "./addons/tracing/settings";
import {
  DEFAULT_THREAT_DETECTION_SETTINGS,
  THREAT_DETECTION_SETTING_DOCS,
  ThreatDetectionSettings,
  parseThreatDetectionSettings,
} from "./addons/threat-detection/settings";
import {
  DEFAULT_PROMETHEUS_SETTINGS,
  PROMETHEUS_SETTING_DOCS,
  PrometheusSettings,
  parsePrometheusSettings,
} from "./addons/prometheus/settings";

export const CAPABILITY_NAMES = [
  "calico",
  "fluentBit",
  "clusterAutoscaler",
  "metricsServer",
  "keda",
  "appMesh",
  "karpenter",
  "ebsCsi",
  "loadBalancerController",
  "externalDns",
  "secretsStore",
  "istio",
  "containerInsights",
  "registry",
  "database",
  "edge",
  "costAlerts",
  "threatDetection",
  "kyverno",
  "falco",
  "argocd",
  "argoRollouts",
  "tracing",
  "prometheus",
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export interface Capability {
  readonly name: CapabilityName;
  /** Its switch: `tap:addons.<name>`, except App Mesh's, the specification's `tap:enableAppMesh`. */
  readonly configKey: string;
  /** One line for the plan and the README. */
  readonly summary: string;
  /** On in the specification's stack. */
  readonly defaultOn: boolean;
  /** Capabilities that must be on with it. */
  readonly needs: readonly CapabilityName[];
  /** Capabilities that must be off with it. */
  readonly conflicts: readonly CapabilityName[];
  /** What it adds to the stack outputs (output name, or `irsaRoleArns.<key>`); absent when off. */
  readonly outputs: readonly string[];
  /** Where it is built. */
  readonly folder: string;
  /** Settings it takes besides `enabled` (name -> what it means and its default), if any. */
  readonly settings?: Readonly<Record<string, string>>;
}

const addonKey = (name: CapabilityName) => `tap:addons.${name}`;

export const CAPABILITIES: Readonly<Record<CapabilityName, Capability>> = {
  calico: {
    name: "calico",
    configKey: addonKey("calico"),
    summary:
      "Calico (Tigera operator) enforcing NetworkPolicy beside the VPC CNI, GlobalNetworkPolicies that log and deny IMDS",
    defaultOn: true,
    needs: [],
    conflicts: [],
    outputs: [],
    folder: "lib/addons/calico/",
  },
  fluentBit: {
    name: "fluentBit",
    configKey: addonKey("fluentBit"),
    summary: "Fluent Bit shipping container logs to a KMS-encrypted CloudWatch log group",
    defaultOn: true,
    needs: [],
    conflicts: [],
    outputs: ["applicationLogGroupName", "irsaRoleArns.fluentBit"],
    folder: "lib/addons/fluent-bit/",
  },
  clusterAutoscaler: {
    name: "clusterAutoscaler",
    configKey: addonKey("clusterAutoscaler"),
    summary:
      "cluster-autoscaler resizing both node groups, spot first, write actions only on this cluster's groups",
    defaultOn: true,
    needs: [],
    conflicts: ["karpenter"],
    outputs: ["irsaRoleArns.clusterAutoscaler"],
    folder: "lib/addons/cluster-autoscaler/",
  },
  metricsServer: {
    name: "metricsServer",
    configKey: addonKey("metricsServer"),
    summary:
      "metrics-server: the resource metrics API (CPU/memory) HPAs and KEDA's cpu triggers read",
    defaultOn: true,
    needs: [],
    conflicts: [],
    outputs: [],
    folder: "lib/addons/metrics-server/",
  },
  keda: {
    name: "keda",
    configKey: addonKey("keda"),
    summary:
      "KEDA scaling the catalog's services on CPU and CloudWatch metrics (GetMetricData only), with a probe that proves it",
    defaultOn: true,
    // Every ScaledObject tap writes has a cpu trigger: KEDA reads it from the resource metrics API.
    needs: ["metricsServer"],
    conflicts: [],
    outputs: ["irsaRoleArns.keda"],
    folder: "lib/addons/keda/",
  },
  appMesh: {
    name: "appMesh",
    configKey: "tap:enableAppMesh",
    summary:
      "AWS App Mesh controller and the catalog's mesh (discontinued by AWS on 2026-09-30: the preflight refuses it)",
    defaultOn: true,
    needs: [],
    conflicts: [],
    outputs: ["appMeshName", "irsaRoleArns.appMeshController"],
    folder: "lib/addons/app-mesh-controller/",
  },
  karpenter: {
    name: "karpenter",
    configKey: addonKey("karpenter"),
    summary:
      "Karpenter instead of cluster-autoscaler: amd64 and arm64 (Graviton) NodePools split 70/30 spot/on-demand, Bottlerocket pinned, interruption queue; a small on-demand system group hosts the controllers",
    defaultOn: false,
    needs: [],
    conflicts: ["clusterAutoscaler"],
    outputs: ["irsaRoleArns.karpenter", "karpenterNodeRoleName", "karpenterInterruptionQueueName"],
    folder: "lib/addons/karpenter/",
    settings: {
      architectures:
        'the NodePool architectures, a non-empty subset of ["amd64", "arm64"] (default both)',
      systemNodes:
        "on-demand nodes of the managed system group Karpenter does not manage, 2-10 (default 2; max one more)",
    },
  },
  ebsCsi: {
    name: "ebsCsi",
    configKey: addonKey("ebsCsi"),
    summary:
      "EBS CSI driver (EKS managed add-on, own IRSA role) and the default StorageClass gp3: encrypted with tap's key, WaitForFirstConsumer, expandable",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["irsaRoleArns.ebsCsi", "storageClassName"],
    folder: "lib/addons/ebs-csi/",
  },
  loadBalancerController: {
    name: "loadBalancerController",
    configKey: addonKey("loadBalancerController"),
    summary:
      "AWS Load Balancer Controller: an internet-facing ALB (HTTPS with certificateArn) for each public catalog service, IAM scoped to this cluster's tagged load balancers",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["irsaRoleArns.loadBalancerController", "publicServices (URLs)"],
    folder: "lib/addons/load-balancer-controller/",
    settings: {
      certificateArn:
        "an ACM certificate ARN for the ALBs' HTTPS listener (HTTP is redirected to it); absent: HTTP only, warned",
    },
  },
  externalDns: {
    name: "externalDns",
    configKey: addonKey("externalDns"),
    summary:
      "ExternalDNS: an alias record <service>.<zone> for each public service's ALB in one Route 53 zone, upsert-only, changes limited by IAM to those names",
    defaultOn: false,
    // Its only source is the public services' ALB Ingresses: no load balancer, nothing to publish.
    needs: ["loadBalancerController"],
    conflicts: [],
    outputs: ["irsaRoleArns.externalDns", "publicServices (https://<service>.<zone>)"],
    folder: "lib/addons/external-dns/",
    settings: {
      hostedZoneId:
        "the Route 53 hosted zone (ID, e.g. Z0123456789ABCDEFGHIJ) the records go to; required",
      policy:
        '"upsert-only" (default: never deletes a record) or "sync" (deletes the records of services that are gone)',
    },
  },
  secretsStore: {
    name: "secretsStore",
    configKey: addonKey("secretsStore"),
    summary:
      "Secrets Store CSI driver with the AWS provider (ASCP): a service's declared Secrets Manager secrets mounted as files, read with its own IRSA role",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: [],
    folder: "lib/addons/secrets-store/",
  },
  istio: {
    name: "istio",
    configKey: addonKey("istio"),
    summary:
      "Istio in ambient mode, the mesh App Mesh's discontinuation calls for: mTLS STRICT between services, each one admitting exactly its declared callers' identities; no sidecars, namespaces stay PSS restricted",
    defaultOn: false,
    needs: [],
    // One mesh: the catalog's calls are App Mesh's virtual nodes or Istio's policies, not both.
    conflicts: ["appMesh"],
    outputs: [],
    folder: "lib/addons/istio/",
  },
  containerInsights: {
    name: "containerInsights",
    configKey: addonKey("containerInsights"),
    summary:
      "Container Insights (the CloudWatch Observability EKS add-on, own IRSA role, container logs left to Fluent Bit) and alarms on nodes not ready, pods pending, CPU/memory saturation and Fluent Bit restarts to a KMS-encrypted SNS topic",
    defaultOn: false,
    needs: [],
    conflicts: ["prometheus"],
    outputs: ["irsaRoleArns.containerInsights", "alarmTopicArn", "metricsDashboardUrl"],
    folder: "lib/addons/container-insights/",
  },
  registry: {
    name: "registry",
    configKey: addonKey("registry"),
    summary:
      "ECR: one repository per catalog service (scan on push, immutable tags, KMS, keeps the last N images), pulled only by tap's nodes and the service's own role; a GitHub OIDC push role for tap's repositories only",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["registryRepositories", "registryPushRoleArn"],
    folder: "lib/addons/registry/",
    settings: REGISTRY_SETTING_DOCS,
  },
  database: {
    name: "database",
    configKey: addonKey("database"),
    summary:
      "Aurora PostgreSQL Serverless v2 (writer and reader in two AZs) in isolated data subnets, its own KMS key, RDS-managed master secret, IAM auth, backups with point-in-time recovery, TLS only; reachable from exactly the catalog services that declare it",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["databaseEndpoint", "databaseReaderEndpoint", "databaseSecretArn"],
    folder: "lib/addons/database/",
    settings: DATABASE_SETTING_DOCS,
  },
  edge: {
    name: "edge",
    configKey: addonKey("edge"),
    summary:
      "The front door: the frontend in a private S3 bucket behind CloudFront (origin access control, HTTPS, security headers, compression), AWS WAF (common and known-bad-inputs rule groups, a rate limit) on CloudFront and, with the load balancer controller, on the API's ALBs; WAF logs to CloudWatch",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["frontendUrl", "frontendBucketName", "frontendUploadCommand"],
    folder: "lib/addons/edge/",
    settings: EDGE_SETTING_DOCS,
  },
  costAlerts: {
    name: "costAlerts",
    configKey: addonKey("costAlerts"),
    summary:
      "Alerts before the bill: an AWS Budget on the stack's Environment tag (80 % and 100 % actual, 100 % forecast) and a Cost Anomaly Detection monitor, both to a KMS-encrypted SNS topic only they may publish to",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["costAlertsTopicArn"],
    folder: "lib/addons/cost-alerts/",
    settings: COST_ALERTS_SETTING_DOCS,
  },
  threatDetection: {
    name: "threatDetection",
    configKey: addonKey("threatDetection"),
    summary:
      "GuardDuty (EKS audit logs; runtime monitoring with the agent add-on and its endpoint tap installs) and Security Hub (AWS Foundational Security Best Practices, CIS), GuardDuty findings above severity 4 and Security Hub's CRITICAL/HIGH ones to a KMS-encrypted SNS topic only their rules may publish to; adopts a detector or hub the account already has and never disables it",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["securityAlertsTopicArn"],
    folder: "lib/addons/threat-detection/",
    settings: THREAT_DETECTION_SETTING_DOCS,
  },
  kyverno: {
    name: "kyverno",
    configKey: addonKey("kyverno"),
    summary:
      "Kyverno admission policy (ValidatingPolicies, CEL): PSS restricted, no :latest or untagged images, requests and limits, the labels tap's NetworkPolicies select on; Enforce in workload namespaces, Audit elsewhere, system namespaces untouched; cosign signatures verified with cosignPublicKey; 3 admission replicas on on-demand nodes (Kubernetes 1.31+)",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["kyvernoPolicyReportCommand"],
    folder: "lib/addons/kyverno/",
    settings: KYVERNO_SETTING_DOCS,
  },
  falco: {
    name: "falco",
    configKey: addonKey("falco"),
    summary:
      "Falco runtime detection on every node (modern eBPF, least privileged, every taint tolerated; its image's rules and tap's: a shell in a payments container, a write below /etc, a pod reaching IMDS); Falcosidekick forwards every event to a KMS-encrypted log group and those of alertPriority or worse to the security alerts topic, with an IRSA role for exactly those",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["securityAlertsTopicArn", "falcoLogGroupName", "irsaRoleArns.falco"],
    folder: "lib/addons/falco/",
    settings: FALCO_SETTING_DOCS,
  },
  argocd: {
    name: "argocd",
    configKey: addonKey("argocd"),
    summary:
      "Argo CD (GitOps): Redis HA, API and repo servers autoscaled 2-5, on on-demand nodes; an app-of-apps root Application on repoUrl/path/revision and an ApplicationSet making one Application per folder of environmentsPath, in projects that may deploy only from that repository, never to the system namespaces; read-only RBAC with an admin group; OIDC SSO when configured",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["argocdPortForwardCommand", "argocdAdminPasswordCommand", "argocdUrl"],
    folder: "lib/addons/argocd/",
    settings: ARGOCD_SETTING_DOCS,
  },
  argoRollouts: {
    name: "argoRollouts",
    configKey: addonKey("argoRollouts"),
    summary:
      "Argo Rollouts: two controllers on on-demand nodes, an IRSA role that may only read CloudWatch metrics; canaryService released as a canary (20 % -> 50 % -> 100 %) that aborts when its CloudWatch metric runs above twice its target, its autoscaling moved to the Rollout",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["irsaRoleArns.argoRollouts"],
    folder: "lib/addons/argo-rollouts/",
    settings: ARGO_ROLLOUTS_SETTING_DOCS,
  },
  tracing: {
    name: "tracing",
    configKey: addonKey("tracing"),
    summary:
      "Traces to AWS X-Ray: an OpenTelemetry Collector (two on on-demand nodes, OTLP in, X-Ray out, an IRSA role that may only put trace segments); every catalog service gets the OTLP endpoint, its name and a samplingRatio sampler in its environment and a NetworkPolicy to the collector, with or without App Mesh",
    defaultOn: false,
    needs: [],
    conflicts: [],
    outputs: ["tracesEndpoint", "irsaRoleArns.tracing"],
    folder: "lib/addons/tracing/",
    settings: TRACING_SETTING_DOCS,
  },
  prometheus: {
    name: "prometheus",
    configKey: addonKey("prometheus"),
    summary:
      "Amazon Managed Service for Prometheus instead of Container Insights: a KMS-encrypted workspace, kube-state-metrics and a collector that scrapes it, the kubelets' cAdvisor and Fluent Bit and remote-writes with an IRSA role that may write to that workspace only; the platform alerts as workspace rules to a KMS-encrypted SNS topic; Amazon Managed Grafana with `grafana`",
    defaultOn: false,
    needs: [],
    // One metrics path: the same alarms from two agents would page twice.
    conflicts: ["containerInsights"],
    outputs: [
      "irsaRoleArns.prometheus",
      "alarmTopicArn",
      "prometheusWorkspaceId",
      "prometheusEndpoint",
      "grafanaUrl",
    ],
    folder: "lib/addons/prometheus/",
    settings: PROMETHEUS_SETTING_DOCS,
  },
};

export const KARPENTER_ARCHITECTURES = ["amd64", "arm64"] as const;
export type KarpenterArchitecture = (typeof KARPENTER_ARCHITECTURES)[number];

export interface KarpenterSettings {
  /** One spot and one on-demand NodePool per architecture. */
  readonly architectures: readonly KarpenterArchitecture[];
  /** Size of the on-demand system managed node group (min = desired; max one more). */
  readonly systemNodes: number;
}

/** Each capability's settings, resolved (defaults applied; read only when it is on). */
export interface CapabilitySettings {
  readonly karpenter: KarpenterSettings;
  readonly loadBalancerController: LoadBalancerControllerSettings;
  readonly externalDns: ExternalDnsSettings;
  readonly registry: RegistrySettings;
  readonly database: DatabaseSettings;
  readonly edge: EdgeSettings;
  readonly costAlerts: CostAlertsSettings;
  readonly threatDetection: ThreatDetectionSettings;
  readonly kyverno: KyvernoSettings;
  readonly falco: FalcoSettings;
  readonly argocd: ArgoCdSettings;
  readonly argoRollouts: ArgoRolloutsSettings;
  readonly tracing: TracingSettings;
  readonly prometheus: PrometheusSettings;
}

export const EXTERNAL_DNS_POLICIES = ["upsert-only", "sync"] as const;
export type ExternalDnsPolicy = (typeof EXTERNAL_DNS_POLICIES)[number];

export interface ExternalDnsSettings {
  /** The Route 53 hosted zone ID (without /hostedzone/); required when the capability is on. */
  readonly hostedZoneId?: string;
  readonly policy: ExternalDnsPolicy;
}

export interface LoadBalancerControllerSettings {
  /** ACM certificate for the HTTPS listeners. */
  readonly certificateArn?: string;
}

export const DEFAULT_CAPABILITY_SETTINGS: CapabilitySettings = {
  karpenter: { architectures: ["amd64", "arm64"], systemNodes: 2 },
  loadBalancerController: {},
  externalDns: { policy: "upsert-only" },
  registry: DEFAULT_REGISTRY_SETTINGS,
  database: DEFAULT_DATABASE_SETTINGS,
  edge: DEFAULT_EDGE_SETTINGS,
  costAlerts: DEFAULT_COST_ALERTS_SETTINGS,
  threatDetection: DEFAULT_THREAT_DETECTION_SETTINGS,
  kyverno: DEFAULT_KYVERNO_SETTINGS,
  falco: DEFAULT_FALCO_SETTINGS,
  argocd: DEFAULT_ARGOCD_SETTINGS,
  argoRollouts: DEFAULT_ARGO_ROLLOUTS_SETTINGS,
  tracing: DEFAULT_TRACING_SETTINGS,
  prometheus: DEFAULT_PROMETHEUS_SETTINGS,
};

/** A Route 53 hosted zone ID (the API's own form: up to 32 uppercase letters and digits). */
const HOSTED_ZONE_ID_RE = /^Z[A-Z0-9]{1,31}$/;

const ACM_ARN_RE = /^arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/;

/** Which capabilities are on: every name, resolved (defaults applied). */
export type EnabledCapabilities = Readonly<Record<CapabilityName, boolean>>;

/** Every capability at its default: the specification's stack. */
export const DEFAULT_CAPABILITIES: EnabledCapabilities = Object.fromEntries(
  CAPABILITY_NAMES.map((n) => [n, CAPABILITIES[n].defaultOn]),
) as Record<CapabilityName, boolean>;

/** The keys a settings object of `name` may hold: `enabled` and the capability's own. */
const settingsKeys = (name: CapabilityName): string[] => [
  "enabled",
  ...Object.keys(CAPABILITIES[name].settings ?? {}),
];

export interface ParsedCapabilities {
  readonly enabled: EnabledCapabilities;
  readonly settings: CapabilitySettings;
}

/**
 * `tap:addons` (a map: capability -> true/false or `{ enabled, ...settings }`) and
 * `tap:enableAppMesh`, resolved into one switch per capability and each one's settings; every
 * problem goes to `fail(key, reason)`, named by its key.
 */
export function parseCapabilities(
  raw: unknown,
  appMesh: boolean,
  fail: (key: string, reason: string) => void,
): ParsedCapabilities {
  const enabled: Record<CapabilityName, boolean> = { ...DEFAULT_CAPABILITIES, appMesh };
  let settings: CapabilitySettings = DEFAULT_CAPABILITY_SETTINGS;
  const done = () => ({ enabled: checkRelations(enabled, fail), settings });
  if (raw === undefined || raw === null) return done();
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail(
      "addons",
      `tap:addons must be a map of capability -> true/false or { enabled: true/false } (got ${show(raw)})`,
    );
    return { enabled, settings };
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const path = `addons.${key}`;
    if (key === "appMesh") {
      fail(
        path,
        "tap:addons.appMesh is not a switch: App Mesh's is the specification's tap:enableAppMesh (pulumi config set tap:enableAppMesh false)",
      );
      continue;
    }
    if (!(CAPABILITY_NAMES as readonly string[]).includes(key)) {
      const hint = closestKey(key, CAPABILITY_NAMES);
      fail(
        path,
        `tap:addons.${key} is not a capability${hint ? ` (did you mean ${hint}?)` : ""}; ` +
          `known: ${CAPABILITY_NAMES.filter((n) => n !== "appMesh").join(", ")}`,
      );
      continue;
    }
    const name = key as CapabilityName;
    const allowed = settingsKeys(name);
    const isMap = value !== null && typeof value === "object" && !Array.isArray(value);
    const bad = isMap ? Object.keys(value).filter((k) => !allowed.includes(k)) : [];
    if (bad.length > 0) {
      fail(
        path,
        `tap:addons.${key} has unknown settings ${bad.join(", ")}; allowed: ${allowed.join(", ")}`,
      );
      continue;
    }
    const on = switchValue(isMap ? ((value as { enabled?: unknown }).enabled ?? true) : value);
    if (on === undefined) {
      fail(
        isMap ? `${path}.enabled` : path,
        `tap:addons.${key}${isMap ? ".enabled" : ""} must be true, false or { enabled: true/false } (got ${show(isMap ? (value as { enabled?: unknown }).enabled : value)})`,
      );
      continue;
    }
    enabled[name] = on;
    if (name === "karpenter" && isMap) {
      settings = {
        ...settings,
        karpenter: parseKarpenterSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "loadBalancerController" && isMap) {
      const cert = (value as { certificateArn?: unknown }).certificateArn;
      if (cert !== undefined) {
        if (typeof cert === "string" && ACM_ARN_RE.test(cert)) {
          settings = { ...settings, loadBalancerController: { certificateArn: cert } };
        } else {
          fail(
            "addons.loadBalancerController.certificateArn",
            `tap:addons.loadBalancerController.certificateArn must be an ACM certificate ARN like arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-... (got ${show(cert)})`,
          );
        }
      }
    }
    if (name === "registry" && isMap) {
      settings = {
        ...settings,
        registry: parseRegistrySettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "database" && isMap) {
      settings = {
        ...settings,
        database: parseDatabaseSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "costAlerts") {
      settings = {
        ...settings,
        costAlerts: parseCostAlertsSettings(
          isMap ? (value as Record<string, unknown>) : {},
          on,
          fail,
        ),
      };
    }
    if (name === "kyverno" && isMap) {
      settings = {
        ...settings,
        kyverno: parseKyvernoSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "argoRollouts" && isMap) {
      settings = {
        ...settings,
        argoRollouts: parseArgoRolloutsSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "tracing" && isMap) {
      settings = {
        ...settings,
        tracing: parseTracingSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "prometheus" && isMap) {
      settings = {
        ...settings,
        prometheus: parsePrometheusSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "argocd") {
      settings = {
        ...settings,
        argocd: parseArgoCdSettings(isMap ? (value as Record<string, unknown>) : {}, on, fail),
      };
    }
    if (name === "falco" && isMap) {
      settings = { ...settings, falco: parseFalcoSettings(value as Record<string, unknown>, fail) };
    }
    if (name === "threatDetection" && isMap) {
      settings = {
        ...settings,
        threatDetection: parseThreatDetectionSettings(value as Record<string, unknown>, fail),
      };
    }
    if (name === "edge" && isMap) {
      settings = { ...settings, edge: parseEdgeSettings(value as Record<string, unknown>, fail) };
    }
    if (name === "externalDns") {
      settings = {
        ...settings,
        externalDns: parseExternalDnsSettings(
          isMap ? (value as Record<string, unknown>) : {},
          on,
          fail,
        ),
      };
    }
  }
  return done();
}

function parseExternalDnsSettings(
  value: Record<string, unknown>,
  on: boolean,
  fail: (key: string, reason: string) => void,
): ExternalDnsSettings {
  const d = DEFAULT_CAPABILITY_SETTINGS.externalDns;
  let hostedZoneId: string | undefined;
  const zone = value.hostedZoneId;
  const zoneId = typeof zone === "string" ? zone.replace(/^\/?hostedzone\//, "") : zone;
  if (typeof zoneId === "string" && HOSTED_ZONE_ID_RE.test(zoneId)) hostedZoneId = zoneId;
  else if (zone !== undefined || on)
    fail(
      "addons.externalDns.hostedZoneId",
      `tap:addons.externalDns.hostedZoneId must be a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ ` +
        `(aws route53 list-hosted-zones-by-name --dns-name example.com) (got ${show(zone)})`,
    );
  let policy: ExternalDnsPolicy = d.policy;
  if (value.policy !== undefined) {
    if ((EXTERNAL_DNS_POLICIES as readonly unknown[]).includes(value.policy))
      policy = value.policy as ExternalDnsPolicy;
    else
      fail(
        "addons.externalDns.policy",
        `tap:addons.externalDns.policy must be one of ${EXTERNAL_DNS_POLICIES.join(", ")} (got ${show(value.policy)})`,
      );
  }
  return { ...(hostedZoneId ? { hostedZoneId } : {}), policy };
}

function switchValue(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

function parseKarpenterSettings(
  value: Record<string, unknown>,
  fail: (key: string, reason: string) => void,
): KarpenterSettings {
  const d = DEFAULT_CAPABILITY_SETTINGS.karpenter;
  let architectures = d.architectures;
  if (value.architectures !== undefined) {
    const a = value.architectures;
    const ok =
      Array.isArray(a) &&
      a.length > 0 &&
      a.every((x) => (KARPENTER_ARCHITECTURES as readonly unknown[]).includes(x)) &&
      new Set(a).size === a.length;
    if (ok) architectures = a as KarpenterArchitecture[];
    else
      fail(
        "addons.karpenter.architectures",
        `tap:addons.karpenter.architectures must be a non-empty list of distinct values from ${KARPENTER_ARCHITECTURES.join(", ")} (got ${show(a)})`,
      );
  }
  let systemNodes = d.systemNodes;
  if (value.systemNodes !== undefined) {
    const n = typeof value.systemNodes === "string" ? Number(value.systemNodes) : value.systemNodes;
    if (typeof n === "number" && Number.isInteger(n) && n >= 2 && n <= 10) systemNodes = n;
    else
      fail(
        "addons.karpenter.systemNodes",
        `tap:addons.karpenter.systemNodes must be an integer from 2 to 10: the controllers run two replicas on different nodes (got ${show(value.systemNodes)})`,
      );
  }
  return { architectures, systemNodes };
}

/** Needs and conflicts: each broken one is a problem naming both keys. */
function checkRelations(
  enabled: Record<CapabilityName, boolean>,
  fail: (key: string, reason: string) => void,
): EnabledCapabilities {
  const reported = new Set<string>();
  for (const name of CAPABILITY_NAMES) {
    if (!enabled[name]) continue;
    const c = CAPABILITIES[name];
    for (const need of c.needs.filter((n) => !enabled[n])) {
      fail(
        keyOf(need),
        `${c.configKey} is on and needs ${CAPABILITIES[need].configKey}, which is off: turn ${CAPABILITIES[need].configKey} on or ${c.configKey} off`,
      );
    }
    for (const other of c.conflicts.filter((n) => enabled[n])) {
      const pair = [name, other].sort().join("+");
      if (reported.has(pair)) continue;
      reported.add(pair);
      fail(
        keyOf(other),
        `${c.configKey} and ${CAPABILITIES[other].configKey} cannot both be on: turn one off`,
      );
    }
  }
  return enabled;
}

/** The key `fail` is given: the part after `tap:`. */
const keyOf = (name: CapabilityName) => CAPABILITIES[name].configKey.replace(/^tap:/, "");

/** The enabled capabilities, each after the ones it needs (declaration order otherwise). */
export function deploymentOrder(enabled: EnabledCapabilities): CapabilityName[] {
  const order: CapabilityName[] = [];
  const visit = (name: CapabilityName) => {
    if (order.includes(name) || !enabled[name]) return;
    for (const need of CAPABILITIES[name].needs) visit(need);
    order.push(name);
  };
  for (const name of CAPABILITY_NAMES) visit(name);
  return order;
}
