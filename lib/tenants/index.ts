/**
 * Tenants (`tap:tenants`): per tenant a namespace (PSS restricted, the default-deny + DNS baseline
 * every workload namespace has), a ResourceQuota and a LimitRange (defaults injected, so a pod
 * without requests is admitted and counted), EKS access entries for its people with the view /
 * edit / admin access policy scoped to that namespace only, and, when it asks for S3, an IRSA role
 * for its workloads confined to its prefix of one tap bucket. The tenant's catalog services run in
 * its namespace (lib/services/workloads.ts); their NetworkPolicies allow exactly the declared calls,
 * across tenants too, on both sides.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { accessEntryKey } from "../cluster";
import { IRSA_ANNOTATION, awsScope, createIrsaRole } from "../iam/irsa";
import { createWorkloadNamespace, internetEgressPeer } from "../addons/network-policies";
import { AddonContext, inCluster } from "../addons/types";
import { createPrivateBucket } from "../storage";
import { tenantBucketName, tenantBucketPolicy, tenantS3Policy } from "./iam";
import {
  ACCESS_POLICY_OF,
  TENANT_WORKLOAD_SERVICE_ACCOUNT,
  TenantAccessLevel,
  TenantSpec,
} from "./types";

export * from "./types";
export { tenantBucketName, tenantS3Policy } from "./iam";

/** The label naming a tenant's namespace's tenant. */
export const TENANT_LABEL = "tap/tenant";
/**
 * The pod label that lets a tenant's own workload reach AWS APIs (HTTPS, IMDS excluded) in a tenant
 * with S3 access: default-deny holds for every other pod of the namespace.
 */
export const AWS_EGRESS_LABEL = { "tap/egress": "aws-apis" } as const;

export interface TenantsArgs {
  readonly kmsKeyArn: pulumi.Input<string>;
  /** What every tenant namespace waits for (Calico, so its policies are enforced from the start). */
  readonly dependsOn: pulumi.Resource[];
  /** Extra labels of every tenant namespace (Istio's ambient enrolment when the mesh is on). */
  readonly labels?: Readonly<Record<string, string>>;
  /** In Istio's ambient mesh: kubelet's probe address, admitted to every pod of the namespace. */
  readonly ambientProbeSource?: string;
}

export interface TenantsResult {
  readonly namespaces: ReadonlyMap<string, k8s.core.v1.Namespace>;
  /** Tenant -> the IRSA role of its workloads (tenants with S3 access). */
  readonly roleArns: Record<string, pulumi.Output<string>>;
  readonly bucketName?: pulumi.Output<string>;
}

/** The ResourceQuota's `hard` map. */
export function quotaHard(t: TenantSpec): Record<string, string> {
  return {
    "requests.cpu": t.quota.requestsCpu,
    "requests.memory": t.quota.requestsMemory,
    "limits.cpu": t.quota.limitsCpu,
    "limits.memory": t.quota.limitsMemory,
    pods: String(t.quota.pods),
    services: String(t.quota.services),
    persistentvolumeclaims: String(t.quota.persistentVolumeClaims),
    // A tenant exposes nothing by itself: no load balancers (in-tree CLB/NLB) or node ports.
    "services.loadbalancers": "0",
    "services.nodeports": "0",
  };
}

/**
 * One access entry per person and one namespace-scoped association per (person, access policy)
 * listing every tenant namespace at that level: EKS keys an association by cluster, principal and
 * policy, so a second association of the same policy would replace the first one's namespaces.
 */
export function accessGrants(
  tenants: readonly TenantSpec[],
): Map<string, { level: TenantAccessLevel; namespaces: string[] }[]> {
  const byArn = new Map<string, { level: TenantAccessLevel; namespaces: string[] }[]>();
  for (const t of tenants) {
    for (const m of t.members) {
      const grants = byArn.get(m.arn) ?? [];
      const same = grants.find((g) => g.level === m.level);
      if (same) same.namespaces.push(t.name);
      else grants.push({ level: m.level, namespaces: [t.name] });
      byArn.set(m.arn, grants);
    }
  }
  return byArn;
}

export function deployTenants(ctx: AddonContext, args: TenantsArgs): TenantsResult {
  const tenants = ctx.config.tenants;
  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  const roleArns: Record<string, pulumi.Output<string>> = {};
  if (tenants.length === 0) return { namespaces, roleArns };
  const opts = { parent: ctx.parent };
  const scope = awsScope(ctx.parent);
  const suffix = ctx.config.environmentSuffix;

  for (const t of tenants) {
    const { namespace } = createWorkloadNamespace(ctx, t.name, {
      podSecurity: "restricted",
      labels: { ...(args.labels ?? {}), [TENANT_LABEL]: t.name },
      dependsOn: args.dependsOn,
      ambientProbeSource: args.ambientProbeSource,
    });
    namespaces.set(t.name, namespace);
    const meta = (name: string) => ({
      name,
      namespace: t.name,
      labels: { [TENANT_LABEL]: t.name },
    });
    new k8s.core.v1.ResourceQuota(
      ctx.name(`tenant-${t.name}-quota`),
      {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: meta("tenant-quota"),
        spec: { hard: quotaHard(t) },
      },
      inCluster(ctx, [namespace]),
    );
    new k8s.core.v1.LimitRange(
      ctx.name(`tenant-${t.name}-limits`),
      {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: meta("tenant-defaults"),
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: { cpu: t.defaults.requestCpu, memory: t.defaults.requestMemory },
              default: { cpu: t.defaults.limitCpu, memory: t.defaults.limitMemory },
            },
          ],
        },
      },
      inCluster(ctx, [namespace]),
    );
  }

  // People: an entry per principal (STANDARD: no Kubernetes groups), access only in its namespaces.
  const partition = aws.getPartitionOutput({}, opts).partition;
  for (const [arn, grants] of accessGrants(tenants)) {
    const key = accessEntryKey(arn).replace(/^admin-/, "tenant-");
    const entry = new aws.eks.AccessEntry(
      ctx.name(`tap-${key}`),
      { clusterName: ctx.clusterName, principalArn: arn, type: "STANDARD", tags: ctx.tags },
      { ...opts, dependsOn: [ctx.cluster] },
    );
    for (const g of grants) {
      new aws.eks.AccessPolicyAssociation(
        ctx.name(`tap-${key}-${g.level}`),
        {
          clusterName: ctx.clusterName,
          principalArn: entry.principalArn,
          policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${ACCESS_POLICY_OF[g.level]}`,
          accessScope: { type: "namespace", namespaces: [...g.namespaces].sort() },
        },
        { ...opts, dependsOn: [entry] },
      );
    }
  }

  // S3: one bucket, one prefix per tenant that asks for it.
  const withS3 = tenants.filter((t) => t.s3);
  if (withS3.length === 0) return { namespaces, roleArns };
  const bucketName = scope.apply((s) => tenantBucketName(suffix, s));
  const { bucket, setPolicy } = createPrivateBucket(ctx, "tap-tenants", {
    bucket: bucketName,
    kmsKeyArn: args.kmsKeyArn,
  });
  setPolicy(tenantBucketPolicy);

  for (const t of withS3) {
    const role = createIrsaRole(ctx, `tap-tenant-${t.name}`, {
      oidcProviderArn: ctx.oidcProviderArn,
      oidcIssuer: ctx.oidcIssuer,
      namespace: t.name,
      serviceAccount: TENANT_WORKLOAD_SERVICE_ACCOUNT,
      policy: (s) =>
        pulumi
          .output(args.kmsKeyArn)
          .apply((kmsKeyArn) =>
            tenantS3Policy(s, { bucket: tenantBucketName(suffix, s), tenant: t.name, kmsKeyArn }),
          ),
      description: `tenant ${t.name}: its workloads' S3 access to s3://<tenants bucket>/${t.name}/`,
    });
    roleArns[t.name] = role.arn;
    new k8s.networking.v1.NetworkPolicy(
      ctx.name(`tenant-${t.name}-np-allow-aws-apis`),
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
          name: "tenant-allow-aws-apis",
          namespace: t.name,
          labels: { [TENANT_LABEL]: t.name },
        },
        spec: {
          podSelector: { matchLabels: { ...AWS_EGRESS_LABEL } },
          policyTypes: ["Egress"],
          egress: [{ to: [internetEgressPeer()], ports: [{ protocol: "TCP", port: 443 }] }],
        },
      },
      inCluster(ctx, [namespaces.get(t.name) as k8s.core.v1.Namespace]),
    );
    new k8s.core.v1.ServiceAccount(
      ctx.name(`tenant-${t.name}-workloads-sa`),
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
          name: TENANT_WORKLOAD_SERVICE_ACCOUNT,
          namespace: t.name,
          labels: { [TENANT_LABEL]: t.name },
          annotations: { [IRSA_ANNOTATION]: role.arn },
        },
      },
      inCluster(ctx, [namespaces.get(t.name) as k8s.core.v1.Namespace]),
    );
  }
  return { namespaces, roleArns, bucketName: bucket.bucket };
}
