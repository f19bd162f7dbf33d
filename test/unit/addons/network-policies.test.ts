import * as pulumi from "@pulumi/pulumi";
import {
  IMDS_CIDR,
  WORKLOAD_NAMESPACE_LABEL,
  createNamespaceBaseline,
  createWorkloadNamespace,
  internetEgressPeer,
} from "../../../lib/addons/network-policies";
import { AddonContext } from "../../../lib/addons/types";
import { SeenOptions, recordingAddonContext, testAddonContext } from "../../helpers/addon-context";
import { kubernetesManifests, validateManifest } from "../../helpers/k8s-schema";
import { Inputs, RecordedResource, mockTap, ofType } from "../../helpers/mocks";

const recordingContext = (seen: SeenOptions[]): AddonContext => recordingAddonContext(seen);

/** Stands in for the Calico Helm release the caller passes as dependsOn. */
class CalicoStandIn extends pulumi.CustomResource {
  constructor() {
    super("test:index:CalicoStandIn", "calico", {});
  }
}

const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NS = "kubernetes:core/v1:Namespace";

/** IPv4 dotted quad -> unsigned 32-bit integer. */
const ipToInt = (ip: string): number =>
  ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);

/** Whether `ip` is inside the ipBlock (in `cidr` and in none of `except`). */
function ipBlockAllows(block: { cidr: string; except: string[] }, ip: string): boolean {
  const inCidr = (cidr: string): boolean => {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(ipToInt(base) / size) * size;
    return ipToInt(ip) >= start && ipToInt(ip) < start + size;
  };
  return inCidr(block.cidr) && !block.except.some(inCidr);
}

function policyNamed(resources: readonly RecordedResource[], name: string): Inputs {
  const found = ofType(resources, NP).filter(
    (r) => (r.inputs.metadata as { name?: string }).name === name,
  );
  if (found.length !== 1)
    throw new Error(`expected one NetworkPolicy ${name}, got ${found.length}`);
  return found[0].inputs;
}

describe("internetEgressPeer", () => {
  it.each([
    ["169.254.169.254", false],
    ["8.8.8.8", true],
    ["52.94.0.10", true],
    ["169.254.169.253", true],
    ["169.254.169.255", true],
  ])("%s reachable: %s", (ip, allowed) => {
    expect(ipBlockAllows(internetEgressPeer().ipBlock, ip)).toBe(allowed);
  });

  it("is 0.0.0.0/0 minus exactly the IMDS /32", () => {
    expect(internetEgressPeer()).toEqual({
      ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] },
    });
    expect(IMDS_CIDR).toBe("169.254.169.254/32");
  });

  it("returns a fresh object (callers cannot mutate the shared exception list)", () => {
    internetEgressPeer().ipBlock.except.length = 0;
    expect(internetEgressPeer().ipBlock.except).toEqual([IMDS_CIDR]);
  });
});

describe("createNamespaceBaseline", () => {
  const run = () =>
    mockTap(() => {
      const ctx = testAddonContext();
      return createNamespaceBaseline(ctx, "payments");
    });

  it("creates exactly default-deny-all and allow-dns in the namespace, with the explicit provider", async () => {
    const { resources, value } = await run();
    expect(value).toHaveLength(2);
    const nps = ofType(resources, NP);
    expect(nps.map((r) => r.inputs.metadata)).toEqual([
      expect.objectContaining({ name: "default-deny-all", namespace: "payments" }),
      expect.objectContaining({ name: "allow-dns", namespace: "payments" }),
    ]);
    for (const r of nps) expect(r.provider).toMatch(/tap-k8s-dev/);
  });

  it("default-deny-all selects every pod, denies both directions and has no rules", async () => {
    const { resources } = await run();
    const np = policyNamed(resources, "default-deny-all");
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("allow-dns opens exactly UDP+TCP 53 to kube-dns pods in kube-system, egress only", async () => {
    const { resources } = await run();
    const np = policyNamed(resources, "allow-dns");
    expect(np.spec).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
  });

  it("opens no ipBlock at all (so nothing opens IMDS)", async () => {
    const { resources } = await run();
    expect(JSON.stringify(ofType(resources, NP).map((r) => r.inputs))).not.toMatch(
      /ipBlock|169\.254/,
    );
  });

  it("every manifest is valid against its schema", async () => {
    const { resources } = await run();
    const manifests = kubernetesManifests(resources);
    expect(manifests).toHaveLength(2);
    for (const m of manifests) expect(() => validateManifest(m)).not.toThrow();
  });
});

describe("createWorkloadNamespace", () => {
  const runWith = (name: string, opts?: Parameters<typeof createWorkloadNamespace>[2]) =>
    mockTap(() => createWorkloadNamespace(testAddonContext(), name, opts));
  const labelsOf = (resources: readonly RecordedResource[]) =>
    (ofType(resources, NS)[0].inputs.metadata as { labels: Record<string, string> }).labels;

  it.each([
    [undefined, "restricted"],
    [{ podSecurity: "restricted" as const }, "restricted"],
    [{ podSecurity: "baseline" as const }, "baseline"],
  ])(
    "opts %j enforces PSS %s, warns/audits restricted, carries the workload label",
    async (opts, level) => {
      const { resources } = await runWith("payments", opts);
      expect(labelsOf(resources)).toMatchObject({
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        [WORKLOAD_NAMESPACE_LABEL]: "true",
        "tap/environment": "dev",
      });
    },
  );

  it.each([
    ["pod-security.kubernetes.io/enforce", "privileged", "restricted"],
    [WORKLOAD_NAMESPACE_LABEL, "false", "true"],
    ["team", "payments", "payments"],
  ])("user label %s=%s ends up as %s (tap's labels win)", async (key, given, expected) => {
    const { resources } = await runWith("payments", { labels: { [key]: given } });
    expect(labelsOf(resources)[key]).toBe(expected);
  });

  it("creates the namespace and its baseline policies inside it, the policies after the namespace", async () => {
    const seen: SeenOptions[] = [];
    const { resources, value } = await mockTap(() =>
      createWorkloadNamespace(recordingContext(seen), "ledger", { dependsOn: [] }),
    );
    expect(ofType(resources, NS).map((r) => (r.inputs.metadata as { name: string }).name)).toEqual([
      "ledger",
    ]);
    expect(
      ofType(resources, NP).map((r) => (r.inputs.metadata as { namespace: string }).namespace),
    ).toEqual(["ledger", "ledger"]);
    const policyOpts = seen.filter((s) => s.type === NP);
    expect(policyOpts).toHaveLength(2);
    for (const o of policyOpts) expect(o.dependsOn).toContain(value.namespace);
  });

  it("passes dependsOn (e.g. the Calico release) to the namespace and to the policies", async () => {
    const seen: SeenOptions[] = [];
    await mockTap(() => {
      const ctx = recordingContext(seen);
      const calico = new CalicoStandIn();
      createWorkloadNamespace(ctx, "ledger", { dependsOn: [calico] });
      return calico;
    }).then(({ value: calico }) => {
      const mine = seen.filter((s) => s.type === NS || s.type === NP);
      expect(mine).toHaveLength(3);
      for (const o of mine) expect(o.dependsOn).toContain(calico);
    });
  });

  it("every Namespace and NetworkPolicy manifest is valid against its schema", async () => {
    const { resources } = await runWith("ledger", { podSecurity: "baseline", labels: { a: "b" } });
    const manifests = kubernetesManifests(resources);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      "Namespace",
      "NetworkPolicy",
      "NetworkPolicy",
    ]);
    for (const m of manifests) expect(() => validateManifest(m)).not.toThrow();
  });

  it.each([
    ["default", /reserved/],
    ["kube-system", /reserved/],
    ["calico-system", /reserved/],
    ["Payments", /not a valid Kubernetes name/],
    ["pay_ments", /not a valid Kubernetes name/],
    ["-payments", /not a valid Kubernetes name/],
    ["a".repeat(64), /not a valid Kubernetes name/],
  ])("rejects %s", async (name, message) => {
    await expect(runWith(name)).rejects.toThrow(message);
  });
});
