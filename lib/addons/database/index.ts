/**
 * The database (tap:addons.database): Aurora PostgreSQL Serverless v2, a writer and a reader in
 * the first two AZs' data subnets (isolated: no route out of the VPC; lib/network.ts), encrypted
 * with a key of its own (policy.ts), the master password generated and kept by RDS in Secrets
 * Manager (never a config value or an output), IAM database authentication on, automated backups
 * with point-in-time recovery, Performance Insights, PostgreSQL logs exported to a tap-created,
 * KMS-encrypted log group, and a parameter group that refuses connections without TLS.
 *
 * Reachable only from the catalog services that declare it (`database: <name>`): its security
 * group admits 5432 from the nodes' security group only, and the services' NetworkPolicies open
 * egress to the data subnets on 5432 for exactly those services' pods (every other pod keeps its
 * namespace's default-deny). Security groups for pods would put the rule on the pods' own ENIs,
 * but need the VPC CNI's branch ENIs (fewer pods per node, Nitro instances only, slower starts),
 * and tap already enforces every pod's traffic with NetworkPolicies (Calico): README "Database".
 *
 * Destroy: no deletion protection, no final snapshot unless `finalSnapshot` (then it outlives the
 * stack; and then its key stays too, or the snapshot could not be restored once the key is gone).
 * The engine's major version is pinned (16); the minor is AWS's default 16.x in the region when
 * the cluster is created (aws.rds.getEngineVersion, defaultOnly: `latest` sorts by creation time
 * and can pick an Aurora Limitless build, which a provisioned cluster cannot run; tap refuses one
 * anyway), 16.3 or later, so it allows minCapacity 0 (auto-pause; facts/app-infra.md).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsScope } from "../../iam/irsa";
import { RETAINED_FOR_TAG, mergeTags, nameTag } from "../../naming";
import { AddonContext } from "../types";
import { databaseClusterId, databaseLogGroupName } from "./names";
import { POSTGRES_PORT, databaseKeyPolicy } from "./policy";

export * from "./names";
export * from "./policy";

export const DATABASE_DEFAULTS = {
  engine: "aurora-postgresql",
  /** The pinned major; the minor is AWS's default 16.x at creation (see the header). */
  majorVersion: "16",
  masterUsername: "tap_admin",
  /** Performance Insights' free retention. */
  performanceInsightsRetentionDays: 7,
  logExports: ["postgresql"],
  preferredBackupWindow: "03:00-04:00",
  preferredMaintenanceWindow: "sun:04:30-sun:05:30",
} as const;

export interface DataSubnets {
  readonly ids: pulumi.Output<string[]>;
  /** Each data subnet's AZ and CIDR, AZ by AZ. */
  readonly azs: readonly pulumi.Output<string>[];
  readonly cidrs: readonly pulumi.Output<string>[];
}

export interface DatabaseArgs {
  /** tap's key: the exported log group is encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  readonly subnets: DataSubnets;
}

export interface DatabaseResult {
  readonly cluster: aws.rds.Cluster;
  readonly instances: readonly aws.rds.ClusterInstance[];
  readonly key: aws.kms.Key;
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** The name services declare and the PostgreSQL database's. */
  readonly name: string;
  readonly port: number;
  readonly endpoint: pulumi.Output<string>;
  readonly readerEndpoint: pulumi.Output<string>;
  /** The RDS-managed master secret's ARN (the secret itself never leaves Secrets Manager). */
  readonly secretArn: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;
  /** Where the database's addresses are: a declaring service's egress goes there only. */
  readonly subnetCidrs: readonly pulumi.Output<string>[];
  /** What a declaring service's pods wait for: the writer (the secret exists with the cluster). */
  readonly dependsOn: readonly pulumi.Resource[];
}

export function deployDatabase(ctx: AddonContext, args: DatabaseArgs): DatabaseResult {
  const opts = { parent: ctx.parent };
  const d = DATABASE_DEFAULTS;
  const settings = ctx.config.addonSettings.database;
  const suffix = ctx.config.environmentSuffix;
  const id = databaseClusterId(suffix);

  const key = new aws.kms.Key(
    ctx.name("tap-db-kms"),
    {
      description: `tap ${suffix}: the Aurora cluster ${id}, its snapshots, Performance Insights and master secret`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: awsScope(ctx.parent).apply((scope) => JSON.stringify(databaseKeyPolicy(scope))),
      tags: mergeTags(
        ctx.tags,
        nameTag(ctx.name("tap-db-kms")),
        settings.finalSnapshot ? { [RETAINED_FOR_TAG]: "database-final-snapshot" } : {},
      ),
    },
    // The final snapshot is encrypted with it: deleting the key would make the snapshot
    // unrestorable 7 days later. Without one, destroy schedules its deletion like any tap key.
    { ...opts, retainOnDelete: settings.finalSnapshot },
  );
  new aws.kms.Alias(
    ctx.name("tap-db-kms-alias"),
    { name: `alias/${ctx.name("tap-db")}`, targetKeyId: key.keyId },
    opts,
  );

  const subnetGroup = new aws.rds.SubnetGroup(
    ctx.name("tap-db-subnets"),
    {
      name: ctx.name("tap-db"),
      description: `tap ${suffix}: the isolated data subnets`,
      subnetIds: args.subnets.ids,
      tags: ctx.tags,
    },
    opts,
  );
  const securityGroup = new aws.ec2.SecurityGroup(
    ctx.name("tap-db-sg"),
    {
      name: ctx.name("tap-db"),
      description: "Aurora: PostgreSQL from the cluster's nodes only; no egress",
      vpcId: args.vpcId,
      // No egress rule: the database initiates nothing (the SG's default allow-all is removed).
      egress: [],
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-db"))),
    },
    opts,
  );
  const fromNodes = new aws.vpc.SecurityGroupIngressRule(
    ctx.name("tap-db-from-nodes"),
    {
      securityGroupId: securityGroup.id,
      description: "PostgreSQL from the EKS nodes' security group (pods: NetworkPolicy decides)",
      referencedSecurityGroupId: ctx.clusterSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      tags: ctx.tags,
    },
    opts,
  );

  const engine = aws.rds
    .getEngineVersionOutput({ engine: d.engine, version: d.majorVersion, defaultOnly: true }, opts)
    .apply((v) => {
      if (/limitless/i.test(v.versionActual) || v.supportsLimitlessDatabase)
        throw new Error(
          `database ${id}: AWS's default ${d.engine} ${d.majorVersion} is ${v.versionActual}, an Aurora Limitless build a provisioned cluster cannot run`,
        );
      return v;
    });
  const parameters = new aws.rds.ClusterParameterGroup(
    ctx.name("tap-db-params"),
    {
      name: ctx.name("tap-db"),
      family: engine.parameterGroupFamily,
      description: `tap ${suffix}: TLS only`,
      parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
      tags: ctx.tags,
    },
    opts,
  );
  const logGroup = new aws.cloudwatch.LogGroup(
    ctx.name("tap-db-logs"),
    {
      name: databaseLogGroupName(suffix),
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: ctx.tags,
    },
    opts,
  );

  const cluster = new aws.rds.Cluster(
    ctx.name("tap-db"),
    {
      clusterIdentifier: id,
      engine: d.engine,
      engineMode: "provisioned",
      engineVersion: engine.versionActual,
      databaseName: settings.name,
      port: POSTGRES_PORT,
      masterUsername: d.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: key.arn,
      storageEncrypted: true,
      kmsKeyId: key.arn,
      iamDatabaseAuthenticationEnabled: true,
      serverlessv2ScalingConfiguration: {
        minCapacity: settings.minCapacity,
        maxCapacity: settings.maxCapacity,
        ...(settings.minCapacity === 0
          ? { secondsUntilAutoPause: settings.secondsUntilAutoPause }
          : {}),
      },
      backupRetentionPeriod: settings.backupRetentionDays,
      preferredBackupWindow: d.preferredBackupWindow,
      preferredMaintenanceWindow: d.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      deletionProtection: false,
      skipFinalSnapshot: !settings.finalSnapshot,
      ...(settings.finalSnapshot ? { finalSnapshotIdentifier: `${id}-final` } : {}),
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.id],
      dbClusterParameterGroupName: parameters.name,
      enabledCloudwatchLogsExports: [...d.logExports],
      tags: ctx.tags,
    },
    {
      ...opts,
      dependsOn: [logGroup, fromNodes],
      // RDS upgrades minors itself; a newer "latest" at a later preview must not fight it.
      ignoreChanges: ["engineVersion"],
    },
  );
  // Writer and reader in different AZs: a failover promotes the reader in the other AZ. The first
  // instance to become available is the writer, so the reader waits for it.
  const instances: aws.rds.ClusterInstance[] = [];
  for (const [i, role] of (["writer", "reader"] as const).entries()) {
    instances.push(
      new aws.rds.ClusterInstance(
        ctx.name(`tap-db-${role}`),
        {
          identifier: `${id}-${role}`,
          clusterIdentifier: cluster.id,
          engine: d.engine,
          instanceClass: "db.serverless",
          availabilityZone: args.subnets.azs[i],
          promotionTier: i,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: key.arn,
          performanceInsightsRetentionPeriod: d.performanceInsightsRetentionDays,
          tags: ctx.tags,
        },
        { ...opts, ignoreChanges: ["engineVersion"], dependsOn: instances.slice(0, 1) },
      ),
    );
  }
  return {
    cluster,
    instances,
    key,
    securityGroup,
    name: settings.name,
    port: POSTGRES_PORT,
    endpoint: cluster.endpoint,
    readerEndpoint: cluster.readerEndpoint,
    secretArn: cluster.masterUserSecrets.apply((s) => {
      const arn = s[0]?.secretArn;
      if (!arn) throw new Error(`database ${id}: RDS returned no master user secret`);
      return arn;
    }),
    keyArn: key.arn,
    subnetCidrs: args.subnets.cidrs,
    dependsOn: instances,
  };
}
