// One start-up measurement: start tap the way Pulumi's Node.js runtime would in the given mode,
// run its program against the offline mocks with the dev stack's config as Pulumi hands it over
// (Pulumi.yaml's defaults, then Pulumi.dev.yaml: tools/stack-config.ts), and print the time from
// process start to the last resource registered and the peak memory (max RSS) as one JSON line.
//   node tools/bench-child.js tap              # what Pulumi.yaml says: main and runtime.options
//   node tools/bench-child.js pulumi-default   # main bin/tap.ts, ts-node type-checking
//   node tools/bench-child.js ts-node          # main bin/tap.ts, ts-node transpile-only (noCheck)
//   node tools/bench-child.js precompiled      # main dist/bin/tap.js (node tools/transpile.js)
// The order is Pulumi's (@pulumi/pulumi/cmd/run/index.js and run.js): source-map-support and the
// parts of the SDK the runtime itself loads, ts-node when `typescript` is on, then the program;
// the harness (mocks, stack config: precompiled in dist/, the same for every mode) comes after.
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
const mode = process.argv[2];

function project() {
  // The bench passes what it read from Pulumi.yaml, so that parsing YAML is not counted as tap's.
  if (process.env.TAP_BENCH_PROGRAM) return JSON.parse(process.env.TAP_BENCH_PROGRAM);
  const { parse } = require("yaml");
  const doc = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  const options = (doc.runtime && doc.runtime.options) || {};
  // Pulumi's default for `typescript` is true.
  return { main: doc.main, typescript: options.typescript !== false };
}

const programs = {
  tap: project,
  "pulumi-default": () => ({ main: "bin/tap.ts", typescript: true, transpileOnly: false }),
  "ts-node": () => ({ main: "bin/tap.ts", typescript: true }),
  precompiled: () => ({ main: "dist/bin/tap.js", typescript: false }),
};
if (!programs[mode]) {
  console.error(`usage: bench-child.js ${Object.keys(programs).join("|")}`);
  process.exit(2);
}
const program = programs[mode]();

require("source-map-support/register");
for (const part of ["log", "runtime/settings", "runtime/stack", "tsutils"]) {
  require(`@pulumi/pulumi/${part}`);
}
if (program.typescript) {
  // The same ts-node, TypeScript and options Pulumi's runtime picks (cmd/run/run.js L279-350).
  const tsutils = require("@pulumi/pulumi/tsutils");
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  const tsconfig = path.join(root, "tsconfig.json");
  const transpileOnly =
    program.transpileOnly ?? tsutils.loadTypeScriptCompilerOptions(tsconfig).noCheck;
  require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly,
    project: tsconfig,
    skipProject: false,
    compilerOptions: {
      target: "ES2020",
      module: "commonjs",
      moduleResolution: "node",
      sourceMap: "true",
      ...tsutils.loadTypeScriptCompilerOptions(tsconfig),
    },
  });
}
const main = require(path.join(root, program.main));

const { faithfulSdk, mockTap } = require(path.join(dist, "tools", "offline-mocks"));
// The SDK as a real run has it: the stack traces it captures are part of what start-up costs.
faithfulSdk(true);
const pulumi = require("@pulumi/pulumi");
const { loadStackConfig } = require(path.join(dist, "tools", "stack-config"));

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
