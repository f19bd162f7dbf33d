/**
 * The database: no public path (isolated subnets without routes, never publicly accessible, a
 * security group that admits only the nodes), reachable on 5432 from exactly the catalog
 * services that declare it (NetworkPolicies asserted both ways with the generic evaluator), its
 * secret readable only by their roles and only through Secrets Manager, its key usable only
 * through RDS and Secrets Manager, backups and TLS on, destroyable; the config reports every bad
 * setting at once.
 */
import { PolicyDocument } from "../../../../lib/iam/policy";
import { DATABASE_ENV } from "../../../../lib/services/database-env";
import { policies } from "../../../../policy/policies";
import { modeledChildren } from "../../../../tools/remote-model";
import { noDeletionProtection } from "../../../../policy/governance-policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWithSecretContext } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  ofType,
  resourceNamed,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";
import { reachability } from "../../../helpers/netpol";

const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
/** Five services, fan-in and fan-out; orders and stock declare the database, the rest do not. */
const SERVICES = [
  { name: "web", image: IMAGE, public: true, calls: ["orders", "report"] },
  { name: "orders", image: IMAGE, calls: ["stock"], database: "main" },
  { name: "stock", image: IMAGE, database: "main" },
  { name: "report", image: IMAGE, calls: ["stock"] },
  {
    name: "audit",
    image: IMAGE,
    awsPermissions: [
      {
        actions: ["sqs:SendMessage"],
        resources: ["arn:${partition}:sqs:${region}:${account}:audit"],
      },
    ],
  },
];
const DECLARING = ["orders", "stock"];
const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: { database: { minCapacity: 0, maxCapacity: 8, backupRetentionDays: 14 } },
  services: SERVICES,
};
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!cluster-0a1b2c3d-AbCdEf`;
/** The data subnets as the mocks answer for them (awsx's layout for 3 AZs in 10.0.0.0/16). */
const DATA_CIDRS = ["10.0.48.0/22", "10.0.112.0/22", "10.0.176.0/22"];

const one = (resources: readonly RecordedResource[], type: string): RecordedResource => {
  const all = ofType(resources, type);
  if (all.length !== 1) throw new Error(`${all.length} of ${type}`);
  return all[0];
};
const doc = (json: unknown) => JSON.parse(String(json)) as PolicyDocument;

describe("the database's config", () => {
  it("reports every bad setting at once, naming its key", () => {
    const problems = configProblems({
      enableAppMesh: "false",
      addons: {
        database: {
          minCapacity: 0.3,
          maxCapacity: 300,
          backupRetentionDays: 0,
          finalSnapshot: "maybe",
          name: "Main-DB",
        },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^tap:addons\.database\.minCapacity: .*0 to 256 in steps of 0\.5 \(got 0\.3\)/,
      ),
      expect.stringMatching(/^tap:addons\.database\.maxCapacity: .*1 to 256.*\(got 300\)/),
      expect.stringMatching(/^tap:addons\.database\.backupRetentionDays: .*1 to 35.*\(got 0\)/),
      expect.stringMatching(/^tap:addons\.database\.finalSnapshot: .*"maybe"/),
      expect.stringMatching(/^tap:addons\.database\.name: .*"Main-DB"/),
    ]);
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { database: { minCapacity: 8, maxCapacity: 4, secondsUntilAutoPause: 600 } },
      }),
    ).toEqual([
      expect.stringMatching(/maxCapacity \(4\) must be at least minCapacity \(8\)/),
      expect.stringMatching(/secondsUntilAutoPause applies only with minCapacity 0/),
    ]);
  });

  it("refuses a declared database that is off, or one of another name", () => {
    expect(configProblems({ ...ON, addons: {} })).toEqual([
      expect.stringMatching(
        /^tap:addons\.database: tap:services orders, stock declare a database.*turn it on/,
      ),
    ]);
    expect(
      configProblems({ ...ON, services: [{ name: "a", image: IMAGE, database: "other" }] }),
    ).toEqual([expect.stringMatching(/tap:services\[0\]\.database names "other".*"main"/)]);
  });
});

describe("the database on", () => {
  const synth = () => synthStack(ON);

  it("has no public path: isolated subnets without routes, a private cluster, nodes-only SG", async () => {
    const { resources } = await synth();
    const vpc = one(resources, "awsx:ec2:Vpc");
    const specs = vpc.inputs.subnetSpecs as { type: string; name: string; cidrMask: number }[];
    // Last, so the private and public subnets keep their CIDRs.
    expect(specs.map((s) => [s.type, s.name, s.cidrMask])).toEqual([
      ["Private", "private", 19],
      ["Public", "public", 20],
      ["Isolated", "data", 22],
    ]);
    // awsx (as modeled from its source) routes nothing from the data subnets; tap adds no route.
    const children = modeledChildren(vpc);
    expect(
      children
        .filter((c) => c.name.includes("-data-"))
        .map((c) => c.type)
        .sort(),
    ).toEqual(
      [
        ...Array(3).fill("aws:ec2/routeTable:RouteTable"),
        ...Array(3).fill("aws:ec2/routeTableAssociation:RouteTableAssociation"),
        ...Array(3).fill("aws:ec2/subnet:Subnet"),
      ].sort(),
    );
    for (const r of ofType(resources, "aws:ec2/route:Route"))
      expect(String(r.inputs.routeTableId)).not.toMatch(/data/);
    const subnetGroup = one(resources, "aws:rds/subnetGroup:SubnetGroup");
    expect(subnetGroup.inputs.subnetIds).toEqual([
      "subnet-data-0",
      "subnet-data-1",
      "subnet-data-2",
    ]);

    const instances = ofType(resources, "aws:rds/clusterInstance:ClusterInstance");
    // The reader waits for the writer: the first instance available becomes the writer.
    expect(instances[1].dependencies).toContain(instances[0].urn);
    expect(instances.map((i) => [i.inputs.identifier, i.inputs.availabilityZone])).toEqual([
      ["tap-db-dev-writer", "us-east-1a"],
      ["tap-db-dev-reader", "us-east-1b"],
    ]);
    for (const i of instances)
      expect(i.inputs).toMatchObject({ publiclyAccessible: false, instanceClass: "db.serverless" });

    const sg = one(resources, "aws:ec2/securityGroup:SecurityGroup");
    expect(sg.inputs.egress).toEqual([]);
    const rules = ofType(
      resources,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ).filter((r) => r.name.startsWith("tap-db-"));
    expect(rules.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        referencedSecurityGroupId: "sg-0cluster0000000000",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
      }),
    ]);
    expect(rules[0].inputs.cidrIpv4).toBeUndefined();
  });

  it("is reachable on 5432 from exactly the declaring services' pods", async () => {
    const { resources } = await synth();
    const reach = reachability(resources);
    const pods = reach.model.pods;
    expect(pods.length).toBeGreaterThanOrEqual(SERVICES.length);
    for (const cidr of DATA_CIDRS) {
      const ip = cidr.replace(/0\/22$/, "10");
      for (const pod of pods) {
        const service = SERVICES.find((s) => pod.id === `${s.name}/${s.name}`);
        const expected = service !== undefined && DECLARING.includes(service.name);
        expect([pod.id, ip, reach(pod, { ip }, 5432)]).toEqual([pod.id, ip, expected]);
      }
    }
    // Only the database's port: the declaring services reach nothing else there.
    expect(reach("orders/orders", { ip: "10.0.48.10" }, 22)).toBe(false);
  });

  it("lets exactly the declaring services' roles read the secret, through Secrets Manager only", async () => {
    const { resources } = await synth();
    const dbKey = ofType(resources, "aws:kms/key:Key").find((k) => k.name === "tap-db-kms-dev");
    if (!dbKey) throw new Error("no database key");
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${dbKey.name}`;
    const rolePolicy = (service: string) =>
      ofType(resources, "aws:iam/rolePolicy:RolePolicy").find(
        (p) => p.name === `tap-svc-${service}-policy-dev`,
      );
    for (const s of SERVICES) {
      const p = rolePolicy(s.name);
      const read = p
        ? await simulate(doc(p.inputs.policy), {
            action: "secretsmanager:GetSecretValue",
            resource: SECRET,
          })
        : "ImplicitlyDenied";
      expect([s.name, read]).toEqual([
        s.name,
        DECLARING.includes(s.name) ? "Allowed" : "ImplicitlyDenied",
      ]);
    }
    const orders = doc(rolePolicy("orders")?.inputs.policy);
    const decrypt = (context: Record<string, string>) =>
      simulateWithSecretContext(orders, {
        action: "kms:Decrypt",
        resource: keyArn,
        context: { "kms:CallerAccount": ACCOUNT, ...context },
        // The key's own policy too: KMS allows nothing its key policy does not.
        resourcePolicy: doc(dbKey.inputs.policy),
      });
    await expect(
      decrypt({
        "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
        "kms:EncryptionContext:SecretARN": SECRET,
      }),
    ).resolves.toBe("Allowed");
    await expect(
      decrypt({
        "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
        "kms:EncryptionContext:SecretARN": `${SECRET}x`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(decrypt({ "kms:EncryptionContext:SecretARN": SECRET })).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(
      simulate(orders, {
        action: "secretsmanager:GetSecretValue",
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other-AbCdEf`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
  });

  it("has a key only RDS and Secrets Manager use: an admin cannot decrypt with it directly", async () => {
    const { resources } = await synth();
    const dbKey = ofType(resources, "aws:kms/key:Key").find((k) => k.name === "tap-db-kms-dev");
    const keyPolicy = doc(dbKey?.inputs.policy);
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-db-kms-dev`;
    const admin: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
    };
    const asAdmin = (action: string, context: Record<string, string>) =>
      simulate(admin, {
        action,
        resource: keyArn,
        context: { "kms:CallerAccount": ACCOUNT, ...context },
        resourcePolicy: keyPolicy,
      });
    await expect(asAdmin("kms:Decrypt", {})).resolves.toBe("ImplicitlyDenied");
    await expect(asAdmin("kms:CreateGrant", {})).resolves.toBe("ImplicitlyDenied");
    await expect(
      asAdmin("kms:Decrypt", { "kms:ViaService": `rds.${REGION}.amazonaws.com` }),
    ).resolves.toBe("Allowed");
    await expect(
      asAdmin("kms:GenerateDataKey", {
        "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
      }),
    ).resolves.toBe("Allowed");
    await expect(
      asAdmin("kms:Decrypt", { "kms:ViaService": `s3.${REGION}.amazonaws.com` }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(asAdmin("kms:ScheduleKeyDeletion", {})).resolves.toBe("Allowed");
  });

  it("keeps the secret out of config and outputs, encrypts, backs up, forces TLS and destroys cleanly", async () => {
    const { resources, value } = await synth();
    const cluster = one(resources, "aws:rds/cluster:Cluster");
    expect(cluster.inputs).toMatchObject({
      clusterIdentifier: "tap-db-dev",
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-db-kms-dev`,
      storageEncrypted: true,
      kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-db-kms-dev`,
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: 14,
      deletionProtection: false,
      skipFinalSnapshot: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      serverlessv2ScalingConfiguration: {
        minCapacity: 0,
        maxCapacity: 8,
        secondsUntilAutoPause: 300,
      },
    });
    expect(cluster.inputs.masterPassword).toBeUndefined();
    expect(cluster.inputs.finalSnapshotIdentifier).toBeUndefined();
    expect(
      one(resources, "aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs,
    ).toMatchObject({
      family: "aurora-postgresql16",
      parameters: [{ name: "rds.force_ssl", value: "1" }],
    });
    for (const i of ofType(resources, "aws:rds/clusterInstance:ClusterInstance"))
      expect(i.inputs).toMatchObject({
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-db-kms-dev`,
      });
    // The exported log group exists first, with tap's key, and that key admits it.
    const logs = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").find(
      (l) => l.inputs.name === "/aws/rds/cluster/tap-db-dev/postgresql",
    );
    expect(logs?.inputs.kmsKeyId).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`);
    expect(cluster.dependencies).toContain(logs?.urn);
    const tapKey = ofType(resources, "aws:kms/key:Key").find((k) => k.name === "tap-kms-dev");
    expect(String(tapKey?.inputs.policy)).toContain(
      `log-group:/aws/rds/cluster/tap-db-dev/postgresql`,
    );
    // The declaring services get the settings (the secret's ARN, never its value).
    const env = (service: string) =>
      (
        ofType(resources, "kubernetes:apps/v1:Deployment").find(
          (d) => d.name === `svc-${service}-deployment-dev`,
        )?.inputs.spec as {
          template: { spec: { containers: { env?: { name: string; value: string }[] }[] } };
        }
      ).template.spec.containers[0].env;
    expect(Object.fromEntries((env("orders") ?? []).map((e) => [e.name, e.value]))).toEqual({
      [DATABASE_ENV.host]: "tap-db-dev.cluster-c0ffee123456.us-east-1.rds.amazonaws.com",
      [DATABASE_ENV.readerHost]: "tap-db-dev.cluster-ro-c0ffee123456.us-east-1.rds.amazonaws.com",
      [DATABASE_ENV.port]: "5432",
      [DATABASE_ENV.name]: "main",
      [DATABASE_ENV.secretArn]: SECRET,
      [DATABASE_ENV.sslMode]: "require",
    });
    expect(env("report")).toBeUndefined();
    await expect(valueOf(value.databaseSecretArn)).resolves.toBe(SECRET);
    await expect(valueOf(value.databaseEndpoint)).resolves.toMatch(/^tap-db-dev\.cluster-/);
  });

  it("keeps a final snapshot only when asked, and passes tap's policy pack", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { database: { finalSnapshot: true } },
    });
    expect(one(resources, "aws:rds/cluster:Cluster").inputs).toMatchObject({
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "tap-db-dev-final",
      serverlessv2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 4 },
    });
    const violations = await runPolicies(policies, (await synth()).resources, {
      config: { "eks-supported-version": { asOf: "2026-12-03" } },
    });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("keeps its key past a destroy that keeps the snapshot, and the policy pack admits only that", async () => {
    const kept = await synthStack({ ...ON, addons: { database: { finalSnapshot: true } } });
    const key = resourceNamed(kept.resources, "aws:kms/key:Key", "tap-db-kms-dev");
    expect(key.inputs.tags).toMatchObject({ "tap.io/retained-for": "database-final-snapshot" });
    const run = (r: RecordedResource) =>
      runPolicies([noDeletionProtection], [{ ...r, opts: { retainOnDelete: true } }]);
    // The mocks cannot record retainOnDelete: the policy is given it as the engine would.
    await expect(run(key)).resolves.toEqual([]);
    const untagged = resourceNamed((await synth()).resources, "aws:kms/key:Key", "tap-db-kms-dev");
    expect(untagged.inputs.tags).not.toHaveProperty("tap.io/retained-for");
    await expect(run(untagged)).resolves.toEqual([
      expect.objectContaining({ policy: "no-deletion-protection" }),
    ]);
  });
});
