/**
 * The preflight: before anything is created, ask EKS which Kubernetes versions it offers in the
 * target region, and stop with a clear message when the configured one is not among them.
 */
import * as aws from "@pulumi/aws";
import { TapConfig } from "./config";

export type ClusterVersionInfo = Pick<
  aws.types.output.eks.GetClusterVersionsClusterVersion,
  "clusterVersion" | "versionStatus" | "endOfStandardSupportDate" | "endOfExtendedSupportDate"
>;

/** Looks up EKS's versions; the default is the Pulumi data source (answered by mocks in tests). */
export type ClusterVersionsLookup = () => Promise<readonly ClusterVersionInfo[]>;

export const eksClusterVersions: ClusterVersionsLookup = async () =>
  (await aws.eks.getClusterVersions({ clusterType: "eks", includeAll: true })).clusterVersions;

export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

export interface PreflightResult {
  /** Versions EKS offers for new clusters today (standard or extended support), oldest first. */
  readonly offered: readonly string[];
  readonly status: "STANDARD_SUPPORT" | "EXTENDED_SUPPORT";
  readonly warnings: readonly string[];
}

const byMinor = (a: string, b: string): number => Number(a.split(".")[1]) - Number(b.split(".")[1]);

/** Pure judgement of EKS's answer for the configured version. */
export function judgeVersion(
  version: string,
  versions: readonly ClusterVersionInfo[],
): PreflightResult {
  const offered = versions
    .filter((v) => v.versionStatus === "STANDARD_SUPPORT" || v.versionStatus === "EXTENDED_SUPPORT")
    .map((v) => v.clusterVersion)
    .sort(byMinor);
  const mine = versions.find((v) => v.clusterVersion === version);
  if (!mine || !offered.includes(version)) {
    const why = mine?.endOfExtendedSupportDate
      ? `its extended support ended ${mine.endOfExtendedSupportDate.slice(0, 10)}`
      : "EKS does not list it";
    throw new PreflightError(
      `tap:kubernetesVersion ${version} is not offered by EKS in this region (${why}). ` +
        `EKS offers: ${offered.join(", ") || "(none returned)"}. ` +
        `Choose one that tap also supports, e.g.: pulumi config set tap:kubernetesVersion ${offered[offered.length - 1] ?? "1.33"}`,
    );
  }
  const warnings =
    mine.versionStatus === "EXTENDED_SUPPORT"
      ? [
          `Kubernetes ${version} is in EKS extended support (ends ${mine.endOfExtendedSupportDate.slice(0, 10)}): ` +
            `the control plane bills at the extended-support rate (USD 0.60 per cluster-hour instead of 0.10). ` +
            `Upgrade one minor at a time with tap:kubernetesVersion.`,
        ]
      : [];
  return { offered, status: mine.versionStatus as PreflightResult["status"], warnings };
}

/** Asks EKS and judges the answer; throws `PreflightError` when the version cannot be created. */
export async function preflight(
  config: Pick<TapConfig, "kubernetesVersion">,
  lookup: ClusterVersionsLookup = eksClusterVersions,
): Promise<PreflightResult> {
  return judgeVersion(config.kubernetesVersion, await lookup());
}
