/**
 * Derives facts/iam/aws-load-balancer-controller-<version>.json from the AWS Load Balancer
 * Controller's recommended IAM policy at a release tag (kubernetes-sigs/aws-load-balancer-controller,
 * a bare git mirror under /work/.mirror): docs/install/iam_policy.json, kept verbatim as `policy`.
 * Never run in CI:
 *
 *   node tools/upstream/run.js lbc-iam.ts [v3.5.0]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const MIRROR = process.env.TAP_MIRROR ?? "/work/.mirror";
const REPO = "kubernetes-sigs/aws-load-balancer-controller";
const FILE = "docs/install/iam_policy.json";
const OUT = path.resolve(__dirname, "..", "..", "facts", "iam");

interface PolicyDocument {
  Version: string;
  Statement: unknown[];
}

export function main(args: readonly string[]): number {
  const tag = args[0] ?? "v3.5.0";
  const gitDir = path.join(MIRROR, REPO.replace("/", "+"), "repo");
  const git = (...a: string[]) =>
    execFileSync("git", ["--git-dir", gitDir, ...a], { encoding: "utf8" }).trim();
  const commit = git("rev-parse", `${tag}^{commit}`);
  const policy = JSON.parse(git("show", `${tag}:${FILE}`)) as PolicyDocument;
  if (policy.Version !== "2012-10-17" || !Array.isArray(policy.Statement)) {
    throw new Error(`${REPO}@${tag}:${FILE} is not an IAM policy document`);
  }
  const out = { source: `${REPO}@${commit}:${FILE}`, ref: tag, policy };
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `aws-load-balancer-controller-${tag.replace(/^v/, "")}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  return 0;
}
