/** Names Falco uses that other modules need without importing its deploy code (lib/cluster.ts). */
import { resourceName } from "../../naming";

/** The log group Falcosidekick writes every Falco event to (tap creates it, encrypted with tap's key). */
export function falcoLogGroupName(clusterName: string): string {
  return `/aws/eks/${clusterName}/falco`;
}

/** The one stream in it: tap creates it, so Falcosidekick needs no logs:CreateLogStream. */
export function falcoLogStreamName(environmentSuffix: string): string {
  return resourceName("falcosidekick", environmentSuffix);
}
