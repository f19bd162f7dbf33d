/**
 * The one mock harness, shared by the unit tests (test/helpers/mocks.ts), the offline plan and the
 * start-up benchmark. `mockTap(build)` runs tap against Pulumi mocks (no engine, no cloud)
 * and returns every resource it registered (type, name, inputs) and every data-source call.
 *
 * Remote components (eks.Cluster, eks.ManagedNodeGroup, awsx.ec2.Vpc) register as ONE resource
 * each; their outputs are the fakes below. Tests assert on the inputs tap passes them.
 */
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument } from "../lib/iam/policy";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
/** The public hosted zone the mocks answer aws.route53.getZone with (any zone ID). */
export const HOSTED_ZONE_NAME = "example.com";
export const OIDC_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC_ISSUER}`;

export type Inputs = Record<string, unknown>;

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Inputs;
  readonly custom: boolean;
  /** The provider reference (URN::id) the resource was registered with, if any. */
  readonly provider?: string;
  /** When it was registered: ms since the process started (the start-up benchmark reads it). */
  readonly at: number;
  /** Its URN, as the mock monitor made it. */
  readonly urn: string;
  /** The parent's URN ("" for none). */
  readonly parent: string;
  /**
   * URNs the engine waits for before creating it (and deletes it before): explicit dependsOn and
   * every resource whose outputs its inputs use, as the SDK sends them to a real engine.
   */
  readonly dependencies: readonly string[];
  /** deletedWith: the URN whose deletion makes this resource's own delete a no-op ("" for none). */
  readonly deletedWith: string;
  /**
   * Set on a child of a remote component that the mocks cannot see, added by the offline plan from
   * a model of the component's source (tools/remote-model.ts): where the model comes from.
   */
  readonly modeled?: string;
}

export interface RecordedCall {
  readonly token: string;
  readonly inputs: Inputs;
}

export interface ClusterVersionFake {
  clusterVersion: string;
  versionStatus: "STANDARD_SUPPORT" | "EXTENDED_SUPPORT" | "UNSUPPORTED";
  endOfStandardSupportDate: string;
  endOfExtendedSupportDate: string;
}

/** What EKS answered in us-east-1 as of 2026-11 (from the EKS version calendar). */
export const EKS_VERSIONS_2026_11: ClusterVersionFake[] = [
  ["1.28", "UNSUPPORTED", "2024-11-26", "2025-11-26"],
  ["1.29", "UNSUPPORTED", "2025-03-23", "2026-03-23"],
  ["1.30", "UNSUPPORTED", "2025-07-23", "2026-07-23"],
  ["1.31", "EXTENDED_SUPPORT", "2025-11-26", "2026-11-26"],
  ["1.32", "EXTENDED_SUPPORT", "2026-03-23", "2027-03-23"],
  ["1.33", "EXTENDED_SUPPORT", "2026-07-29", "2027-07-29"],
  ["1.34", "STANDARD_SUPPORT", "2026-12-02", "2027-12-02"],
  ["1.35", "STANDARD_SUPPORT", "2027-03-27", "2028-03-27"],
].map(([clusterVersion, versionStatus, std, ext]) => ({
  clusterVersion,
  versionStatus: versionStatus as ClusterVersionFake["versionStatus"],
  endOfStandardSupportDate: `${std}T00:00:00Z`,
  endOfExtendedSupportDate: `${ext}T00:00:00Z`,
}));

/** The EKS add-on version the fake getAddonVersion returns: it names the minor it was asked for. */
export const fakeAddonVersion = (addonName: string, kubernetesVersion: string): string =>
  `v${kubernetesVersion}.0-${addonName}-eksbuild.1`;

function fakeState(type: string, name: string, inputs: Inputs): Inputs {
  const str = (key: string): string => (typeof inputs[key] === "string" ? inputs[key] : name);
  switch (type) {
    case "awsx:ec2:Vpc": {
      const azs =
        typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 3;
      // The recovery region's VPC (named ...-<region>, tap:dr) gets ids of its own.
      const region = /-([a-z]{2}-[a-z]+-\d)$/.exec(name)?.[1];
      const ids = (kind: string) =>
        Array.from({ length: azs }, (_, i) =>
          region ? `subnet-${region}-${kind}-${i}` : `subnet-${kind}-${i}`,
        );
      const specs = Array.isArray(inputs.subnetSpecs) ? (inputs.subnetSpecs as Inputs[]) : [];
      return {
        vpcId: region ? `vpc-${region}-0123456789` : "vpc-0123456789abcdef0",
        privateSubnetIds: ids("private"),
        publicSubnetIds: ids("public"),
        isolatedSubnetIds: specs.some((s) => s.type === "Isolated") ? ids("data") : [],
      };
    }
    case "eks:index:Cluster":
      return {
        kubeconfigJson: JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: str("name") }],
        }),
        kubeconfig: { apiVersion: "v1", kind: "Config" },
        oidcProviderArn: OIDC_PROVIDER_ARN,
        oidcIssuer: OIDC_ISSUER,
        oidcProviderUrl: `https://${OIDC_ISSUER}`,
        // pulumi-eks's own extra group (tap skips it); the EKS-created one is under eksCluster.
        clusterSecurityGroupId: "sg-0pulumieks00000000",
        eksCluster: {
          name: str("name"),
          vpcConfig: { clusterSecurityGroupId: "sg-0cluster0000000000" },
        },
        core: { endpoint: "https://EXAMPLE0123.gr7.us-east-1.eks.amazonaws.com" },
      };
    case "eks:index:ManagedNodeGroup": {
      const group = `${String(inputs.nodeGroupNamePrefix ?? name)}20261121`;
      return {
        nodeGroup: {
          nodeGroupName: group,
          // EKS names the auto scaling group it makes eks-<node group>-<uuid>.
          resources: [
            { autoscalingGroups: [{ name: `eks-${group}-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d` }] },
          ],
        },
      };
    }
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}`, keyId: `key-${name}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return {
        name: str("name"),
        arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${str("name")}`,
      };
    case "aws:iam/role:Role":
      return { name: str("name"), arn: `arn:aws:iam::${ACCOUNT}:role/${str("name")}` };
    case "aws:iam/policy:Policy":
      return { arn: `arn:aws:iam::${ACCOUNT}:policy/${str("name")}` };
    case "aws:ec2/eip:Eip":
      return { allocationId: `eipalloc-${name}` };
    case "aws:ecr/repository:Repository":
      return {
        name: str("name"),
        arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${str("name")}`,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${str("name")}`,
      };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return {
        arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url ?? name).replace(/^https:\/\//, "")}`,
      };
    case "aws:rds/cluster:Cluster": {
      const id = str("clusterIdentifier");
      return {
        arn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`,
        endpoint: `${id}.cluster-c0ffee123456.${REGION}.rds.amazonaws.com`,
        readerEndpoint: `${id}.cluster-ro-c0ffee123456.${REGION}.rds.amazonaws.com`,
        masterUserSecrets: [
          {
            secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!cluster-0a1b2c3d-AbCdEf`,
            secretStatus: "active",
          },
        ],
      };
    }
    case "aws:s3/bucket:Bucket":
      return {
        bucket: str("bucket"),
        arn: `arn:aws:s3:::${str("bucket")}`,
        bucketRegionalDomainName: `${str("bucket")}.s3.${REGION}.amazonaws.com`,
      };
    case "aws:cloudfront/distribution:Distribution":
      return {
        arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/E2QWRUHEXAMPLE`,
        domainName: "d111111abcdef8.cloudfront.net",
      };
    case "aws:wafv2/webAcl:WebAcl":
      return {
        arn:
          inputs.scope === "CLOUDFRONT"
            ? `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/${str("name")}/a1b2c3d4`
            : `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/${str("name")}/a1b2c3d4`,
      };
    case "aws:sns/topic:Topic":
      return { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${str("name")}` };
    case "aws:amp/workspace:Workspace":
      // The id is the mocks' `<name>-id`; the ARN and endpoint are built on it as AWS builds them.
      return {
        arn: `arn:aws:aps:${REGION}:${ACCOUNT}:workspace/${name}-id`,
        prometheusEndpoint: `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${name}-id/`,
      };
    case "aws:grafana/workspace:Workspace":
      return { endpoint: `g-0123456789.grafana-workspace.${REGION}.amazonaws.com` };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { latestVersion: 1 };
    default:
      return {};
  }
}

export interface SynthesisResult<T> {
  readonly resources: readonly RecordedResource[];
  readonly calls: readonly RecordedCall[];
  readonly value: T;
}

/** Per-test answers for data sources, keyed by token; cleared by every `mockTap` call. */
export type CallOverrides = Record<string, (inputs: Inputs) => Inputs>;

/**
 * Installs fresh mocks and runs `build` against them. Resolves once every registration the
 * program started has settled, with everything recorded.
 */
export async function mockTap<T>(
  build: () => T | Promise<T>,
  overrides: CallOverrides = {},
  stack = "dev",
): Promise<SynthesisResult<T>> {
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  // The mock monitor passes mocks only type, name and inputs; the graph (parent, dependencies,
  // deletedWith, URN) is read from the registration request itself, just before it is answered.
  let graph: Pick<RecordedResource, "urn" | "parent" | "dependencies" | "deletedWith"> | undefined;
  await pulumi.runtime.setMocks(
    {
      newResource: (args: pulumi.runtime.MockResourceArgs) => {
        const inputs = args.inputs as Inputs;
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          custom: args.custom ?? true,
          provider: args.provider,
          at: performance.now(),
          ...(graph ?? { urn: "", parent: "", dependencies: [], deletedWith: "" }),
        });
        return {
          id: `${args.name}-id`,
          state: { ...inputs, ...fakeState(args.type, args.name, inputs) },
        };
      },
      call: (args: pulumi.runtime.MockCallArgs) => {
        const inputs = args.inputs as Inputs;
        calls.push({ token: args.token, inputs });
        const override = overrides[args.token];
        if (override) return override(inputs);
        switch (args.token) {
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
              accountId: ACCOUNT,
              arn: `arn:aws:iam::${ACCOUNT}:user/ci`,
              userId: "AIDEXAMPLE",
            };
          case "aws:index/getRegion:getRegion":
            return { region: REGION, name: REGION, id: REGION };
          case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
          case "aws:eks/getAddonVersion:getAddonVersion":
            return {
              ...inputs,
              version: fakeAddonVersion(String(inputs.addonName), String(inputs.kubernetesVersion)),
            };
          case "aws:ec2/getRouteTable:getRouteTable":
            // awsx's one route table per subnet (tools/remote-model.ts names it after the subnet).
            return {
              ...inputs,
              id: `rtb-${String(inputs.subnetId)}`,
              routeTableId: `rtb-${String(inputs.subnetId)}`,
            };
          case "aws:ec2/getSubnet:getSubnet": {
            // The awsx VPC's subnets as the mocks name them (subnet-<kind>-<az>), laid out as tap's
            // masks give them for 10.0.0.0/16: private /19s, then public /20s.
            const m = /^subnet-(private|public|data)-(\d+)$/.exec(String(inputs.id));
            const az = m ? Number(m[2]) : 0;
            // Data subnets as awsx allocates them for 3 AZs: last in each AZ's /18, after private
            // /19 and public /20 (pulumi/pulumi-awsx@e60adf3 subnetDistributorNew.ts).
            const cidrBlock =
              m?.[1] === "public"
                ? `10.0.${96 + 16 * az}.0/20`
                : m?.[1] === "data"
                  ? `10.0.${64 * az + 48}.0/22`
                  : `10.0.${32 * az}.0/19`;
            return { ...inputs, cidrBlock, availabilityZone: `${REGION}${"abcd"[az] ?? "a"}` };
          }
          case "aws:cloudfront/getCachePolicy:getCachePolicy":
            // AWS's managed policies have fixed IDs (CloudFront Developer Guide, managed cache policies).
            return {
              ...inputs,
              id:
                inputs.name === "Managed-CachingOptimized"
                  ? "658327ea-f89d-4fab-a63d-7e88639e58f6"
                  : undefined,
            };
          case "aws:rds/getEngineVersion:getEngineVersion":
            // The newest 16.x in us-east-1 as tap's mocks answer it (any 16.x >= 16.3 pauses at 0).
            return {
              ...inputs,
              versionActual: "16.6",
              parameterGroupFamily: "aurora-postgresql16",
            };
          case "aws:route53/getZone:getZone":
            return {
              ...inputs,
              name: HOSTED_ZONE_NAME,
              privateZone: false,
              arn: `arn:aws:route53:::hostedzone/${String(inputs.zoneId)}`,
            };
          case "aws:eks/getClusterVersions:getClusterVersions":
            return { clusterVersions: EKS_VERSIONS_2026_11, region: REGION };
          default:
            return inputs;
        }
      },
    },
    "tap",
    stack,
    false,
  );
  recordGraph(stack, (g) => (graph = g));
  const value = await quietSdk(async () => {
    const built = await build();
    await settle(() => resources.length + calls.length);
    return built;
  });
  return { resources, calls, value };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getDeletedwith(): string;
}
type Register = (req: RegisterRequest, callback: (err: unknown, res: unknown) => void) => unknown;

/**
 * Wraps the mock monitor's registerResource so each registration's graph is known to newResource
 * (which the monitor calls synchronously first). The URN follows the mock monitor's own rule.
 */
function recordGraph(
  stack: string,
  set: (g: Pick<RecordedResource, "urn" | "parent" | "dependencies" | "deletedWith">) => void,
): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: Register };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const parent = req.getParent();
    const parentType = parent ? `${parent.split("::")[2].split("$").pop()}$` : "";
    set({
      urn: `urn:pulumi:${stack}::tap::${parentType}${req.getType()}::${req.getName()}`,
      parent,
      dependencies: req.getDependenciesList(),
      deletedWith: req.getDeletedwith(),
    });
    return original(req, callback);
  };
}

/**
 * What the SDK does for a real engine that no mock reads, and that costs most of a synthesis:
 * debuggablePromise (pulumi runtime/debuggable.js) captures and formats a stack trace for every
 * promise it wraps, for a leak report at exit, and Resource.callsites (pulumi resource.js) formats
 * the whole stack (Error.stackTraceLimit = Infinity) for every resource's source position. Under
 * jest each format also goes through source-map-support. Within a synthesis the harness skips
 * both: promises keep a placeholder instead of a stack, resources register without a source
 * position. `faithful` (the start-up benchmark) keeps the SDK as a real run has it.
 */
let faithful = false;
export function faithfulSdk(on: boolean): void {
  faithful = on;
}

interface DebuggableModule {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
}
interface CallsitesHolder {
  callsites: () => unknown[];
}

let promiseId = 0;
function quietPromise<T>(p: Promise<T>, ctx: unknown): Promise<T> {
  // What debuggablePromise records, minus the stack trace (it is only read by the leak report).
  Object.defineProperty(p, "_debugId", { writable: true, value: promiseId++ });
  Object.defineProperty(p, "_debugCtx", { writable: true, value: ctx });
  Object.defineProperty(p, "_debugStackTrace", {
    writable: true,
    value: "(stack not captured by tap's offline harness)",
  });
  return p;
}

async function quietSdk<T>(work: () => Promise<T>): Promise<T> {
  if (faithful) return work();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;
  const resource = pulumi.Resource as unknown as CallsitesHolder;
  const [wrap, callsites] = [debuggable.debuggablePromise, resource.callsites];
  debuggable.debuggablePromise = quietPromise;
  resource.callsites = () => [];
  try {
    return await work();
  } finally {
    debuggable.debuggablePromise = wrap;
    resource.callsites = callsites;
  }
}

/** Waits until nothing new is registered for a few macrotask turns (mocks answer synchronously). */
async function settle(count: () => number): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = count();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

/** Resolves an Output's value (mocks run with preview=false, so every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one recorded resource of `type` named `name` (its Pulumi name); throws when there is none. */
export function resourceNamed(
  resources: readonly RecordedResource[],
  type: string,
  name: string,
): RecordedResource {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

/** The one recorded resource with Pulumi name `name`, whatever its type; throws when there is none. */
export function named(resources: readonly RecordedResource[], name: string): RecordedResource {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}`);
  return found;
}

export function one(
  resources: readonly RecordedResource[],
  type: string,
  name?: string,
): RecordedResource {
  const found = ofType(resources, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`,
    );
  }
  return found[0];
}

/** Parses a JSON policy document input (policies are passed as JSON strings). */
export function policyOf(r: RecordedResource, key = "policy"): PolicyDocument {
  const raw = r.inputs[key];
  if (typeof raw !== "string") throw new Error(`${r.type} ${r.name} has no JSON ${key}`);
  return JSON.parse(raw) as PolicyDocument;
}

export type { PolicyDocument, PolicyStatement } from "../lib/iam/policy";
