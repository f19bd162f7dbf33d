/**
 * The database capability's settings (`tap:addons.database`): the Aurora Serverless v2 capacity
 * range, backups and the destroy rule. Pure, read by the config contract before anything exists.
 */
import { numberFromConfig, show } from "../../config-parse";

export interface DatabaseSettings {
  /** The name catalog services give in `database:`, and the PostgreSQL database created. */
  readonly name: string;
  /** ACUs each instance scales down to; 0 pauses it when idle (Aurora PostgreSQL >= 16.3). */
  readonly minCapacity: number;
  /** ACUs each instance scales up to. */
  readonly maxCapacity: number;
  /** Idle seconds before an instance at 0 ACUs pauses (minCapacity 0 only). */
  readonly secondsUntilAutoPause: number;
  /** Days of automated backups (point-in-time recovery within them). */
  readonly backupRetentionDays: number;
  /** Whether `pulumi destroy` keeps a final snapshot (which then outlives the stack, and bills). */
  readonly finalSnapshot: boolean;
}

export const DEFAULT_DATABASE_SETTINGS: DatabaseSettings = {
  name: "main",
  minCapacity: 0.5,
  maxCapacity: 4,
  secondsUntilAutoPause: 300,
  backupRetentionDays: 7,
  finalSnapshot: false,
};

export const DATABASE_SETTING_DOCS: Readonly<Record<keyof DatabaseSettings, string>> = {
  name: 'the database\'s name, what a catalog service gives as `database:` (default "main")',
  minCapacity:
    "ACUs each instance scales down to, 0-256 in steps of 0.5 (default 0.5; 0 pauses an idle instance)",
  maxCapacity:
    "ACUs each instance scales up to, 1-256 in steps of 0.5, at least minCapacity (default 4)",
  secondsUntilAutoPause:
    "idle seconds before an instance at 0 ACUs pauses, 300-86400 (default 300; minCapacity 0 only)",
  backupRetentionDays: "days of automated backups and point-in-time recovery, 1-35 (default 7)",
  finalSnapshot:
    "keep a final snapshot on destroy (default false: production should say true, and pay for the snapshot after the stack is gone)",
};

/** A PostgreSQL identifier tap can use unquoted (and RDS accepts as DatabaseName). */
const DATABASE_NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;

export function parseDatabaseSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): DatabaseSettings {
  const d = DEFAULT_DATABASE_SETTINGS;
  const key = (k: string) => `addons.database.${k}`;
  const number = (k: keyof DatabaseSettings, min: number, max: number, step: number): number => {
    const raw = value[k];
    const fallback = d[k] as number;
    if (raw === undefined) return fallback;
    const n = numberFromConfig(raw);
    if (typeof n === "number" && Number.isFinite(n) && n >= min && n <= max && n % step === 0)
      return n;
    fail(
      key(k),
      `tap:addons.database.${k} must be a number from ${min} to ${max}${step === 1 ? " (whole)" : ` in steps of ${step}`} (got ${show(raw)})`,
    );
    return fallback;
  };
  const minCapacity = number("minCapacity", 0, 256, 0.5);
  const maxCapacity = number("maxCapacity", 1, 256, 0.5);
  if (maxCapacity < minCapacity)
    fail(
      key("maxCapacity"),
      `tap:addons.database.maxCapacity (${maxCapacity}) must be at least minCapacity (${minCapacity})`,
    );
  const secondsUntilAutoPause = number("secondsUntilAutoPause", 300, 86_400, 1);
  if (value.secondsUntilAutoPause !== undefined && minCapacity !== 0)
    fail(
      key("secondsUntilAutoPause"),
      `tap:addons.database.secondsUntilAutoPause applies only with minCapacity 0 (got minCapacity ${minCapacity})`,
    );
  const backupRetentionDays = number("backupRetentionDays", 1, 35, 1);
  let finalSnapshot = d.finalSnapshot;
  if (value.finalSnapshot !== undefined) {
    const f = value.finalSnapshot;
    if (f === true || f === "true") finalSnapshot = true;
    else if (f === false || f === "false") finalSnapshot = false;
    else
      fail(
        key("finalSnapshot"),
        `tap:addons.database.finalSnapshot must be true or false (got ${show(f)})`,
      );
  }
  let name = d.name;
  if (value.name !== undefined) {
    if (typeof value.name === "string" && DATABASE_NAME_RE.test(value.name)) name = value.name;
    else
      fail(
        key("name"),
        `tap:addons.database.name must be lowercase letters, digits and '_', starting with a letter, at most 63 (got ${show(value.name)})`,
      );
  }
  return {
    name,
    minCapacity,
    maxCapacity,
    secondsUntilAutoPause,
    backupRetentionDays,
    finalSnapshot,
  };
}
