/**
 * The contract between the service catalog (lib/services/catalog.ts, workloads.ts) and the mesh
 * (lib/services/mesh.ts). Both sides derive everything from one `ServiceSpec` per microservice.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsScope, PolicyStatement } from "../iam/policy";

/** A CloudWatch metric a service scales on (KEDA aws-cloudwatch trigger). */
export interface CloudWatchScaling {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Target value per replica. */
  readonly targetValue: number;
  /** Statistic; default Average. */
  readonly statistic?: "Average" | "Sum" | "Maximum" | "Minimum" | "SampleCount";
}

/** An IAM statement a service's own IRSA role grants (catalog-declared permissions). */
export interface ServicePermission {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

export interface ResourceQuantities {
  readonly cpu: string;
  readonly memory: string;
}

/** One microservice, as declared in the catalog (`tap:services`). */
export interface ServiceSpec {
  /** DNS label; also the service's namespace. */
  readonly name: string;
  /** The tenant (tap:tenants) the service belongs to: it runs in that tenant's namespace. */
  readonly tenant?: string;
  /** Image pinned by tag or digest (never `latest`); "" when it runs its own repository's `imageTag`. */
  readonly image: string;
  /**
   * With tap:addons.registry and no `image`: the tag in the service's own ECR repository it runs
   * (`<repositoryUrl>:<imageTag>`, what the pipeline pushed).
   */
  readonly imageTag?: string;
  /** Port the container serves HTTP on (also the Service port). */
  readonly port: number;
  /** Path answering health checks (probes, mesh health check). */
  readonly healthPath: string;
  /** Whether this is the public edge (admits traffic from the load balancer path). */
  readonly public: boolean;
  /** Names of the services it calls: the call graph. */
  readonly calls: readonly string[];
  readonly replicas: { readonly min: number; readonly max: number };
  /** CPU utilization (% of requests) the autoscaler keeps. */
  readonly cpuTargetPercent: number;
  readonly cloudwatchMetric?: CloudWatchScaling;
  readonly resources: {
    readonly requests: ResourceQuantities;
    readonly limits: ResourceQuantities;
  };
  /**
   * AWS permissions for the service's own IRSA role; none (and no publishesMetrics) = no role.
   * Resource ARNs may use ${partition}, ${region} and ${account}: the stack's own.
   */
  readonly awsPermissions: readonly ServicePermission[];
  /**
   * CloudWatch metric namespaces the service publishes to (cloudwatch:PutMetricData accepts no
   * resource ARN: it is granted on `*` with a `cloudwatch:namespace` condition naming these).
   */
  readonly publishesMetrics: readonly string[];
  /**
   * Secrets Manager secrets the service reads (tap:addons.secretsStore): mounted as files under
   * SECRETS_MOUNT_PATH, read with the service's own IRSA role, which may read exactly these.
   */
  readonly secrets: readonly SecretRef[];
  /**
   * The tap database it uses (tap:addons.database, by its name): its pods may reach it on 5432,
   * its role may read the RDS-managed master secret, and it gets the connection settings as
   * environment variables (DATABASE_ENV).
   */
  readonly database?: string;
  /**
   * The node class its pods run on (lib/node-classes.ts): absent, the application's 70/30 groups;
   * "gpu", the GPU group (tap:nodeClasses.gpu), one GPU per pod.
   */
  readonly nodeClass?: "gpu";
}

/** A Secrets Manager secret a service reads. */
export interface SecretRef {
  /** The secret's complete ARN (with Secrets Manager's 6-character suffix); may use ${partition}, ${region}, ${account}. */
  readonly arn: string;
  /** The customer managed KMS key it is encrypted with, if not the AWS managed aws/secretsmanager. */
  readonly kmsKeyArn?: string;
  /** The file name under the mount path (default: the secret's name, "/" as "_"). */
  readonly file: string;
}

/** Where a service's secrets appear in its container, one file each. */
export const SECRETS_MOUNT_PATH = "/mnt/secrets";

/** Labels that select a service's pods (Deployment, Service, NetworkPolicy, mesh podSelector). */
export function serviceSelector(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "tap" };
}

/**
 * The namespace a service runs in: its tenant's (tap:tenants) when it names one, else its own, for
 * segmentation.
 */
export function serviceNamespace(service: Pick<ServiceSpec, "name" | "tenant">): string {
  return service.tenant ?? service.name;
}

/**
 * Whether the service's own SDK calls AWS APIs (HTTPS): its catalog permissions, the metrics it
 * publishes, its database's secret. Its NetworkPolicy opens 443 (allow-aws-apis), and App Mesh's
 * Envoy must let 443 by.
 */
export function callsAwsApis(
  service: Pick<ServiceSpec, "awsPermissions" | "publishesMetrics" | "database">,
): boolean {
  return (
    service.awsPermissions.length > 0 ||
    service.publishesMetrics.length > 0 ||
    service.database !== undefined
  );
}

/** The in-cluster DNS name of a service. */
export function serviceHost(service: Pick<ServiceSpec, "name" | "tenant">): string {
  return `${service.name}.${serviceNamespace(service)}.svc.cluster.local`;
}

/** What the mesh adds to every service when App Mesh is on; absent when it is off. */
export interface MeshBinding {
  readonly meshName: string;
  /** Labels for each service namespace (sidecar injection, mesh namespace selector). */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Pod annotations (e.g. which virtual node the injected Envoy is). */
  podAnnotations(service: string): Record<string, string>;
  /** PSS enforce level the injected proxy needs (its init container needs NET_ADMIN). */
  readonly podSecurity: "privileged" | "baseline" | "restricted";
  /** IAM statements the service's role needs for the data plane (Envoy xDS, X-Ray writes). */
  policyStatements(service: string, scope: AwsScope): PolicyStatement[];
  /** Egress the data plane needs beyond the call graph (App Mesh and X-Ray endpoints). */
  readonly extraEgress: readonly k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
  /** What the service workloads wait for (the controller's injector and the Mesh). */
  readonly dependsOn: readonly pulumi.Resource[];
}
