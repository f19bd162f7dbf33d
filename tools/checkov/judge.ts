/**
 * Judges a Checkov run over tap's manifests against security/checkov-suppressions.yaml: every
 * finding must be suppressed (by check id and resource), and every suppression must still match a
 * finding (so the file cannot go stale). Used by tools/checkov/run.sh; pure parts are unit-tested.
 *
 *   node dist/tools/checkov/judge.js <suppressions.yaml> <label>=<checkov.json>...
 */
import * as fs from "fs";
import { parse } from "yaml";

export interface Suppression {
  readonly id: string;
  readonly check?: string;
  readonly resources: readonly string[];
  readonly reason: string;
}

export interface Finding {
  readonly id: string;
  readonly resource: string;
  readonly check: string;
  readonly file: string;
}

export interface Judgement {
  readonly findings: number;
  readonly passedChecks: number;
  readonly unsuppressed: readonly Finding[];
  /** `<id> <resource>` entries of the file that no finding matched. */
  readonly stale: readonly string[];
}

/** The suppressions file; throws naming the entry when one lacks an id, resources or a reason. */
export function parseSuppressions(text: string): Suppression[] {
  const doc = (parse(text) ?? {}) as { suppressions?: unknown };
  const list = Array.isArray(doc.suppressions) ? doc.suppressions : [];
  return list.map((raw, i) => {
    const e = (raw ?? {}) as Partial<Suppression>;
    const resources = Array.isArray(e.resources) ? e.resources.map(String) : [];
    if (!/^CKV2?_K8S_\d+$/.test(String(e.id)) || resources.length === 0 || !e.reason?.trim()) {
      throw new Error(
        `suppressions[${i}] needs a Checkov Kubernetes check id (CKV_K8S_<n>), resources and a reason`,
      );
    }
    return { id: String(e.id), check: e.check, resources, reason: e.reason };
  });
}

interface CheckovReport {
  readonly summary?: { readonly passed?: number };
  readonly results?: {
    readonly failed_checks?: readonly {
      check_id: string;
      resource: string;
      check_name: string;
      file_path: string;
    }[];
  };
}

/** Checkov's JSON (one report, or a list of them) as findings and the number of passed checks. */
export function readCheckov(json: string): { findings: Finding[]; passed: number } {
  const parsed = JSON.parse(json) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  return {
    findings: reports.flatMap((r) =>
      (r.results?.failed_checks ?? []).map((f) => ({
        id: f.check_id,
        resource: f.resource,
        check: f.check_name,
        file: f.file_path,
      })),
    ),
    passed: reports.reduce((n, r) => n + (r.summary?.passed ?? 0), 0),
  };
}

export function judge(
  findings: readonly Finding[],
  passedChecks: number,
  suppressions: readonly Suppression[],
): Judgement {
  const covers = (s: Suppression, f: Finding) => s.id === f.id && s.resources.includes(f.resource);
  const unsuppressed = findings.filter((f) => !suppressions.some((s) => covers(s, f)));
  const stale = suppressions.flatMap((s) =>
    s.resources
      .filter((resource) => !findings.some((f) => f.id === s.id && f.resource === resource))
      .map((resource) => `${s.id} ${resource}`),
  );
  return { findings: findings.length, passedChecks, unsuppressed, stale };
}

export function main(argv: readonly string[]): number {
  const [suppressionsFile, ...runs] = argv;
  const suppressions = parseSuppressions(fs.readFileSync(suppressionsFile, "utf8"));
  const all: Finding[] = [];
  let passed = 0;
  for (const run of runs) {
    const [label, file] = run.split("=");
    const { findings, passed: ok } = readCheckov(fs.readFileSync(file, "utf8"));
    console.log(`checkov ${label}: ${ok} passed, ${findings.length} failed before suppressions`);
    all.push(
      ...findings.filter((f) => !all.some((g) => g.id === f.id && g.resource === f.resource)),
    );
    passed += ok;
  }
  const j = judge(all, passed, suppressions);
  for (const f of j.unsuppressed) {
    console.log(
      `  UNSUPPRESSED ${f.id} ${f.resource} (${f.check}, ${f.file}): fix it or add it with a reason`,
    );
  }
  for (const s of j.stale) console.log(`  STALE suppression ${s}: no finding matches it any more`);
  console.log(
    `checkov: ${j.findings} distinct findings, ${j.findings - j.unsuppressed.length} suppressed with reasons, ` +
      `${j.unsuppressed.length} unsuppressed, ${j.stale.length} stale suppressions`,
  );
  return j.unsuppressed.length === 0 && j.stale.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
