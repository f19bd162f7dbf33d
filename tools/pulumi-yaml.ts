/**
 * `npm run gen:pulumi-yaml`: rewrites the `config:` block of Pulumi.yaml from the config contract
 * (lib/config-schema.ts), keeping everything else. test/unit/config-schema.test.ts fails when the
 * file and the contract disagree.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { projectConfigBlock } from "../lib/config-schema";

/** aws:region's project value: the region a stack without its own gets. */
export const PROJECT_REGION = "us-east-1";

export function renderPulumiYaml(current: string): string {
  const doc = parseDocument(current);
  doc.set("config", { "aws:region": { value: PROJECT_REGION }, ...projectConfigBlock() });
  doc.commentBefore =
    " Generated in part: the config block comes from lib/config-schema.ts (npm run gen:pulumi-yaml).";
  return doc.toString({ lineWidth: 0 });
}

if (require.main === module) {
  const file = path.resolve(__dirname, "..", "..", "Pulumi.yaml");
  fs.writeFileSync(file, renderPulumiYaml(fs.readFileSync(file, "utf8")));
  process.stderr.write(`wrote ${file}\n`);
}
