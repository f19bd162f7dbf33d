/**
 * Secrets: a catalog service's declared Secrets Manager secrets reach its pods as files through the
 * Secrets Store CSI driver and ASCP, read with the service's own role, which may read exactly those
 * secrets (and decrypt only through Secrets Manager, for them); nothing is copied into a Kubernetes
 * Secret; the config refuses bad ARNs and secrets without the capability.
 */
import { resolveConfig } from "../../../../lib/config";
import { ascpObjects } from "../../../../lib/addons/secrets-store/secret-provider-class";
import { pinsFor } from "../../../../lib/addons/versions";
import { servicePolicy } from "../../../../lib/services/service-iam";
import { ServiceSpec } from "../../../../lib/services/types";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWithSecretContext } from "../../../helpers/iam-sim";
import { validateManifest } from "../../../helpers/k8s-schema";
import { ACCOUNT, REGION, RecordedResource, ofType, synthStack } from "../../../helpers/mocks";

const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
const DB = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ledger/db-AbCdEf`;
const API = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ledger-api-key-x1Y2z3`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
const SERVICES = [
  { name: "gateway", image: IMAGE, public: true, calls: ["ledger"] },
  {
    name: "ledger",
    image: IMAGE,
    secrets: [
      { arn: DB, kmsKeyArn: KEY },
      "arn:${partition}:secretsmanager:${region}:${account}:secret:ledger-api-key-x1Y2z3",
    ],
  },
];
const ON = { enableAppMesh: "false", addons: { secretsStore: true }, services: SERVICES };
const ctxOf = { stackName: "dev", env: {} };

const problemsOf = (input: Record<string, unknown>): string[] => configProblems(input, ctxOf);

describe("a service's secrets in the config", () => {
  it("takes ARNs or { arn, kmsKeyArn, file }; the file defaults to the name ('/' as '_')", () => {
    const { config } = resolveConfig(ON, ctxOf);
    const ledger = config.services.find((s) => s.name === "ledger");
    expect(ledger?.secrets).toEqual([
      { arn: DB, kmsKeyArn: KEY, file: "ledger_db" },
      {
        arn: "arn:${partition}:secretsmanager:${region}:${account}:secret:ledger-api-key-x1Y2z3",
        file: "ledger-api-key",
      },
    ]);
  });

  it("refuses partial ARNs, alias key ARNs, clashing files and secrets without the capability", () => {
    const problems = problemsOf({
      enableAppMesh: "false",
      services: [
        {
          name: "ledger",
          image: IMAGE,
          secrets: [
            `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ledger/db`,
            { arn: DB, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/payments` },
            { arn: API, file: "ledger_db" },
          ],
        },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /secrets\[0\] must be a complete Secrets Manager secret ARN, with the 6 characters/,
        ),
        expect.stringMatching(/secrets\[1\]\.kmsKeyArn must be a KMS key ARN .*not an alias/),
        expect.stringMatching(/secrets has two secrets in file "ledger_db"/),
        expect.stringMatching(/^tap:addons\.secretsStore: .*ledger list secrets.*turn it on/),
      ]),
    );
  });
});

describe("the service's role reads exactly its secrets", () => {
  const spec = resolveConfig(ON, ctxOf).config.services.find(
    (s) => s.name === "ledger",
  ) as ServiceSpec;
  const policy = servicePolicy(spec, undefined, scope);
  const read = (arn: string, action = "secretsmanager:GetSecretValue") =>
    simulate(policy, { action, resource: arn });

  it("gets and describes the declared secrets, no other", async () => {
    expect(await read(DB)).toBe("Allowed");
    expect(await read(API)).toBe("Allowed");
    expect(await read(DB, "secretsmanager:DescribeSecret")).toBe("Allowed");
    expect(await read(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:gateway/db-QwErTy`)).toBe(
      "ImplicitlyDenied",
    );
    expect(await read(DB, "secretsmanager:PutSecretValue")).toBe("ImplicitlyDenied");
    expect(await read("*", "secretsmanager:ListSecrets")).toBe("ImplicitlyDenied");
  });

  it("decrypts with the named key only through Secrets Manager, for its own secret", async () => {
    const SECRET_ARN_KEY = "kms:EncryptionContext:SecretARN";
    const decrypt = (context: Record<string, string>, key = KEY) =>
      simulateWithSecretContext(policy, {
        action: "kms:Decrypt",
        resource: key,
        context,
        resourcePolicy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
              Action: "kms:*",
              Resource: "*",
            },
          ],
        },
      });
    expect(JSON.stringify(policy)).toContain(SECRET_ARN_KEY);
    const via = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` };
    expect(await decrypt({ ...via, "kms:EncryptionContext:SecretARN": DB })).toBe("Allowed");
    expect(await decrypt({ ...via, "kms:EncryptionContext:SecretARN": API })).toBe(
      "ImplicitlyDenied",
    );
    expect(await decrypt({ "kms:EncryptionContext:SecretARN": DB })).toBe("ImplicitlyDenied");
    expect(
      await decrypt(
        { ...via, "kms:EncryptionContext:SecretARN": DB },
        `arn:aws:kms:${REGION}:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`,
      ),
    ).toBe("ImplicitlyDenied");
  });

  it("a service without secrets or permissions has no role at all", () => {
    const gateway = resolveConfig(ON, ctxOf).config.services.find((s) => s.name === "gateway");
    expect(gateway?.secrets).toEqual([]);
  });
});

describe("the secrets store in the stack", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synthStack(ON)).resources;
  });
  const release = (name: string) =>
    ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === name);

  it("installs the driver (no Kubernetes Secrets, IRSA token audience) and ASCP without its subchart", () => {
    expect(release("secrets-store-csi-driver")?.inputs).toMatchObject({
      chart: "secrets-store-csi-driver",
      // The default stack is the specification's 1.28: driver chart 1.6 asks for >= 1.30.
      version: pinsFor("1.28").secretsStoreDriver.version,
      namespace: "kube-system",
    });
    expect(pinsFor("1.28").secretsStoreDriver.version).toBe("1.5.6");
    expect(pinsFor("1.35").secretsStoreDriver.version).toBe("1.6.0");
    expect(release("secrets-store-csi-driver")?.inputs.values).toMatchObject({
      syncSecret: { enabled: false },
      tokenRequests: [{ audience: "sts.amazonaws.com" }],
      enableSecretRotation: true,
      linux: { tolerations: [{ operator: "Exists" }] },
    });
    const provider = release("secrets-store-csi-driver-provider-aws");
    expect(provider?.inputs).toMatchObject({ version: "3.1.1", namespace: "kube-system" });
    expect(provider?.inputs.values).toMatchObject({
      awsRegion: REGION,
      "secrets-store-csi-driver": { install: false },
      tolerations: [{ operator: "Exists" }],
    });
    expect(provider?.dependencies).toContain(release("secrets-store-csi-driver")?.urn);
  });

  it("gives the service a SecretProviderClass of its secrets and a read-only CSI volume", () => {
    const classes = ofType(
      resources,
      "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
    );
    expect(classes).toHaveLength(1);
    const [spc] = classes;
    expect(spc.inputs.metadata).toMatchObject({ name: "ledger-secrets", namespace: "ledger" });
    const spec = spc.inputs.spec as { provider: string; parameters: Record<string, string> };
    expect(spec.provider).toBe("aws");
    expect(spec.parameters.region).toBe(REGION);
    expect(spec.parameters.objects).toBe(
      ascpObjects(
        [
          { arn: DB, file: "ledger_db" },
          { arn: API, file: "ledger-api-key" },
        ],
        (s) => s.arn,
      ),
    );
    expect(spc.dependencies).toContain(release("secrets-store-csi-driver")?.urn);

    const deployment = ofType(resources, "kubernetes:apps/v1:Deployment").find(
      (r) => r.name === "svc-ledger-deployment-dev",
    );
    validateManifest(deployment?.inputs as Record<string, unknown>);
    const pod = (deployment?.inputs.spec as { template: { spec: Record<string, unknown> } })
      .template.spec as {
      automountServiceAccountToken: boolean;
      volumes: { name: string; csi?: Record<string, unknown> }[];
      containers: { volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[];
    };
    expect(pod.volumes.find((v) => v.name === "secrets")?.csi).toEqual({
      driver: "secrets-store.csi.k8s.io",
      readOnly: true,
      volumeAttributes: { secretProviderClass: "ledger-secrets" },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: "secrets",
      mountPath: "/mnt/secrets",
      readOnly: true,
    });
    // The container itself calls no AWS API: the driver asks for the pod's token.
    expect(pod.automountServiceAccountToken).toBe(false);
    // ...and the pod identity webhook gives it no credentials either.
    const annotations = (
      deployment?.inputs.spec as {
        template: { metadata: { annotations?: Record<string, string> } };
      }
    ).template.metadata.annotations;
    expect(annotations).toEqual({ "eks.amazonaws.com/skip-containers": "app" });
    expect(deployment?.dependencies).toEqual(
      expect.arrayContaining([spc.urn, release("secrets-store-csi-driver-provider-aws")?.urn]),
    );
  });

  it("the service's role is trusted by its own service account and reads its secrets", () => {
    const policy = ofType(resources, "aws:iam/rolePolicy:RolePolicy").find((r) =>
      /tap-svc-ledger/.test(r.name),
    );
    const doc = JSON.parse(String(policy?.inputs.policy)) as {
      Statement: { Sid: string; Resource: string[] }[];
    };
    expect(doc.Statement.find((s) => s.Sid === "ReadDeclaredSecrets")?.Resource).toEqual([DB, API]);
    expect(resources.filter((r) => r.type === "kubernetes:core/v1:Secret")).toEqual([]);
  });

  it("leaves no trace when off", async () => {
    const off = await synthStack({ enableAppMesh: "false" });
    expect(
      off.resources.filter((r) => /secrets-store|SecretProviderClass/.test(`${r.type} ${r.name}`)),
    ).toEqual([]);
  });
});
