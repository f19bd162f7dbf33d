/**
 * The preflight: before anything is created, ask EKS which Kubernetes versions it offers in the
 * target region, and stop with one clear message naming every key that cannot deploy today: a
 * version EKS no longer offers, App Mesh (which AWS discontinued), and catalog IAM that AWS's
 * service authorization data says cannot be granted.
 */
import { pinsFor } from "./addons/versions";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TapConfig } from "./config";
import { SUPPORTED_KUBERNETES_VERSIONS } from "./addons/versions";
import { catalogIamProblems } from "./services/catalog-iam";
import { SupportType, calendarVersionsOn, judgeSupport } from "./support";

export type ClusterVersionInfo = Pick<
  aws.types.output.eks.GetClusterVersionsClusterVersion,
  "clusterVersion" | "versionStatus" | "endOfStandardSupportDate" | "endOfExtendedSupportDate"
>;

/** Looks up EKS's versions; the default is the Pulumi data source (answered by mocks in tests). */
export type ClusterVersionsLookup = () => Promise<readonly ClusterVersionInfo[]>;

export const eksClusterVersions: ClusterVersionsLookup = async () =>
  (await aws.eks.getClusterVersions({ clusterType: "eks", includeAll: true })).clusterVersions;

/** EKS's versions in another region (tap:dr.region): the same question through that region's provider. */
export type RegionClusterVersionsLookup = (
  region: string,
) => Promise<readonly ClusterVersionInfo[]>;

export const eksClusterVersionsIn: RegionClusterVersionsLookup = async (region) =>
  (
    await aws.eks.getClusterVersions(
      { clusterType: "eks", includeAll: true },
      { provider: new aws.Provider(`tap-preflight-${region}`, { region: region as aws.Region }) },
    )
  ).clusterVersions;

/** Why the recovery region cannot run tap:kubernetesVersion, or undefined when EKS offers it there. */
export function recoveryVersionProblem(
  version: string,
  region: string,
  versions: readonly ClusterVersionInfo[],
): string | undefined {
  const { offered, problem } = versionProblem(version, versions);
  if (!problem) return undefined;
  return (
    `tap:dr.region ${region}: EKS there does not offer tap:kubernetesVersion ${version} ` +
    `(it offers ${offered.join(", ") || "none"}): pick a region that does, or another version both offer`
  );
}

/** AWS App Mesh end of support (AWS App Mesh user guide banner): after it, Envoy gets no configuration. */
export const APP_MESH_DISCONTINUED = "2026-09-30";

/** EKS's answer on `date` rebuilt from the calendar (lib/support.ts): the offline plan's lookup. */
export function calendarClusterVersions(date: string): ClusterVersionInfo[] {
  return calendarVersionsOn(date).map((w) => ({
    clusterVersion: w.version,
    versionStatus: w.status,
    endOfStandardSupportDate: w.endOfStandardSupport,
    endOfExtendedSupportDate: w.endOfExtendedSupport,
  }));
}

/** A RunError: Pulumi prints its message alone, without a stack trace. */
export class PreflightError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `tap: this stack cannot deploy today (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
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
const supported = (v: string) => (SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).includes(v);

/** The version to suggest: the newest that EKS offers in standard support and tap supports. */
function suggestion(versions: readonly ClusterVersionInfo[]): string | undefined {
  const usable = versions.filter((v) => supported(v.clusterVersion));
  const pick = (status: string) =>
    usable
      .filter((v) => v.versionStatus === status)
      .map((v) => v.clusterVersion)
      .sort(byMinor)
      .pop();
  return pick("STANDARD_SUPPORT") ?? pick("EXTENDED_SUPPORT");
}

/** Why the version cannot be created, or undefined when EKS offers it. */
function versionProblem(version: string, versions: readonly ClusterVersionInfo[]) {
  const offered = versions
    .filter((v) => v.versionStatus === "STANDARD_SUPPORT" || v.versionStatus === "EXTENDED_SUPPORT")
    .map((v) => v.clusterVersion)
    .sort(byMinor);
  const mine = versions.find((v) => v.clusterVersion === version);
  if (mine && offered.includes(version)) return { offered, mine, problem: undefined };
  const why = mine?.endOfExtendedSupportDate
    ? `its extended support ended ${mine.endOfExtendedSupportDate.slice(0, 10)}`
    : "EKS does not list it";
  const next = suggestion(versions);
  const problem =
    `tap:kubernetesVersion ${version} is not offered by EKS in this region (${why}). ` +
    `EKS offers: ${offered.join(", ") || "(none returned)"}; tap supports: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}. ` +
    (next
      ? `Set one both support: pulumi config set tap:kubernetesVersion ${next}`
      : "No version is offered by EKS and supported by tap.");
  return { offered, mine: undefined, problem };
}

/** Pure judgement of EKS's answer for the configured version (throws for one it cannot create). */
export function judgeVersion(
  version: string,
  versions: readonly ClusterVersionInfo[],
  supportType: SupportType = "EXTENDED",
  asOf?: string,
): PreflightResult {
  return judge({ kubernetesVersion: version, enableAppMesh: false, supportType }, versions, asOf);
}

/** What the preflight reads of the config. */
export type PreflightConfig = Pick<
  TapConfig,
  "kubernetesVersion" | "enableAppMesh" | "supportType"
>;

/** Pure judgement of the whole preflight: every problem in one PreflightError. */
export function judge(
  config: {
    readonly kubernetesVersion: string;
    readonly enableAppMesh: boolean;
    readonly supportType: SupportType;
  },
  versions: readonly ClusterVersionInfo[],
  asOf: string = new Date().toISOString().slice(0, 10),
  catalogProblems: readonly string[] = [],
): PreflightResult {
  const { offered, mine, problem } = versionProblem(config.kubernetesVersion, versions);
  const problems = problem ? [problem] : [];
  problems.push(...catalogProblems);
  if (config.enableAppMesh && asOf >= APP_MESH_DISCONTINUED) {
    problems.push(
      `tap:enableAppMesh is true, but AWS App Mesh was discontinued on ${APP_MESH_DISCONTINUED}: Envoy never ` +
        "gets its configuration and the service Deployments time out. Set: pulumi config set tap:enableAppMesh false",
    );
  }
  const support = mine
    ? judgeSupport(
        {
          version: config.kubernetesVersion,
          status: mine.versionStatus as PreflightResult["status"],
          endOfStandardSupport: mine.endOfStandardSupportDate,
          endOfExtendedSupport: mine.endOfExtendedSupportDate,
        },
        config.supportType,
        asOf,
      )
    : { problems: [], warnings: [] };
  // `mine` is set only when the version itself is fine, so support problems come first.
  problems.unshift(...support.problems);
  if (problems.length > 0 || !mine) throw new PreflightError(problems);
  return {
    offered,
    status: mine.versionStatus as PreflightResult["status"],
    warnings: support.warnings,
  };
}

/** Asks EKS and judges the answer; throws `PreflightError` when the stack cannot deploy today. */
export async function preflight(
  config: PreflightConfig & Pick<TapConfig, "services"> & Partial<Pick<TapConfig, "addons" | "dr">>,
  lookup: ClusterVersionsLookup = eksClusterVersions,
  asOf?: string,
  recoveryLookup: RegionClusterVersionsLookup = eksClusterVersionsIn,
): Promise<PreflightResult> {
  const dr = config.dr;
  const [versions, catalog, drVersions] = await Promise.all([
    lookup(),
    catalogIamProblems(config.services),
    dr ? recoveryLookup(dr.region) : Promise.resolve(undefined),
  ]);
  const drProblem =
    dr && drVersions
      ? recoveryVersionProblem(config.kubernetesVersion, dr.region, drVersions)
      : undefined;
  const result = judge(config, versions, asOf, [...catalog, ...(drProblem ? [drProblem] : [])]);
  const mesh = config.addons?.istio
    ? istioSupportWarning(config.kubernetesVersion, asOf)
    : undefined;
  return mesh ? { ...result, warnings: [...result.warnings, mesh] } : result;
}

/** A warning when the Istio pinned for the minor is past (or at) the end of Istio's support. */
export function istioSupportWarning(
  kubernetesVersion: string,
  asOf: string = new Date().toISOString().slice(0, 10),
): string | undefined {
  const pin = pinsFor(kubernetesVersion).istio;
  if (asOf < pin.supportEnds) return undefined;
  return (
    `tap:addons.istio: Istio ${pin.version} (pinned for Kubernetes ${kubernetesVersion}) is out of Istio's support since ` +
    `${pin.supportEnds}: no security fixes. A newer Istio needs new pins (lib/addons/versions.ts, facts/istio.md)`
  );
}
