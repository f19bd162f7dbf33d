/**
 * TapStack: the composition root. It resolves the config (throwing before anything exists), then
 * wires network -> cluster -> node groups -> add-ons, and exposes typed outputs. The work lives in the
 * `createX(ctx, args)` functions of the modules it calls.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResolveContext, ResolvedConfig, TapConfig, TapConfigInput, resolveConfig } from "./config";
import { makeContext } from "./context";
import { buildPlatformCore } from "./platform";
import { buildRecoveryRegion } from "./recovery-region";
import { addonNamespaces, addonRoleArns, installAddons } from "./addons";
import { deploymentOrder } from "./capabilities";
import { deployServiceCatalog } from "./services";
import { deployTenants } from "./tenants";
import { publicServiceUrls } from "./services/public-urls";
import { ISTIO_DEFAULTS } from "./addons/istio";
import { deployArgoCdIngress } from "./addons/argocd";
import { AccountSecurityState } from "./addons/threat-detection";

/** Raw `tap:` settings to validate, or a config bin/tap.ts has already resolved (once). */
export type TapStackArgs =
  | {
      /** Raw or typed `tap:` settings; validated before the component registers. */
      readonly config: TapConfigInput;
      /** The stack name (fallback for environmentSuffix) and environment. */
      readonly context: ResolveContext;
    }
  | {
      readonly resolved: ResolvedConfig;
      /** The identity that created (or is creating) the cluster, recorded in its CREATOR_TAG tag. */
      readonly creatorArn?: string;
      /** GuardDuty and Security Hub as the account had them (tap:addons.threatDetection). */
      readonly accountSecurity?: AccountSecurityState;
    };

export class TapStack extends pulumi.ComponentResource {
  readonly config: TapConfig;
  readonly clusterName: pulumi.Output<string>;
  readonly clusterEndpoint: pulumi.Output<string>;
  readonly clusterVersion: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly kubeconfigCommand: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;
  readonly oidcIssuerUrl: pulumi.Output<string>;
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly nodeGroupNames: pulumi.Output<string[]>;
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly controlPlaneLogGroupName: pulumi.Output<string>;
  readonly flowLogGroupName: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  readonly environmentSuffix: pulumi.Output<string>;
  readonly irsaRoleArns: pulumi.Output<Record<string, string>>;
  /** Fluent Bit's log group; undefined with tap:addons.fluentBit off. */
  readonly applicationLogGroupName: pulumi.Output<string | undefined>;
  /** The capabilities that are on, in the order they deploy. */
  readonly addons: pulumi.Output<string[]>;
  readonly namespaces: pulumi.Output<string[]>;
  readonly serviceNames: pulumi.Output<string[]>;
  readonly serviceEndpoints: pulumi.Output<Record<string, string>>;
  readonly serviceRoleArns: pulumi.Output<Record<string, string>>;
  /** Public services -> how to reach them today (no load balancer exists yet). */
  readonly publicServices: pulumi.Output<Record<string, string>>;
  readonly appMeshName: pulumi.Output<string | undefined>;
  /** The tenants' namespaces (tap:tenants); empty without tenants. */
  readonly tenantNamespaces: pulumi.Output<string[]>;
  /** Tenant -> the IRSA role of its workloads (service account `workloads`), for tenants with S3. */
  readonly tenantRoleArns: pulumi.Output<Record<string, string>>;
  /** The tenants' S3 bucket; undefined when no tenant asks for S3. */
  readonly tenantBucketName: pulumi.Output<string | undefined>;
  /** AWS service -> its VPC endpoint ID; empty with tap:vpcEndpoints off. */
  readonly vpcEndpointIds: pulumi.Output<Record<string, string>>;
  /** The default StorageClass (gp3, encrypted with tap's key); undefined with tap:addons.ebsCsi off. */
  readonly storageClassName: pulumi.Output<string | undefined>;
  /** The SNS topic the platform's alarms publish to (Container Insights or Prometheus on). */
  readonly alarmTopicArn: pulumi.Output<string | undefined>;
  readonly metricsDashboardUrl: pulumi.Output<string | undefined>;
  /** The Amazon Managed Service for Prometheus workspace (tap:addons.prometheus). */
  readonly prometheusWorkspaceId: pulumi.Output<string | undefined>;
  /** Its query and remote-write base URL (ends in /). */
  readonly prometheusEndpoint: pulumi.Output<string | undefined>;
  /** The Amazon Managed Grafana workspace's URL (tap:addons.prometheus.grafana). */
  readonly grafanaUrl: pulumi.Output<string | undefined>;
  /** Service -> its ECR repository URL (tap:addons.registry on); empty when off. */
  readonly registryRepositories: pulumi.Output<Record<string, string>>;
  /** The role GitHub Actions assumes to push (registry with githubRepository); undefined otherwise. */
  readonly registryPushRoleArn: pulumi.Output<string | undefined>;
  /** The database's writer endpoint (tap:addons.database); undefined when off. */
  readonly databaseEndpoint: pulumi.Output<string | undefined>;
  /** The database's reader endpoint (read-only traffic); undefined when off. */
  readonly databaseReaderEndpoint: pulumi.Output<string | undefined>;
  /** The RDS-managed master secret's ARN (not its value); undefined when off. */
  readonly databaseSecretArn: pulumi.Output<string | undefined>;
  /** The frontend's URL (tap:addons.edge): CloudFront's name or tap:addons.edge.domainName. */
  readonly frontendUrl: pulumi.Output<string | undefined>;
  /** Where a frontend build goes (tap:addons.edge); undefined when off. */
  readonly frontendBucketName: pulumi.Output<string | undefined>;
  /** The line that uploads ./dist and invalidates CloudFront's cache (tap:addons.edge). */
  readonly frontendUploadCommand: pulumi.Output<string | undefined>;
  /** The SNS topic the budget and cost anomaly alerts publish to (tap:addons.costAlerts). */
  readonly costAlertsTopicArn: pulumi.Output<string | undefined>;
  /** The SNS topic GuardDuty and Security Hub findings and Falco alerts go to (threatDetection, falco). */
  readonly securityAlertsTopicArn: pulumi.Output<string | undefined>;
  /** What the admission policies found (tap:addons.kyverno). */
  readonly kyvernoPolicyReportCommand: pulumi.Output<string | undefined>;
  /** The log group every Falco event goes to (tap:addons.falco). */
  readonly falcoLogGroupName: pulumi.Output<string | undefined>;
  /** The line that reaches Argo CD's UI and API (tap:addons.argocd). */
  readonly argocdPortForwardCommand: pulumi.Output<string | undefined>;
  /** Argo CD's address: https://argocd.<zone> behind the ALB, else the port-forward's. */
  readonly argocdUrl: pulumi.Output<string | undefined>;
  /** Where services send OTLP spans (tap:addons.tracing; the catalog's already have it). */
  readonly tracesEndpoint: pulumi.Output<string | undefined>;
  /** The line that prints Argo CD's initial admin password (tap:addons.argocd). */
  readonly argocdAdminPasswordCommand: pulumi.Output<string | undefined>;
  /** Karpenter's node role (EC2NodeClass `role`); undefined with tap:addons.karpenter off. */
  readonly karpenterNodeRoleName: pulumi.Output<string | undefined>;
  /** Karpenter's interruption queue; undefined with tap:addons.karpenter off. */
  readonly karpenterInterruptionQueueName: pulumi.Output<string | undefined>;
  /** The recovery region (tap:dr) and its cluster; undefined with tap:dr off. */
  readonly drRegion: pulumi.Output<string | undefined>;
  readonly drClusterName: pulumi.Output<string | undefined>;
  readonly drClusterEndpoint: pulumi.Output<string | undefined>;
  /** Its kubeconfig (a secret). */
  readonly drKubeconfig: pulumi.Output<string | undefined>;
  readonly drKubeconfigCommand: pulumi.Output<string | undefined>;
  readonly drVpcId: pulumi.Output<string | undefined>;
  readonly drNodeGroupNames: pulumi.Output<string[] | undefined>;
  /** The VPC peering between the two regions' VPCs. */
  readonly drPeeringConnectionId: pulumi.Output<string | undefined>;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: bad input never half-creates a stack.
    const { config, warnings } =
      "resolved" in args ? args.resolved : resolveConfig(args.config, args.context);
    for (const warning of warnings) pulumi.log.warn(warning);
    super("tap:index:TapStack", name, {}, opts);
    this.config = config;

    const ctx = makeContext(config, this);
    const core = buildPlatformCore(ctx, {
      creatorArn: "creatorArn" in args ? args.creatorArn : undefined,
    });
    const { kms, network, endpoints, cluster, vpcCni, nodes, addonCtx } = core;
    const region = addonCtx.region;
    const addons = installAddons(addonCtx, {
      kmsKeyArn: kms.arn,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      accountSecurity: "accountSecurity" in args ? args.accountSecurity : undefined,
      nodeRoleArn: nodes.role.arn,
      dataSubnets: network.dataSubnets,
    });
    // Namespaces wait for the policy engine, so their policies are enforced from the start, and
    // with Karpenter for its NodePools, so the services' pods have somewhere to run.
    const namespaceDeps = [
      ...(addons.calico ? [addons.calico.release] : []),
      ...(addons.karpenter?.nodePools ?? []),
      // With Kyverno, workloads are admitted under its policies from the start.
      ...(addons.kyverno?.policies ?? []),
    ];
    const tenants = deployTenants(addonCtx, {
      kmsKeyArn: kms.arn,
      dependsOn: namespaceDeps,
      // In Istio's ambient mesh the tenants' namespaces are enrolled too (their services are in it).
      labels: addons.istio ? { ...ISTIO_DEFAULTS.dataplaneLabel } : {},
      ambientProbeSource: addons.istio ? ISTIO_DEFAULTS.probeSourceCidr : undefined,
    });
    const catalog = deployServiceCatalog(addonCtx, {
      services: config.services,
      keda: addons.keda,
      meshController: addons.appMeshController,
      vpcId: network.vpcId,
      dependsOn: namespaceDeps,
      tenantNamespaces: tenants.namespaces,
      loadBalancerSources: network.publicSubnetCidrs,
      loadBalancer: addons.loadBalancerController,
      dns: addons.externalDns,
      secrets: addons.secretsStore,
      ambient: addons.istio,
      registry: addons.registry,
      database: addons.database,
      webAclArn: addons.edge?.regionalAcl?.arn,
      rollouts: addons.argoRollouts,
      tracing: addons.tracing,
      platformIngresses: addons.argocd?.ingress ? [addons.argocd.ingress.allowed] : [],
    });
    // Argo CD's ALB, once the admission policy that admits it exists.
    if (addons.argocd?.ingress)
      deployArgoCdIngress(addonCtx, addons.argocd.ingress, [
        addons.argocd.release,
        ...catalog.workloads.ingressGuard,
      ]);
    const services = Object.entries(catalog.workloads.services);
    // The recovery region: the same builders under that region's provider, peered to this VPC.
    const recovery = config.dr
      ? buildRecoveryRegion(ctx, {
          dr: config.dr,
          network,
          clusterSecurityGroupId: cluster.clusterSecurityGroupId,
          creatorArn: "creatorArn" in args ? args.creatorArn : undefined,
        })
      : undefined;

    this.clusterName = pulumi.output(cluster.name);
    this.clusterEndpoint = cluster.endpoint;
    this.clusterVersion = pulumi.output(config.kubernetesVersion);
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.kubeconfigCommand = pulumi.interpolate`aws eks update-kubeconfig --region ${region} --name ${cluster.name}`;
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcIssuerUrl = cluster.oidcIssuerUrl;
    this.vpcId = network.vpcId;
    this.privateSubnetIds = network.privateSubnetIds;
    this.publicSubnetIds = network.publicSubnetIds;
    this.nodeGroupNames = pulumi.all(nodes.groups.map((g) => g.name));
    this.clusterSecurityGroupId = cluster.clusterSecurityGroupId;
    this.kmsKeyArn = kms.arn;
    this.controlPlaneLogGroupName = cluster.controlPlaneLogGroup.name;
    this.flowLogGroupName = network.flowLogGroup.name;
    this.region = region;
    this.environmentSuffix = pulumi.output(config.environmentSuffix);
    const roleArns: Record<string, pulumi.Output<string>> = addonRoleArns(addons);
    roleArns.vpcCni = vpcCni.role.arn;
    this.irsaRoleArns = pulumi.output(roleArns);
    this.applicationLogGroupName = pulumi.output(addons.fluentBit?.logGroups.application.name);
    this.namespaces = pulumi.output([
      ...new Set([
        ...addonNamespaces(addons),
        ...tenants.namespaces.keys(),
        ...services.map(([, s]) => s.namespace),
      ]),
    ]);
    this.tenantNamespaces = pulumi.output([...tenants.namespaces.keys()]);
    this.tenantRoleArns = pulumi.output(tenants.roleArns);
    this.tenantBucketName = pulumi.output(tenants.bucketName);
    this.addons = pulumi.output(deploymentOrder(config.addons));
    this.serviceNames = pulumi.output(services.map(([name]) => name));
    this.serviceEndpoints = pulumi.output(
      Object.fromEntries(services.map(([name, s]) => [name, s.endpoint])),
    );
    this.serviceRoleArns = pulumi.output(catalog.workloads.roleArns);
    this.publicServices = publicServiceUrls(
      config.services,
      catalog.workloads.services,
      addons.loadBalancerController,
      addons.externalDns,
    );
    this.appMeshName = pulumi.output(catalog.mesh?.meshName);
    this.storageClassName = pulumi.output(addons.ebsCsi?.storageClassName);
    // One metrics path is on at most (they conflict): its alarms' topic.
    this.alarmTopicArn = pulumi.output(
      (addons.containerInsights ?? addons.prometheus)?.alarmTopic.arn,
    );
    this.metricsDashboardUrl = pulumi.output(addons.containerInsights?.dashboardUrl);
    this.prometheusWorkspaceId = pulumi.output(addons.prometheus?.workspace.id);
    this.prometheusEndpoint = pulumi.output(addons.prometheus?.workspace.prometheusEndpoint);
    this.grafanaUrl = pulumi.output(addons.prometheus?.grafanaUrl);
    this.vpcEndpointIds = pulumi.output(
      Object.fromEntries(Object.entries(endpoints?.endpoints ?? {}).map(([k, e]) => [k, e.id])),
    );
    this.registryRepositories = pulumi.output(
      Object.fromEntries(
        Object.entries(addons.registry?.repositories ?? {}).map(([n, r]) => [n, r.repositoryUrl]),
      ),
    );
    this.registryPushRoleArn = pulumi.output(addons.registry?.pushRole?.arn);
    this.databaseEndpoint = pulumi.output(addons.database?.endpoint);
    this.databaseReaderEndpoint = pulumi.output(addons.database?.readerEndpoint);
    this.databaseSecretArn = pulumi.output(addons.database?.secretArn);
    this.frontendUrl = pulumi.output(addons.edge?.url);
    this.frontendBucketName = pulumi.output(addons.edge?.bucket.bucket);
    this.frontendUploadCommand = pulumi.output(addons.edge?.uploadCommand);
    this.costAlertsTopicArn = pulumi.output(addons.costAlerts?.topic.arn);
    // One topic for GuardDuty's and Security Hub's findings and Falco's events, whichever is on.
    this.securityAlertsTopicArn = pulumi.output(
      (addons.threatDetection?.alerts ?? addons.falco?.alerts)?.topic.arn,
    );
    this.kyvernoPolicyReportCommand = pulumi.output(addons.kyverno?.policyReportCommand);
    this.falcoLogGroupName = pulumi.output(addons.falco?.logGroup.name);
    this.argocdPortForwardCommand = pulumi.output(addons.argocd?.portForwardCommand);
    this.argocdUrl = pulumi.output(addons.argocd?.url);
    this.tracesEndpoint = pulumi.output(addons.tracing?.endpoint);
    this.argocdAdminPasswordCommand = pulumi.output(addons.argocd?.adminPasswordCommand);
    this.karpenterNodeRoleName = pulumi.output(addons.karpenter?.nodeRole.name);
    this.karpenterInterruptionQueueName = pulumi.output(addons.karpenter?.interruptionQueue.name);
    this.drRegion = pulumi.output(recovery?.region);
    this.drClusterName = pulumi.output(recovery?.clusterName);
    this.drClusterEndpoint = pulumi.output(recovery?.clusterEndpoint);
    this.drKubeconfig = recovery ? recovery.kubeconfig : pulumi.output(undefined);
    this.drKubeconfigCommand = pulumi.output(
      recovery
        ? `aws eks update-kubeconfig --region ${recovery.region} --name ${recovery.clusterName}`
        : undefined,
    );
    this.drVpcId = pulumi.output(recovery?.vpcId);
    this.drNodeGroupNames = pulumi.output(recovery?.nodeGroupNames);
    this.drPeeringConnectionId = pulumi.output(recovery?.peeringConnectionId);

    this.registerOutputs(stackOutputs(this));
  }
}

/** The stack outputs, named exactly as the README documents them. */
export function stackOutputs(stack: TapStack) {
  return {
    clusterName: stack.clusterName,
    clusterEndpoint: stack.clusterEndpoint,
    clusterVersion: stack.clusterVersion,
    kubeconfig: stack.kubeconfig,
    kubeconfigCommand: stack.kubeconfigCommand,
    oidcProviderArn: stack.oidcProviderArn,
    oidcIssuerUrl: stack.oidcIssuerUrl,
    vpcId: stack.vpcId,
    privateSubnetIds: stack.privateSubnetIds,
    publicSubnetIds: stack.publicSubnetIds,
    nodeGroupNames: stack.nodeGroupNames,
    clusterSecurityGroupId: stack.clusterSecurityGroupId,
    kmsKeyArn: stack.kmsKeyArn,
    controlPlaneLogGroupName: stack.controlPlaneLogGroupName,
    flowLogGroupName: stack.flowLogGroupName,
    region: stack.region,
    environmentSuffix: stack.environmentSuffix,
    irsaRoleArns: stack.irsaRoleArns,
    applicationLogGroupName: stack.applicationLogGroupName,
    addons: stack.addons,
    namespaces: stack.namespaces,
    serviceNames: stack.serviceNames,
    serviceEndpoints: stack.serviceEndpoints,
    serviceRoleArns: stack.serviceRoleArns,
    publicServices: stack.publicServices,
    appMeshName: stack.appMeshName,
    tenantNamespaces: stack.tenantNamespaces,
    tenantRoleArns: stack.tenantRoleArns,
    tenantBucketName: stack.tenantBucketName,
    storageClassName: stack.storageClassName,
    alarmTopicArn: stack.alarmTopicArn,
    metricsDashboardUrl: stack.metricsDashboardUrl,
    prometheusWorkspaceId: stack.prometheusWorkspaceId,
    prometheusEndpoint: stack.prometheusEndpoint,
    grafanaUrl: stack.grafanaUrl,
    vpcEndpointIds: stack.vpcEndpointIds,
    registryRepositories: stack.registryRepositories,
    registryPushRoleArn: stack.registryPushRoleArn,
    databaseEndpoint: stack.databaseEndpoint,
    databaseReaderEndpoint: stack.databaseReaderEndpoint,
    databaseSecretArn: stack.databaseSecretArn,
    frontendUrl: stack.frontendUrl,
    frontendBucketName: stack.frontendBucketName,
    frontendUploadCommand: stack.frontendUploadCommand,
    costAlertsTopicArn: stack.costAlertsTopicArn,
    securityAlertsTopicArn: stack.securityAlertsTopicArn,
    kyvernoPolicyReportCommand: stack.kyvernoPolicyReportCommand,
    falcoLogGroupName: stack.falcoLogGroupName,
    argocdPortForwardCommand: stack.argocdPortForwardCommand,
    argocdUrl: stack.argocdUrl,
    tracesEndpoint: stack.tracesEndpoint,
    argocdAdminPasswordCommand: stack.argocdAdminPasswordCommand,
    karpenterNodeRoleName: stack.karpenterNodeRoleName,
    karpenterInterruptionQueueName: stack.karpenterInterruptionQueueName,
    drRegion: stack.drRegion,
    drClusterName: stack.drClusterName,
    drClusterEndpoint: stack.drClusterEndpoint,
    drKubeconfig: stack.drKubeconfig,
    drKubeconfigCommand: stack.drKubeconfigCommand,
    drVpcId: stack.drVpcId,
    drNodeGroupNames: stack.drNodeGroupNames,
    drPeeringConnectionId: stack.drPeeringConnectionId,
  };
}
export type StackOutputs = ReturnType<typeof stackOutputs>;
