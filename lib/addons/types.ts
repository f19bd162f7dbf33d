/** The contract every add-on shares: what it gets (AddonContext) and what it returns (AddonResult). */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TapContext } from "../context";
import { AddonPins } from "./versions";

export interface AddonContext extends TapContext {
  /** Chart and image pins for the cluster's Kubernetes minor. */
  readonly pins: AddonPins;
  /** The one Kubernetes provider (built from the cluster's kubeconfig). */
  readonly k8sProvider: k8s.Provider;
  readonly oidcProviderArn: pulumi.Output<string>;
  /** Issuer host/path without https:// (the IRSA condition-key prefix). */
  readonly oidcIssuer: pulumi.Output<string>;
  /** The region the stack deploys to (controllers get it explicitly: IMDS is unreachable from pods). */
  readonly region: pulumi.Output<string>;
  /**
   * The EKS cluster: every in-cluster object is `deletedWith` it (see inCluster), so a stack destroy
   * deletes the cluster instead of waiting on each object's finalizers.
   */
  readonly cluster: pulumi.Resource;
  /** The EKS-created cluster security group (the managed nodes' group; Karpenter's nodes join it). */
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  /** What every release waits for: the node groups (pods need nodes; DNS runs once they do). */
  readonly nodeGroups: readonly pulumi.Resource[];
}

export interface AddonResult {
  readonly release: k8s.helm.v3.Release;
  readonly namespace: string;
  readonly serviceAccountName?: string;
  readonly roleArn?: pulumi.Output<string>;
}

/** Container requests and limits. */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Node selector that keeps critical controllers on on-demand capacity (EKS sets this label). */
export const ON_DEMAND_SELECTOR = { "eks.amazonaws.com/capacityType": "ON_DEMAND" } as const;

/** Pod Security Standards labels for a namespace. */
export function podSecurityLabels(
  enforce: "restricted" | "baseline" | "privileged",
): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    // Always warn and audit at restricted, so anything looser is visible.
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}

/**
 * Options of every Kubernetes object and Helm release: the one provider, the parent, and
 * `deletedWith` the cluster. On `pulumi destroy` the engine then skips each in-cluster delete (the
 * cluster takes them all): no Helm uninstall waits on the tigera-operator's finalizers, no namespace
 * sticks in Terminating once Calico's API server is gone, no App Mesh CR waits on a finalizer whose
 * controller is gone. Removing one object from a live stack (a service, a switch) still deletes it.
 */
export function inCluster(
  ctx: AddonContext,
  dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>,
): pulumi.CustomResourceOptions {
  return { parent: ctx.parent, provider: ctx.k8sProvider, deletedWith: ctx.cluster, dependsOn };
}
