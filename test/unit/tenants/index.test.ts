/**
 * Tenants: the contract (every problem named, all at once), the S3 confinement (simulated), the
 * namespace-scoped access, the quota and default limits (schema-valid), the bucket's defaults, and
 * the tenant's services in its namespace.
 */
import { kmsKeyPolicy } from "../../../lib/cluster";
import { resolveConfig } from "../../../lib/config";
import { TENANT_DEFAULTS, tenantBucketName, tenantS3Policy } from "../../../lib/tenants";
import { configProblems } from "../../helpers/config";
import { simulate } from "../../helpers/iam-sim";
import { validateManifest } from "../../helpers/k8s-schema";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  ofType,
  one,
  policyOf,
  synthStack,
  valueOf,
} from "../../helpers/mocks";

const ctx = { stackName: "dev", env: {} };
const IMAGE = "public.ecr.aws/nginx/nginx:1.27.3";
const big = {
  requestsCpu: "8",
  requestsMemory: "16Gi",
  limitsCpu: "16",
  limitsMemory: "32Gi",
  pods: 60,
};
const TENANTS = [
  {
    name: "retail",
    members: [
      { arn: `arn:aws:iam::${ACCOUNT}:role/RetailDevelopers`, level: "edit" },
      { arn: `arn:aws:iam::${ACCOUNT}:role/Auditors`, level: "view" },
    ],
    quota: big,
    s3: true,
  },
  {
    name: "core",
    members: [
      { arn: `arn:aws:iam::${ACCOUNT}:role/CoreBanking`, level: "admin" },
      { arn: `arn:aws:iam::${ACCOUNT}:role/Auditors`, level: "view" },
    ],
    quota: big,
    s3: true,
  },
];
const SERVICES = [
  {
    name: "gateway",
    tenant: "retail",
    image: IMAGE,
    public: true,
    calls: ["payments"],
    replicas: { min: 3, max: 20 },
  },
  {
    name: "payments",
    tenant: "core",
    image: IMAGE,
    calls: ["ledger"],
    replicas: { min: 2, max: 10 },
  },
  { name: "ledger", tenant: "core", image: IMAGE, replicas: { min: 2, max: 6 } },
];
const CONFIG = {
  kubernetesVersion: "1.35",
  enableAppMesh: "false",
  tenants: TENANTS,
  services: SERVICES,
};

const problems = (input: Record<string, unknown>): string[] =>
  configProblems({ enableAppMesh: "false", ...input }, ctx);

describe("tap:tenants, the contract", () => {
  it("has none by default, and resolves a tenant's defaults", () => {
    expect(resolveConfig({}, ctx).config.tenants).toEqual([]);
    const [t] = resolveConfig({ tenants: [{ name: "retail" }] }, ctx).config.tenants;
    expect(t).toEqual({ name: "retail", members: [], ...TENANT_DEFAULTS });
    const json = resolveConfig({ tenants: JSON.stringify([{ name: "a1" }]) }, ctx).config.tenants;
    expect(json.map((x) => x.name)).toEqual(["a1"]);
  });

  it.each([
    [
      [{ name: "kube-system" }],
      /tap:tenants\[0\]\.name "kube-system" is a system or add-on namespace/,
    ],
    [[{ name: "keda" }], /"keda" is a system or add-on namespace/],
    [[{ name: "kube-extra" }], /"kube-extra" is a system or add-on namespace/],
    [[{ name: "Retail" }], /tap:tenants\[0\]\.name must be a DNS label/],
    [[{ name: "a" }, { name: "a" }], /tap:tenants\[1\]\.name "a" is declared twice/],
    [
      [{ name: "a", members: [{ arn: "arn:aws:sts::123456789012:assumed-role/X/y" }] }],
      /members\[0\]\.arn must be an IAM role or user ARN/,
    ],
    [
      [{ name: "a", members: [{ arn: `arn:aws:iam::${ACCOUNT}:role/X`, level: "owner" }] }],
      /members\[0\]\.level must be one of view, edit, admin/,
    ],
    [
      [{ name: "a", quota: { requestsCpu: "lots" } }],
      /quota\.requestsCpu must be a Kubernetes quantity/,
    ],
    [[{ name: "a", quota: { gpus: 1 } }], /tap:tenants\[0\]\.quota/],
    [
      [{ name: "a", defaults: { requestCpu: "2", limitCpu: "1" } }],
      /defaults\.requestCpu must be <= limitCpu/,
    ],
    [[{ name: "a", color: "red" }], /tap:tenants\[0\]/],
  ])("refuses %j, naming the key", (tenants, message) => {
    expect(problems({ tenants })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^tap:tenants: .*${message.source}`)),
      ]),
    );
  });

  it("checks tenants against the catalog, the admins and App Mesh", () => {
    expect(
      problems({ tenants: [{ name: "retail" }], services: [{ ...SERVICES[2], tenant: "nope" }] }),
    ).toEqual([
      expect.stringMatching(
        /^tap:services: tap:services\[0\]\.tenant names unknown tenant "nope" \(tap:tenants: retail\)/,
      ),
    ]);
    expect(
      problems({
        tenants: [{ name: "ledger" }],
        services: [{ ...SERVICES[2], tenant: undefined }],
      }),
    ).toEqual([
      expect.stringMatching(/tenant "ledger" and service "ledger" would share namespace "ledger"/),
    ]);
    const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;
    expect(
      problems({
        clusterAdminArns: [admin],
        tenants: [{ name: "a", members: [{ arn: admin, level: "view" }] }],
      }),
    ).toEqual([expect.stringMatching(/is also in tap:clusterAdminArns/)]);
    expect(problems({ ...CONFIG, enableAppMesh: "true" })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /tenant "retail" runs services \(gateway\) and tap:enableAppMesh is true/,
        ),
      ]),
    );
  });

  it("refuses a tenant service named like the tenant's own objects", () => {
    const found = problems({
      tenants: [{ name: "retail" }],
      services: [{ name: "workloads", tenant: "retail", image: IMAGE }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /service "workloads" of tenant "retail" would collide with the tenant's own service account workloads/,
        ),
      ]),
    );
  });

  it("refuses a quota its services cannot fit at their maximum replicas", () => {
    const tenants = [{ ...TENANTS[0], quota: { ...big, requestsCpu: "1", pods: 10 } }, TENANTS[1]];
    const found = problems({ ...CONFIG, tenants });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /tenant "retail" quota\.requestsCpu is 1000m, but its services \(gateway\) need \d+m/,
        ),
        expect.stringMatching(
          /tenant "retail" quota\.pods is 10, but its services \(gateway\) need 25/,
        ),
      ]),
    );
  });

  it("reports every problem at once", () => {
    expect(
      problems({
        tenants: [{ name: "kube-system" }, { name: "x", s3: "maybe" }],
        spotPercentage: "150",
      }),
    ).toHaveLength(3);
  });
});

describe("a tenant's S3 access, simulated", () => {
  const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
  const bucket = tenantBucketName("dev", scope);
  const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k`;
  const policy = tenantS3Policy(scope, { bucket, tenant: "retail", kmsKeyArn: KEY });
  const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;
  const list = (prefix: string) =>
    simulate(policy, {
      action: "s3:ListBucket",
      resource: `arn:aws:s3:::${bucket}`,
      context: { "s3:prefix": prefix },
    });

  it("reads and writes under its prefix only", async () => {
    expect(
      await simulate(policy, { action: "s3:PutObject", resource: object("retail/a/b.json") }),
    ).toBe("Allowed");
    expect(await simulate(policy, { action: "s3:GetObject", resource: object("retail/x") })).toBe(
      "Allowed",
    );
    for (const key of ["core/x", "retail-other/x", "retailx", "x"]) {
      expect(await simulate(policy, { action: "s3:GetObject", resource: object(key) })).toBe(
        "ImplicitlyDenied",
      );
      expect(await simulate(policy, { action: "s3:PutObject", resource: object(key) })).toBe(
        "ImplicitlyDenied",
      );
    }
  });

  it("lists with its prefix, never the bucket root, another tenant's or a look-alike prefix", async () => {
    expect(await list("retail/")).toBe("Allowed");
    expect(await list("retail/2026/")).toBe("Allowed");
    for (const prefix of ["", "retail", "retail-other/", "core/", "r"]) {
      expect(await list(prefix)).toBe("ImplicitlyDenied");
    }
    expect(
      await simulate(policy, { action: "s3:ListBucket", resource: `arn:aws:s3:::${bucket}` }),
    ).toBe("ImplicitlyDenied");
  });

  it("uses tap's key only through S3, for this bucket", async () => {
    // iam-simulate does not know the per-key encryption-context keys (kms:EncryptionContext:<k>)
    // and would ignore them; as for the IRSA issuer keys, the key is aliased to one it knows for
    // kms:GenerateDataKey (kms:RequestAlias), in the policy and the request alike.
    const ALIAS = "kms:RequestAlias";
    const aliased = JSON.parse(
      JSON.stringify(policy).split("kms:EncryptionContext:aws:s3:arn").join(ALIAS),
    ) as typeof policy;
    // tap's real key policy: the account's IAM policies decide (lib/cluster.ts kmsKeyPolicy).
    const resourcePolicy = JSON.parse(kmsKeyPolicy("aws", REGION, ACCOUNT, [])) as typeof policy;
    const kms = (context: Record<string, string>) =>
      simulate(aliased, { action: "kms:GenerateDataKey", resource: KEY, context, resourcePolicy });
    const via = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
    expect(await kms({ ...via, [ALIAS]: `arn:aws:s3:::${bucket}` })).toBe("Allowed");
    expect(await kms({ ...via, [ALIAS]: "arn:aws:s3:::other" })).toBe("ImplicitlyDenied");
    expect(await kms({ [ALIAS]: `arn:aws:s3:::${bucket}` })).toBe("ImplicitlyDenied");
    expect(
      await kms({
        "kms:ViaService": "ec2.us-east-1.amazonaws.com",
        [ALIAS]: `arn:aws:s3:::${bucket}`,
      }),
    ).toBe("ImplicitlyDenied");
  });
});

describe("tenants in the stack", () => {
  let resources: readonly RecordedResource[];
  let stack: Awaited<ReturnType<typeof synthStack>>;
  beforeAll(async () => {
    stack = await synthStack(CONFIG);
    resources = stack.resources;
  });
  const k8sOf = (kind: string) =>
    resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind === kind);

  it("gives each tenant a restricted namespace with the baseline policies", () => {
    for (const t of ["retail", "core"]) {
      const [ns] = k8sOf("Namespace").filter(
        (r) => (r.inputs.metadata as { name: string }).name === t,
      );
      expect((ns.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
        "tap/tenant": t,
      });
      const policies = k8sOf("NetworkPolicy").filter(
        (r) => (r.inputs.metadata as { namespace: string }).namespace === t,
      );
      expect(policies.map((p) => (p.inputs.metadata as { name: string }).name)).toEqual(
        expect.arrayContaining(["default-deny-all", "allow-dns"]),
      );
    }
  });

  it("runs a tenant's services in its namespace, with no namespace of their own", async () => {
    const names = k8sOf("Namespace").map((r) => (r.inputs.metadata as { name: string }).name);
    expect(names).not.toEqual(expect.arrayContaining(["gateway"]));
    expect(names).not.toContain("payments");
    const deployments = k8sOf("Deployment").filter((r) => /^svc-/.test(r.name));
    expect(
      deployments.map((d) => (d.inputs.metadata as { namespace: string }).namespace).sort(),
    ).toEqual(["core", "core", "retail"]);
    expect(await valueOf(stack.value.serviceEndpoints)).toMatchObject({
      gateway: "http://gateway.retail.svc.cluster.local:8080",
      payments: "http://payments.core.svc.cluster.local:8080",
    });
    expect(await valueOf(stack.value.tenantNamespaces)).toEqual(["retail", "core"]);
  });

  it("sets a quota and default limits that validate as Kubernetes objects", () => {
    const quotas = k8sOf("ResourceQuota");
    const limits = k8sOf("LimitRange");
    expect(quotas).toHaveLength(2);
    expect(limits).toHaveLength(2);
    for (const r of [...quotas, ...limits]) validateManifest(r.inputs as Record<string, unknown>);
    expect((quotas[0].inputs.spec as { hard: Record<string, string> }).hard).toEqual({
      "requests.cpu": "8",
      "requests.memory": "16Gi",
      "limits.cpu": "16",
      "limits.memory": "32Gi",
      pods: "60",
      services: "20",
      persistentvolumeclaims: "10",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
    });
    expect((limits[0].inputs.spec as { limits: unknown[] }).limits).toEqual([
      {
        type: "Container",
        defaultRequest: { cpu: "100m", memory: "128Mi" },
        default: { cpu: "500m", memory: "512Mi" },
      },
    ]);
  });

  it("gives its people access to its namespace only, one entry per person", () => {
    const entries = ofType(resources, "aws:eks/accessEntry:AccessEntry");
    expect(entries.map((e) => e.inputs.principalArn).sort()).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/Auditors`,
      `arn:aws:iam::${ACCOUNT}:role/CoreBanking`,
      `arn:aws:iam::${ACCOUNT}:role/RetailDevelopers`,
    ]);
    for (const e of entries) expect(e.inputs.type).toBe("STANDARD");
    const assoc = ofType(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    // One association per (person, policy): EKS keys them so; a second one would replace the first.
    expect(assoc).toHaveLength(3);
    const keys = assoc.map((a) => `${String(a.inputs.principalArn)} ${String(a.inputs.policyArn)}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const a of assoc) {
      const scope = a.inputs.accessScope as { type: string; namespaces: string[] };
      expect(scope.type).toBe("namespace");
      for (const ns of scope.namespaces) expect(["retail", "core"]).toContain(ns);
    }
    const of = (arnEnd: string) =>
      assoc.find((a) => String(a.inputs.principalArn).endsWith(arnEnd));
    expect(of("RetailDevelopers")?.inputs.policyArn).toMatch(
      /cluster-access-policy\/AmazonEKSEditPolicy$/,
    );
    expect(of("RetailDevelopers")?.inputs.accessScope).toEqual({
      type: "namespace",
      namespaces: ["retail"],
    });
    expect(of("CoreBanking")?.inputs.policyArn).toMatch(
      /cluster-access-policy\/AmazonEKSAdminPolicy$/,
    );
    // The auditor views both tenants: one View association naming both namespaces.
    expect(of("Auditors")?.inputs.policyArn).toMatch(/AmazonEKSViewPolicy$/);
    expect(of("Auditors")?.inputs.accessScope).toEqual({
      type: "namespace",
      namespaces: ["core", "retail"],
    });
  });

  it("keeps one bucket: KMS, public access blocked, owner enforced, versioned, TLS only, destroyable", () => {
    const bucket = one(resources, "aws:s3/bucket:Bucket");
    expect(bucket.inputs.forceDestroy).toBe(true);
    const sse = one(
      resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(
      (sse.inputs.rules as { applyServerSideEncryptionByDefault: Record<string, string> }[])[0]
        .applyServerSideEncryptionByDefault,
    ).toMatchObject({ sseAlgorithm: "aws:kms" });
    expect(
      one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      one(resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(
      one(resources, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const doc = policyOf(one(resources, "aws:s3/bucketPolicy:BucketPolicy"));
    expect(doc.Statement[0]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("gives each S3 tenant's workloads an IRSA role, trusted for its own service account", async () => {
    const roles = await valueOf(stack.value.tenantRoleArns);
    expect(Object.keys(roles).sort()).toEqual(["core", "retail"]);
    const role = one(resources, "aws:iam/role:Role", "tap-tenant-retail-dev");
    expect(String(role.inputs.assumeRolePolicy)).toContain(
      "system:serviceaccount:retail:workloads",
    );
    const sa = k8sOf("ServiceAccount").find(
      (r) =>
        (r.inputs.metadata as { namespace: string; name: string }).namespace === "retail" &&
        (r.inputs.metadata as { name: string }).name === "workloads",
    );
    expect(sa).toBeDefined();
    expect(await valueOf(stack.value.tenantBucketName)).toBe(
      `tap-tenants-dev-${ACCOUNT}-${REGION}`,
    );
  });

  it("lets only pods labelled for it reach AWS APIs from an S3 tenant's namespace (HTTPS, no IMDS)", () => {
    const np = k8sOf("NetworkPolicy").filter(
      (r) => (r.inputs.metadata as { name: string }).name === "tenant-allow-aws-apis",
    );
    expect(np.map((r) => (r.inputs.metadata as { namespace: string }).namespace).sort()).toEqual([
      "core",
      "retail",
    ]);
    expect(np[0].inputs.spec).toEqual({
      podSelector: { matchLabels: { "tap/egress": "aws-apis" } },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }],
          ports: [{ protocol: "TCP", port: 443 }],
        },
      ],
    });
  });

  it("leaves nothing of tenants in a stack without them", async () => {
    const plain = await synthStack({ enableAppMesh: "false" });
    expect(plain.resources.filter((r) => /tenant/i.test(r.name))).toEqual([]);
    expect(await valueOf(plain.value.tenantNamespaces)).toEqual([]);
    expect(await valueOf(plain.value.tenantBucketName)).toBeUndefined();
  });
});
