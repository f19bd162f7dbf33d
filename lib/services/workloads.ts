/**
 * Deploys every catalog service: its namespace (PSS + default-deny + DNS baseline), service
 * account (+ IRSA role when it needs AWS), Deployment, Service, PodDisruptionBudget, call-graph
 * NetworkPolicies and KEDA ScaledObject. Mesh objects (virtual nodes/services) are mesh.ts's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KedaResult } from "../addons/keda";
import {
  ArgoRolloutsResult,
  ROLLOUTS_API_VERSION,
  analysisTemplateName,
  analysisTemplateSpec,
  canaryRolloutSpec,
} from "../addons/argo-rollouts";
import { LoadBalancerControllerResult } from "../addons/load-balancer-controller";
import { ExternalDnsResult, publicHost } from "../addons/external-dns";
import {
  AllowedAlbIngress,
  albIngressPolicy,
  albIngressPolicyBinding,
} from "../addons/load-balancer-controller/ingress-policy";
import { minorOf } from "../config";
import { CAPACITY_SPREAD_LABEL } from "../addons/karpenter/node-pools";
import { createWorkloadNamespace } from "../addons/network-policies";
import { AddonContext, inCluster } from "../addons/types";
import { IRSA_ANNOTATION, createIrsaRole } from "../iam/irsa";
import { scaledObjectSpec } from "./autoscaling";
import { servicePolicySpecs } from "./network";
import { deploymentSpec, serviceLabels } from "./pod";
import { callsAws, needsRole, servicePolicy, serviceRoleName } from "./service-iam";
import { SecretsStoreResult } from "../addons/secrets-store";
import { RegistryResult } from "../addons/registry";
import { DatabaseResult, databaseClientStatements } from "../addons/database";
import { databaseEnv } from "./database-env";
import { tracingEnv } from "./tracing-env";
import { TRACING_POD_LABELS, TracingResult } from "../addons/tracing";
import { ISTIO_DEFAULTS, IstioResult } from "../addons/istio";
import {
  ISTIO_SECURITY_API,
  authorizationPolicySpec,
  publicPeerAuthenticationSpec,
} from "./ambient";
import {
  secretProviderClassName,
  secretProviderClassSpec,
} from "../addons/secrets-store/secret-provider-class";
import { awsScope } from "../iam/irsa";
import { templateArn } from "./catalog-rules";
import {
  MeshBinding,
  SecretRef,
  ServiceSpec,
  serviceHost,
  serviceNamespace,
  serviceSelector,
} from "./types";

export interface ServicesDeps {
  /** KEDA: its release (CRDs) and the cluster trigger authentication the CloudWatch trigger uses. */
  /** Absent only with an empty catalog (the config refuses services without KEDA). */
  readonly keda?: KedaResult;
  /** App Mesh binding; absent when the mesh is off. */
  readonly mesh?: MeshBinding;
  /** What every namespace waits for (e.g. the Calico release, so policies are enforced). */
  readonly dependsOn?: pulumi.Resource[];
  /** The load balancer controller when on: a public service gets an internet-facing ALB Ingress. */
  readonly loadBalancer?: LoadBalancerControllerResult;
  /** ExternalDNS when on: a public service's Ingress answers `<service>.<zone>`, which it publishes. */
  readonly dns?: ExternalDnsResult;
  /** The Secrets Store CSI driver and ASCP when on: a service's declared secrets become files. */
  readonly secrets?: SecretsStoreResult;
  /** Istio's ambient mesh when on: namespaces enrolled, calls authorized by identity, mTLS. */
  readonly ambient?: IstioResult;
  /** The registry when on: each service's repository admits its pulls, `imageTag` runs from it. */
  readonly registry?: RegistryResult;
  /** The database when on: the services that declare it reach it and read its secret. */
  readonly database?: DatabaseResult;
  /** The API's regional web ACL (tap:addons.edge with the load balancer controller). */
  readonly webAclArn?: pulumi.Output<string>;
  /** The ALB Ingress admission policy and binding (load balancer controller on, >= 1.30). */
  readonly ingressGuard?: readonly pulumi.Resource[];
  /** ALB Ingresses of the platform's own (Argo CD's UI) the admission policy admits too. */
  readonly platformIngresses?: readonly pulumi.Output<AllowedAlbIngress>[];
  /** Where a public service's load balancer sends from: the public subnets' CIDRs. */
  readonly loadBalancerSources: readonly pulumi.Input<string>[];
  /** The tenants' namespaces (lib/tenants): a service naming a tenant runs in its namespace. */
  readonly tenantNamespaces?: ReadonlyMap<string, k8s.core.v1.Namespace>;
  /** Argo Rollouts when on: its canary service is released by a Rollout that scales instead. */
  readonly rollouts?: ArgoRolloutsResult;
  /** The OpenTelemetry Collector when on: every service exports its spans to it. */
  readonly tracing?: TracingResult;
}

export interface DeployedService {
  readonly namespace: string;
  /** The public service's ALB Ingress (load balancer controller on). */
  readonly ingress?: k8s.networking.v1.Ingress;
  /** The Namespace object (the mesh's namespaced objects wait for it). */
  readonly namespaceResource: k8s.core.v1.Namespace;
  /** In-cluster URL: `http://<name>.<namespace>.svc.cluster.local:<port>`. */
  readonly endpoint: string;
  readonly roleArn?: pulumi.Output<string>;
}

export interface ServicesResult {
  readonly services: Record<string, DeployedService>;
  /** The IRSA role ARN of each service that has one. */
  readonly roleArns: Record<string, pulumi.Output<string>>;
  /** The ALB Ingress admission policy and binding; the platform's Ingresses wait for them. */
  readonly ingressGuard: readonly pulumi.Resource[];
}

/** The PSS level of a service namespace: restricted, or what the mesh's injected proxy needs. */
export function namespacePodSecurity(
  mesh: MeshBinding | undefined,
): "restricted" | "baseline" | "privileged" {
  return mesh ? mesh.podSecurity : "restricted";
}

/** The in-cluster URL of a service. */
export function serviceEndpoint(service: ServiceSpec): string {
  return `http://${serviceHost(service)}:${service.port}`;
}

export function deployServices(
  ctx: AddonContext,
  services: readonly ServiceSpec[],
  deps: ServicesDeps,
): ServicesResult {
  // Before any Ingress: the admission policy that lets only tap's ALB Ingresses in (>= 1.30).
  const ingressGuard = deps.loadBalancer ? albIngressGuard(ctx, services, deps) : [];
  const result: ServicesResult = { services: {}, roleArns: {}, ingressGuard };
  const withGuard: ServicesDeps = { ...deps, ingressGuard };
  for (const service of services) {
    const deployed = deployService(ctx, service, services, withGuard);
    result.services[service.name] = deployed;
    if (deployed.roleArn) result.roleArns[service.name] = deployed.roleArn;
  }
  return result;
}

function deployService(
  ctx: AddonContext,
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  deps: ServicesDeps,
): DeployedService {
  const { name } = service;
  const { mesh, keda } = deps;
  // The config refuses services without KEDA (lib/config.ts); this is the code's own guard.
  if (!keda)
    throw new Error(`service ${name}: the catalog scales with KEDA, tap:addons.keda is off`);
  const ns = serviceNamespace(service);
  const rn = (kind: string) => ctx.name(`svc-${name}-${kind}`);
  const labels = serviceLabels(name, ctx.config.environmentSuffix);
  const metadata = (objectName: string) => ({ name: objectName, namespace: ns, labels });

  // A tenant's service runs in the tenant's namespace (its quota, limits and baseline policies);
  // any other service gets a namespace of its own.
  const tenantNamespace = service.tenant ? deps.tenantNamespaces?.get(service.tenant) : undefined;
  if (service.tenant && !tenantNamespace)
    throw new Error(`service ${name}: tenant "${service.tenant}" has no namespace`);
  const namespace =
    tenantNamespace ??
    createWorkloadNamespace(ctx, ns, {
      podSecurity: namespacePodSecurity(mesh),
      labels: mesh
        ? { ...mesh.namespaceLabels }
        : deps.ambient
          ? { ...ISTIO_DEFAULTS.dataplaneLabel }
          : undefined,
      dependsOn: deps.dependsOn,
      ambientProbeSource: deps.ambient ? ISTIO_DEFAULTS.probeSourceCidr : undefined,
    }).namespace;
  const opts = inCluster(ctx, [namespace]);

  const role = needsRole(service, mesh)
    ? createIrsaRole(ctx, serviceRoleName(name), {
        oidcProviderArn: ctx.oidcProviderArn,
        oidcIssuer: ctx.oidcIssuer,
        namespace: ns,
        serviceAccount: name,
        policy: (scope) => {
          const base = servicePolicy(service, mesh, scope);
          const db =
            service.database !== undefined ? requireDatabase(deps.database, name) : undefined;
          if (!db) return base;
          return pulumi.all([db.secretArn, db.keyArn]).apply(([secret, key]) => ({
            ...base,
            Statement: [...base.Statement, ...databaseClientStatements(secret, key, scope)],
          }));
        },
        description: `tap service ${name}: its catalog AWS permissions${mesh ? " and the mesh data plane" : ""}`,
      })
    : undefined;
  // The token is mounted only when something in the pod uses it: the AWS SDK (IRSA) or the mesh's
  // Envoy. Secrets alone do not need it: the CSI driver requests the pod's token itself.
  const automount = role !== undefined && callsAws(service, mesh);

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    rn("sa"),
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        ...metadata(name),
        ...(role ? { annotations: { [IRSA_ANNOTATION]: role.arn } } : {}),
      },
      automountServiceAccountToken: automount,
    },
    opts,
  );

  // Its repository's policy names its role, so it waits for it; its pods wait for the policy.
  const pullPolicy = deps.registry?.grantPull(name, role?.arn);
  const image =
    service.imageTag !== undefined
      ? requireRegistry(deps.registry, name).imageOf(name, service.imageTag)
      : undefined;

  const secretProviderClass =
    service.secrets.length > 0
      ? createSecretProviderClass(ctx, service, deps, metadata, opts)
      : undefined;

  // Its mesh policies before its pods: a pod must never serve under a policy tap did not write.
  const ambientPolicies = deps.ambient
    ? createAmbientPolicies(ctx, service, services, deps.ambient, deps, metadata, namespace)
    : [];

  const deployment = new k8s.apps.v1.Deployment(
    rn("deployment"),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(name),
      spec: deploymentSpec(service, {
        environmentSuffix: ctx.config.environmentSuffix,
        automountServiceAccountToken: automount,
        mesh,
        capacitySpreadLabel: ctx.config.addons.karpenter ? CAPACITY_SPREAD_LABEL : undefined,
        secretProviderClass: secretProviderClass ? secretProviderClassName(name) : undefined,
        roleForSecretsOnly: role !== undefined && !automount,
        ...(image ? { image } : {}),
        ...(service.database !== undefined || deps.tracing
          ? {
              env: [
                ...(service.database !== undefined
                  ? databaseEnv(requireDatabase(deps.database, name))
                  : []),
                ...(deps.tracing
                  ? tracingEnv(service, deps.tracing, ctx.config.environmentSuffix)
                  : []),
              ],
            }
          : {}),
      }),
    },
    // The mesh's injector must exist before the pods, or they start without their proxy; the
    // secrets driver and provider and the class, or the pods cannot mount their secrets.
    {
      ...opts,
      dependsOn: [
        namespace,
        serviceAccount,
        ...(mesh?.dependsOn ?? []),
        // The ambient data plane first, so the pods start in the mesh.
        ...(deps.ambient?.dependsOn ?? []),
        ...ambientPolicies,
        ...(secretProviderClass ? [secretProviderClass, ...(deps.secrets?.dependsOn ?? [])] : []),
        ...(pullPolicy ? [pullPolicy] : []),
        // Its database and secret exist before its pods read them.
        ...(service.database !== undefined ? (deps.database?.dependsOn ?? []) : []),
      ],
    },
  );

  const kubeService = new k8s.core.v1.Service(
    rn("service"),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(name),
      spec: {
        type: "ClusterIP",
        selector: serviceSelector(name),
        // Named `http` (and appProtocol http) so the mesh and Envoy treat it as HTTP.
        ports: [
          {
            name: "http",
            port: service.port,
            targetPort: "http",
            protocol: "TCP",
            appProtocol: "http",
          },
        ],
      },
    },
    opts,
  );

  new k8s.policy.v1.PodDisruptionBudget(
    rn("pdb"),
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: metadata(name),
      // maxUnavailable 1: a drain always progresses, one pod at a time.
      spec: { maxUnavailable: 1, selector: { matchLabels: serviceSelector(name) } },
    },
    opts,
  );

  for (const [policyName, spec] of servicePolicySpecs(
    service,
    services,
    deps.loadBalancerSources,
    mesh,
    deps.ambient ? ISTIO_DEFAULTS : undefined,
    deps.database ? { cidrs: deps.database.subnetCidrs, port: deps.database.port } : undefined,
    deps.tracing
      ? {
          namespace: deps.tracing.namespace,
          podLabels: TRACING_POD_LABELS,
          ports: deps.tracing.ports,
        }
      : undefined,
  )) {
    new k8s.networking.v1.NetworkPolicy(
      rn(`np-${policyName}`),
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        // In a shared (tenant) namespace each service's policies carry its name.
        metadata: metadata(service.tenant ? `${name}-${policyName}` : policyName),
        spec,
      },
      opts,
    );
  }

  // The canary (tap:addons.argoRollouts): its analysis, then the Rollout that takes the
  // Deployment over, after the controller (its CRDs); KEDA then scales the Rollout.
  const rollout =
    deps.rollouts?.canaryService === name
      ? canaryRollout(ctx, service, deps.rollouts, metadata, [namespace, deployment], opts)
      : undefined;

  new k8s.apiextensions.CustomResource(
    rn("scaledobject"),
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: metadata(name),
      spec: scaledObjectSpec(
        service,
        ctx.region,
        keda.clusterTriggerAuthenticationName,
        rollout ? { apiVersion: ROLLOUTS_API_VERSION, kind: "Rollout" } : undefined,
      ),
    },
    {
      ...opts,
      dependsOn: [
        namespace,
        keda.release,
        keda.clusterTriggerAuthentication,
        deployment,
        ...(rollout ? [rollout] : []),
      ],
    },
  );

  const ingress =
    service.public && deps.loadBalancer
      ? new k8s.networking.v1.Ingress(
          rn("ingress"),
          {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: {
              ...metadata(name),
              annotations: pulumi
                .output(deps.webAclArn)
                .apply((acl) =>
                  albAnnotations(service, deps.loadBalancer?.certificateArn, ctx.tags, acl),
                ),
            },
            spec: {
              ingressClassName: deps.loadBalancer.ingressClass,
              rules: [
                {
                  ...(deps.dns
                    ? { host: deps.dns.zoneName.apply((z) => publicHost(name, z)) }
                    : {}),
                  http: {
                    paths: [
                      {
                        path: "/",
                        pathType: "Prefix",
                        backend: { service: { name, port: { number: service.port } } },
                      },
                    ],
                  },
                },
              ],
            },
          },
          // Not deleted with the cluster: deleting it while the controller runs deletes the ALB
          // and its security groups, which Pulumi does not know and which would keep the VPC.
          {
            parent: ctx.parent,
            provider: ctx.k8sProvider,
            // ...and, with ExternalDNS, before its release and role go (sync deletes the records).
            dependsOn: [
              namespace,
              kubeService,
              deps.loadBalancer.release,
              ...(deps.dns ? [deps.dns.release] : []),
              ...(deps.ingressGuard ?? []),
            ],
            customTimeouts: { create: "15m", update: "15m", delete: "15m" },
          },
        )
      : undefined;

  return {
    namespace: ns,
    namespaceResource: namespace,
    ...(ingress ? { ingress } : {}),
    endpoint: serviceEndpoint(service),
    ...(role ? { roleArn: role.arn } : {}),
  };
}

/**
 * The admission policy that admits only tap's ALB Ingresses (lib/addons/load-balancer-controller/
 * ingress-policy.ts), built from the same host and annotations the Ingresses get. Kubernetes 1.28
 * has no admissionregistration.k8s.io/v1 policies: nothing is created there.
 */
function albIngressGuard(
  ctx: AddonContext,
  services: readonly ServiceSpec[],
  deps: ServicesDeps,
): pulumi.Resource[] {
  const lb = deps.loadBalancer as LoadBalancerControllerResult;
  if (minorOf(ctx.config.kubernetesVersion) < 30) return [];
  const zone: pulumi.Output<string | undefined> = deps.dns
    ? deps.dns.zoneName
    : pulumi.output<string | undefined>(undefined);
  const spec = pulumi
    .all([zone, pulumi.output(deps.webAclArn), pulumi.all([...(deps.platformIngresses ?? [])])])
    .apply(([z, acl, platform]) =>
      albIngressPolicy([
        ...services
          .filter((s) => s.public)
          .map((s) => ({
            namespace: serviceNamespace(s),
            name: s.name,
            ...(z !== undefined ? { host: publicHost(s.name, z) } : {}),
            annotations: albAnnotations(s, lb.certificateArn, ctx.tags, acl),
          })),
        ...platform,
      ]),
    );
  const opts = inCluster(ctx);
  const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
    ctx.name("alb-ingress-policy"),
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: spec.apply((p) => p.metadata),
      spec: spec.apply((p) => p.spec),
    },
    opts,
  );
  const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
    ctx.name("alb-ingress-policy-binding"),
    albIngressPolicyBinding(),
    { ...opts, dependsOn: [policy] },
  );
  return [policy, binding];
}

/**
 * The service's AuthorizationPolicy (its callers' identities, the load balancer for the public
 * one) and, for the public service, the PeerAuthentication that accepts the ALB's plaintext on its
 * port: lib/services/ambient.ts. They wait for Istio's CRDs (the base release).
 */
function createAmbientPolicies(
  ctx: AddonContext,
  service: ServiceSpec,
  services: readonly ServiceSpec[],
  istio: IstioResult,
  deps: ServicesDeps,
  metadata: (objectName: string) => k8s.types.input.meta.v1.ObjectMeta,
  namespace: k8s.core.v1.Namespace,
): k8s.apiextensions.CustomResource[] {
  const opts = inCluster(ctx, [namespace, istio.base, istio.istiod]);
  // The load balancer's plaintext is admitted only when there is a load balancer.
  const lbSources = deps.loadBalancer ? deps.loadBalancerSources : [];
  const authz = new k8s.apiextensions.CustomResource(
    ctx.name(`svc-${service.name}-authz`),
    {
      apiVersion: ISTIO_SECURITY_API,
      kind: "AuthorizationPolicy",
      metadata: metadata(service.name),
      spec: authorizationPolicySpec(service, services, lbSources),
    },
    opts,
  );
  if (!(service.public && deps.loadBalancer)) return [authz];
  const peerAuthn = new k8s.apiextensions.CustomResource(
    ctx.name(`svc-${service.name}-peer-authn`),
    {
      apiVersion: ISTIO_SECURITY_API,
      kind: "PeerAuthentication",
      metadata: metadata(service.name),
      spec: publicPeerAuthenticationSpec(service),
    },
    opts,
  );
  return [authz, peerAuthn];
}

/** The service's SecretProviderClass: its declared secrets, by ARN, in the stack's region. */
function createSecretProviderClass(
  ctx: AddonContext,
  service: ServiceSpec,
  deps: ServicesDeps,
  metadata: (objectName: string) => k8s.types.input.meta.v1.ObjectMeta,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const store = deps.secrets;
  // The config refuses secrets without tap:addons.secretsStore; this guards code paths that skip it.
  if (!store) throw new Error(`service ${service.name}: secrets need tap:addons.secretsStore`);
  const spec = pulumi.all([awsScope(ctx.parent), ctx.region]).apply(([scope, region]) => {
    const arnOf = (s: SecretRef) => templateArn(s.arn, scope);
    // ASCP refuses an ARN of another region (provider/secret_descriptor.go validateObjectName).
    const elsewhere = service.secrets.map(arnOf).filter((a) => a.split(":")[3] !== region);
    if (elsewhere.length > 0)
      throw new Error(
        `tap:services: ${service.name}.secrets must be secrets in the stack's region ${region} (got ${elsewhere.join(", ")})`,
      );
    return secretProviderClassSpec(service.secrets, region, arnOf);
  });
  return new k8s.apiextensions.CustomResource(
    ctx.name(`svc-${service.name}-secret-provider-class`),
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: metadata(secretProviderClassName(service.name)),
      spec,
    },
    // The driver's release installs the CRD (its hook job), so the class waits for it.
    {
      ...opts,
      dependsOn: [...[opts.dependsOn ?? []].flat(), store.driverRelease] as pulumi.Resource[],
    },
  );
}

/**
 * The ALB annotations of a public service's Ingress (kubernetes-sigs/aws-load-balancer-controller@
 * v3.5.0:docs/guide/ingress/annotations.md: scheme L696-700, target-type L216-235, listen-ports
 * L145-161, certificate-arn L971-989, ssl-redirect L164-177, healthcheck-path L901-910, tags).
 * Values are strings, as the controller requires.
 */
export function albAnnotations(
  service: ServiceSpec,
  certificateArn: string | undefined,
  tags: Readonly<Record<string, string>>,
  /** The API's regional web ACL (tap:addons.edge): the controller associates it (wafv2-acl-arn). */
  webAclArn?: string,
): Record<string, string> {
  const a = "alb.ingress.kubernetes.io";
  return {
    [`${a}/scheme`]: "internet-facing",
    [`${a}/target-type`]: "ip",
    [`${a}/healthcheck-path`]: service.healthPath,
    [`${a}/tags`]: Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    ...(certificateArn
      ? {
          [`${a}/listen-ports`]: '[{"HTTP": 80}, {"HTTPS": 443}]',
          [`${a}/certificate-arn`]: certificateArn,
          [`${a}/ssl-redirect`]: "443",
        }
      : { [`${a}/listen-ports`]: '[{"HTTP": 80}]' }),
    ...(webAclArn ? { [`${a}/wafv2-acl-arn`]: webAclArn } : {}),
  };
}

/** The canary's AnalysisTemplate and Rollout (lib/addons/argo-rollouts/canary.ts). */
function canaryRollout(
  ctx: AddonContext,
  service: ServiceSpec,
  rollouts: ArgoRolloutsResult,
  metadata: (n: string) => { name: string; namespace: string; labels: Record<string, string> },
  after: readonly pulumi.Resource[],
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const rn = (role: string) => ctx.name(`svc-${service.name}-${role}`);
  const template = new k8s.apiextensions.CustomResource(
    rn("analysis"),
    {
      apiVersion: ROLLOUTS_API_VERSION,
      kind: "AnalysisTemplate",
      metadata: metadata(analysisTemplateName(service.name)),
      spec: analysisTemplateSpec(service),
    },
    { ...opts, dependsOn: [...after, rollouts.release] },
  );
  return new k8s.apiextensions.CustomResource(
    rn("rollout"),
    {
      apiVersion: ROLLOUTS_API_VERSION,
      kind: "Rollout",
      metadata: metadata(service.name),
      spec: canaryRolloutSpec(service),
    },
    { ...opts, dependsOn: [...after, rollouts.release, template] },
  );
}

/** The config refuses an imageTag without the registry (lib/config.ts); this is the code's guard. */
function requireRegistry(registry: RegistryResult | undefined, service: string): RegistryResult {
  if (!registry)
    throw new Error(`service ${service}: imageTag needs tap:addons.registry, which is off`);
  return registry;
}

/** The config refuses `database:` without the database (lib/config.ts); this is the code's guard. */
function requireDatabase(database: DatabaseResult | undefined, service: string): DatabaseResult {
  if (!database)
    throw new Error(`service ${service}: database needs tap:addons.database, which is off`);
  return database;
}
