/**
 * Who created the cluster. pulumi-eks grants that identity admin access itself
 * (bootstrapClusterCreatorAdminPermissions, pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts
 * L733-741), so tap must never make an access entry for it — on the first `pulumi up` and on every
 * later one, whoever runs it (a laptop first, CI later). The first run records the creator in a
 * cluster tag; later runs read it back from EKS.
 */
import * as aws from "@pulumi/aws";

/** The cluster tag naming the identity whose `pulumi up` created it. */
export const CREATOR_TAG = "tap/created-by";

/** Looks up the cluster's tags; undefined when it does not exist yet (the default: the data source). */
export type ClusterTagsLookup = (name: string) => Promise<Record<string, string> | undefined>;

export const eksClusterTags: ClusterTagsLookup = async (name) => {
  try {
    return (await aws.eks.getCluster({ name })).tags;
  } catch {
    return undefined; // no such cluster: this run creates it
  }
};

/** The recorded creator, or `callerArn` when the cluster does not exist yet (or has no record). */
export async function clusterCreator(
  clusterName: string,
  callerArn: string,
  lookup: ClusterTagsLookup = eksClusterTags,
): Promise<string> {
  return (await lookup(clusterName))?.[CREATOR_TAG] ?? callerArn;
}
