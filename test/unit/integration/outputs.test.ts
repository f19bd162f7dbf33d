import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TapConfigError } from "../../../lib/config";
import { CONTROL_PLANE_LOG_TYPES } from "../../../lib/cluster";
import {
  DEFAULT_OUTPUTS_FILE,
  OutputsFileError,
  PROJECT_ROOT,
  StackOutputsFile,
  loadOutputs,
  outputsFilePath,
  parseOutputs,
  resolveExpectations,
  skipReason,
} from "../../integration/outputs";

/** What `pulumi stack output --json --show-secrets` prints for a deployed tap stack. */
const RAW_OUTPUTS = {
  clusterName: "tap-eks-qa1",
  clusterEndpoint: "https://ABC.gr7.us-east-1.eks.amazonaws.com",
  clusterVersion: "1.33",
  kubeconfig: { apiVersion: "v1", kind: "Config" },
  kubeconfigCommand: "aws eks update-kubeconfig --region us-east-1 --name tap-eks-qa1",
  oidcProviderArn:
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123",
  oidcIssuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123",
  vpcId: "vpc-0123",
  privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  publicSubnetIds: ["subnet-d", "subnet-e", "subnet-f"],
  nodeGroupNames: ["tap-spot-qa1-2025", "tap-ondemand-qa1-2025"],
  clusterSecurityGroupId: "sg-0123",
  kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1111-2222",
  controlPlaneLogGroupName: "/aws/eks/tap-eks-qa1/cluster",
  flowLogGroupName: "/aws/vpc/tap-flow-logs-qa1",
  region: "us-east-1",
  environmentSuffix: "qa1",
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-outputs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const errorOf = (fn: () => unknown): OutputsFileError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof OutputsFileError) return e;
    throw e;
  }
  throw new Error("expected an OutputsFileError");
};

describe("loadOutputs", () => {
  it("reads cfn-outputs/flat-outputs.json at the project root unless TAP_OUTPUTS_FILE names another", () => {
    expect(outputsFilePath({})).toBe(path.join(PROJECT_ROOT, DEFAULT_OUTPUTS_FILE));
    expect(outputsFilePath({ TAP_OUTPUTS_FILE: "/tmp/x.json" })).toBe("/tmp/x.json");
  });

  it("returns no outputs and the reason (naming the missing file) when there is no file", () => {
    const missing = path.join(dir, "nope.json");
    const load = loadOutputs({ TAP_OUTPUTS_FILE: missing });
    expect(load.outputs).toBeUndefined();
    expect(load).toEqual({
      outputs: undefined,
      reason: `TAP_OUTPUTS_FILE=${missing} does not exist`,
    });
  });

  it("reads and types a real outputs file, ignoring outputs the checks do not use", () => {
    const file = write("outputs.json", JSON.stringify(RAW_OUTPUTS));
    const load = loadOutputs({ TAP_OUTPUTS_FILE: file });
    expect(load).toEqual({
      file,
      outputs: {
        clusterName: "tap-eks-qa1",
        clusterSecurityGroupId: "sg-0123",
        clusterVersion: "1.33",
        oidcIssuerUrl: RAW_OUTPUTS.oidcIssuerUrl,
        oidcProviderArn: RAW_OUTPUTS.oidcProviderArn,
        privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
        nodeGroupNames: ["tap-spot-qa1-2025", "tap-ondemand-qa1-2025"],
        kmsKeyArn: RAW_OUTPUTS.kmsKeyArn,
        controlPlaneLogGroupName: "/aws/eks/tap-eks-qa1/cluster",
        flowLogGroupName: "/aws/vpc/tap-flow-logs-qa1",
        region: "us-east-1",
        environmentSuffix: "qa1",
      },
    });
  });

  it.each([
    ["an empty file", "", /the file is empty/],
    ["text that is not JSON", "clusterName: x", /not JSON/],
    ["a JSON array", "[]", /expected a JSON object of outputs/],
  ])("throws on %s, naming the file and how to regenerate it", (_, text, message) => {
    const file = write("bad.json", text);
    const error = errorOf(() => loadOutputs({ TAP_OUTPUTS_FILE: file }));
    expect(error.message).toMatch(message);
    expect(error.message).toContain(file);
    expect(error.message).toContain("pulumi stack output --json --show-secrets");
  });
});

describe("parseOutputs", () => {
  it("accepts the later optional outputs, decoding lists and maps flattened to JSON strings", () => {
    const outputs = parseOutputs({
      ...RAW_OUTPUTS,
      privateSubnetIds: JSON.stringify(RAW_OUTPUTS.privateSubnetIds),
      irsaRoleArns: {
        "kube-system/cluster-autoscaler": "arn:aws:iam::123456789012:role/tap-ca-qa1",
      },
      applicationLogGroupName: "/aws/containerinsights/tap-eks-qa1/application",
      serviceNames: '["payments","ledger"]',
      appMeshName: "tap-mesh-qa1",
    });
    expect(outputs.privateSubnetIds).toEqual(["subnet-a", "subnet-b", "subnet-c"]);
    expect(outputs.irsaRoleArns).toEqual({
      "kube-system/cluster-autoscaler": "arn:aws:iam::123456789012:role/tap-ca-qa1",
    });
    expect(outputs.applicationLogGroupName).toBe("/aws/containerinsights/tap-eks-qa1/application");
    expect(outputs.serviceNames).toEqual(["payments", "ledger"]);
    expect(outputs.appMeshName).toBe("tap-mesh-qa1");
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      "missing",
      { clusterName: undefined },
      "clusterName",
      /"clusterName" is missing \(expected a non-empty string\)/,
    ],
    [
      "a number",
      { privateSubnetIds: 42 },
      "privateSubnetIds",
      /"privateSubnetIds" must be a non-empty list of subnet IDs \(got 42\)/,
    ],
    [
      "an empty list",
      { nodeGroupNames: [] },
      "nodeGroupNames",
      /"nodeGroupNames" must be a non-empty list of strings \(got \[\]\)/,
    ],
    [
      "not a minor",
      { clusterVersion: "latest" },
      "clusterVersion",
      /"clusterVersion" must be a Kubernetes minor/,
    ],
    [
      "not a KMS ARN",
      { kmsKeyArn: "alias/tap" },
      "kmsKeyArn",
      /"kmsKeyArn" must be a KMS key ARN \(got "alias\/tap"\)/,
    ],
    ["not a region", { region: "US East" }, "region", /"region" must be an AWS region/],
    [
      "a list of roles",
      { irsaRoleArns: ["arn:aws:iam::123456789012:role/x"] },
      "irsaRoleArns",
      /"irsaRoleArns" must be an object of IAM role ARNs/,
    ],
    [
      "a map to non-ARNs",
      { irsaRoleArns: { keda: "keda-role" } },
      "irsaRoleArns",
      /"irsaRoleArns" must be an object/,
    ],
    [
      "a mistyped optional",
      { applicationLogGroupName: 7 },
      "applicationLogGroupName",
      /"applicationLogGroupName" must be a non-empty string \(got 7\)/,
    ],
  ])("names the key when an output is %s", (_, patch, key, message) => {
    const error = errorOf(() => parseOutputs({ ...RAW_OUTPUTS, ...patch }, "flat.json"));
    expect(error.keys).toEqual([key]);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith("flat.json: ")).toBe(true);
  });

  it("lists every bad key at once", () => {
    const error = errorOf(() => parseOutputs({ clusterName: "tap-eks-qa1" }));
    expect(error.keys).toEqual([
      "clusterVersion",
      "oidcIssuerUrl",
      "oidcProviderArn",
      "privateSubnetIds",
      "nodeGroupNames",
      "kmsKeyArn",
      "controlPlaneLogGroupName",
      "flowLogGroupName",
      "region",
      "environmentSuffix",
    ]);
  });
});

describe("skipReason", () => {
  it("is one line naming the reason, the pulumi command and TAP_OUTPUTS_FILE", () => {
    const line = skipReason("cfn-outputs/flat-outputs.json does not exist");
    expect(line).not.toContain("\n");
    expect(line).toBe(
      "tap integration tests skipped: no stack outputs (cfn-outputs/flat-outputs.json does not exist); " +
        "deploy, then run `pulumi stack output --json --show-secrets > cfn-outputs/flat-outputs.json` " +
        "or set TAP_OUTPUTS_FILE=<path to that JSON>",
    );
  });
});

describe("resolveExpectations", () => {
  const outputs: StackOutputsFile = parseOutputs(RAW_OUTPUTS);

  it("defaults to lib/config.ts DEFAULTS and the deployed clusterVersion when no stack config file exists", () => {
    const env = { TAP_STACK_CONFIG_FILE: path.join(dir, "Pulumi.qa1.yaml") };
    expect(resolveExpectations(outputs, env)).toEqual({
      kubernetesVersion: "1.33",
      logTypes: CONTROL_PLANE_LOG_TYPES,
      nodeTotals: { min: 3, desired: 10, max: 30 },
      spotPercentage: 70,
      logRetentionDays: 30,
      source: "lib/config.ts DEFAULTS",
    });
  });

  it("takes the stack's Pulumi.<stack>.yaml over the defaults, and TAP_EXPECT_* env over the file", () => {
    const file = write(
      "Pulumi.qa1.yaml",
      [
        "config:",
        "  aws:region: us-east-1",
        "  tap:environmentSuffix: qa1",
        "  tap:kubernetesVersion: '1.34'",
        "  tap:nodeMaxSize: 20",
        "  tap:spotPercentage: 50",
        "  tap:logRetentionDays: 90",
        "  tap:clusterAdminArns:",
        "    - arn:aws:iam::123456789012:role/Admin",
      ].join("\n"),
    );
    const expected = resolveExpectations(outputs, {
      TAP_STACK_CONFIG_FILE: file,
      TAP_EXPECT_LOG_RETENTION_DAYS: "14",
    });
    expect(expected.kubernetesVersion).toBe("1.34");
    expect(expected.nodeTotals).toEqual({ min: 3, desired: 10, max: 20 });
    expect(expected.spotPercentage).toBe(50);
    expect(expected.logRetentionDays).toBe(14);
    expect(expected.source).toMatch(
      /^lib\/config.ts DEFAULTS < .*Pulumi\.qa1\.yaml < env TAP_EXPECT_LOG_RETENTION_DAYS$/,
    );
  });

  it("validates expectations with the config contract: a bad override names its tap: key", () => {
    const env = {
      TAP_STACK_CONFIG_FILE: path.join(dir, "none.yaml"),
      TAP_EXPECT_SPOT_PERCENTAGE: "150",
    };
    expect(() => resolveExpectations(outputs, env)).toThrow(TapConfigError);
    expect(() => resolveExpectations(outputs, env)).toThrow(
      'tap:spotPercentage must be an integer 0..100 (got "150")',
    );
  });
});
