/**
 * tap's Falco rules (`tap_rules.yaml`, loaded after the image's default rules, falco_rules.yaml
 * 5.1.0): a shell in a payments container, a write below /etc in a container, and a pod reaching
 * the instance metadata service. Pure data: the release mounts the text, tests evaluate the same
 * items against sample events with the upstream macros (test/helpers/falco-eval.ts).
 *
 * They build on macros and lists of the defaults (facts/falco/default-rules-5.1.0.json):
 * `spawned_process`, `container`, `shell_procs` (shell_binaries), `open_write`, `etc_dir` and
 * `outbound` (rfc_1918_addresses); they use only fields those rules use. The IMDS rule exists
 * upstream only among the incubating rules, which the image does not ship: tap writes its own.
 */
import { SYSTEM_NAMESPACES } from "../reserved-namespaces";

/** The instance metadata service (IPv4; IMDSv2 keeps the address, only the protocol changes). */
export const IMDS_ADDRESS = "169.254.169.254";

/**
 * Namespaces whose pods may reach IMDS: the node agents that read it by design (aws-node,
 * kube-proxy and the EBS CSI node plugin in kube-system, the CloudWatch agent, the GuardDuty
 * agent). Calico's policy still denies it to every workload; this rule says who tried.
 */
export const IMDS_NAMESPACES = ["kube-system", "amazon-cloudwatch", "amazon-guardduty"] as const;

export const TAP_RULES_FILE = "tap_rules.yaml";

export const TAP_RULE_NAMES = {
  shell: "Shell in a payments container",
  etc: "Write below /etc in a container",
  imds: "Pod contacts the instance metadata service",
} as const;

export type FalcoItem =
  | { readonly list: string; readonly items: readonly string[] }
  | { readonly macro: string; readonly condition: string }
  | {
      readonly rule: string;
      readonly desc: string;
      readonly condition: string;
      readonly output: string;
      readonly priority: string;
      readonly tags: readonly string[];
    };

/**
 * Where it happened, in fields the default rules use (so known to this Falco). The container
 * plugin's own suggested fields (pod and container names) are appended to every output by
 * `append_output: [{suggested_output: true}]`, the chart's default.
 */
const WHERE = "ns=%k8s.ns.name container=%container.id image=%container.image.repository";

/**
 * The rules for a catalog whose services run in `paymentNamespaces` (the service catalog is the
 * payments system: every one of its namespaces).
 */
export function tapFalcoRules(paymentNamespaces: readonly string[]): FalcoItem[] {
  if (paymentNamespaces.length === 0)
    throw new Error("tapFalcoRules: the catalog has no namespaces to watch");
  return [
    { list: "tap_payment_namespaces", items: [...paymentNamespaces] },
    { list: "tap_system_namespaces", items: [...SYSTEM_NAMESPACES] },
    { list: "tap_imds_namespaces", items: [...IMDS_NAMESPACES] },
    {
      macro: "tap_payment_container",
      condition: "(container and k8s.ns.name in (tap_payment_namespaces))",
    },
    {
      rule: TAP_RULE_NAMES.shell,
      desc: "A shell started in a container of the payments system (tap's service catalog). Its images serve HTTP and start no shell; a shell there is someone inside it (kubectl exec or an exploit).",
      condition: "spawned_process and tap_payment_container and shell_procs",
      output: `Shell started in a payments container (user=%user.name command=%proc.cmdline parent=%proc.pname ${WHERE})`,
      priority: "CRITICAL",
      tags: ["tap", "container", "shell", "mitre_execution", "T1059"],
    },
    {
      rule: TAP_RULE_NAMES.etc,
      desc: "A file below /etc opened for writing in a container outside the system namespaces. tap's services run with a read-only root filesystem, so such a write only succeeds where something changed that, and is how persistence and configuration tampering start.",
      condition:
        "open_write and container and etc_dir and not k8s.ns.name in (tap_system_namespaces)",
      output: `File below /etc opened for writing in a container (file=%fd.name user=%user.name command=%proc.cmdline ${WHERE})`,
      priority: "ERROR",
      tags: ["tap", "container", "filesystem", "mitre_persistence", "T1543"],
    },
    {
      rule: TAP_RULE_NAMES.imds,
      desc: `A pod connected to the instance metadata service (${IMDS_ADDRESS}), where the node role's credentials are. Nodes allow one hop and Calico denies it to workloads; an attempt from a pod is credential theft being tried. The node agents that read it by design are excepted.`,
      condition: `outbound and container and fd.sip = "${IMDS_ADDRESS}" and not k8s.ns.name in (tap_imds_namespaces)`,
      output: `Pod connected to the instance metadata service (connection=%fd.name command=%proc.cmdline ${WHERE})`,
      priority: "CRITICAL",
      tags: ["tap", "network", "aws", "mitre_credential_access", "T1552.005"],
    },
  ];
}

/**
 * The rules file's text, as the chart mounts it (customRules.<file>): JSON, which is YAML (Falco
 * reads rules files with a YAML parser), so tap needs no YAML library at run time.
 */
export function tapFalcoRulesText(paymentNamespaces: readonly string[]): string {
  return `${JSON.stringify(tapFalcoRules(paymentNamespaces), null, 2)}\n`;
}
