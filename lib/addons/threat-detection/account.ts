/**
 * GuardDuty and Security Hub are on or off per account and region, not per stack: an account may
 * have them already (its security team's, or another tap stack's). Before the stack is built,
 * bin/tap.ts reads what is there (accountSecurityState); tap then enables only what is missing,
 * adopts the rest (routes its findings, changes none of its settings) with a warning, and a
 * destroy disables only what this stack enabled.
 *
 * What this stack enabled is recorded in an SSM parameter (ownershipRecordName) that the detector
 * and the hub depend on: it exists before either does and goes after both, so a later run (or one
 * after a failed run) never takes tap's own detector for someone else's and deletes it from the
 * stack, and never takes someone else's for tap's and disables it on destroy.
 */
import * as aws from "@pulumi/aws";

/** The account-level services tap may enable, as the ownership record names them. */
export type AccountService = "guardduty" | "securityhub";

export interface AdoptedDetector {
  readonly id: string;
  /** Each detector feature's status by name (EKS_AUDIT_LOGS, RUNTIME_MONITORING, ...). */
  readonly features: Readonly<Record<string, string>>;
}

/** What the account has that this stack did not enable (tap adopts it). */
export interface AccountSecurityState {
  /** A GuardDuty detector in the region. */
  readonly adoptedDetector?: AdoptedDetector;
  /** Security Hub is on in the region. */
  readonly securityHubAdopted: boolean;
}

/** An account with neither: tap enables both (what tests and the offline plan assume). */
export const EMPTY_ACCOUNT: AccountSecurityState = { securityHubAdopted: false };

/** The SSM parameter naming what this stack enabled. */
export const ownershipRecordName = (suffix: string): string =>
  `/tap/${suffix}/enabled-account-services`;

export const formatOwnershipRecord = (services: readonly AccountService[]): string =>
  services.join(",");

export function parseOwnershipRecord(value: string | undefined): AccountService[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s): s is AccountService => s === "guardduty" || s === "securityhub");
}

/** How the state is read; tests pass fakes. */
export interface AccountSecurityLookups {
  /** The ownership record's value, undefined when there is none. */
  readonly record: (name: string) => Promise<string | undefined>;
  /** The region's GuardDuty detector, undefined when there is none. */
  readonly detector: () => Promise<AdoptedDetector | undefined>;
  /** Whether Security Hub is on in the region. */
  readonly securityHubEnabled: () => Promise<boolean>;
}

/** Whether an error says "there is none" (anything else is rethrown: tap must not guess). */
const isAbsent = (err: unknown, re: RegExp): boolean =>
  re.test(err instanceof Error ? err.message : String(err));

export const awsAccountSecurityLookups: AccountSecurityLookups = {
  record: async (name) => {
    try {
      return (await aws.ssm.getParameter({ name })).insecureValue;
    } catch (err) {
      if (isAbsent(err, /ParameterNotFound|not found/i)) return undefined;
      throw new Error(`tap could not read its ownership record ${name}: ${String(err)}`);
    }
  },
  detector: async () => {
    try {
      const d = await aws.guardduty.getDetector({});
      return {
        id: d.id,
        features: Object.fromEntries(d.features.map((f) => [f.name, f.status])),
      };
    } catch (err) {
      // terraform-provider-aws's detector data source: "... single GuardDuty Detector: empty result".
      if (isAbsent(err, /empty result|not found/i)) return undefined;
      throw new Error(`tap could not read whether GuardDuty is on: ${String(err)}`);
    }
  },
  securityHubEnabled: async () => {
    try {
      await aws.securityhub.getEnabledStandards({});
      return true;
    } catch (err) {
      // "not subscribed to AWS Security Hub" (InvalidAccessException), or the provider's
      // "couldn't find resource" for it.
      if (isAbsent(err, /not subscribed|InvalidAccessException|couldn't find resource/i))
        return false;
      throw new Error(`tap could not read whether Security Hub is on: ${String(err)}`);
    }
  },
};

/**
 * What the account has that this stack did not enable. A service the record names is this
 * stack's whatever the account shows (it may be mid-creation); one it does not name and the
 * account has is adopted.
 */
export async function accountSecurityState(
  environmentSuffix: string,
  securityHub: boolean,
  lookups: AccountSecurityLookups = awsAccountSecurityLookups,
): Promise<AccountSecurityState> {
  const owned = parseOwnershipRecord(await lookups.record(ownershipRecordName(environmentSuffix)));
  const adoptedDetector = owned.includes("guardduty") ? undefined : await lookups.detector();
  const securityHubAdopted =
    securityHub && !owned.includes("securityhub") && (await lookups.securityHubEnabled());
  return { ...(adoptedDetector ? { adoptedDetector } : {}), securityHubAdopted };
}

/** The warnings a plan and `pulumi up` print for what tap adopts. */
export function adoptionWarnings(
  state: AccountSecurityState,
  settings: { readonly runtimeMonitoring: boolean; readonly securityHub: boolean },
): string[] {
  const out: string[] = [];
  const d = state.adoptedDetector;
  if (d) {
    const off = ["EKS_AUDIT_LOGS", ...(settings.runtimeMonitoring ? ["RUNTIME_MONITORING"] : [])]
      .filter((f) => d.features[f] !== "ENABLED")
      .map((f) => `${f} is ${d.features[f] ?? "absent"}`);
    out.push(
      `tap:addons.threatDetection: this region already has GuardDuty detector ${d.id}, which this stack did not enable: ` +
        `tap sends its findings to the alerts topic and changes none of its settings (destroy leaves it on)` +
        (off.length
          ? `; on it, ${off.join(", ")}: enable them there for this cluster's findings`
          : "") +
        (settings.runtimeMonitoring
          ? "; tap installs no GuardDuty agent on an adopted detector (its owner's agent management decides)"
          : ""),
    );
  }
  if (state.securityHubAdopted)
    out.push(
      "tap:addons.threatDetection: Security Hub is already on in this region and this stack did not enable it: " +
        "tap sends its CRITICAL and HIGH findings to the alerts topic and subscribes no standards (destroy leaves it on)",
    );
  return out;
}
