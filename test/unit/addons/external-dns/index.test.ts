/**
 * ExternalDNS: it may change only the public services' records (and their registry TXT records) in
 * the one configured zone, never delete with upsert-only, and the public service's Ingress answers
 * `<service>.<zone>`; the config refuses it without a zone or without the load balancer controller.
 */
import { resolveConfig } from "../../../../lib/config";
import { externalDnsPolicy, recordNames } from "../../../../lib/addons/external-dns/iam";
import { configProblems } from "../../../helpers/config";
import { simulate } from "../../../helpers/iam-sim";
import { validateManifest } from "../../../helpers/k8s-schema";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  ofType,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";

const ZONE = "Z0123456789ABCDEFGHIJ";
const ZONE_ARN = `arn:aws:route53:::hostedzone/${ZONE}`;
const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
const CERT = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
const ON = {
  enableAppMesh: "false",
  addons: {
    loadBalancerController: { certificateArn: CERT },
    externalDns: { hostedZoneId: ZONE },
  },
};
const ctxOf = { stackName: "dev", env: {} };

const problemsOf = (input: Record<string, unknown>): string[] => configProblems(input, ctxOf);

describe("ExternalDNS's config", () => {
  it("needs a hosted zone ID, a known policy and the load balancer controller, all reported", () => {
    const problems = problemsOf({
      enableAppMesh: "false",
      addons: { externalDns: { hostedZoneId: "example.com", policy: "delete-all" } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^tap:addons\.externalDns\.hostedZoneId: .*Route 53 hosted zone ID.*example\.com/,
        ),
        expect.stringMatching(/^tap:addons\.externalDns\.policy: .*upsert-only, sync.*delete-all/),
        expect.stringMatching(
          /^tap:addons\.loadBalancerController: .*needs tap:addons\.loadBalancerController/,
        ),
      ]),
    );
    expect(
      problemsOf({
        enableAppMesh: "false",
        addons: { loadBalancerController: true, externalDns: true },
      }),
    ).toEqual([
      expect.stringMatching(/hostedZoneId must be a Route 53 hosted zone ID .*got undefined/),
    ]);
  });

  it("accepts the zone as Route 53 writes it (/hostedzone/<id>) and defaults to upsert-only", () => {
    const { config } = resolveConfig(
      { ...ON, addons: { ...ON.addons, externalDns: { hostedZoneId: `/hostedzone/${ZONE}` } } },
      ctxOf,
    );
    expect(config.addonSettings.externalDns).toEqual({ hostedZoneId: ZONE, policy: "upsert-only" });
  });
});

describe("ExternalDNS's policy, simulated", () => {
  const hosts = ["gateway.example.com"];
  const change = (
    policy: ReturnType<typeof externalDnsPolicy>,
    names: string[],
    types: string[],
    actions: string[],
    zone = ZONE_ARN,
  ) =>
    simulate(policy, {
      action: "route53:ChangeResourceRecordSets",
      resource: zone,
      context: {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
        "route53:ChangeResourceRecordSetsRecordTypes": types,
        "route53:ChangeResourceRecordSetsActions": actions,
      },
    });
  const upsertOnly = externalDnsPolicy(scope, ZONE, hosts, "upsert-only");
  const sync = externalDnsPolicy(scope, ZONE, hosts, "sync", "example.com");

  it("writes the service's alias and its registry TXT records in its zone", async () => {
    expect(recordNames("gateway.example.com")).toEqual([
      "gateway.example.com",
      "a-gateway.example.com",
      "aaaa-gateway.example.com",
      "cname-gateway.example.com",
    ]);
    expect(
      await change(
        upsertOnly,
        ["gateway.example.com", "a-gateway.example.com"],
        ["A", "TXT"],
        ["CREATE"],
      ),
    ).toBe("Allowed");
    expect(await change(upsertOnly, ["gateway.example.com"], ["A"], ["UPSERT"])).toBe("Allowed");
  });

  it("changes no other name, type or zone, and deletes only with sync", async () => {
    expect(await change(upsertOnly, ["www.example.com"], ["A"], ["UPSERT"])).toBe(
      "ImplicitlyDenied",
    );
    expect(
      await change(upsertOnly, ["gateway.example.com", "example.com"], ["A"], ["UPSERT"]),
    ).toBe("ImplicitlyDenied");
    expect(await change(upsertOnly, ["gateway.example.com"], ["NS"], ["UPSERT"])).toBe(
      "ImplicitlyDenied",
    );
    expect(await change(upsertOnly, ["gateway.example.com"], ["A"], ["DELETE"])).toBe(
      "ImplicitlyDenied",
    );
    expect(await change(sync, ["gateway.example.com"], ["A"], ["DELETE"])).toBe("Allowed");
    expect(
      await change(
        upsertOnly,
        ["gateway.example.com"],
        ["A"],
        ["UPSERT"],
        "arn:aws:route53:::hostedzone/ZOTHERZONE1",
      ),
    ).toBe("ImplicitlyDenied");
  });

  it("with sync, deletes a removed service's records in its zone (nothing else)", async () => {
    expect(
      await change(sync, ["old.example.com", "a-old.example.com"], ["A", "TXT"], ["DELETE"]),
    ).toBe("Allowed");
    expect(await change(sync, ["old.example.com"], ["A"], ["UPSERT"])).toBe("ImplicitlyDenied");
    expect(await change(sync, ["old.example.org"], ["A"], ["DELETE"])).toBe("ImplicitlyDenied");
    expect(await change(sync, ["old.example.com"], ["NS"], ["DELETE"])).toBe("ImplicitlyDenied");
    expect(await change(sync, ["example.com"], ["A"], ["DELETE"])).toBe("ImplicitlyDenied");
    expect(await change(upsertOnly, ["old.example.com"], ["A"], ["DELETE"])).toBe(
      "ImplicitlyDenied",
    );
  });

  it("lists zones, reads only its zone's records, and writes nothing without a public service", async () => {
    expect(await simulate(upsertOnly, { action: "route53:ListHostedZones", resource: "*" })).toBe(
      "Allowed",
    );
    const read = (zone: string) =>
      simulate(upsertOnly, { action: "route53:ListResourceRecordSets", resource: zone });
    expect(await read(ZONE_ARN)).toBe("Allowed");
    expect(await read("arn:aws:route53:::hostedzone/ZOTHERZONE1")).toBe("ImplicitlyDenied");
    const none = externalDnsPolicy(scope, ZONE, [], "upsert-only");
    expect(none.Statement.flatMap((s) => [s.Action].flat())).not.toContain(
      "route53:ChangeResourceRecordSets",
    );
  });
});

describe("ExternalDNS in the stack", () => {
  let resources: readonly RecordedResource[];
  let publicServices: unknown;
  beforeAll(async () => {
    const on = await synthStack(ON);
    resources = on.resources;
    publicServices = await valueOf(on.value.publicServices);
  });
  const release = () =>
    ofType(resources, "kubernetes:helm.sh/v3:Release").find(
      (r) => r.inputs.name === "external-dns",
    );

  it("installs the pinned chart: ingress source, upsert-only, owner = the cluster, one zone", () => {
    expect(release()?.inputs).toMatchObject({
      chart: "external-dns",
      version: "1.21.1",
      namespace: "external-dns",
      skipCrds: true,
    });
    expect(release()?.inputs.values).toMatchObject({
      image: { repository: "registry.k8s.io/external-dns/external-dns", tag: "v0.21.0" },
      provider: { name: "aws" },
      sources: ["ingress"],
      policy: "upsert-only",
      registry: "txt",
      txtOwnerId: "tap-eks-dev",
      domainFilters: ["example.com"],
      extraArgs: { "zone-id-filter": ZONE, "aws-zone-type": "public" },
      env: [{ name: "AWS_DEFAULT_REGION", value: REGION }],
      nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
    });
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find(
      (r) => (r.inputs.metadata as { name: string }).name === "external-dns",
    );
    expect((ns?.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  it("gives the public service's Ingress its host, and outputs its URL", () => {
    const [ing] = ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress");
    validateManifest(ing.inputs as Record<string, unknown>);
    expect((ing.inputs.spec as { rules: { host: string }[] }).rules[0].host).toBe(
      "gateway.example.com",
    );
    expect(publicServices).toEqual({ gateway: "https://gateway.example.com" });
  });

  it("its role may change exactly the public service's names", () => {
    const policy = ofType(resources, "aws:iam/rolePolicy:RolePolicy").find((r) =>
      /external-dns/.test(r.name),
    );
    const doc = JSON.parse(String(policy?.inputs.policy)) as {
      Statement: { Sid: string; Condition?: Record<string, Record<string, string[]>> }[];
    };
    const change = doc.Statement.find((s) => s.Sid === "ChangeServiceRecords");
    expect(
      change?.Condition?.["ForAllValues:StringEquals"][
        "route53:ChangeResourceRecordSetsNormalizedRecordNames"
      ],
    ).toEqual(recordNames("gateway.example.com"));
  });

  it("leaves no trace when off, and the Ingress no host", async () => {
    const off = await synthStack({
      ...ON,
      addons: { loadBalancerController: { certificateArn: CERT } },
    });
    expect(off.resources.filter((r) => /external-dns/.test(r.name))).toEqual([]);
    const [ing] = ofType(off.resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect((ing.inputs.spec as { rules: { host?: string }[] }).rules[0].host).toBeUndefined();
  });
});
