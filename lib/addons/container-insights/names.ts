/** Names Container Insights uses that other modules need without importing its deploy code. */

/** The log group the CloudWatch agent writes its performance events (the metrics' source) to. */
export function performanceLogGroupName(clusterName: string): string {
  return `/aws/containerinsights/${clusterName}/performance`;
}
