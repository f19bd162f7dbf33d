// One start-up measurement: load tap the way Pulumi's Node.js runtime would in the given mode, run
// bin/tap.ts's program against the offline mocks (default config, Kubernetes 1.33 so the
// preflight passes), and print the time from process start to the last resource registered and
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
const { mockTap } = require(path.join(base, "tools", "offline-mocks"));
const pulumi = require("@pulumi/pulumi");
const main = require(path.join(base, "bin", "tap"));

mockTap(async () => {
  pulumi.runtime.setAllConfig({ "tap:kubernetesVersion": "1.33" });
  return main();
}).then(({ resources }) => {
  const last = Math.max(...resources.map((r) => r.at));
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({ mode, resources: resources.length, lastResourceMs: last, maxRssMB }),
  );
});
