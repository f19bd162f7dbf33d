// Runs a TypeScript file of tools/upstream with an in-process transpile-only hook (what
// tools/transpile.js does, without writing dist/). Usage:
//   HELM=/root/.cache/tap-tools/helm node tools/upstream/run.js [derive-chart-facts.ts] [args...]
// Each script exports `main(args)`. Never run in CI: the derivation reads /work/.mirror and runs helm.
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

const root = path.resolve(__dirname, "../..");
const { config } = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = { ...options, noEmit: false, sourceMap: false, inlineSourceMap: true };

require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions,
    fileName: filename,
  });
  module._compile(outputText, filename);
};

const [script = "derive-chart-facts.ts", ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], script, ...rest];
const mod = require(path.resolve(__dirname, script));
Promise.resolve(mod.main(rest)).then(
  (code) => process.exit(typeof code === "number" ? code : 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
