// `npm run bench`: start-up speed and memory of tap's synthesis, median of N runs per mode, the
// modes alternating within each round so that a busy moment of the machine hits all of them:
//   tap             what Pulumi.yaml runs (bin/launch.js), its build warm (every run after the first)
//   tap (cold)      the same with no build yet, as on a fresh CI runner (the launcher compiles first)
//   precompiled     dist/bin/tap.js, compiled beforehand (node tools/transpile.js)
//   ts-node         bin/tap.ts through ts-node transpile-only (tap's default until 2026-12-02)
//   pulumi-default  bin/tap.ts through ts-node type-checking (Pulumi's default without noCheck)
//   CDK peer        the CDK EKS Blueprints app of ../shared/peer, installed outside the project
//                   (../shared/reference/performance.md); measured when --peer DIR names it
// "to last resource" is from process start to the last resource the mocks saw; "wall" is the whole
// process, the one measure the peer and tap share. Each ts-node run gets a fresh ts-node cache.
// Usage: node tools/bench.js [runs=5] [--peer DIR] [--skip pulumi-default,ts-node,...]
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { parse } = require("yaml");

const root = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const peerDir = flag("--peer") ?? process.env.TAP_PEER_DIR;
const skip = new Set((flag("--skip") ?? "").split(",").filter(Boolean));
const runs = Number(args[0] ?? 5);

require("./transpile"); // dist/ for the precompiled mode and the harness

const doc = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const program = JSON.stringify({
  main: doc.main,
  typescript: doc.runtime?.options?.typescript !== false,
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timed(command, argv, options) {
  const start = process.hrtime.bigint();
  const child = spawnSync(command, argv, { encoding: "utf8", ...options });
  return { child, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

function tapRun(mode, { coldBuild = false } = {}) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tap-bench-"));
  const env = {
    ...process.env,
    TS_NODE_CACHE_DIRECTORY: scratch,
    PULUMI_NODEJS_TRANSPILE_ONLY: "",
    TAP_BENCH_PROGRAM: program,
  };
  // Inside node_modules, where the build's requires resolve; removed after the run.
  const cold = path.join(root, "node_modules", ".cache", `tap-bench-${path.basename(scratch)}`);
  if (coldBuild) env.TAP_BUILD_CACHE = cold;
  const childMode = mode === "tap (cold)" ? "tap" : mode;
  const { child, wallMs } = timed(
    process.execPath,
    [path.join(__dirname, "bench-child.js"), childMode],
    {
      cwd: root,
      env,
    },
  );
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(cold, { recursive: true, force: true });
  const line = child.stdout.trim().split("\n").pop();
  if (child.status !== 0 || !line?.startsWith("{")) {
    throw new Error(`${mode} failed:\n${child.stderr}`);
  }
  const r = JSON.parse(line);
  return { resources: r.resources, lastMs: r.lastResourceMs, wallMs, rssMB: r.maxRssMB };
}

function peerRun() {
  fs.rmSync(path.join(peerDir, "cdk.out"), { recursive: true, force: true });
  const { child, wallMs } = timed(process.execPath, ["app.js"], { cwd: peerDir });
  const m = /resources (\d+) ms (\d+) rss-MB (\d+)/.exec(child.stdout);
  if (child.status !== 0 || !m) throw new Error(`CDK peer failed:\n${child.stderr}`);
  return { resources: Number(m[1]), lastMs: undefined, wallMs, rssMB: Number(m[3]) };
}

const modes = [
  ["tap", () => tapRun("tap")],
  ["tap (cold)", () => tapRun("tap (cold)", { coldBuild: true })],
  ["precompiled", () => tapRun("precompiled")],
  ["ts-node", () => tapRun("ts-node")],
  ["pulumi-default", () => tapRun("pulumi-default")],
].filter(([name]) => !skip.has(name));
if (peerDir) {
  if (!fs.existsSync(path.join(peerDir, "app.js"))) {
    console.error(`--peer ${peerDir}: no app.js there (../shared/reference/performance.md)`);
    process.exit(2);
  }
  modes.splice(1, 0, ["CDK peer", peerRun]);
}

tapRun("tap"); // the launcher's build exists before the first warm run, as after any first preview
const results = Object.fromEntries(modes.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, run] of modes) results[name].push(run());
}

const s = (ms) => (ms / 1000).toFixed(2);
const medianOf = (name, key) => median(results[name].map((r) => r[key]));
const table = modes.map(([name]) => {
  const r = results[name];
  const walls = r.map((x) => x.wallMs);
  return {
    mode: name,
    resources: r[0].resources,
    "median s to last resource": r[0].lastMs === undefined ? "-" : s(medianOf(name, "lastMs")),
    "median s wall": s(median(walls)),
    "min-max s wall": `${s(Math.min(...walls))}-${s(Math.max(...walls))}`,
    "median peak MB": Math.round(medianOf(name, "rssMB")),
  };
});
console.log(
  `tap start-up, ${runs} runs per mode, node ${process.version}, ${os.cpus().length} cores`,
);
console.table(table);

const checks = [];
const ratio = (a, b, key) => medianOf(a, key) / medianOf(b, key);
if (results["CDK peer"]) {
  const r = ratio("tap", "CDK peer", "wallMs");
  checks.push([`tap / CDK peer, wall: ${r.toFixed(2)}x (aim: <= 1.00)`, r <= 1]);
}
if (results.precompiled) {
  const r = ratio("tap", "precompiled", "lastMs");
  checks.push([`tap / precompiled, to last resource: ${r.toFixed(2)}x (aim: <= 1.20)`, r <= 1.2]);
}
if (results["pulumi-default"]) {
  const r = ratio("pulumi-default", "tap", "lastMs");
  checks.push([`pulumi-default / tap: ${r.toFixed(1)}x faster (aim: >= 5)`, r >= 5]);
}
for (const [line, ok] of checks) console.log(`${ok ? "met    " : "NOT met"}  ${line}`);
if (!results["CDK peer"])
  console.log("CDK peer not measured: --peer DIR (../shared/reference/performance.md)");
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
