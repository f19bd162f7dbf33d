// `npm run bench`: start-up speed and memory of tap's synthesis, median of N runs per mode, side
// by side: Pulumi's default (ts-node type-checking), tap's default (tsconfig noCheck -> Pulumi runs
// ts-node transpile-only) and precompiled JavaScript. Each run gets a fresh ts-node cache, as on a
// CI runner. Usage: node tools/bench.js [runs=5]
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 5);
const modes = ["pulumi-default", "tap", "precompiled"];

require("./transpile"); // dist/ for the precompiled mode

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = Object.fromEntries(modes.map((m) => [m, []]));
for (let i = 0; i < runs; i++) {
  for (const mode of modes) {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "tap-bench-"));
    const child = spawnSync(process.execPath, [path.join(__dirname, "bench-child.js"), mode], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_CACHE_DIRECTORY: cache, PULUMI_NODEJS_TRANSPILE_ONLY: "" },
    });
    fs.rmSync(cache, { recursive: true, force: true });
    const line = child.stdout.trim().split("\n").pop();
    if (child.status !== 0 || !line?.startsWith("{")) {
      console.error(`${mode} run ${i + 1} failed:\n${child.stderr}`);
      process.exit(1);
    }
    results[mode].push(JSON.parse(line));
  }
}

const row = (mode) => {
  const r = results[mode];
  return {
    mode,
    resources: r[0].resources,
    "median s to last resource": (median(r.map((x) => x.lastResourceMs)) / 1000).toFixed(2),
    "min-max s": `${(Math.min(...r.map((x) => x.lastResourceMs)) / 1000).toFixed(2)}-${(
      Math.max(...r.map((x) => x.lastResourceMs)) / 1000
    ).toFixed(2)}`,
    "median peak MB": Math.round(median(r.map((x) => x.maxRssMB))),
  };
};
const table = modes.map(row);
console.log(
  `tap start-up, ${runs} runs per mode, node ${process.version}, ${os.cpus().length} cores`,
);
console.table(table);
const speedup =
  Number(table[0]["median s to last resource"]) / Number(table[1]["median s to last resource"]);
console.log(`tap's default is ${speedup.toFixed(1)}x faster than Pulumi's type-checking default.`);
const ok = Number(table[1]["median s to last resource"]) < 5 && table[1]["median peak MB"] < 600;
console.log(`target (< 5 s median, < 600 MB) for tap's default: ${ok ? "met" : "NOT met"}`);
process.exitCode = ok ? 0 : 1;
