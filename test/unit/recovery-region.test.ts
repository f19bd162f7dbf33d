/**
 * The recovery region (tap:dr): every resource of it through that region's provider and every
 * other through the primary's; the same builders (VPC, key, cluster, node groups, default
 * capabilities) under region-qualified names; the peering, its accepter and DNS; a route to the
 * other VPC in every private route table of both; each cluster security group admitting the peer
 * only on the catalog's ports; every config error named before anything exists; and nothing of it
 * with it off.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { resolveConfig } from "../../lib/config";
import { makeContext, remoteOptions } from "../../lib/context";
import { recoveryVersionProblem } from "../../lib/preflight";
import { calendarClusterVersions } from "../../lib/preflight";
import { countByRegion, resourceRegions } from "../../tools/regions";
import { estimateCost, loadPriceTable } from "../../tools/cost";
import { expandRemoteComponents } from "../../tools/remote-model";
import { configProblems } from "../helpers/config";
import { RecordedResource, ofType, synthStack, valueOf } from "../helpers/mocks";

const DR = { region: "us-west-2", vpcCidr: "10.1.0.0/16" };
const BASE = { enableAppMesh: "false", kubernetesVersion: "1.35" };
const ON = { ...BASE, dr: DR };
const REGION_CONTEXT = { stackName: "dev", env: {}, region: "us-east-1" };
type Obj = Record<string, unknown>;

const DR_PROVIDER = /pulumi:providers:aws::tap-aws-us-west-2-dev::/;
const inRecovery = (r: RecordedResource) => r.name.endsWith("-dev-us-west-2");

describe("tap:dr on", () => {
  it("builds every resource of the recovery region through its provider, and no other", async () => {
    const { resources } = await synthStack(ON);
    const drProvider = resources.find(
      (r) => r.type === "pulumi:providers:aws" && r.name === "tap-aws-us-west-2-dev",
    );
    expect(drProvider?.inputs.region).toBe("us-west-2");
    const custom = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const aws = custom.filter((r) => /^(aws|awsx|eks):/.test(r.type));
    const recovery = aws.filter(inRecovery);
    const primary = aws.filter((r) => !inRecovery(r));
    expect(recovery.length).toBeGreaterThan(30);
    for (const r of recovery)
      expect({ r: r.name, p: r.provider }).toEqual({
        r: r.name,
        p: expect.stringMatching(DR_PROVIDER),
      });
    for (const r of primary)
      expect({ r: r.name, p: r.provider ?? "" }).toEqual({
        r: r.name,
        p: expect.not.stringMatching(DR_PROVIDER),
      });
    // Its Kubernetes objects go to its own cluster.
    const k8s = custom.filter((r) => r.type.startsWith("kubernetes:") && inRecovery(r));
    expect(k8s.length).toBeGreaterThan(5);
    for (const r of k8s)
      expect(r.provider).toMatch(/pulumi:providers:kubernetes::tap-k8s-dev-us-west-2::/);
  });

  it("is the same platform: its VPC, key, cluster, the same node groups and the default capabilities", async () => {
    const { resources } = await synthStack(ON);
    const named = (type: string) =>
      ofType(resources, type)
        .filter(inRecovery)
        .map((r) => r.name)
        .sort();
    expect(named("awsx:ec2:Vpc")).toEqual(["tap-vpc-dev-us-west-2"]);
    const vpc = ofType(resources, "awsx:ec2:Vpc").find(inRecovery);
    expect(vpc?.inputs.cidrBlock).toBe("10.1.0.0/16");
    expect(named("eks:index:Cluster")).toEqual(["tap-eks-dev-us-west-2"]);
    expect(named("eks:index:ManagedNodeGroup")).toEqual([
      "tap-ondemand-dev-us-west-2",
      "tap-spot-dev-us-west-2",
    ]);
    expect(named("aws:kms/key:Key")).toEqual(["tap-kms-dev-us-west-2"]);
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release")
      .filter(inRecovery)
      .map((r) => String(r.inputs.name))
      .sort();
    expect(releases).toEqual(
      ["calico", "cluster-autoscaler", "fluent-bit", "keda", "metrics-server"].sort(),
    );
    // No catalog there: the services are the primary's.
    expect(
      ofType(resources, "kubernetes:apps/v1:Deployment")
        .filter(inRecovery)
        .map((r) => r.name)
        .filter((n) => n.startsWith("svc-")),
    ).toEqual([]);
    // Tags stay the stack's (the Environment its budget and reports filter on).
    expect((vpc?.inputs.tags as Obj).Environment).toBe("dev");
  });

  it("names its log groups after its own cluster: EKS writes control-plane logs under that name", async () => {
    const { resources } = await synthStack(ON);
    const groups = ofType(resources, "aws:cloudwatch/logGroup:LogGroup")
      .filter(inRecovery)
      .map((r) => String(r.inputs.name))
      .sort();
    expect(groups).toEqual([
      "/aws/eks/tap-eks-dev-us-west-2/application",
      "/aws/eks/tap-eks-dev-us-west-2/cluster",
      "/aws/vpc/tap-flow-logs-dev-us-west-2",
    ]);
    // ...encrypted with its own region's key, whose policy names exactly them.
    const key = ofType(resources, "aws:kms/key:Key").find(inRecovery);
    const policy = String(key?.inputs.policy);
    for (const g of groups) expect(policy).toContain(`log-group:${g}`);
    expect(policy).not.toContain("log-group:/aws/eks/tap-eks-dev/");
  });

  it("peers the VPCs: requested here, accepted there, DNS across it from both sides", async () => {
    const { resources } = await synthStack(ON);
    const [connection] = ofType(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    expect(connection.name).toBe("tap-dr-peering-dev");
    expect(connection.provider ?? "").not.toMatch(DR_PROVIDER);
    expect(connection.inputs).toMatchObject({
      vpcId: "vpc-0123456789abcdef0",
      peerVpcId: "vpc-us-west-2-0123456789",
      peerRegion: "us-west-2",
    });
    const [accepter] = ofType(
      resources,
      "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    );
    expect(accepter.provider).toMatch(DR_PROVIDER);
    expect(accepter.inputs).toMatchObject({
      vpcPeeringConnectionId: "tap-dr-peering-dev-id",
      autoAccept: true,
    });
    const options = ofType(resources, "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions");
    expect(
      options.map((o) => ({
        side: inRecovery(o) ? "recovery" : "primary",
        dns: o.inputs.requester ?? o.inputs.accepter,
      })),
    ).toEqual(
      expect.arrayContaining([
        { side: "primary", dns: { allowRemoteVpcDnsResolution: true } },
        { side: "recovery", dns: { allowRemoteVpcDnsResolution: true } },
      ]),
    );
    // After the accepter (and so destroyed before it, and it before either VPC).
    for (const o of options) expect(o.dependencies).toContain(accepter.urn);
  });

  it("routes every private route table of both VPCs to the other through the peering", async () => {
    const { resources } = await synthStack(ON);
    const routes = ofType(resources, "aws:ec2/route:Route").filter(
      (r) => r.inputs.vpcPeeringConnectionId !== undefined,
    );
    const egress = ofType(resources, "aws:ec2/route:Route").filter(
      (r) => r.inputs.destinationCidrBlock === "0.0.0.0/0",
    );
    const tables = (side: "primary" | "recovery") =>
      egress
        .filter((r) => (side === "recovery") === inRecovery(r))
        .map((r) => String(r.inputs.routeTableId))
        .sort();
    const peered = (side: "primary" | "recovery") =>
      routes.filter((r) => (side === "recovery") === inRecovery(r));
    // Every private route table (the ones its NAT egress routes are in), each once.
    expect(tables("primary")).toHaveLength(3);
    expect(tables("recovery")).toHaveLength(3);
    expect(tables("recovery").every((t) => t.includes("us-west-2"))).toBe(true);
    expect(
      peered("primary")
        .map((r) => String(r.inputs.routeTableId))
        .sort(),
    ).toEqual(tables("primary"));
    expect(
      peered("recovery")
        .map((r) => String(r.inputs.routeTableId))
        .sort(),
    ).toEqual(tables("recovery"));
    for (const r of peered("primary")) expect(r.inputs.destinationCidrBlock).toBe("10.1.0.0/16");
    for (const r of peered("recovery")) {
      expect(r.inputs.destinationCidrBlock).toBe("10.0.0.0/16");
      expect(r.provider).toMatch(DR_PROVIDER);
    }
    for (const r of routes) expect(r.inputs.vpcPeeringConnectionId).toBe("tap-dr-peering-dev-id");
  });

  it("admits the peer VPC on each cluster security group only on the catalog's ports", async () => {
    const services = [
      {
        name: "gateway",
        image: "public.ecr.aws/tap/app:1.0.0",
        public: true,
        calls: ["ledger"],
        port: 8080,
      },
      { name: "ledger", image: "public.ecr.aws/tap/app:1.0.0", port: 9000 },
    ];
    const { resources } = await synthStack({ ...ON, services });
    const rules = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.name.includes("tap-dr-peer-"))
      .map((r) => ({
        side: inRecovery(r) ? "recovery" : "primary",
        from: r.inputs.cidrIpv4,
        ports: `${String(r.inputs.fromPort)}-${String(r.inputs.toPort)}`,
        protocol: r.inputs.ipProtocol,
        sg: r.inputs.securityGroupId,
      }))
      .sort((a, b) => `${a.side}${a.ports}`.localeCompare(`${b.side}${b.ports}`));
    expect(rules).toEqual([
      {
        side: "primary",
        from: "10.1.0.0/16",
        ports: "8080-8080",
        protocol: "tcp",
        sg: "sg-0cluster0000000000",
      },
      {
        side: "primary",
        from: "10.1.0.0/16",
        ports: "9000-9000",
        protocol: "tcp",
        sg: "sg-0cluster0000000000",
      },
      {
        side: "recovery",
        from: "10.0.0.0/16",
        ports: "8080-8080",
        protocol: "tcp",
        sg: "sg-0cluster0000000000",
      },
      {
        side: "recovery",
        from: "10.0.0.0/16",
        ports: "9000-9000",
        protocol: "tcp",
        sg: "sg-0cluster0000000000",
      },
    ]);
  });

  it("is counted in its region by the plan: every resource of its component, the remote ones' children too", async () => {
    const { resources } = await synthStack(ON);
    const expanded = expandRemoteComponents(resources);
    const byRegion = countByRegion(expanded, "us-east-1");
    const component = resources.find((r) => r.type === "tap:index:RecoveryRegion");
    const under = (r: RecordedResource): boolean =>
      r.parent === component?.urn || expanded.some((p) => p.urn === r.parent && under(p));
    const inDr = expanded.filter((r) => r.custom && under(r));
    expect(inDr.length).toBeGreaterThan(50);
    expect(byRegion["us-west-2"]).toBe(inDr.length);
    expect(byRegion["us-east-1"]).toBe(expanded.filter((r) => r.custom).length - inDr.length);
  });

  it("is left out of the cost estimate, named, rather than priced at the primary region's prices", async () => {
    const { resources } = await synthStack(ON);
    const expanded = expandRemoteComponents(resources);
    const cost = estimateCost({
      resources: expanded,
      region: "us-east-1",
      regionOf: resourceRegions(expanded, "us-east-1"),
      kubernetesVersion: "1.35",
      date: "2026-12-06",
      prices: loadPriceTable(),
    });
    expect(cost.unpriced).toEqual([
      expect.objectContaining({
        component: "Region us-west-2",
        why: expect.stringMatching(
          /prices us-east-1 only: its \d+ resources \(tap:dr\) are left out/,
        ),
      }),
    ]);
    expect(cost.complete).toBe(false);
    const lines = [...cost.nodesAtDesired.lines, ...cost.fixed].map((l) => l.component);
    expect(lines.filter((l) => l.includes("us-west-2"))).toEqual([]);
    // Only the primary's control plane is priced.
    expect(cost.fixed.find((l) => l.component.startsWith("EKS control plane"))?.quantity).toBe(1);
  });

  it("exports both clusters: the recovery one's name, endpoint, kubeconfig (secret) and update line", async () => {
    const { value } = await synthStack(ON);
    await expect(valueOf(value.drRegion)).resolves.toBe("us-west-2");
    await expect(valueOf(value.drClusterName)).resolves.toBe("tap-eks-dev-us-west-2");
    await expect(valueOf(value.drKubeconfigCommand)).resolves.toBe(
      "aws eks update-kubeconfig --region us-west-2 --name tap-eks-dev-us-west-2",
    );
    await expect(valueOf(value.drPeeringConnectionId)).resolves.toBe("tap-dr-peering-dev-id");
    expect(pulumiIsSecret(value.drKubeconfig)).resolves.toBe(true);
  });
});

async function pulumiIsSecret(o: unknown): Promise<boolean> {
  const { isSecret } = await import("@pulumi/pulumi/output");
  return (await isSecret(o as never)) === true;
}

describe("the recovery region's provider reaches the remote components", () => {
  it("remoteOptions names it (a multi-language component is sent only the providers its options name)", () => {
    const config = resolveConfig(ON, REGION_CONTEXT).config;
    const parent = {} as pulumi.Resource;
    const provider = {} as pulumi.ProviderResource;
    expect(remoteOptions(makeContext(config, parent, "dev-us-west-2", { aws: provider }))).toEqual({
      parent,
      providers: { aws: provider },
    });
    expect(remoteOptions(makeContext(config, parent))).toEqual({ parent });
  });

  it("and every remote component tap builds (pulumi-eks, awsx) is given remoteOptions", () => {
    const lib = path.join(__dirname, "../../lib");
    const files = fs
      .readdirSync(lib, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => [f, fs.readFileSync(path.join(lib, f), "utf8")] as const);
    const calls = files.flatMap(([f, text]) =>
      [
        ...text.matchAll(/new (eks\.Cluster|eks\.ManagedNodeGroup|awsxEc2\.Vpc|awsx\.ec2\.Vpc)\(/g),
      ].map((m) => {
        // The call's text, to its closing parenthesis.
        let depth = 0;
        let end = (m.index ?? 0) + m[0].length - 1;
        for (; end < text.length; end++) {
          if (text[end] === "(") depth++;
          if (text[end] === ")" && --depth === 0) break;
        }
        return {
          at: `${f}: new ${m[1]}`,
          uses: text.slice(m.index, end).includes("remoteOptions(ctx)"),
        };
      }),
    );
    expect(calls.map((c) => c.at).sort()).toEqual([
      "cluster.ts: new eks.Cluster",
      "network.ts: new awsxEc2.Vpc",
      "node-groups.ts: new eks.ManagedNodeGroup",
    ]);
    for (const c of calls) expect(c).toEqual({ at: c.at, uses: true });
  });
});

describe("tap:dr off", () => {
  it("leaves no trace: no second provider, region, peering or output", async () => {
    const { resources, value } = await synthStack(BASE);
    expect(
      resources
        .filter(
          (r) =>
            r.type === "pulumi:providers:aws" ||
            /us-west-2|RecoveryRegion|[Pp]eering/.test(`${r.type} ${r.name}`),
        )
        .map((r) => r.name),
    ).toEqual([]);
    for (const o of ["drRegion", "drClusterName", "drVpcId", "drPeeringConnectionId"] as const)
      await expect(valueOf(value[o])).resolves.toBeUndefined();
  });
});

describe("tap:dr's errors, before anything exists", () => {
  const problems = (dr: unknown, extra: Obj = {}) =>
    configProblems({ ...BASE, dr, ...extra }, REGION_CONTEXT);

  it("the stack's own region, an overlapping CIDR, all at once, each naming its key", () => {
    expect(problems({ region: "us-east-1", vpcCidr: "10.0.128.0/17" })).toEqual([
      expect.stringMatching(
        /^tap:dr\.region: .*another region than the stack's \(aws:region us-east-1\)/,
      ),
      expect.stringMatching(/^tap:dr\.vpcCidr: .*overlaps tap:vpcCidr 10\.0\.0\.0\/16/),
    ]);
  });

  it.each([
    [{ region: "oregon", vpcCidr: "10.1.0.0/16" }, /^tap:dr\.region: .*AWS region like us-west-2/],
    [
      { region: "us-west-2", vpcCidr: "10.1.0.0/24" },
      /^tap:dr\.vpcCidr: .*prefix from \/16 to \/20/,
    ],
    [{ region: "us-west-2", vpcCidr: "10.1.0.1/16" }, /^tap:dr\.vpcCidr: .*host bits zero/],
    [{ region: "us-west-2", vpcCidr: "10.1.0.0/16", azs: 2 }, /^tap:dr: .*unknown settings azs/],
    [["us-west-2"], /^tap:dr: .*must be \{ region, vpcCidr \}/],
  ])("refuses %j", (dr, reason) => {
    expect(problems(dr)).toEqual([expect.stringMatching(reason)]);
  });

  it("a CIDR that overlaps from the other side too (the primary inside the recovery one)", () => {
    expect(
      problems({ region: "us-west-2", vpcCidr: "10.0.0.0/16" }, { vpcCidr: "10.0.64.0/18" }),
    ).toEqual([expect.stringMatching(/^tap:dr\.vpcCidr: .*overlaps/)]);
    expect(problems({ region: "us-west-2", vpcCidr: "10.1.0.0/16" })).toEqual([]);
  });

  it("a capability it cannot mirror: Karpenter", () => {
    expect(problems(DR, { addons: { karpenter: true, clusterAutoscaler: false } })).toEqual([
      expect.stringMatching(
        /^tap:addons\.karpenter: .*recovery region runs the default capabilities.*turn it off or tap:dr off/,
      ),
    ]);
  });

  it("a Kubernetes version EKS does not offer there (the preflight, naming tap:dr.region)", () => {
    const versions = calendarClusterVersions("2026-12-06").filter(
      (v) => v.clusterVersion !== "1.35",
    );
    expect(recoveryVersionProblem("1.35", "us-west-2", versions)).toMatch(
      /^tap:dr\.region us-west-2: EKS there does not offer tap:kubernetesVersion 1\.35/,
    );
    expect(
      recoveryVersionProblem("1.35", "us-west-2", calendarClusterVersions("2026-12-06")),
    ).toBeUndefined();
  });

  it("{} and absent are off", () => {
    expect(resolveConfig({ ...BASE, dr: {} }, REGION_CONTEXT).config.dr).toBeUndefined();
    expect(resolveConfig(BASE, REGION_CONTEXT).config.dr).toBeUndefined();
  });
});
