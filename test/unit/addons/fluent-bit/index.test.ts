import {
  FLUENT_BIT_DEFAULTS,
  applicationLogGroupName,
  deployFluentBit,
} from "../../../../lib/addons/fluent-bit";
import { fluentBitPolicy } from "../../../../lib/addons/fluent-bit/iam";
import { VERSION_PINS } from "../../../../lib/addons/versions";
import { PolicyDocument } from "../../../../lib/iam/policy";
import { testAddonContext } from "../../../helpers/addon-context";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import { kubernetesManifests, validateManifest } from "../../../helpers/k8s-schema";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  mockTap,
  one,
  policyOf,
} from "../../../helpers/mocks";

const KMS_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`;
const GROUP = "/aws/eks/tap-eks-dev/application";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tap-fluent-bit-dev`;
const SCOPE = { partition: "aws", region: REGION, accountId: ACCOUNT };
const RELEASE = "kubernetes:helm.sh/v3:Release";

type Obj = Record<string, unknown>;

const run = (kubernetesVersion = "1.28") =>
  mockTap(() => deployFluentBit(testAddonContext({ kubernetesVersion }), { kmsKeyArn: KMS_ARN }));

async function valuesOf(kubernetesVersion = "1.28"): Promise<Obj> {
  const { resources } = await run(kubernetesVersion);
  return one(resources, RELEASE).inputs.values as Obj;
}

describe("deployFluentBit: release", () => {
  it.each(["1.28", "1.33"] as const)(
    "installs the pinned aws-for-fluent-bit chart and image for Kubernetes %s",
    async (v) => {
      const { resources } = await run(v);
      const release = one(resources, RELEASE);
      const pin = VERSION_PINS[v].fluentBit;
      expect(release.inputs).toMatchObject({
        chart: "aws-for-fluent-bit",
        version: pin.version,
        repositoryOpts: { repo: "https://aws.github.io/eks-charts" },
        namespace: "amazon-cloudwatch",
        atomic: true,
        cleanupOnFail: true,
      });
      expect((release.inputs.values as Obj).image).toEqual({
        repository: pin.image.repository,
        tag: pin.image.tag,
      });
    },
  );

  it("creates its own namespace with PSS privileged (hostPath), valid against the schema", async () => {
    const { resources } = await run();
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    expect(ns.inputs.metadata).toMatchObject({
      name: "amazon-cloudwatch",
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    const manifests = kubernetesManifests(resources);
    expect(manifests).toHaveLength(1);
    for (const m of manifests) expect(() => validateManifest(m)).not.toThrow();
  });

  it("locks the service account name and its role annotation", async () => {
    expect((await valuesOf()).serviceAccount).toEqual({
      create: true,
      name: "fluent-bit",
      annotations: { "eks.amazonaws.com/role-arn": ROLE_ARN },
    });
  });

  it("ships to the tap group in the stack's region, one stream per namespace/pod, never creating groups", async () => {
    const cw = (await valuesOf()).cloudWatchLogs as Obj;
    expect(cw).toEqual({
      enabled: true,
      match: "kube.*",
      region: REGION,
      logGroupName: GROUP,
      logGroupTemplate: "",
      logStreamTemplate: "$kubernetes['namespace_name'].$kubernetes['pod_name']",
      logStreamPrefix: "fallback-",
      autoCreateGroup: false,
    });
    // No retention in the plugin: tap sets it on the group (and the role lacks PutRetentionPolicy).
    expect(cw).not.toHaveProperty("logRetentionDays");
  });

  it.each([
    "cloudWatch",
    "firehose",
    "kinesis",
    "kinesis_streams",
    "elasticsearch",
    "s3",
    "opensearch",
  ])("turns the %s output off", async (output) => {
    expect((await valuesOf())[output]).toEqual({ enabled: false });
  });

  it("enriches records with Kubernetes metadata and parses JSON logs into fields", async () => {
    expect((await valuesOf()).filter).toEqual({
      enabled: true,
      match: "kube.*",
      mergeLog: "On",
      mergeLogKey: "data",
      keepLog: "Off",
      k8sLoggingParser: "On",
      k8sLoggingExclude: "Off",
      extraFilters: "Labels On\nAnnotations Off",
    });
  });

  it("runs on every node (tolerates every taint), with requests and limits", async () => {
    const values = await valuesOf();
    expect(values.tolerations).toEqual([{ operator: "Exists" }]);
    expect(values).not.toHaveProperty("nodeSelector");
    expect(values.resources).toEqual(FLUENT_BIT_DEFAULTS.resources);
    expect(values.priorityClassName).toBe("system-node-critical");
  });
});

describe("deployFluentBit: log group", () => {
  it("creates /aws/eks/<cluster>/application with the configured retention, the tap KMS key and tags", async () => {
    const { resources } = await run();
    const group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-application-logs-dev");
    expect(group.inputs).toMatchObject({
      name: GROUP,
      retentionInDays: 30,
      kmsKeyId: KMS_ARN,
      tags: { Environment: "dev", ManagedBy: "pulumi" },
    });
    expect(applicationLogGroupName("dev")).toBe(GROUP);
  });

  it("follows tap:logRetentionDays", async () => {
    const { resources } = await mockTap(() =>
      deployFluentBit(testAddonContext({ logRetentionDays: 90 }), { kmsKeyArn: KMS_ARN }),
    );
    expect(one(resources, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).toBe(90);
  });
});

describe("Fluent Bit IRSA", () => {
  it("trusts exactly amazon-cloudwatch:fluent-bit (sub and aud)", async () => {
    const { resources } = await run();
    const trust = policyOf(
      one(resources, "aws:iam/role:Role", "tap-fluent-bit-dev"),
      "assumeRolePolicy",
    );
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:amazon-cloudwatch:fluent-bit",
        [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
      },
    });
    const claims = (sub: string) => ({ sub, aud: "sts.amazonaws.com" });
    await expect(
      simulateWebIdentity(
        trust as PolicyDocument,
        OIDC_ISSUER,
        OIDC_PROVIDER_ARN,
        ROLE_ARN,
        claims("system:serviceaccount:amazon-cloudwatch:fluent-bit"),
      ),
    ).resolves.toBe("Allowed");
    await expect(
      simulateWebIdentity(
        trust as PolicyDocument,
        OIDC_ISSUER,
        OIDC_PROVIDER_ARN,
        ROLE_ARN,
        claims("system:serviceaccount:kube-system:fluent-bit"),
      ),
    ).resolves.toBe("ImplicitlyDenied");
  });

  it("attaches the policy built for the stack's account and region", async () => {
    const { resources } = await run();
    expect(policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy"))).toEqual(
      fluentBitPolicy(SCOPE, [GROUP]),
    );
  });

  const policy = fluentBitPolicy(SCOPE, [GROUP]);
  const group = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
  const stream = (name: string) => `${group(name)}:log-stream:apps.api-7d9f-abcde`;
  const OTHER = "/aws/eks/other-cluster/application";

  it.each([
    ["logs:PutLogEvents", stream(GROUP), "Allowed"],
    ["logs:CreateLogStream", stream(GROUP), "Allowed"],
    ["logs:PutLogEvents", stream(OTHER), "ImplicitlyDenied"],
    ["logs:CreateLogStream", stream(OTHER), "ImplicitlyDenied"],
    ["logs:PutLogEvents", stream("/aws/eks/tap-eks-dev/application-other"), "ImplicitlyDenied"],
    ["logs:CreateLogGroup", group(GROUP), "ImplicitlyDenied"],
    ["logs:CreateLogGroup", group(OTHER), "ImplicitlyDenied"],
    ["logs:DeleteLogGroup", group(GROUP), "ImplicitlyDenied"],
    ["logs:PutRetentionPolicy", group(GROUP), "ImplicitlyDenied"],
    ["logs:DeleteLogStream", stream(GROUP), "ImplicitlyDenied"],
  ])("simulated %s on %s: %s", async (action, resource, expected) => {
    await expect(simulate(policy, { action, resource })).resolves.toBe(expected);
  });

  it.each(policy.Statement.map((s, i) => [i, s] as const))(
    "statement %i has no '*' action and no logs:* or iam:* action, and no '*' resource",
    (_i, statement) => {
      const actions = ([] as string[]).concat(statement.Action);
      for (const a of actions) {
        expect(a).not.toBe("*");
        expect(a).not.toMatch(/^logs:\*|^iam:/);
        expect(a).not.toContain("*");
      }
      expect(([] as string[]).concat(statement.Resource ?? [])).not.toContain("*");
    },
  );

  it("rejects an empty group list and wildcard group names", () => {
    expect(() => fluentBitPolicy(SCOPE, [])).toThrow(/at least one log group/);
    expect(() => fluentBitPolicy(SCOPE, ["/aws/eks/*"])).toThrow(/must not contain wildcards/);
  });
});
