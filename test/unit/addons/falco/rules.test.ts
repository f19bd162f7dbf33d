/**
 * tap's Falco rules, evaluated offline as Falco would with the macros and lists of the rules its
 * image ships (facts/falco/default-rules-5.1.0.json, test/helpers/falco-eval.ts): each fires on
 * what it is for and not on the neighbouring benign events, and uses only macros, lists and
 * fields the bundled rules define. What is deployed is the same text (index.test.ts).
 */
import {
  IMDS_ADDRESS,
  TAP_RULE_NAMES,
  tapFalcoRules,
  tapFalcoRulesText,
} from "../../../../lib/addons/falco";
import {
  FalcoEvent,
  defaultRuleSet,
  loadDefaultRules,
  parseCondition,
  references,
} from "../../../helpers/falco-eval";

const NAMESPACES = ["gateway", "payments", "ledger"];
const rules = () => JSON.parse(tapFalcoRulesText(NAMESPACES)) as unknown[];
const set = defaultRuleSet([rules()]);
const fired = (event: FalcoEvent): string[] =>
  Object.values(TAP_RULE_NAMES).filter((r) => set.matches(r, event));

const inPod = (ns: string): FalcoEvent => ({
  "container.id": "0123456789ab",
  "container.image.repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments",
  "k8s.ns.name": ns,
  "user.name": "app",
  "proc.pname": "nginx",
});
const exec = (ns: string, proc: string): FalcoEvent => ({
  ...inPod(ns),
  "evt.type": "execve",
  "proc.name": proc,
  "proc.cmdline": `${proc} -i`,
});
const open = (ns: string, file: string, write = true): FalcoEvent => ({
  ...inPod(ns),
  "evt.type": "openat",
  "evt.is_open_write": write,
  "evt.is_open_read": !write,
  "fd.typechar": "f",
  "fd.num": 5,
  "fd.name": file,
  "proc.name": "sh",
});
const connect = (ns: string, ip: string, rawres = 0): FalcoEvent => ({
  ...inPod(ns),
  "evt.type": "connect",
  "fd.typechar": "4",
  "fd.l4proto": "tcp",
  "fd.sip": ip,
  "fd.cip": "10.0.12.34",
  "fd.name": `10.0.12.34:41234->${ip}:80`,
  "evt.rawres": rawres,
  "proc.name": "curl",
});

describe("tap's Falco rules", () => {
  it("load beside the defaults with no unknown macro, list, field or priority", () => {
    expect(set.problems()).toEqual([]);
    for (const item of tapFalcoRules(NAMESPACES))
      if ("rule" in item) expect(() => parseCondition(item.condition)).not.toThrow();
    // They build on the defaults' macros, not copies of them.
    const used = tapFalcoRules(NAMESPACES).flatMap((i) =>
      "rule" in i ? references(parseCondition(i.condition)).identifiers : [],
    );
    expect(used).toEqual(
      expect.arrayContaining([
        "spawned_process",
        "shell_procs",
        "open_write",
        "etc_dir",
        "outbound",
      ]),
    );
  });

  it("a shell in a payments container: any catalog namespace, any shell, only a shell", () => {
    for (const ns of NAMESPACES)
      for (const sh of ["bash", "sh", "dash", "ash"])
        expect(fired(exec(ns, sh))).toEqual([TAP_RULE_NAMES.shell]);
    expect(fired(exec("payments", "nginx"))).toEqual([]);
    expect(fired(exec("kube-system", "bash"))).toEqual([]);
    expect(fired(exec("retail", "bash"))).toEqual([]);
    // On the node itself (container.id "host") it is not a container.
    expect(fired({ ...exec("payments", "bash"), "container.id": "host" })).toEqual([]);
    expect(set.rule(TAP_RULE_NAMES.shell)?.priority).toBe("CRITICAL");
  });

  it("a write below /etc in a container outside the system namespaces", () => {
    expect(fired(open("payments", "/etc/passwd"))).toEqual([TAP_RULE_NAMES.etc]);
    expect(fired(open("retail", "/etc/ld.so.preload"))).toEqual([TAP_RULE_NAMES.etc]);
    expect(fired(open("payments", "/etc/passwd", false))).toEqual([]);
    expect(fired(open("payments", "/etcetera/x"))).toEqual([]);
    expect(fired(open("payments", "/tmp/cache"))).toEqual([]);
    for (const ns of ["kube-system", "falco", "calico-system", "amazon-cloudwatch"])
      expect(fired(open(ns, "/etc/hosts"))).toEqual([]);
    // A failed open (read-only root filesystem: fd.num -1) is not a write.
    expect(fired({ ...open("payments", "/etc/passwd"), "fd.num": -1 })).toEqual([]);
  });

  it("a pod reaching the instance metadata service, node agents excepted", () => {
    expect(fired(connect("payments", IMDS_ADDRESS))).toEqual([TAP_RULE_NAMES.imds]);
    expect(fired(connect("retail", IMDS_ADDRESS, -115 /* EINPROGRESS */))).toEqual([]);
    expect(fired({ ...connect("retail", IMDS_ADDRESS, -115), "evt.res": "EINPROGRESS" })).toEqual([
      TAP_RULE_NAMES.imds,
    ]);
    for (const ns of ["kube-system", "amazon-cloudwatch", "amazon-guardduty"])
      expect(fired(connect(ns, IMDS_ADDRESS))).toEqual([]);
    expect(fired(connect("payments", "10.0.40.7"))).toEqual([]);
    expect(fired(connect("payments", "169.254.170.23"))).toEqual([]);
    expect(fired({ ...connect("payments", IMDS_ADDRESS), "container.id": "host" })).toEqual([]);
  });

  it("shares its exec with a default rule, hence rule_matching all (index.test.ts)", () => {
    // The defaults' NOTICE rule for an interactive shell matches the same execve; with Falco's
    // default `first`, whichever is loaded first would be the only one to fire.
    expect(loadDefaultRules().rules).toContain("Terminal shell in container");
  });

  it("is refused for a catalog with no namespace to watch", () => {
    expect(() => tapFalcoRules([])).toThrow(/no namespaces/);
  });
});
