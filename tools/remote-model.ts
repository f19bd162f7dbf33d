/**
 * What the remote components tap uses create, for the inputs tap passes, modeled from their source
 * at the pinned versions. Under Pulumi mocks each of them is one opaque resource; the offline plan
 * expands them with this model so its counts, prices and critical path see the subnets, NAT
 * gateways, EIPs, the control plane, the OIDC provider, access entries and add-ons a real preview
 * shows. test/unit/tools/remote-model.test.ts pins the counts to the inputs.
 *
 * Sources (read from the fetched repositories):
 * - awsx Vpc: pulumi/pulumi-awsx awsx/ec2/vpc.ts at e60adf3 (no v3.9.0 tag in the snapshot; awsx/ec2
 *   is unchanged since v3.8.0): L165-172 the internet gateway, L212-230 one subnet per spec and AZ,
 *   L250-272 a route table and association per subnet, L283-308 an EIP and NAT gateway per public
 *   subnet that shouldCreateNatGateway() picks (every AZ for OnePerAz, the first for Single),
 *   L315-348 the public route to the gateway and the private route to a NAT gateway (none with
 *   strategy None, which tap passes: lib/network.ts creates the gateways and private routes).
 * - eks.Cluster: pulumi/pulumi-eks@v4.3.0 nodejs/eks/cluster/cluster.ts: L529-546 the service role
 *   (eks:index:ServiceRole = Role + one RolePolicyAttachment, servicerole.ts L89-112), L687 the
 *   cluster, L779-797 kube-proxy (off: tap creates it, lib/cluster.ts), L914-921 the Kubernetes provider, L1028-1057 one AccessEntry per
 *   entry and one AccessPolicyAssociation per access policy (authenticationMode.ts L185-205),
 *   L1255-1263 the OIDC provider. Not created for tap's inputs: security groups
 *   (skipDefaultSecurityGroups, L552), the aws-auth ConfigMap (API mode, L1001), instance roles
 *   (skipDefaultNodeGroup, L944-947), the VPC CNI (useDefaultVpcCni, L1091-1095), CoreDNS (off).
 * - eks.ManagedNodeGroup: pulumi/pulumi-eks@v4.3.0 nodejs/eks/nodes/nodegroup.ts L2092-2120: one
 *   aws.eks.NodeGroup (tap passes its own launch template and role: no LaunchTemplate, no role).
 */
import { RecordedResource } from "./offline-mocks";

const AWSX = "pulumi/pulumi-awsx@e60adf3 awsx/ec2/vpc.ts";
const EKS = "pulumi/pulumi-eks@v4.3.0 nodejs/eks/cluster/cluster.ts";
const MNG = "pulumi/pulumi-eks@v4.3.0 nodejs/eks/nodes/nodegroup.ts";

interface Child {
  readonly type: string;
  readonly name: string;
  /** Names (within the component) of the children it waits for. */
  readonly after: readonly string[];
  readonly custom?: boolean;
}

type Inputs = Record<string, unknown>;

function vpcChildren(name: string, inputs: Inputs): Child[] {
  const azs =
    typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 3;
  const strategy = String(
    (inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz",
  );
  const single = strategy.toLowerCase() === "single";
  // tap passes None and creates the gateways itself (lib/network.ts): no EIP, NAT or private route.
  const none = strategy.toLowerCase() === "none";
  const out: Child[] = [
    { type: "aws:ec2/vpc:Vpc", name, after: [] },
    { type: "aws:ec2/internetGateway:InternetGateway", name, after: [name] },
  ];
  // An isolated spec (tap's data subnets) gets subnets, route tables and associations, no route.
  const specs = Array.isArray(inputs.subnetSpecs) ? (inputs.subnetSpecs as Inputs[]) : [];
  const isolated = specs
    .filter((s) => s.type === "Isolated")
    .map((s) => String(s.name ?? "isolated"));
  for (const kind of ["public", "private", ...isolated]) {
    for (let i = 1; i <= azs; i++) {
      const subnet = `${name}-${kind}-${i}`;
      out.push(
        { type: "aws:ec2/subnet:Subnet", name: subnet, after: [name] },
        { type: "aws:ec2/routeTable:RouteTable", name: subnet, after: [`${subnet}/subnet`] },
        {
          type: "aws:ec2/routeTableAssociation:RouteTableAssociation",
          name: subnet,
          after: [`${subnet}/rt`],
        },
      );
      if (kind === "public" && !none && (!single || i === 1)) {
        out.push(
          { type: "aws:ec2/eip:Eip", name: `${name}-${i}`, after: [`${subnet}/subnet`] },
          {
            type: "aws:ec2/natGateway:NatGateway",
            name: `${name}-${i}`,
            after: [`${subnet}/subnet`, `${name}-${i}/eip`],
          },
        );
      }
      if ((kind === "private" && none) || isolated.includes(kind)) continue;
      out.push({
        type: "aws:ec2/route:Route",
        name: subnet,
        after:
          kind === "public"
            ? [`${subnet}/rt`, `${name}/igw`]
            : [`${subnet}/rt`, `${name}-${single ? 1 : i}/nat`],
      });
    }
  }
  return out;
}

function clusterChildren(name: string, inputs: Inputs): Child[] {
  const role = `${name}-eksRole`;
  const out: Child[] = [
    { type: "eks:index:ServiceRole", name: role, after: [], custom: false },
    { type: "aws:iam/role:Role", name: `${role}-role`, after: [] },
    {
      type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      name: `${role}-policy`,
      after: [`${role}-role/role`],
    },
    { type: "aws:eks/cluster:Cluster", name: `${name}-eksCluster`, after: [`${role}-role/role`] },
    {
      type: "pulumi:providers:kubernetes",
      name: `${name}-eks-k8s`,
      after: [`${name}-eksCluster/cluster`],
    },
    {
      type: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      name: `${name}-oidcProvider`,
      after: [`${name}-eksCluster/cluster`],
    },
  ];
  const kubeProxy = inputs.kubeProxyAddonOptions as { enabled?: boolean } | undefined;
  if (kubeProxy?.enabled !== false) {
    out.push({
      type: "aws:eks/addon:Addon",
      name: `${name}-kube-proxy`,
      after: [`${name}-eksCluster/cluster`],
    });
  }
  if (inputs.useDefaultVpcCni !== true) {
    out.push(
      { type: "eks:index:VpcCniAddon", name: `${name}-vpc-cni`, after: [], custom: false },
      {
        type: "aws:eks/addon:Addon",
        name: `${name}-vpc-cni`,
        after: [`${name}-eksCluster/cluster`],
      },
    );
  }
  const entries = (inputs.accessEntries ?? {}) as Record<
    string,
    { accessPolicies?: Record<string, unknown> }
  >;
  for (const [key, entry] of Object.entries(entries)) {
    out.push({
      type: "aws:eks/accessEntry:AccessEntry",
      name: `${name}-${key}`,
      after: [`${name}-eksCluster/cluster`],
    });
    for (const policy of Object.keys(entry.accessPolicies ?? {})) {
      out.push({
        type: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        name: `${name}-${key}-${policy}`,
        after: [`${name}-${key}/entry`],
      });
    }
  }
  return out;
}

/** The short handle `after` uses for a child: `<name>/<kind>`. */
function handle(c: Child): string {
  const kind: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rt",
    "aws:ec2/eip:Eip": "eip",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:iam/role:Role": "role",
    "aws:eks/cluster:Cluster": "cluster",
    "aws:eks/accessEntry:AccessEntry": "entry",
  };
  const k = kind[c.type];
  return k === "" ? c.name : `${c.name}/${k ?? c.type}`;
}

const MODELS: {
  readonly [type: string]: { source: string; children: (n: string, i: Inputs) => Child[] };
} = {
  "awsx:ec2:Vpc": { source: AWSX, children: vpcChildren },
  "eks:index:Cluster": { source: EKS, children: clusterChildren },
  "eks:index:ManagedNodeGroup": {
    source: MNG,
    children: (name) => [{ type: "aws:eks/nodeGroup:NodeGroup", name, after: [] }],
  },
};

export const REMOTE_COMPONENT_TYPES = Object.keys(MODELS);

/** The modeled children of one remote component (none for any other resource). */
export function modeledChildren(component: RecordedResource): RecordedResource[] {
  const model = MODELS[component.type];
  if (!model) return [];
  const children = model.children(component.name, component.inputs);
  const prefix = component.urn
    .replace(/::[^:]*$/, "")
    .replace(/^(urn:pulumi:[^:]*::[^:]*::)/, "$1");
  const urnOf = (c: Child) => `${prefix}$${c.type}::${c.name}#${handle(c)}`;
  const byHandle = new Map(children.map((c) => [handle(c), urnOf(c)]));
  return children.map((c) => ({
    type: c.type,
    name: c.name,
    inputs: {},
    custom: c.custom ?? true,
    at: component.at,
    urn: urnOf(c),
    parent: component.urn,
    dependencies: c.after.map((h) => byHandle.get(h)).filter((u): u is string => u !== undefined),
    deletedWith: "",
    modeled: model.source,
  }));
}

/** Every recorded resource, each remote component followed by its modeled children. */
export function expandRemoteComponents(resources: readonly RecordedResource[]): RecordedResource[] {
  return resources.flatMap((r) => [r, ...modeledChildren(r)]);
}
