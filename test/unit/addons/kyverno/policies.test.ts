/**
 * Kyverno's admission policies against good and bad workloads, evaluated offline with
 * test/helpers/kyverno-eval.ts (the policies' CEL on the API server subset, Kyverno's match and
 * autogen semantics): what Enforce refuses in a workload namespace, what Audit only reports
 * elsewhere, and that the system namespaces are never touched; then that every workload tap itself
 * deploys is admitted.
 */
import {
  POLICY_RULES,
  SYSTEM_NAMESPACES,
  ValidatingPolicyManifest,
  validatingPolicies,
} from "../../../../lib/addons/kyverno";
import { Admission, PolicyDoc, admit } from "../../../helpers/kyverno-eval";
import {
  Obj,
  SAMPLES,
  container,
  cronJobOf,
  deploymentOf,
  pod,
  withContainer,
  withSc,
} from "../../../helpers/kyverno-samples";
import { ofType, synthStack } from "../../../helpers/mocks";

const POLICIES = validatingPolicies({}) as unknown as (PolicyDoc & ValidatingPolicyManifest)[];
const WORKLOAD: { name: string; labels: Record<string, string> } = {
  name: "payments",
  labels: { "tap/workload": "true" },
};

/** What every enforcing policy says about `object` in `ns`: name -> failures (only those failing). */
function refusals(object: Obj, ns = WORKLOAD): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const p of POLICIES) {
    const a: Admission = admit(p, object, ns);
    if (a.denied) out[p.metadata.name] = a.failures;
  }
  return out;
}

describe("the admission policies", () => {
  it("admit a restricted, pinned, sized and labelled Pod", () => {
    expect(refusals(pod())).toEqual({});
    // A digest pins as well as a tag; a registry port is not a tag.
    expect(
      refusals(withContainer({ image: `registry.example.com:5000/app@sha256:${"a".repeat(64)}` })),
    ).toEqual({});
    expect(refusals(withContainer({ image: "registry.example.com:5000/app:2.1" }))).toEqual({});
  });

  it.each([
    ["privileged", withSc({ privileged: true }), "privileged containers"],
    ["host network", pod({ hostNetwork: true }), "host namespaces"],
    ["host PID", pod({ hostPID: true }), "host namespaces"],
    [
      "a hostPath volume",
      pod({ volumes: [{ name: "h", hostPath: { path: "/etc" } }] }),
      "hostPath volumes",
    ],
    ["a host port", withContainer({ ports: [{ containerPort: 80, hostPort: 80 }] }), "host ports"],
    [
      "privilege escalation allowed",
      withSc({ allowPrivilegeEscalation: true }),
      "allowPrivilegeEscalation",
    ],
    ["capabilities not dropped", withSc({ capabilities: {} }), "drop ALL capabilities"],
    [
      "SYS_ADMIN added",
      withSc({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
      "drop ALL capabilities",
    ],
    ["root", withSc({ runAsUser: 0 }), "runAsUser 0"],
    ["runAsNonRoot false", withSc({ runAsNonRoot: false }), "non-root"],
    ["no runAsNonRoot at all", pod({ securityContext: {} }), "non-root"],
    ["no seccomp profile", pod({ securityContext: { runAsNonRoot: true } }), "seccomp profile"],
    [
      "an Unconfined seccomp profile",
      withSc({ seccompProfile: { type: "Unconfined" } }),
      "seccomp profile",
    ],
  ])("refuse %s (PSS restricted)", (_what, object, message) => {
    const r = refusals(object);
    expect(Object.keys(r)).toEqual(["tap-pss-restricted"]);
    expect(r["tap-pss-restricted"].join("\n")).toContain(message);
  });

  it.each([
    ["the :latest tag", "nginx:latest"],
    ["no tag", "nginx"],
    ["no tag behind a registry port", "registry.example.com:5000/app"],
    [
      "a full reference ending in :latest",
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest",
    ],
  ])("refuse an image with %s", (_what, image) => {
    expect(Object.keys(refusals(withContainer({ image })))).toEqual(["tap-disallow-latest-tag"]);
  });

  it("refuse an init container with :latest too", () => {
    const p = pod({ initContainers: [container({ name: "init", image: "busybox:latest" })] });
    expect(Object.keys(refusals(p))).toEqual(["tap-disallow-latest-tag"]);
  });

  it.each([
    ["no resources", { resources: {} }, "request cpu and memory"],
    ["no limits", { resources: { requests: { cpu: "1", memory: "1Gi" } } }, "limits"],
    [
      "no memory request",
      { resources: { requests: { cpu: "1" }, limits: { cpu: "1", memory: "1Gi" } } },
      "request cpu and memory",
    ],
  ])("refuse a container with %s", (_what, over, message) => {
    const r = refusals(withContainer(over));
    expect(Object.keys(r)).toEqual(["tap-require-requests-limits"]);
    expect(r["tap-require-requests-limits"].join("\n")).toContain(message);
  });

  it("refuse a Pod without the labels NetworkPolicies select on", () => {
    expect(Object.keys(refusals(pod({}, null)))).toEqual(["tap-require-labels"]);
    expect(Object.keys(refusals(pod({}, { "app.kubernetes.io/part-of": "" })))).toEqual([
      "tap-require-labels",
    ]);
  });

  it("refuse a bad Deployment and CronJob at apply time (autogen), not only their Pods", () => {
    const bad = withContainer({ image: "nginx:latest" });
    expect(refusals(deploymentOf(pod()))).toEqual({});
    expect(Object.keys(refusals(deploymentOf(bad)))).toEqual(["tap-disallow-latest-tag"]);
    expect(Object.keys(refusals(cronJobOf(bad)))).toEqual(["tap-disallow-latest-tag"]);
  });

  it.each(SAMPLES.map((s) => [s.name, s] as const))(
    "sample %s: refused by exactly the policy it breaks (the CLI test's expectations)",
    (_name, sample) => {
      expect(Object.keys(refusals(sample.object))).toEqual(
        sample.refusedBy ? [sample.refusedBy] : [],
      );
    },
  );

  it("only audit outside the workload namespaces, and never touch the system ones", () => {
    const bad = withSc({ privileged: true });
    const inDefault = POLICIES.map((p) => [p.metadata.name, admit(p, bad, { name: "default" })]);
    const applying = inDefault.filter(([, a]) => (a as Admission).applies);
    expect(applying.map(([n]) => n)).toEqual(POLICY_RULES.map((r) => `${r.name}-audit`));
    expect(applying.every(([, a]) => !(a as Admission).denied)).toBe(true);
    expect(
      applying.find(([n]) => n === "tap-pss-restricted-audit")?.[1] as Admission,
    ).toMatchObject({ failures: [expect.stringContaining("privileged")] });
    for (const name of SYSTEM_NAMESPACES)
      for (const labels of [{}, { "tap/workload": "true" }] as Record<string, string>[])
        expect(POLICIES.filter((p) => admit(p, bad, { name, labels }).applies)).toEqual([]);
  });

  it("state their failure policy: Fail where they enforce, Ignore where they audit", () => {
    for (const p of POLICIES)
      expect([p.spec.validationActions, p.spec.failurePolicy]).toEqual(
        p.metadata.name.endsWith("-audit") ? [["Audit"], "Ignore"] : [["Deny"], "Fail"],
      );
  });
});

describe("tap's own workloads under the policies", () => {
  it("are all admitted (every Pod template of the stack with Kyverno on, all capabilities that run workloads)", async () => {
    const { resources } = await synthStack({
      enableAppMesh: "false",
      kubernetesVersion: "1.35",
      addons: { kyverno: true, istio: true, secretsStore: true, loadBalancerController: true },
    });
    const workloadNamespaces = new Map(
      ofType(resources, "kubernetes:core/v1:Namespace").map((n) => {
        const meta = n.inputs.metadata as { name: string; labels?: Record<string, string> };
        return [meta.name, meta.labels ?? {}];
      }),
    );
    const controllers = resources.filter((r) =>
      /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet)|batch\/v1:(Job|CronJob)|core\/v1:Pod)$/.test(
        r.type,
      ),
    );
    expect(controllers.length).toBeGreaterThan(3);
    const refused: string[] = [];
    for (const c of controllers) {
      const kind = c.type.split(":").pop() as string;
      const ns = String((c.inputs.metadata as { namespace?: string }).namespace ?? "default");
      const object = { ...c.inputs, kind } as Obj;
      for (const [policy, failures] of Object.entries(
        refusals(object, { name: ns, labels: workloadNamespaces.get(ns) ?? {} }),
      ))
        refused.push(`${kind} ${ns}/${c.name}: ${policy}: ${failures.join("; ")}`);
    }
    expect(refused).toEqual([]);
  });
});
