// Transpiles bin/, lib/, tools/ and policy/ to dist/ file by file (ts.transpileModule: what ts-node's
// transpile-only mode does), in about a second. Type checking is `npm run typecheck`'s job.
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const { config } = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = { ...options, noEmit: false, outDir: undefined, sourceMap: false };

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules") walk(full, out);
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
      out.push(full);
  }
  return out;
}

let count = 0;
for (const dir of ["bin", "lib", "tools", "policy"]) {
  if (!fs.existsSync(path.join(root, dir))) continue;
  for (const file of walk(path.join(root, dir), [])) {
    const rel = path.relative(root, file);
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions,
      fileName: rel,
    });
    const target = path.join(root, "dist", rel.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, outputText);
    count++;
  }
}
if (require.main === module) console.error(`transpiled ${count} files to dist/`);
