/**
 * Builds an AddonContext inside the mocks, for testing one add-on on its own: a parent component,
 * a Kubernetes provider, the OIDC values of the fake cluster and a stand-in node group.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TapConfigInput, resolveConfig } from "../../lib/config";
import { makeContext } from "../../lib/context";
import { AddonContext } from "../../lib/addons/types";
import { pinsFor } from "../../lib/addons/versions";
import { OIDC_ISSUER, OIDC_PROVIDER_ARN, REGION } from "./mocks";

class TestParent extends pulumi.ComponentResource {
  constructor() {
    super("tap:test:Parent", "test-parent", {});
  }
}

class NodeGroupStandIn extends pulumi.CustomResource {
  constructor(parent: pulumi.Resource) {
    super("eks:test:NodeGroupStandIn", "nodes-dev", {}, { parent });
  }
}

class ClusterStandIn extends pulumi.CustomResource {
  constructor(parent: pulumi.Resource) {
    super("eks:test:ClusterStandIn", "tap-eks-dev", {}, { parent });
  }
}

/** Call inside `mockTap(() => ...)`. */
export function testAddonContext(input: TapConfigInput = {}): AddonContext {
  const { config } = resolveConfig(input, { stackName: "dev" });
  const parent = new TestParent();
  const base = makeContext(config, parent);
  const nodeGroup = new NodeGroupStandIn(parent);
  return {
    ...base,
    pins: pinsFor(config.kubernetesVersion),
    k8sProvider: new k8s.Provider("tap-k8s-dev", { kubeconfig: "{}" }, { parent }),
    oidcProviderArn: pulumi.output(OIDC_PROVIDER_ARN),
    oidcIssuer: pulumi.output(OIDC_ISSUER),
    region: pulumi.output(REGION),
    clusterSecurityGroupId: pulumi.output("sg-0123456789abcdef0"),
    cluster: new ClusterStandIn(parent),
    nodeGroups: [nodeGroup],
  };
}

/** The options a child was created with, as a recording parent sees them. */
export interface SeenOptions {
  readonly type: string;
  readonly name: string;
  readonly dependsOn: unknown[];
  readonly customTimeouts: unknown;
  readonly deletedWith: unknown;
}

/**
 * An AddonContext whose parent records, through an in-process (v1) transformation, the options of
 * every child (the mocks do not see resource options: dependsOn, customTimeouts).
 */
export function recordingAddonContext(
  seen: SeenOptions[],
  input: TapConfigInput = {},
): AddonContext {
  const parent = new pulumi.ComponentResource(
    "tap:test:Recorder",
    "recorder",
    {},
    {
      transformations: [
        (args) => {
          const deps = args.opts.dependsOn;
          seen.push({
            type: args.type,
            name: args.name,
            dependsOn: Array.isArray(deps) ? deps : deps ? [deps] : [],
            customTimeouts: args.opts.customTimeouts,
            deletedWith: args.opts.deletedWith,
          });
          return undefined;
        },
      ],
    },
  );
  return { ...testAddonContext(input), parent };
}
