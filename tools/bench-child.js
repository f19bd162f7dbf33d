// One start-up measurement: load tap the way Pulumi's Node.js runtime would in the given mode, run
// bin/tap.ts's program against the offline mocks with the dev stack's config as Pulumi hands it
// over (Pulumi.yaml's defaults, then Pulumi.dev.yaml: tools/stack-config.ts), and print the time from process start to the last resource registered and
// the peak memory (max RSS) as one JSON line.
//   node tools/bench-child.js pulumi-default   # ts-node with type checking (Pulumi without noCheck)
//   node tools/bench-child.js tap              # what Pulumi does with tap's tsconfig (noCheck)
//   node tools/bench-child.js precompiled      # JavaScript from dist/ (node tools/transpile.js)
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..");
const mode = process.argv[2];

if (mode === "pulumi-default" || mode === "tap") {
  // The same ts-node, TypeScript and options Pulumi's runtime picks (@pulumi/pulumi/cmd/run/run.js).
  const tsutils = require("@pulumi/pulumi/tsutils");
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  const project = path.join(root, "tsconfig.json");
  const transpileOnly =
    mode === "tap" ? tsutils.loadTypeScriptCompilerOptions(project).noCheck : undefined;
  require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly,
    project,
    skipProject: false,
    compilerOptions: {},
  });
} else if (mode !== "precompiled") {
  console.error("usage: bench-child.js pulumi-default|tap|precompiled");
  process.exit(2);
}

const base = mode === "precompiled" ? path.join(root, "dist") : root;
const { faithfulSdk, mockTap } = require(path.join(base, "tools", "offline-mocks"));
// The SDK as a real run has it: the stack traces it captures are part of what start-up costs.
faithfulSdk(true);
const pulumi = require("@pulumi/pulumi");
const main = require(path.join(base, "bin", "tap"));
const { loadStackConfig } = require(path.join(base, "tools", "stack-config"));

const { config, region } = loadStackConfig({ stack: "dev", overrides: [] }, root);
const all = { "aws:region": region };
for (const [key, value] of Object.entries(config)) all[`tap:${key}`] = value;

mockTap(async () => {
  pulumi.runtime.setAllConfig(all);
  // No node-group transform: the mock monitor refuses transforms (bin/tap.ts).
  return main(undefined, {});
}).then(({ resources }) => {
  const last = Math.max(...resources.map((r) => r.at));
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({ mode, resources: resources.length, lastResourceMs: last, maxRssMB }),
  );
});
