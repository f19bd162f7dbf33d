import * as YAML from "yaml";
import {
  FalcoEvent,
  FalcoRuleSet,
  cidrContains,
  defaultRuleSet,
  loadDefaultRules,
  parseCondition,
  references,
} from "../../helpers/falco-eval";

const yaml = (text: string): unknown[] => YAML.parse(text) as unknown[];
const defaults = defaultRuleSet();
const holds = (condition: string, event: FalcoEvent, set: FalcoRuleSet = defaults): boolean =>
  set.evaluate(condition, event);

describe("facts/falco/default-rules-5.1.0.json", () => {
  const facts = loadDefaultRules();

  it("names the rules tag Falco 0.44.1 bundles, at commits", () => {
    expect(facts.source).toMatch(
      /^falcosecurity\/rules@[0-9a-f]{40}:rules\/falco_rules\.yaml \(tag falco-rules-5\.1\.0\)$/,
    );
    expect(facts.bundledBy).toMatch(
      /^falcosecurity\/falco@[0-9a-f]{40}:cmake\/modules\/rules\.cmake \(FALCOSECURITY_RULES_FALCO_VERSION falco-rules-5\.1\.0\)$/,
    );
    expect(facts.requiredEngineVersion).toBe("0.57.0");
    expect(facts.rules).toContain("Terminal shell in container");
    expect(facts.fields).toEqual([...new Set(facts.fields)].sort());
    expect(facts.fields).toEqual(
      expect.arrayContaining(["proc.name", "fd.sip", "k8s.ns.name", "container.image.repository"]),
    );
  });

  it("every macro parses, and the defaults load without a problem", () => {
    const names = Object.keys(facts.macros);
    expect(names.length).toBeGreaterThan(80);
    for (const name of names) expect(() => parseCondition(facts.macros[name])).not.toThrow();
    expect(defaults.problems()).toEqual([]);
  });

  it("every list expands; quoted items are their strings", () => {
    for (const name of Object.keys(facts.lists))
      expect(() => defaults.listValues(name)).not.toThrow();
    expect(defaults.listValues("known_shell_spawn_cmdlines")).toContain(
      `sh -c node -e "require('nan')"`,
    );
    expect(defaults.listValues("rfc_1918_addresses")).toEqual([
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
    ]);
    // package_mgmt_binaries nests rpm_binaries, deb_binaries and python_package_managers
    expect(defaults.listValues("package_mgmt_binaries")).toEqual(
      expect.arrayContaining(["yum", "apt-get", "pip3", "apk"]),
    );
    expect(defaults.listValues("package_mgmt_binaries")).not.toContain("rpm_binaries");
  });
});

describe("evaluation with the upstream macros", () => {
  const shell = { "evt.type": "execve", "container.id": "abc123", "proc.name": "bash" };
  it.each([
    [shell, true],
    [{ ...shell, "proc.name": "nginx" }, false],
    [{ ...shell, "container.id": "host" }, false],
    [{ ...shell, "evt.type": "open" }, false],
    [{ "evt.type": "execveat", "container.id": "abc123", "proc.name": "zsh" }, true],
  ])("spawned_process and container and shell_procs on %j is %s", (event, expected) => {
    expect(holds("spawned_process and container and shell_procs", event)).toBe(expected);
  });

  const connect = {
    "evt.type": "connect",
    "evt.rawres": 0,
    "evt.res": "SUCCESS",
    "fd.typechar": "4",
    "fd.l4proto": "tcp",
    "fd.cip": "172.31.4.9",
    "fd.sip": "169.254.169.254",
  };
  it.each([
    ["the instance metadata address", connect, true],
    ["an RFC 1918 server (10.0.0.5)", { ...connect, "fd.sip": "10.0.0.5" }, false],
    ["an RFC 1918 server (192.168.1.1)", { ...connect, "fd.sip": "192.168.1.1" }, false],
    ["loopback", { ...connect, "fd.sip": "127.0.0.1" }, false],
    ["a failed connect", { ...connect, "evt.rawres": -111, "evt.res": "ECONNREFUSED" }, false],
    ["EINPROGRESS", { ...connect, "evt.rawres": -115, "evt.res": "EINPROGRESS" }, true],
    ["a unix socket", { ...connect, "fd.typechar": "u" }, false],
    ["an accept", { ...connect, "evt.type": "accept" }, false],
  ])("outbound: %s -> %s", (_what, event, expected) => {
    expect(holds("outbound", event)).toBe(expected);
  });

  const write = {
    "evt.type": "openat",
    "evt.is_open_write": true,
    "fd.typechar": "f",
    "fd.num": 3,
    "fd.name": "/etc/passwd",
  };
  it.each([
    [write, true],
    [{ ...write, "fd.name": "/tmp/etc/passwd" }, false],
    [{ ...write, "evt.is_open_write": false }, false],
    [{ ...write, "fd.num": -1 }, false],
    [{ ...write, "evt.type": "read" }, false],
  ])("open_write and etc_dir on %j is %s", (event, expected) => {
    expect(holds("open_write and etc_dir", event)).toBe(expected);
  });

  it("proc.aname as every ancestor, proc.aname[N] as one, glob and absent fields", () => {
    expect(holds("run_by_package_mgmt_binaries", { "proc.aname": ["bash", "apt-get"] })).toBe(true);
    expect(holds("run_by_package_mgmt_binaries", { "proc.aname": ["bash", "sshd"] })).toBe(false);
    expect(holds("run_by_qualys", { "proc.aname[3]": "qualys-cloud-ag" })).toBe(true);
    expect(holds("run_by_qualys", { "proc.aname[1]": "qualys-cloud-ag" })).toBe(false);
    expect(holds("user_ssh_directory", { "fd.name": "/home/alice/.ssh/id_rsa" })).toBe(true);
    expect(holds("user_ssh_directory", { "fd.name": "/root/.ssh/id_rsa" })).toBe(false);
    expect(holds("proc.name != bash", {})).toBe(false);
    expect(holds("container_entrypoint", {})).toBe(true);
    expect(holds("container_entrypoint", { "proc.pname": "runc:[1:CHILD]" })).toBe(true);
    expect(holds("container_entrypoint", { "proc.pname": "bash" })).toBe(false);
    expect(holds("k8s_containers", { "k8s.ns.name": "kube-system" })).toBe(true);
    expect(holds("fd.name pmatch (/etc, /var/log)", { "fd.name": "/etc/ssh/sshd" })).toBe(true);
    expect(holds("fd.name pmatch (/etc, /var/log)", { "fd.name": "/etcetera" })).toBe(false);
  });

  it("CIDR containment for the *net fields, IPv4 and IPv6", () => {
    expect(cidrContains("172.16.0.0/12", "172.31.255.1")).toBe(true);
    expect(cidrContains("172.16.0.0/12", "172.32.0.1")).toBe(false);
    expect(cidrContains("fd00::/8", "fd12:3456::1")).toBe(true);
    expect(cidrContains("fd00::/8", "fe80::1")).toBe(false);
    expect(holds('fd.rnet = "10.0.0.0/8"', { "fd.rip": "10.1.2.3" })).toBe(true);
    expect(holds('fd.cnet in ("10.0.0.0/8")', { "fd.sip": "10.1.2.3" })).toBe(false);
    expect(() => holds('fd.net contains "10."', { "fd.sip": "10.1.2.3" })).toThrow(/fd.net takes/);
  });
});

describe("parseCondition and references", () => {
  it.each([
    ["proc.name = ", /expected a value at position 12 \(line 1, column 13\)/],
    ["(proc.name=bash", /expected '\)' at position 15/],
    ["proc.name regex x", /unsupported operator 'regex' at position 10/],
    ["proc.name in bash", /expected '\(' at position 13/],
    ["spawned_process and", /expected a field, a macro or '\(' at position 19/],
    ['proc.cmdline = "sh -c', /unterminated string at position 15/],
  ])("%j throws %p", (text, message) => {
    expect(() => parseCondition(text)).toThrow(message);
  });

  it("names fields, macros and list words", () => {
    const refs = references(
      parseCondition('spawned_process and not proc.aname[2] in (shell_binaries, "x y", sshd)'),
    );
    expect(refs).toEqual({
      fields: ["proc.aname"],
      identifiers: ["spawned_process"],
      lists: ["shell_binaries", "sshd"],
    });
  });
});

describe("FalcoRuleSet loading", () => {
  const rule = (extra = "") => `
- rule: Tap shell in pod
  desc: a shell in a tap pod
  condition: spawned_process and container and shell_procs${extra}
  output: shell (user=%user.name command=%proc.cmdline ns=%k8s.ns.name)
  priority: WARNING
`;
  const bash = { "evt.type": "execve", "container.id": "c1", "proc.name": "bash" };
  const fish = { ...bash, "proc.name": "fish" };

  it("a tap rule on the defaults has no problem and matches", () => {
    const set = defaultRuleSet([yaml(rule())]);
    expect(set.problems()).toEqual([]);
    expect(set.matches("Tap shell in pod", bash)).toBe(true);
    expect(set.matches("Tap shell in pod", { ...bash, "proc.name": "java" })).toBe(false);
    expect(set.rule("Tap shell in pod")?.priority).toBe("WARNING");
  });

  it("reports unknown macros, fields and lists, duplicates, missing keys and bad priorities", () => {
    const set = defaultRuleSet([
      yaml(rule()),
      yaml(`${rule()}
- rule: Half a rule
  condition: spawned_process
  output: half (ns=%k8s.pod.name)
  priority: LOUD
- rule: Terminal shell in container
  desc: redefines upstream
  condition: never_true
  output: x
  priority: info
`),
    ]);
    expect(set.problems().sort()).toEqual([
      "rule Half a rule: no desc",
      "rule Half a rule: priority LOUD is none of EMERGENCY ALERT CRITICAL ERROR WARNING NOTICE INFORMATIONAL DEBUG",
      "rule Half a rule: unknown field k8s.pod.name",
      "rule Tap shell in pod: defined again (file 2 item 0); Falco keeps the last one",
      "rule Terminal shell in container: defined again (file 2 item 2); Falco keeps the last one",
    ]);
    const first = defaultRuleSet([
      yaml(rule(" and not tap_allowed and proc.pod_name = x and not proc.name in (tap_binaries)")),
    ]);
    expect(first.problems()).toEqual([
      "rule Tap shell in pod: unknown macro tap_allowed",
      "rule Tap shell in pod: unknown field proc.pod_name",
      'rule Tap shell in pod: unknown list tap_binaries (Falco would compare the literal string "tap_binaries")',
    ]);
    expect(() => first.matches("Tap shell in pod", bash)).toThrow(/undefined macro tap_allowed/);
    expect(() => first.matches("No such rule", bash)).toThrow(/no rule "No such rule"/);
  });

  it.each([
    ["a redefinition replaces", "- list: shell_binaries\n  items: [fish]", false, true],
    [
      "override append appends",
      "- list: shell_binaries\n  items: [fish]\n  override: {items: append}",
      true,
      true,
    ],
    ["append: true appends", "- list: shell_binaries\n  items: [fish]\n  append: true", true, true],
    [
      "override replace replaces",
      "- list: shell_binaries\n  items: [fish]\n  override: {items: replace}",
      false,
      true,
    ],
  ])("lists: %s", (_what, text, bashMatches, fishMatches) => {
    const set = defaultRuleSet([yaml(text), yaml(rule())]);
    expect(set.problems()).toEqual([]);
    expect(set.matches("Tap shell in pod", bash)).toBe(bashMatches);
    expect(set.matches("Tap shell in pod", fish)).toBe(fishMatches);
  });

  it("lists may name lists defined later; macros append and replace; updates need a target", () => {
    const set = defaultRuleSet([
      yaml(`
- list: tap_shells
  items: [more_shells, '"fish"']
- list: more_shells
  items: [elvish]
- macro: shell_procs
  condition: or proc.name in (tap_shells)
  override: {condition: append}
- list: no_such_list
  items: [x]
  append: true
- rule: Not there
  condition: and never_true
  override: {condition: append}
- rule: Terminal shell in container
  enabled: false
`),
      yaml(rule()),
    ]);
    expect(set.macro("shell_procs")).toBe(
      "(proc.name in (shell_binaries)) or proc.name in (tap_shells)",
    );
    expect(set.list("tap_shells")).toEqual(["more_shells", '"fish"']);
    expect(set.matches("Tap shell in pod", { ...bash, "proc.name": "elvish" })).toBe(true);
    expect(set.matches("Tap shell in pod", fish)).toBe(true);
    expect(set.matches("Tap shell in pod", bash)).toBe(true);
    expect(set.problems()).toEqual([
      "list no_such_list: append to an undefined list (file 1 item 3)",
      "rule Not there: updates an undefined rule (file 1 item 4)",
    ]);
  });

  it("rule overrides, exceptions and enabled", () => {
    const set = defaultRuleSet([
      yaml(`${rule()}
  exceptions:
    - name: debug_images
      fields: [container.image.repository, proc.name]
      comps: [=, in]
      values:
        - [registry.example/tools, [bash]]
        - [registry.example/debug, [sh, zsh]]
`),
      yaml(`
- rule: Tap shell in pod
  condition: and not k8s.ns.name in (kube-system)
  priority: ERROR
  override: {condition: append, priority: replace}
`),
    ]);
    expect(set.problems()).toEqual([]);
    expect(set.rule("Tap shell in pod")?.priority).toBe("ERROR");
    const tools = { ...bash, "container.image.repository": "registry.example/tools" };
    expect(set.matches("Tap shell in pod", bash)).toBe(true);
    expect(set.matches("Tap shell in pod", tools)).toBe(false);
    expect(set.matches("Tap shell in pod", { ...tools, "proc.name": "zsh" })).toBe(true);
    expect(
      set.matches("Tap shell in pod", {
        ...bash,
        "proc.name": "zsh",
        "container.image.repository": "registry.example/debug",
      }),
    ).toBe(false);
    expect(set.matches("Tap shell in pod", { ...bash, "k8s.ns.name": "kube-system" })).toBe(false);

    const off = defaultRuleSet([yaml(rule()), yaml("- rule: Tap shell in pod\n  enabled: false")]);
    expect(off.rule("Tap shell in pod")?.enabled).toBe(false);
    expect(off.matches("Tap shell in pod", bash)).toBe(false);
  });

  it("reports a macro that uses itself and a list item Falco cannot read", () => {
    const set = new FalcoRuleSet([
      yaml(`
- macro: a
  condition: b or proc.name = x
- macro: b
  condition: not a
- list: bad
  items: ["x=y"]
`),
    ]);
    expect(set.problems()).toEqual([
      'list bad: list item "x=y" is no Falco value',
      "macro a: recursive (a -> b -> a)",
      "macro b: recursive (b -> a -> b)",
    ]);
    expect(() => set.evaluate("a", { "proc.name": "x" })).toThrow(/macro a uses itself/);
  });
});
