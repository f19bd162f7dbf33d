/**
 * The integration suite's emulated stack: creates in an AWS API emulator (moto in server mode,
 * started by tools/emulator/run.sh) what a `pulumi up` of tap would leave behind — the EKS cluster,
 * its OIDC provider, the two node groups with their Auto Scaling groups, the log groups and the IRSA
 * roles — taken from tap's own synthesis (the same mocks as the offline plan), then writes the
 * stack outputs file the SDK suite reads. Nothing here is in the program: the emulator's endpoint
 * reaches the SDK only through AWS_ENDPOINT_URL, which run.sh sets for this process and the suite.
 *
 *   node dist/tools/emulator/fixture.js --outputs <file> [--stack dev] [--break <kind>]
 *
 * `--break` builds a wrong stack on purpose, to show the suite fails on it (BREAKS below).
 */
import * as fs from "fs";
import * as path from "path";
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  EKSClient,
} from "@aws-sdk/client-eks";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { CONTROL_PLANE_LOG_TYPES } from "../../lib/cluster";
import { resolveConfig } from "../../lib/config";
import { TapStack } from "../../lib/tap-stack";
import { OIDC_ISSUER, OIDC_PROVIDER_ARN, RecordedResource, mockTap } from "../offline-mocks";
import { loadConfig } from "../plan";

/** Wrong stacks the suite must reject, each named for what it breaks. */
export const BREAKS = {
  "missing-log-group": "the application log group is never created",
  "wrong-asg-tag": "the on-demand Auto Scaling group lacks cluster-autoscaler's enabled tag",
  "stale-node-group": "the on-demand node group runs the previous Kubernetes minor",
  "loose-trust": "the keda-operator role trusts every service account of its namespace",
} as const;
export type Break = keyof typeof BREAKS;

export interface FixtureOptions {
  readonly outputs: string;
  readonly stack: string;
  readonly break?: Break;
}

export function parseFixtureArgs(argv: readonly string[]): FixtureOptions {
  let outputs = "";
  let stack = "dev";
  let broken: Break | undefined;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ""] = [argv[i], argv[i + 1]];
    if (flag === "--outputs") outputs = value;
    else if (flag === "--stack") stack = value;
    else if (flag === "--break" && value in BREAKS) broken = value as Break;
    else throw new Error(`fixture: unknown argument ${flag} ${value}`);
  }
  if (!outputs) throw new Error("fixture: --outputs <file> is required");
  return { outputs, stack, ...(broken ? { break: broken } : {}) };
}

const ofType = (rs: readonly RecordedResource[], type: string) => rs.filter((r) => r.type === type);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** What the synthesis says the stack consists of (the parts the SDK suite checks). */
async function synthesize(stack: string) {
  const { config: input } = loadConfig({ stack, overrides: [], date: "" });
  const { config } = resolveConfig(input, { stackName: stack });
  const { resources } = await mockTap(
    () => new TapStack("tap", { config: input, context: { stackName: stack } }),
    {},
    stack,
  );
  return { config, resources };
}

export async function createFixture(options: FixtureOptions): Promise<Record<string, unknown>> {
  const { config, resources } = await synthesize(options.stack);
  const region = process.env.AWS_REGION ?? "us-east-1";
  const aws = { region };
  const eks = new EKSClient(aws);
  const iam = new IAMClient(aws);
  const logs = new CloudWatchLogsClient(aws);
  const asg = new AutoScalingClient(aws);
  const broken = options.break;
  try {
    const clusterName = str(ofType(resources, "eks:index:Cluster")[0]?.inputs.name);
    const account = "123456789012"; // moto's default account
    const kmsKeyArn = `arn:aws:kms:${region}:${account}:key/0b6f7a2e-tap-emulated`;
    const privateSubnetIds = ["subnet-0a", "subnet-0b", "subnet-0c"];

    const clusterRole = await iam.send(
      new CreateRoleCommand({
        RoleName: `${clusterName}-eksRole`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "eks.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
    await eks.send(
      new CreateClusterCommand({
        name: clusterName,
        version: config.kubernetesVersion,
        roleArn: clusterRole.Role?.Arn,
        resourcesVpcConfig: {
          subnetIds: privateSubnetIds,
          endpointPrivateAccess: true,
          endpointPublicAccess: true,
        },
        logging: { clusterLogging: [{ types: [...CONTROL_PLANE_LOG_TYPES], enabled: true }] },
        encryptionConfig: [{ resources: ["secrets"], provider: { keyArn: kmsKeyArn } }],
      }),
    );
    const described = await eks.send(new DescribeClusterCommand({ name: clusterName }));
    const issuerUrl = str(described.cluster?.identity?.oidc?.issuer);
    const issuer = issuerUrl.replace(/^https:\/\//, "");
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: issuerUrl,
        ClientIDList: ["sts.amazonaws.com"],
        ThumbprintList: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
      }),
    );
    const oidcProviderArn = str(provider.OpenIDConnectProviderArn);

    // The node groups as tap declares them (sizes, capacity type, tags), at the cluster's version.
    const nodeRole = await iam.send(
      new CreateRoleCommand({
        RoleName: `tap-node-${config.environmentSuffix}`,
        AssumeRolePolicyDocument: str(
          ofType(resources, "aws:iam/role:Role").find(
            (r) => r.inputs.name === `tap-node-${config.environmentSuffix}`,
          )?.inputs.assumeRolePolicy,
        ),
      }),
    );
    const nodeGroupNames: string[] = [];
    for (const group of ofType(resources, "eks:index:ManagedNodeGroup")) {
      const name = `${str(group.inputs.nodeGroupNamePrefix)}emulated`;
      const onDemand = group.inputs.capacityType === "ON_DEMAND";
      const created = await eks.send(
        new CreateNodegroupCommand({
          clusterName,
          nodegroupName: name,
          nodeRole: nodeRole.Role?.Arn,
          subnets: privateSubnetIds,
          capacityType: str(group.inputs.capacityType) as "SPOT" | "ON_DEMAND",
          scalingConfig: group.inputs.scalingConfig as {
            minSize: number;
            maxSize: number;
            desiredSize: number;
          },
          instanceTypes: group.inputs.instanceTypes as string[],
          version:
            broken === "stale-node-group" && onDemand
              ? `1.${Number(str(group.inputs.version).split(".")[1]) - 1}`
              : str(group.inputs.version),
          labels: group.inputs.labels as Record<string, string>,
        }),
      );
      nodeGroupNames.push(name);
      // EKS creates the group's ASG and (like tap's tags) marks it for cluster-autoscaler discovery.
      const tags = Object.entries(group.inputs.tags as Record<string, string>).filter(
        ([key]) =>
          !(broken === "wrong-asg-tag" && onDemand && key === "k8s.io/cluster-autoscaler/enabled"),
      );
      for (const { name: asgName } of created.nodegroup?.resources?.autoScalingGroups ?? []) {
        const lc = `${asgName}-lc`;
        await asg.send(
          new CreateLaunchConfigurationCommand({
            LaunchConfigurationName: lc,
            ImageId: "ami-12c6146b",
            InstanceType: (group.inputs.instanceTypes as string[])[0],
          }),
        );
        await asg.send(
          new CreateAutoScalingGroupCommand({
            AutoScalingGroupName: asgName,
            LaunchConfigurationName: lc,
            MinSize: 0,
            MaxSize: 1,
            AvailabilityZones: [`${region}a`],
            Tags: tags.map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true })),
          }),
        );
      }
    }

    // The log groups tap creates, with its retention and key.
    const groupNames: Record<string, string> = {};
    for (const group of ofType(resources, "aws:cloudwatch/logGroup:LogGroup")) {
      const name = str(group.inputs.name);
      groupNames[group.name] = name;
      if (broken === "missing-log-group" && name.endsWith("/application")) continue;
      await logs.send(new CreateLogGroupCommand({ logGroupName: name, kmsKeyId: kmsKeyArn }));
      await logs.send(
        new PutRetentionPolicyCommand({
          logGroupName: name,
          retentionInDays: Number(group.inputs.retentionInDays),
        }),
      );
    }

    // Every IRSA role with tap's own trust policy, pointed at this cluster's issuer.
    const irsaRoleArns: Record<string, string> = {};
    for (const role of ofType(resources, "aws:iam/role:Role")) {
      let trust = str(role.inputs.assumeRolePolicy);
      if (!trust.includes(OIDC_PROVIDER_ARN)) continue;
      trust = trust.split(OIDC_PROVIDER_ARN).join(oidcProviderArn).split(OIDC_ISSUER).join(issuer);
      const sub = /system:serviceaccount:([^:"]+):([^"]+)"/.exec(trust);
      if (!sub) continue;
      if (broken === "loose-trust" && sub[2] === "keda-operator") {
        trust = trust.replace(sub[0], `system:serviceaccount:${sub[1]}:*"`);
      }
      const created = await iam.send(
        new CreateRoleCommand({ RoleName: str(role.inputs.name), AssumeRolePolicyDocument: trust }),
      );
      irsaRoleArns[`${sub[1]}/${sub[2]}`] = str(created.Role?.Arn);
    }

    const outputs = {
      clusterName,
      clusterVersion: config.kubernetesVersion,
      oidcIssuerUrl: issuerUrl,
      oidcProviderArn,
      privateSubnetIds,
      nodeGroupNames,
      kmsKeyArn,
      controlPlaneLogGroupName:
        groupNames[`tap-eks-control-plane-logs-${config.environmentSuffix}`],
      flowLogGroupName: groupNames[`tap-flow-logs-${config.environmentSuffix}`],
      applicationLogGroupName: groupNames[`tap-application-logs-${config.environmentSuffix}`],
      region,
      environmentSuffix: config.environmentSuffix,
      irsaRoleArns,
    };
    fs.mkdirSync(path.dirname(path.resolve(options.outputs)), { recursive: true });
    fs.writeFileSync(options.outputs, `${JSON.stringify(outputs, null, 2)}\n`);
    return outputs;
  } finally {
    for (const client of [eks, iam, logs, asg]) client.destroy();
  }
}

if (require.main === module) {
  const options = parseFixtureArgs(process.argv.slice(2));
  createFixture(options).then(
    (o) => {
      const what = options.break ? ` (broken on purpose: ${BREAKS[options.break]})` : "";
      process.stderr.write(
        `fixture: ${String(o.clusterName)} with ${(o.nodeGroupNames as string[]).length} node groups and ${Object.keys(o.irsaRoleArns as object).length} IRSA roles in the emulator${what}; outputs in ${options.outputs}\n`,
      );
    },
    (e: unknown) => {
      process.stderr.write(
        `fixture failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
