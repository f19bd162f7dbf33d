/**
 * Derives facts/iam/karpenter-<version>.json from Karpenter's getting-started CloudFormation
 * template at a release tag (aws/karpenter-provider-aws, a bare git mirror under /work/.mirror):
 * the controller's six managed policies (their JSON, CloudFormation `${...}` placeholders kept),
 * the interruption queue's properties and policy, and the EventBridge rules' event patterns.
 * test/unit/addons/karpenter/iam.test.ts compares tap's policy and rules with them. Never run in CI:
 *
 *   node tools/upstream/run.js karpenter-iam.ts [v1.14.1]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { ScalarTag } from "yaml";

const MIRROR = process.env.TAP_MIRROR ?? "/work/.mirror";
const REPO = "aws/karpenter-provider-aws";
const FILE =
  "website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml";
const OUT = path.resolve(__dirname, "..", "..", "facts", "iam");

type Json = Record<string, unknown>;

/** CloudFormation's short tags, kept as `{ "Fn::<name>": value }`. */
const cfnTags: ScalarTag[] = ["Sub", "GetAtt", "Ref"].map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [`Fn::${name}`]: value }) as unknown as string,
}));

export function main(args: readonly string[]): number {
  const tag = args[0] ?? "v1.14.1";
  const gitDir = path.join(MIRROR, REPO.replace("/", "+"), "repo");
  const git = (...a: string[]) =>
    execFileSync("git", ["--git-dir", gitDir, ...a], { encoding: "utf8" }).trim();
  const commit = git("rev-parse", `${tag}^{commit}`);
  const template = parse(git("show", `${tag}:${FILE}`), { customTags: cfnTags }) as Json;
  const resources = template.Resources as Record<string, { Type: string; Properties: Json }>;

  const policies: Record<string, unknown> = {};
  const rules: Record<string, unknown> = {};
  let queue: Json = {};
  let queuePolicy: unknown;
  for (const [name, r] of Object.entries(resources)) {
    if (r.Type === "AWS::IAM::ManagedPolicy") {
      const doc = r.Properties.PolicyDocument as Json;
      const text = String(doc["Fn::Sub"] ?? "");
      policies[name] = JSON.parse(text) as unknown;
    } else if (r.Type === "AWS::SQS::Queue") {
      queue = { ...r.Properties };
      delete queue.QueueName;
    } else if (r.Type === "AWS::SQS::QueuePolicy") {
      queuePolicy = r.Properties.PolicyDocument;
    } else if (r.Type === "AWS::Events::Rule") {
      rules[name] = r.Properties.EventPattern;
    }
  }
  const out = {
    source: `${REPO}@${commit}:${FILE}`,
    ref: tag,
    note: "Derived by tools/upstream/karpenter-iam.ts; do not edit. ${ClusterName}, ${AWS::Partition}, ${AWS::Region}, ${AWS::AccountId}, ${KarpenterNodeRole.Arn}, ${KarpenterInterruptionQueue.Arn} are CloudFormation placeholders.",
    policies,
    queue,
    queuePolicy,
    rules,
  };
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `karpenter-${tag.replace(/^v/, "")}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  return 0;
}
