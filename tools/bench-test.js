// `npm run bench:test`: the unit suite's wall time (what `npm test` runs), median of N runs, each
// with a fresh jest cache as on a fresh clone, and the test count. Usage: node tools/bench-test.js [runs=3]
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 3);
const jest = path.join(root, "node_modules", "jest", "bin", "jest.js");

const walls = [];
let tests;
for (let i = 0; i < runs; i++) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "tap-bench-jest-"));
  const start = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    [jest, "--selectProjects", "unit", "--cacheDirectory", cache, "--silent"],
    { cwd: root, encoding: "utf8" },
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  fs.rmSync(cache, { recursive: true, force: true });
  const summary = /Tests:\s+(.*)/.exec(child.stderr)?.[1] ?? "?";
  if (child.status !== 0) {
    console.error(`run ${i + 1} failed (${summary}):\n${child.stderr.slice(-4000)}`);
    process.exit(1);
  }
  tests = summary;
  walls.push(wall);
  console.log(`run ${i + 1}: ${wall.toFixed(1)} s (${summary})`);
}
const sorted = [...walls].sort((a, b) => a - b);
const median =
  sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(
  `npm test: median ${median.toFixed(1)} s of ${runs} runs (${sorted.map((w) => w.toFixed(1)).join(", ")}), ` +
    `${tests}, node ${process.version}, ${os.cpus().length} cores; aim: < 60 s`,
);
process.exitCode = median < 60 ? 0 : 1;
