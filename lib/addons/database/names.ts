/** The database's names, apart so lib/cluster.ts (its log group in tap's key policy) imports no resources. */

/** The cluster's identifier: `tap-db-<suffix>` (its log group is named after it). */
export const databaseClusterId = (environmentSuffix: string): string =>
  `tap-db-${environmentSuffix}`;

/** Where RDS exports the cluster's PostgreSQL log (tap creates the group first). */
export const databaseLogGroupName = (environmentSuffix: string): string =>
  `/aws/rds/cluster/${databaseClusterId(environmentSuffix)}/postgresql`;
