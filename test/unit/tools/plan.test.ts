/**
 * The offline plan (`npm run plan`): main() over the default dev stack, a config error, a mandatory
 * violation (no `tap:` setting alone produces one: config validation rejects every such value, so
 * the violation is injected through the resource seam) and the JSON output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pinsFor } from "../../../lib/addons/versions";
import { RecordedResource } from "../../helpers/mocks";
import { Io, main, parseArgs } from "../../../tools/plan";
import { serviceGraph } from "../../../tools/plan-summary";

const DATE = ["--date", "2026-11-21"];

async function run(
  argv: string[],
  transform?: (rs: readonly RecordedResource[]) => RecordedResource[],
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(argv, io, { transformResources: transform });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("tools/plan main()", () => {
  let dev: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    dev = await run(["--stack", "dev", ...DATE]);
  });

  it("the default dev stack exits 0 and shows the 70/30 split", () => {
    expect(dev.code).toBe(0);
    expect(dev.out).toContain(
      "tap-spot-dev: SPOT 2/7/21 [m6i.large, m5.large, m5a.large, m6a.large]",
    );
    expect(dev.out).toContain("tap-ondemand-dev: ON_DEMAND 1/3/9");
    expect(dev.out).toContain("total: 3/10/30 (spot 70% / on-demand 30% at desired)");
  });

  it("lists every add-on as chart@version with its namespace and image tag", () => {
    const pins = pinsFor("1.35"); // Pulumi.dev.yaml's version
    for (const pin of [
      pins.calico,
      pins.fluentBit,
      pins.clusterAutoscaler,
      pins.metricsServer,
      pins.keda,
    ]) {
      expect(dev.out).toContain(`${pin.chart}@${pin.version}`);
    }
    expect(dev.out).toContain(
      `cluster-autoscaler@${pins.clusterAutoscaler.version} in kube-system, image ${pins.clusterAutoscaler.image.tag}`,
    );
  });

  it("lists IRSA roles with their service account and actions", () => {
    expect(dev.out).toContain(
      "tap-cluster-autoscaler-dev -> system:serviceaccount:kube-system:cluster-autoscaler",
    );
    expect(dev.out).toMatch(
      /autoscaling:SetDesiredCapacity, autoscaling:TerminateInstanceInAutoScalingGroup on arn:aws:autoscaling:.* if aws:ResourceTag/,
    );
    expect(dev.out).toContain(
      "tap-fluent-bit-dev -> system:serviceaccount:amazon-cloudwatch:fluent-bit",
    );
    expect(dev.out).toContain("tap-keda-dev -> system:serviceaccount:keda:keda-operator");
    expect(dev.out).toContain("Allow cloudwatch:GetMetricData on *");
  });

  it("shows what the remote components create, and how long the first up takes", () => {
    expect(dev.out).toMatch(/^resources \(\d+, of which 31 are remote components' children/m);
    for (const line of [
      "    3  aws:ec2/natGateway:NatGateway",
      "    1  aws:eks/cluster:Cluster",
      "    1  aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      "    2  aws:eks/nodeGroup:NodeGroup",
      "  (modeled: pulumi/pulumi-eks@v4.3.0 nodejs/eks/cluster/cluster.ts)",
    ])
      expect(dev.out).toContain(line);
    expect(dev.out).toMatch(
      /^first pulumi up: about \d+ min \(the critical path; [0-9.]+x the unavoidable/m,
    );
    expect(dev.out).toMatch(/-> +\d+ min {2}aws:eks\/cluster:Cluster tap-eks-dev-eksCluster$/m);
  });

  it("prints the offline preflight note, the lifecycle, advisories and the final line", () => {
    expect(dev.out).toContain("config: Pulumi.dev.yaml over Pulumi.yaml defaults");
    expect(dev.out).toContain(
      "preflight (offline, EKS calendar in lib/support.ts; `pulumi preview` asks EKS itself): passes",
    );
    expect(dev.out).toContain("Kubernetes 1.35 standard support until 2027-03-27");
    expect(dev.out).toContain("mandatory policy violations (0):");
    expect(dev.out).toContain(
      '[eks-public-endpoint-restricted] eks:index:Cluster "tap-eks-dev" exposes',
    );
    expect(dev.out.trim().split("\n").pop()).toMatch(
      /^plan: \d+ resources, 0 mandatory violations, [1-9]\d* advisories$/,
    );
  });

  it("a config error exits 2 with the message naming the key", async () => {
    const r = await run(["--config", "tap:spotPercentage=150", ...DATE]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('tap:spotPercentage must be an integer 0..100 (got "150")');
    expect(r.out).toBe("");
  });

  it("--manifests writes every Kubernetes object tap creates as YAML (what Checkov scans)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-manifests-"));
    fs.writeFileSync(path.join(dir, "stale.yaml"), "kind: Gone\n");
    expect((await run(["--manifests", dir, ...DATE])).code).toBe(0);
    const files = fs.readdirSync(dir);
    expect(files).toContain("deployment.gateway.gateway.yaml");
    expect(files).toContain("globalnetworkpolicy.cluster.tap-deny-imds.yaml");
    expect(files).not.toContain("stale.yaml");
    expect(files.some((f) => f.startsWith("release."))).toBe(false);
    const gateway = fs.readFileSync(path.join(dir, "deployment.gateway.gateway.yaml"), "utf8");
    expect(gateway).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
    expect(parseArgs(["--manifests", dir]).manifests).toBe(dir);
  });

  it("--config overrides the stack file", async () => {
    const r = await run([
      "--config",
      "tap:spotPercentage=50",
      "--config",
      "nodeMaxSize=20",
      ...DATE,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("SPOT 2/5/10");
    expect(r.out).toContain("ON_DEMAND 1/5/10");
  });

  it("a mandatory violation exits 1 and names the resource and the fix", async () => {
    const r = await run(DATE, (rs) =>
      rs.map((x) =>
        x.type === "aws:ec2/launchTemplate:LaunchTemplate"
          ? {
              ...x,
              inputs: {
                ...x.inputs,
                metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
              },
            }
          : x,
      ),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      '[launch-template-imdsv2] aws:ec2/launchTemplate:LaunchTemplate "tap-node-lt-dev" has IMDS hop limit 2',
    );
    expect(r.out).toContain("Fix: set metadataOptions.httpPutResponseHopLimit: 1.");
    expect(r.out).toMatch(/plan: \d+ resources, 1 mandatory violations, \d+ advisories$/);
  });

  it("--json writes the plan as JSON to stdout", async () => {
    const r = await run(["--json", ...DATE]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(plan)).toEqual(
      expect.arrayContaining([
        "resources",
        "nodeGroups",
        "addons",
        "irsaRoles",
        "violations",
        "services",
      ]),
    );
    expect((plan.nodeGroups as unknown[]).length).toBe(2);
    const charts = (plan.addons as { chart: string }[]).map((x) => x.chart);
    expect(charts).toEqual(
      expect.arrayContaining([
        "tigera-operator",
        "aws-for-fluent-bit",
        "cluster-autoscaler",
        "metrics-server",
        "keda",
      ]),
    );
  });

  it("--json <file> writes the file and still prints the summary", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-")), "plan.json");
    const r = await run(["--json", file, ...DATE]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("plan: ");
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as { irsaRoles: { role: string }[] };
    expect(plan.irsaRoles.map((x) => x.role)).toEqual(
      expect.arrayContaining(["tap-cluster-autoscaler-dev", "tap-fluent-bit-dev", "tap-keda-dev"]),
    );
  });

  it("rejects bad arguments with exit 2", async () => {
    expect((await run(["--bogus"])).code).toBe(2);
    expect((await run(["--date", "21/11/2026"])).err).toContain("--date must be YYYY-MM-DD");
    expect(parseArgs(["--config", "a=b=c"]).overrides).toEqual([["a", "b=c"]]);
  });
});

describe("tools/plan-summary serviceGraph()", () => {
  const r = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource => ({
    type,
    name,
    inputs,
    custom: true,
    at: 0,
    urn: `urn:pulumi:dev::tap::${type}::${name}`,
    parent: "",
    dependencies: [],
    deletedWith: "",
  });
  const peer = (name: string) => ({
    podSelector: { matchLabels: { "app.kubernetes.io/name": name } },
  });

  it("finds caller -> callee edges from allow-from-callers and VirtualNode backends", () => {
    const graph = serviceGraph([
      r("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np-b-dev", {
        metadata: { name: "allow-from-callers", namespace: "b" },
        spec: { podSelector: peer("b").podSelector, ingress: [{ from: [peer("a")] }] },
      }),
      r("kubernetes:appmesh.k8s.aws/v1beta2:VirtualNode", "vn-a-dev", {
        metadata: { name: "a", namespace: "a" },
        spec: { backends: [{ virtualService: { virtualServiceRef: { name: "b" } } }] },
      }),
    ]);
    expect(graph.edges).toEqual([{ from: "a", to: "b", via: ["app-mesh", "networkpolicy"] }]);
    expect(graph.services).toEqual(["a", "b"]);
  });

  it("is empty when nothing declares a service", () => {
    expect(serviceGraph([])).toEqual({ services: [], edges: [], scaledObjects: [] });
  });
});
