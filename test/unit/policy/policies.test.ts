/**
 * tap's policies over the default synthesized stack (no mandatory violation; the advisories the
 * checklist expects), and over deliberately broken inputs: each row must make exactly one policy
 * fire, with a message that names the resource. Every policy has at least one such row.
 */
import { TapStack } from "../../../lib/tap-stack";
import { policies } from "../../../policy/policies";
import { RecordedResource, mockTap } from "../../helpers/mocks";
import {
  NotApplicable,
  PolicyInput,
  Violation,
  makeArgs,
  runPolicies,
} from "../../../tools/policy-runner";
import { EKS, NS, ROWS, mutate } from "./broken-rows";

const DATE = "2026-11-21";
const OPTIONS = { config: { "eks-supported-version": { asOf: DATE } } };

let base: readonly RecordedResource[];
let baseline: Violation[];

beforeAll(async () => {
  base = (await mockTap(() => new TapStack("tap", { config: {}, context: { stackName: "dev" } })))
    .resources;
  baseline = await runPolicies(policies, base, OPTIONS);
});

const key = (v: Violation) => `${v.policy}|${v.resource?.name}|${v.message}`;
describe("tap policies", () => {
  it("the default stack has no mandatory violation and the expected advisories", () => {
    expect(baseline.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    const advisories = baseline.map((v) => `${v.policy} ${v.resource?.name}`);
    expect(advisories).toEqual(
      expect.arrayContaining([
        "eks-public-endpoint-restricted tap-eks-dev",
        "eks-supported-version tap-eks-dev",
      ]),
    );
    const open = baseline.find((v) => v.policy === "eks-public-endpoint-restricted");
    expect(open?.message).toContain("0.0.0.0/0");
    expect(open?.message).toContain("tap:endpointPublicAccessCidrs");
  });

  it.each(ROWS)("$what -> $policy", async (row) => {
    const seen = new Set(baseline.map(key));
    const fresh = (await runPolicies(policies, row.build(base), OPTIONS)).filter(
      (v) => !seen.has(key(v)),
    );
    expect(fresh.length).toBeGreaterThan(0);
    expect([...new Set(fresh.map((v) => v.policy))]).toEqual([row.policy]);
    for (const v of fresh) {
      expect(v.message).toContain(`"${row.resource}"`);
      expect(v.message).toMatch(/Fix:/);
    }
    expect(fresh.map((v) => v.resource?.name)).toContain(row.resource);
  });

  it("every policy is made to fire by at least one row", () => {
    const covered = new Set(ROWS.map((r) => r.policy));
    expect(policies.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
  });

  it("every policy has a description and the checklist's level", () => {
    const advisory = policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    expect(advisory.sort()).toEqual(["eks-public-endpoint-restricted", "eks-supported-version"]);
    for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
  });

  it("required-tags leaves the children of packaged components to the component's tags input", async () => {
    // What a real preview shows of pulumi-eks's children: their URNs carry the component's type.
    const child = (parent: string): PolicyInput => ({
      type: "aws:iam/role:Role",
      name: "tap-eks-dev-eksRole-role",
      inputs: { tags: {} },
      urn: `urn:pulumi:dev::tap::tap:index:TapStack$${parent}$aws:iam/role:Role::tap-eks-dev-eksRole-role`,
    });
    const tagged = async (r: PolicyInput) =>
      (await runPolicies(policies, [r], OPTIONS)).filter((v) => v.policy === "required-tags");
    expect(await tagged(child("eks:index:Cluster"))).toEqual([]);
    expect(await tagged(child("awsx:ec2:Vpc"))).toEqual([]);
    // tap's own children are still checked.
    expect(await tagged(child("tap:index:TapStack"))).toHaveLength(1);
  });

  it("a user who narrows the endpoint CIDRs gets no endpoint advisory", async () => {
    const narrowed = mutate(EKS, (i) => ({ ...i, publicAccessCidrs: ["203.0.113.0/24"] }))(base);
    const vs = await runPolicies(policies, narrowed, OPTIONS);
    expect(vs.map((v) => v.policy)).not.toContain("eks-public-endpoint-restricted");
  });

  it("privileged is allowed for mesh-injected namespaces and configurable allow-lists", async () => {
    const meshNs: PolicyInput = {
      type: NS,
      name: "ns-orders-dev",
      inputs: {
        metadata: {
          name: "orders",
          labels: {
            "pod-security.kubernetes.io/enforce": "privileged",
            "appmesh.k8s.aws/sidecarInjectorWebhook": "enabled",
          },
        },
      },
    };
    expect(await runPolicies(policies, [meshNs], OPTIONS)).toEqual([]);
    const strict = {
      config: {
        ...OPTIONS.config,
        "namespace-pod-security": { allowMeshInjectedPrivileged: false },
      },
    };
    expect((await runPolicies(policies, [meshNs], strict)).map((v) => v.policy)).toEqual([
      "namespace-pod-security",
    ]);
    const system = mutate(NS, (i) => i, "calico-ns-dev")(base);
    const none = {
      config: { ...OPTIONS.config, "namespace-pod-security": { privilegedNamespaces: [] } },
    };
    const vs = await runPolicies(policies, system, none);
    expect(
      vs
        .filter((v) => v.policy === "namespace-pod-security")
        .map((v) => v.resource?.name)
        .sort(),
    ).toEqual(["calico-ns-dev", "fluent-bit-ns-dev"]);
  });

  it("the runner follows the analyzer: isType by __pulumiType, NotApplicable skips one policy", async () => {
    const args = makeArgs({ type: "aws:kms/key:Key", name: "k", inputs: {} });
    const fakeClass = {
      isInstance: (o: { __pulumiType?: string }) => o.__pulumiType === "aws:kms/key:Key",
    };
    expect(args.isType(fakeClass as never)).toBe(true);
    expect(() => args.notApplicable("why")).toThrow(NotApplicable);
    // No Environment tag and no configured suffix: the name policy is not applicable, not a crash.
    const vs = await runPolicies(
      policies,
      [{ type: "kubernetes:core/v1:ConfigMap", name: "x", inputs: {} }],
      OPTIONS,
    );
    expect(vs).toEqual([]);
  });
});
