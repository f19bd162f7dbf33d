// tap's program as JavaScript that cannot be stale. The build's directory is named by a hash of
// every file it is made from (bin/ and lib/ TypeScript, tsconfig.json, this file, the TypeScript
// version), so a source that changed since the last run has no build yet and gets one: there is no
// timestamp to trust and no step to forget. Warm, the check reads and hashes the sources (a few
// milliseconds); cold, TypeScript transpiles them file by file (ts.transpileModule, what ts-node's
// transpile-only mode does; `npm run typecheck` is what type-checks) into
// node_modules/.cache/tap/<hash>/, written aside and renamed into place so that two runs at once
// never see half a build.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE_DIRS = ["bin", "lib"];
// TAP_BUILD_CACHE moves it (the bench measures a cold start, as on a fresh CI runner, with it).
const CACHE_DIR = process.env.TAP_BUILD_CACHE || path.join(ROOT, "node_modules", ".cache", "tap");
/** Builds kept beside the current one (other branches, other checkouts of the same tree). */
const KEEP = 4;

function tsFiles(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) tsFiles(full, out);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Project-relative paths of the program's TypeScript sources, sorted. */
function programSources(root = ROOT) {
  return SOURCE_DIRS.flatMap((d) => tsFiles(path.join(root, d)))
    .map((f) => path.relative(root, f).split(path.sep).join("/"))
    .sort();
}

/** The hash that names a build: every input of the transpilation, with its path. */
function sourceHash(sources, root = ROOT) {
  const hash = crypto.createHash("sha256");
  const typescript = JSON.parse(
    fs.readFileSync(require.resolve("typescript/package.json", { paths: [root] }), "utf8"),
  ).version;
  // The checkout's path too: the source maps name the .ts files by absolute path.
  hash.update(`typescript ${typescript}\0${root}\0`);
  hash.update(fs.readFileSync(__filename));
  for (const rel of ["tsconfig.json", ...sources]) {
    hash.update(`\0${rel}\0`);
    hash.update(fs.readFileSync(path.join(root, rel)));
  }
  return hash.digest("hex").slice(0, 20);
}

function transpileInto(dir, sources, root) {
  const ts = require("typescript");
  const { config } = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
  const compilerOptions = {
    ...options,
    noEmit: false,
    outDir: undefined,
    sourceMap: false,
    // Stack traces point at the .ts line (Pulumi's runtime registers source-map-support).
    inlineSourceMap: true,
    inlineSources: false,
  };
  for (const rel of sources) {
    const file = path.join(root, rel);
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { ...compilerOptions, sourceRoot: path.dirname(file) },
      fileName: file,
    });
    const target = path.join(dir, rel.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, outputText);
  }
}

function pruneOthers(cacheDir, current) {
  const others = fs
    .readdirSync(cacheDir)
    .filter((name) => name !== current && !name.includes(".tmp-"))
    .map((name) => ({ name, at: fs.statSync(path.join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { name } of others.slice(KEEP)) {
    fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

/**
 * The build of the sources on disk now (`dir`, and `entry`: its bin/tap.js), made first when no
 * build of exactly these sources exists. `onBuild` hears when a build happens (tests, the bench).
 */
function compiledProgram({ onBuild, root = ROOT, cacheDir = CACHE_DIR } = {}) {
  const sources = programSources(root);
  const hash = sourceHash(sources, root);
  const dir = path.join(cacheDir, hash);
  const entry = path.join(dir, "bin", "tap.js");
  if (fs.existsSync(entry)) return { dir, entry };
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  transpileInto(tmp, sources, root);
  try {
    fs.renameSync(tmp, dir);
  } catch (error) {
    // Another run finished the same build first: its directory holds the same files.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(entry)) throw error;
  }
  pruneOthers(cacheDir, hash);
  if (onBuild) onBuild({ hash, dir, files: sources.length });
  return { dir, entry };
}

module.exports = { CACHE_DIR, SOURCE_DIRS, compiledProgram, programSources, sourceHash };
