/**
 * Derives facts/falco/default-rules-<version>.json: the rules Falco runs when falcoctl's artifact
 * install/follow are off, i.e. the falco_rules.yaml bundled in its image. Which rules tag that is
 * comes from the Falco tag's cmake/modules/rules.cmake (FALCOSECURITY_RULES_FALCO_VERSION); the
 * file is read at that tag of falcosecurity/rules. Both are bare git mirrors under /work/.mirror
 * (override with TAP_MIRROR). Never run in CI:
 *
 *   node tools/upstream/run.js derive-falco-rules.ts [0.44.1]
 *
 * Keeps every list (items as strings) and macro (condition text) in file order, the rule names
 * (no bodies), and every field a condition or an output of the file uses. Refuses to write when
 * a condition does not parse with test/helpers/falco-eval.ts or the file has other problems.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
  FalcoRuleSet,
  FalcoRulesFacts,
  outputFields,
  parseCondition,
  references,
} from "../../test/helpers/falco-eval";

const MIRROR = process.env.TAP_MIRROR ?? "/work/.mirror";
const FALCO = "falcosecurity/falco";
const RULES = "falcosecurity/rules";
const CMAKE = "cmake/modules/rules.cmake";
const FILE = "rules/falco_rules.yaml";
const VARIABLE = "FALCOSECURITY_RULES_FALCO_VERSION";
const OUT = path.resolve(__dirname, "..", "..", "facts", "falco");

const git = (repo: string, ...args: string[]): string =>
  execFileSync("git", ["--git-dir", path.join(MIRROR, repo.replace("/", "+"), "repo"), ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });

type Item = Record<string, unknown>;

export function main(args: readonly string[]): number {
  const falcoTag = args[0] ?? "0.44.1";
  const falcoCommit = git(FALCO, "rev-parse", `${falcoTag}^{commit}`).trim();
  const cmake = git(FALCO, "show", `${falcoCommit}:${CMAKE}`);
  const rulesTag = new RegExp(`set\\(${VARIABLE} "([^"]+)"\\)`).exec(cmake)?.[1];
  if (!rulesTag) throw new Error(`${FALCO}@${falcoTag}:${CMAKE} sets no ${VARIABLE}`);
  const rulesCommit = git(RULES, "rev-parse", `${rulesTag}^{commit}`).trim();
  const items = YAML.parse(git(RULES, "show", `${rulesCommit}:${FILE}`)) as Item[];

  const macros: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const rules: string[] = [];
  const fields = new Set<string>();
  let requiredEngineVersion = "";
  const errors: string[] = [];
  const use = (where: string, condition: string): void => {
    try {
      references(parseCondition(condition)).fields.forEach((f) => fields.add(f));
    } catch (e) {
      errors.push(`${where}: ${(e as Error).message}`);
    }
  };
  for (const item of items) {
    if (item.required_engine_version !== undefined) {
      requiredEngineVersion = String(item.required_engine_version);
    } else if (typeof item.list === "string") {
      lists[item.list] = (item.items as unknown[]).map(String);
    } else if (typeof item.macro === "string") {
      macros[item.macro] = String(item.condition).trim();
      use(`macro ${item.macro}`, macros[item.macro]);
    } else if (typeof item.rule === "string") {
      if (item.append !== undefined || item.override !== undefined) {
        errors.push(`rule ${item.rule}: append/override in the defaults is not handled here`);
      }
      rules.push(item.rule);
      use(`rule ${item.rule}`, String(item.condition));
      outputFields(String(item.output)).forEach((f) => fields.add(f));
    }
  }
  // The whole file, rules included, as tap's rules will be checked: no problem at all.
  const problems = new FalcoRuleSet([items], { knownFields: fields }).problems();
  errors.push(...problems);
  if (errors.length) throw new Error(`${RULES}@${rulesTag}:${FILE}:\n  ${errors.join("\n  ")}`);

  const facts: FalcoRulesFacts = {
    source: `${RULES}@${rulesCommit}:${FILE} (tag ${rulesTag})`,
    bundledBy: `${FALCO}@${falcoCommit}:${CMAKE} (${VARIABLE} ${rulesTag})`,
    requiredEngineVersion,
    macros,
    lists,
    rules,
    fields: [...fields].sort(),
  };
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `default-rules-${rulesTag.replace(/^falco-rules-/, "")}.json`);
  fs.writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`);
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), file)}: ${Object.keys(lists).length} lists, ` +
      `${Object.keys(macros).length} macros, ${rules.length} rules, ${fields.size} fields\n`,
  );
  return 0;
}
