/**
 * EKS's Kubernetes support calendar as data, and what it means for one stack on one date: which
 * minor to recommend, when the chosen minor leaves standard support, and what `tap:supportType`
 * does then (EKS upgrades the control plane itself, or bills the extended-support rate).
 *
 * The preflight judges EKS's live answer with these rules; the offline plan judges this calendar.
 */
import { KubernetesVersion, SUPPORTED_KUBERNETES_VERSIONS } from "./addons/versions";

/** What EKS does to the control plane when its minor leaves standard support (cluster upgradePolicy). */
export type SupportType = "STANDARD" | "EXTENDED";
export const SUPPORT_TYPES: readonly SupportType[] = ["STANDARD", "EXTENDED"];

export interface EksMinorCalendar {
  /** ISO dates, as EKS's DescribeClusterVersions reports them. */
  readonly endOfStandardSupport: string;
  readonly endOfExtendedSupport: string;
}

/**
 * Every minor EKS has offered since 1.28, tap-supported or not. Sources:
 * awsdocs/amazon-eks-user-guide@f600414:latest/ug/clusters/kubernetes-versions.adoc (1.28-1.30),
 * @0138560:latest/ug/versioning/kubernetes-versions.adoc (1.31-1.34); 1.35 from endoflife.date/amazon-eks
 * (not in a stored copy of the user guide).
 */
export const EKS_CALENDAR: { readonly [minor: string]: EksMinorCalendar } = {
  "1.28": { endOfStandardSupport: "2024-11-26", endOfExtendedSupport: "2025-11-26" },
  "1.29": { endOfStandardSupport: "2025-03-23", endOfExtendedSupport: "2026-03-23" },
  "1.30": { endOfStandardSupport: "2025-07-23", endOfExtendedSupport: "2026-07-23" },
  "1.31": { endOfStandardSupport: "2025-11-26", endOfExtendedSupport: "2026-11-26" },
  "1.32": { endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23" },
  "1.33": { endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29" },
  "1.34": { endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02" },
  "1.35": { endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27" },
};

/**
 * The control plane's price per cluster-hour (https://aws.amazon.com/eks/pricing/, read 2026-12-01):
 * standard support USD 0.10, extended support USD 0.60. A month is 730 hours (AWS's convention).
 */
export const CONTROL_PLANE_USD_PER_HOUR = { standard: 0.1, extended: 0.6 } as const;
export const HOURS_PER_MONTH = 730;
const monthly = (perHour: number): number => Math.round(perHour * HOURS_PER_MONTH);
export const CONTROL_PLANE_USD_PER_MONTH = {
  standard: monthly(CONTROL_PLANE_USD_PER_HOUR.standard),
  extended: monthly(CONTROL_PLANE_USD_PER_HOUR.extended),
} as const;

/** Warn this many days before a minor leaves standard support. */
export const SUPPORT_WARNING_DAYS = 90;

export type SupportPhase = "standard" | "extended" | "ended" | "unknown";

const minor = (v: string): number => Number(v.split(".")[1]);
const byMinor = (a: string, b: string): number => minor(a) - minor(b);
const day = (iso: string): string => iso.slice(0, 10);

/** Whole days from `from` to `to` (ISO dates; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(day(to)) - Date.parse(day(from))) / 86_400_000);
}

/** Where `version` stands on `date` in EKS_CALENDAR (support ends at the end of the named day). */
export function phaseOn(version: string, date: string): SupportPhase {
  const entry = EKS_CALENDAR[version];
  if (!entry) return "unknown";
  if (date > entry.endOfExtendedSupport) return "ended";
  if (date > entry.endOfStandardSupport) return "extended";
  return "standard";
}

/**
 * The minor to deploy on `date`: the newest one tap supports that is in standard support. Shipped
 * files (Pulumi.dev.yaml, Pulumi.yaml's default, the README, the pipeline) name it; a test checks.
 */
export function recommendedKubernetesVersion(date: string): KubernetesVersion {
  const inStandard = [...SUPPORTED_KUBERNETES_VERSIONS]
    .filter((v) => phaseOn(v, date) === "standard")
    .sort(byMinor);
  return (
    inStandard.pop() ?? SUPPORTED_KUBERNETES_VERSIONS[SUPPORTED_KUBERNETES_VERSIONS.length - 1]
  );
}

/** The next minor tap supports after `version`, if any (what an upgrade moves to). */
export function nextSupportedVersion(version: string): KubernetesVersion | undefined {
  return [...SUPPORTED_KUBERNETES_VERSIONS].sort(byMinor).find((v) => minor(v) > minor(version));
}

/** One minor's support window as EKS states it (live from the API, or from EKS_CALENDAR). */
export interface SupportWindow {
  readonly version: string;
  readonly status: "STANDARD_SUPPORT" | "EXTENDED_SUPPORT";
  readonly endOfStandardSupport: string;
  readonly endOfExtendedSupport: string;
}

export interface SupportJudgement {
  /** Reasons the stack cannot be created as configured (the preflight stops on them). */
  readonly problems: readonly string[];
  /** Allowed, but costs money or brings an upgrade soon. */
  readonly warnings: readonly string[];
}

const extraPerMonth = CONTROL_PLANE_USD_PER_MONTH.extended - CONTROL_PLANE_USD_PER_MONTH.standard;
const priceLine =
  `USD ${CONTROL_PLANE_USD_PER_MONTH.extended} a month instead of ${CONTROL_PLANE_USD_PER_MONTH.standard} ` +
  `(+${extraPerMonth}: ${CONTROL_PLANE_USD_PER_HOUR.extended.toFixed(2)} instead of ${CONTROL_PLANE_USD_PER_HOUR.standard.toFixed(2)} per cluster-hour)`;

/**
 * What `tap:supportType` means for this window on `date`. EKS sets an upgrade policy only while the
 * minor is in standard support (EKS user guide, view-upgrade-policy: "you can't change this setting
 * ... after the end of standard support"), so STANDARD on a minor already in extended support is a
 * problem; everything else is a warning with the price or the date of the automatic upgrade.
 */
export function judgeSupport(
  window: SupportWindow,
  supportType: SupportType,
  date: string,
): SupportJudgement {
  const { version } = window;
  const std = day(window.endOfStandardSupport);
  const ext = day(window.endOfExtendedSupport);
  const upgrade = nextSupportedVersion(version);
  const upgradeFix = upgrade
    ? `pulumi config set tap:kubernetesVersion ${upgrade} (one minor at a time)`
    : "upgrade tap:kubernetesVersion to the next minor once tap supports it";
  if (window.status === "EXTENDED_SUPPORT") {
    if (supportType === "STANDARD") {
      return {
        problems: [
          `tap:supportType is STANDARD, but Kubernetes ${version} has been in EKS extended support since ${std}: ` +
            "EKS sets the upgrade policy only on a minor in standard support. Either move to a minor in standard " +
            `support: ${upgradeFix}; or accept the extended price, ${priceLine}: pulumi config set tap:supportType EXTENDED`,
        ],
        warnings: [],
      };
    }
    return {
      problems: [],
      warnings: [
        `Kubernetes ${version} is in EKS extended support (since ${std}, ends ${ext}): the control plane bills ` +
          `${priceLine}. Upgrade to end it: ${upgradeFix}.`,
      ],
    };
  }
  const left = daysBetween(date, std);
  if (left > SUPPORT_WARNING_DAYS) return { problems: [], warnings: [] };
  const when = `Kubernetes ${version} leaves EKS standard support on ${std} (${left} day${left === 1 ? "" : "s"} from ${date})`;
  const warning =
    supportType === "STANDARD"
      ? `${when}. With tap:supportType STANDARD, EKS then upgrades the control plane to the next minor by itself, ` +
        `outside Pulumi; the node groups and the add-on pins stay at ${version} until you change tap:kubernetesVersion. ` +
        `Upgrade before that date: ${upgradeFix}.`
      : `${when}. With tap:supportType EXTENDED the control plane then bills ${priceLine}. ` +
        `Upgrade before that date: ${upgradeFix}; or let EKS upgrade it: pulumi config set tap:supportType STANDARD.`;
  return { problems: [], warnings: [warning] };
}

/** EKS's DescribeClusterVersions answer on `date`, rebuilt from EKS_CALENDAR (the offline plan's). */
export function calendarVersionsOn(date: string): SupportWindow[] {
  return Object.entries(EKS_CALENDAR)
    .filter(([v]) => {
      const phase = phaseOn(v, date);
      return phase === "standard" || phase === "extended";
    })
    .sort(([a], [b]) => byMinor(a, b))
    .map(([version, c]) => ({
      version,
      status: phaseOn(version, date) === "standard" ? "STANDARD_SUPPORT" : "EXTENDED_SUPPORT",
      endOfStandardSupport: c.endOfStandardSupport,
      endOfExtendedSupport: c.endOfExtendedSupport,
    }));
}
