/**
 * Resource policies over AWS resources and the pulumi-eks/awsx components tap registers
 * (security checklist §1 rules 1-5, 8-11, 13, 17). pulumi-eks is a remote component, so offline
 * only its inputs (`eks:index:Cluster`) are visible; the `aws:eks/cluster:Cluster` branches serve a
 * real preview, where the component's children reach the analyzer too.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Props, arr, isTrue, num, obj, onTypes, str, strings, who } from "./util";

export const EKS_COMPONENT = "eks:index:Cluster";
export const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const CLUSTERS = [EKS_COMPONENT, EKS_CLUSTER];

export const REQUIRED_LOG_TYPES = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

/** The endpoint settings of either cluster type (pulumi-eks: top level; aws: vpcConfig). */
function endpoint(type: string, props: Props) {
  const src = type === EKS_CLUSTER ? (obj(props.vpcConfig) ?? {}) : props;
  return {
    privateAccess: src.endpointPrivateAccess === true,
    // Both providers default public access to true.
    publicAccess: src.endpointPublicAccess !== false,
    publicCidrs: strings(src.publicAccessCidrs),
  };
}

export const eksSecretsEncryption: ResourceValidationPolicy = {
  name: "eks-secrets-encryption",
  description:
    "EKS secrets are envelope-encrypted with a customer KMS key (CKV_AWS_58, CIS 5.3.1).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(CLUSTERS, (props, args, report) => {
    const fix = "Fix: pass the tap KMS key (createKmsKey) as the cluster's secrets encryption key.";
    if (args.type === EKS_COMPONENT) {
      if (!str(props.encryptionConfigKeyArn)) {
        report(
          `${who(args)} has no encryptionConfigKeyArn: Kubernetes secrets are not KMS-encrypted. ${fix}`,
        );
      }
      return;
    }
    const configs = Array.isArray(props.encryptionConfig)
      ? props.encryptionConfig.map(obj)
      : [obj(props.encryptionConfig)];
    const ok = configs.some(
      (c) => strings(c?.resources).includes("secrets") && !!str(obj(c?.provider)?.keyArn),
    );
    if (!ok) {
      report(
        `${who(args)} has no encryptionConfig {resources: ["secrets"], provider.keyArn}. ${fix}`,
      );
    }
  }),
};

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description: "KMS keys rotate yearly and have an explicit deletion window (CKV_AWS_7).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(["aws:kms/key:Key"], (props, args, report) => {
    if (props.enableKeyRotation !== true) {
      report(`${who(args)} does not rotate. Fix: set enableKeyRotation: true.`);
    }
    const window = num(props.deletionWindowInDays);
    if (window === undefined || window < 7 || window > 30) {
      report(
        `${who(args)} has no deletionWindowInDays in 7..30. Fix: set deletionWindowInDays: 7.`,
      );
    }
  }),
};

export const eksControlPlaneLogging: ResourceValidationPolicy = {
  name: "eks-control-plane-logging",
  description: "All five EKS control-plane log types are enabled (CKV_AWS_37, CIS 2.1.1).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(CLUSTERS, (props, args, report) => {
    const enabled = strings(props.enabledClusterLogTypes);
    const missing = REQUIRED_LOG_TYPES.filter((t) => !enabled.includes(t));
    if (missing.length > 0) {
      report(
        `${who(args)} does not log ${missing.join(", ")}. Fix: set enabledClusterLogTypes to ${REQUIRED_LOG_TYPES.join(", ")}.`,
      );
    }
  }),
};

export const eksPrivateEndpoint: ResourceValidationPolicy = {
  name: "eks-private-endpoint",
  description:
    "The EKS API has its private endpoint on, so nodes reach it inside the VPC (CKV_AWS_39).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(CLUSTERS, (props, args, report) => {
    if (!endpoint(args.type, props).privateAccess) {
      report(
        `${who(args)} has the private API endpoint off. Fix: set endpointPrivateAccess: true.`,
      );
    }
  }),
};

export const eksPublicEndpointRestricted: ResourceValidationPolicy = {
  name: "eks-public-endpoint-restricted",
  description:
    "A public EKS endpoint is limited to known CIDRs, not 0.0.0.0/0 (CKV_AWS_38; advisory: tap keeps it open by default so pulumi can reach the API from a laptop).",
  enforcementLevel: "advisory",
  validateResource: onTypes(CLUSTERS, (props, args, report) => {
    const e = endpoint(args.type, props);
    if (!e.publicAccess) return;
    if (e.publicCidrs.length === 0 || e.publicCidrs.includes("0.0.0.0/0")) {
      report(
        `${who(args)} exposes the Kubernetes API endpoint to 0.0.0.0/0. Fix: pulumi config set --path 'tap:endpointPublicAccessCidrs[0]' <your-office-or-VPN-CIDR> (or turn the public endpoint off).`,
      );
    }
  }),
};

export const eksAccessEntries: ResourceValidationPolicy = {
  name: "eks-access-entries",
  description:
    "Cluster access is managed by EKS access entries, not the aws-auth ConfigMap (CIS 5.5.1).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(CLUSTERS, (props, args, report) => {
    const mode =
      args.type === EKS_CLUSTER
        ? str(obj(props.accessConfig)?.authenticationMode)
        : str(props.authenticationMode);
    if (mode !== "API" && mode !== "API_AND_CONFIG_MAP") {
      report(
        `${who(args)} uses authentication mode ${mode ?? "CONFIG_MAP (default)"}. Fix: set authenticationMode "API" and grant access with access entries.`,
      );
    }
  }),
};

export const launchTemplateImds: ResourceValidationPolicy = {
  name: "launch-template-imdsv2",
  description:
    "Node launch templates require IMDSv2 with a hop limit of 1, so pods cannot borrow the node role (CKV_AWS_79, CKV_AWS_341).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(["aws:ec2/launchTemplate:LaunchTemplate"], (props, args, report) => {
    const md = obj(props.metadataOptions) ?? {};
    if (md.httpEndpoint === "disabled") return; // no IMDS at all
    if (md.httpTokens !== "required") {
      report(
        `${who(args)} does not require IMDSv2. Fix: set metadataOptions.httpTokens: "required".`,
      );
    }
    const hops = num(md.httpPutResponseHopLimit);
    if (hops !== 1) {
      report(
        `${who(args)} has IMDS hop limit ${hops ?? "unset (default 1 on AL2, 2 on AL2023)"}, so pods can reach IMDS. Fix: set metadataOptions.httpPutResponseHopLimit: 1.`,
      );
    }
  }),
};

export const launchTemplateEbsEncrypted: ResourceValidationPolicy = {
  name: "launch-template-ebs-encrypted",
  description: "Every EBS volume of a node launch template is encrypted (CKV_AWS_106).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(["aws:ec2/launchTemplate:LaunchTemplate"], (props, args, report) => {
    for (const m of arr(props.blockDeviceMappings).map(obj)) {
      const ebs = obj(m?.ebs);
      if (ebs && !isTrue(ebs.encrypted)) {
        report(
          `${who(args)} volume ${str(m?.deviceName) ?? "?"} is not encrypted. Fix: set ebs.encrypted: "true".`,
        );
      }
    }
  }),
};

export const nodeGroupNoRemoteAccess: ResourceValidationPolicy = {
  name: "node-group-no-remote-access",
  description: "Managed node groups have no SSH remoteAccess (CKV_AWS_100); use SSM if you must.",
  enforcementLevel: "mandatory",
  validateResource: onTypes(
    ["aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"],
    (props, args, report) => {
      if (props.remoteAccess !== undefined && props.remoteAccess !== null) {
        report(
          `${who(args)} enables SSH remoteAccess. Fix: remove remoteAccess (use SSM Session Manager).`,
        );
      }
    },
  ),
};

const ADMIN_PORTS = [22, 3389];
const WORLD = ["0.0.0.0/0", "::/0"];

/** The admin ports a rule opens to the world (all ports for protocol -1/all). */
function worldAdminPorts(rule: Props): number[] {
  const cidrs = [
    ...strings(rule.cidrBlocks),
    ...strings(rule.ipv6CidrBlocks),
    ...[rule.cidrIpv4, rule.cidrIpv6].filter((c): c is string => typeof c === "string"),
  ];
  if (!cidrs.some((c) => WORLD.includes(c))) return [];
  const protocol = String(rule.protocol ?? rule.ipProtocol ?? "");
  if (protocol === "-1" || protocol === "all") return ADMIN_PORTS;
  const from = num(rule.fromPort) ?? 0;
  const to = num(rule.toPort) ?? from;
  return ADMIN_PORTS.filter((p) => from <= p && p <= to);
}

export const securityGroupNoWorldAdminPorts: ResourceValidationPolicy = {
  name: "security-group-no-world-admin-ports",
  description:
    "No security group opens SSH (22) or RDP (3389) to 0.0.0.0/0 or ::/0 (CKV_AWS_24/25).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(
    [
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
      "aws:ec2/securityGroupRule:SecurityGroupRule",
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ],
    (props, args, report) => {
      const rules = args.type.includes("Rule")
        ? props.type === "egress"
          ? []
          : [props]
        : arr(props.ingress).map(obj);
      for (const rule of rules) {
        for (const port of rule ? worldAdminPorts(rule) : []) {
          report(
            `${who(args)} allows port ${port} from the internet. Fix: remove the rule or limit it to a bastion security group or VPN CIDR.`,
          );
        }
      }
    },
  ),
};

export const logGroupRetentionKms: ResourceValidationPolicy = {
  name: "log-group-retention-kms",
  description:
    "Every CloudWatch log group has a retention (tap:logRetentionDays) and a KMS key (CKV_AWS_66, CKV_AWS_158).",
  enforcementLevel: "mandatory",
  validateResource: onTypes(["aws:cloudwatch/logGroup:LogGroup"], (props, args, report) => {
    const days = num(props.retentionInDays);
    if (days === undefined || days <= 0) {
      report(`${who(args)} keeps logs forever. Fix: set retentionInDays: config.logRetentionDays.`);
    }
    if (!str(props.kmsKeyId)) {
      report(`${who(args)} is not KMS-encrypted. Fix: set kmsKeyId to the tap KMS key ARN.`);
    }
  }),
};
