/**
 * bin/launch.js, what Pulumi.yaml runs: tap's program compiled from exactly the sources on disk
 * (never stale), the SDK's function serialization loaded on first use, tap's frames source-mapped.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { parse } from "yaml";

/* eslint-disable @typescript-eslint/no-require-imports */
const build = require("../../bin/launch/build") as {
  CACHE_DIR: string;
  SOURCE_DIRS: string[];
  compiledProgram(o?: {
    root?: string;
    cacheDir?: string;
    onBuild?: (b: { hash: string; files: number }) => void;
  }): { dir: string; entry: string };
  programSources(root?: string): string[];
};
const lazySdk = require("../../bin/launch/lazy-sdk") as {
  deferredModules(): string[];
  lazyExports(load: () => Record<string, unknown>): Record<string, unknown>;
};
const traces = require("../../bin/launch/stack-traces") as {
  decodeSegment(s: string): number[];
  tapFrameFormatter(dir: string): (e: Error, stack: NodeJS.CallSite[]) => string;
  mapOnlyTapFrames(dir: string): boolean;
};
const sourceMapSupport = require("source-map-support") as {
  mapSourcePosition(p: { source: string; line: number; column: number }): {
    source: string;
    line: number;
    column: number;
  };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..", "..");

describe("Pulumi.yaml", () => {
  it("runs bin/launch.js as JavaScript (no ts-node, so TypeScript loads only to build)", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    expect(project.main).toBe("bin/launch.js");
    expect(project.runtime.options.typescript).toBe(false);
  });
});

describe("the build cannot be stale", () => {
  // A scratch project inside node_modules, where its requires (typescript) resolve.
  const scratch = path.join(ROOT, "node_modules", ".cache", `tap-launch-test-${process.pid}`);
  const project = path.join(scratch, "project");
  const cacheDir = path.join(scratch, "builds");
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
    fs.writeFileSync(path.join(project, rel), text);
  };
  beforeAll(() => {
    write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs" } }));
    write("bin/tap.ts", 'import { answer } from "../lib/answer";\nexport = () => answer;\n');
    write("lib/answer.ts", "export const answer: number = 1;\n");
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const run = (entry: string): number => {
    const child = spawnSync(
      process.execPath,
      ["-e", `console.log(require(${JSON.stringify(entry)})())`],
      {
        encoding: "utf8",
      },
    );
    return Number(child.stdout.trim());
  };

  it("builds once per content of the sources, and an edit gets its own build", () => {
    const builds: string[] = [];
    const onBuild = (b: { hash: string }) => builds.push(b.hash);
    const first = build.compiledProgram({ root: project, cacheDir, onBuild });
    expect(run(first.entry)).toBe(1);
    expect(build.compiledProgram({ root: project, cacheDir, onBuild })).toEqual(first);
    expect(builds).toHaveLength(1);

    write("lib/answer.ts", "export const answer: number = 2;\n");
    const second = build.compiledProgram({ root: project, cacheDir, onBuild });
    expect(second.dir).not.toBe(first.dir);
    expect(run(second.entry)).toBe(2);

    write("lib/answer.ts", "export const answer: number = 1;\n"); // back: the first build again
    expect(build.compiledProgram({ root: project, cacheDir, onBuild })).toEqual(first);
    expect(builds).toHaveLength(2);
  });

  it("a tsconfig change is a new build too", () => {
    const before = build.compiledProgram({ root: project, cacheDir });
    write(
      "tsconfig.json",
      JSON.stringify({ compilerOptions: { module: "commonjs", target: "ES2022" } }),
    );
    expect(build.compiledProgram({ root: project, cacheDir }).dir).not.toBe(before.dir);
  });

  it("hashes every file the program is made of: bin/ and lib/ import nothing outside them", () => {
    const sources = build.programSources();
    expect(sources).toContain("bin/tap.ts");
    expect(sources.filter((s) => s.startsWith("lib/")).length).toBeGreaterThan(30);
    const outside: string[] = [];
    for (const rel of sources) {
      const text = fs.readFileSync(path.join(ROOT, rel), "utf8");
      for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
        if (!imported.fileName.startsWith(".")) continue; // a package
        const target = path.relative(
          ROOT,
          path.resolve(ROOT, path.dirname(rel), imported.fileName),
        );
        if (!build.SOURCE_DIRS.some((d) => target.startsWith(`${d}/`))) {
          outside.push(`${rel} -> ${imported.fileName}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});

describe("bin/launch.js under Pulumi's runtime", () => {
  // What cmd/run/index.js does before the program: source-map-support; then the program.
  const script = `
    require("source-map-support/register");
    const main = require("./bin/launch.js");
    const { deferredModules } = require("./bin/launch/lazy-sdk");
    const [arborist, shim] = deferredModules();
    // The stand-in requires nothing; the real module requires what it is made of.
    const real = (f) => require.cache[f] !== undefined && require.cache[f].children.length > 0;
    const report = {
      main: typeof main,
      typescriptLoaded: Object.keys(require.cache).some((f) => f.endsWith("/typescript/lib/typescript.js")),
      arboristRealBefore: real(arborist),
      shimRealBefore: real(shim),
    };
    // First use loads the real module behind the stand-in the SDK holds.
    const pulumi = require("@pulumi/pulumi");
    report.serializeFunction = typeof pulumi.runtime.serializeFunction;
    report.arboristClass = typeof require(arborist).Arborist;
    report.typescriptVersion = require("@pulumi/pulumi/typescript-shim").version;
    report.arboristRealAfter = real(arborist);
    // source-map-support's own formatter empties its caches first (source-map-support.js L434).
    report.formatter = String(Error.prepareStackTrace).includes("emptyCacheBetweenOperations") ? "source-map-support's" : "tap's";
    report.trace = new Error("boom").stack.split("\\n").slice(0, 2).join(" | ");
    console.log(JSON.stringify(report));
  `;
  let report: Record<string, unknown>;
  beforeAll(() => {
    const child = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    if (child.status !== 0) throw new Error(child.stderr);
    report = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}");
  });

  it("exports the program's main, without loading TypeScript when the build exists", () => {
    expect(report.main).toBe("function");
    expect(report.typescriptLoaded).toBe(false);
  });

  it("holds arborist and TypeScript back until something reads them, then loads the real ones", () => {
    expect(report.arboristRealBefore).toBe(false);
    expect(report.shimRealBefore).toBe(false);
    expect(report.arboristClass).toBe("function");
    expect(report.typescriptVersion).toBe(ts.version);
    expect(report.arboristRealAfter).toBe(true);
    expect(report.serializeFunction).toBe("function");
  });

  it("keeps source-map-support's format: a frame of code outside tap as V8 prints it", () => {
    expect(report.formatter).toBe("tap's");
    expect(report.trace).toMatch(/^Error: boom \| {5}at \[eval\]:\d+:\d+$/);
  });
});

describe("lazyExports", () => {
  it("answers __esModule without loading, loads once on the first read", () => {
    let loads = 0;
    const m = lazySdk.lazyExports(() => {
      loads++;
      return { value: 42 };
    });
    expect(m.__esModule).toBe(true);
    expect(loads).toBe(0);
    expect(m.value).toBe(42);
    expect(Object.keys(m)).toEqual(["value"]);
    expect("value" in m).toBe(true);
    expect(loads).toBe(1);
  });
});

describe("tap's frames, source-mapped", () => {
  const { dir } = build.compiledProgram();

  it("decodes VLQ segments (source map v3)", () => {
    expect(traces.decodeSegment("AAAA")).toEqual([0, 0, 0, 0]);
    expect(traces.decodeSegment("SAAS")).toEqual([9, 0, 0, 9]);
    expect(traces.decodeSegment("gBAAgB")).toEqual([16, 0, 0, 16]);
    expect(traces.decodeSegment("D")).toEqual([-1]);
  });

  it("maps every position of the build exactly as source-map-support does", () => {
    const format = traces.tapFrameFormatter(dir);
    let compared = 0;
    const differ: string[] = [];
    for (const rel of [
      "bin/tap.js",
      "lib/config.js",
      "lib/node-groups.js",
      "lib/addons/calico/index.js",
    ]) {
      const file = path.join(dir, rel);
      fs.readFileSync(file, "utf8")
        .split("\n")
        .forEach((text, i) => {
          for (const column of [1, 5, 20, 40].filter((c) => c <= text.length)) {
            const site = {
              getFileName: () => file,
              getLineNumber: () => i + 1,
              getColumnNumber: () => column,
              toString: () => `f (${file}:${i + 1}:${column})`,
            } as unknown as NodeJS.CallSite;
            const mine = format(new Error("m"), [site]).split("\n")[1];
            const p = sourceMapSupport.mapSourcePosition({
              source: file,
              line: i + 1,
              column: column - 1,
            });
            const theirs =
              p.source === file
                ? `${file}:${i + 1}:${column}`
                : `${p.source}:${p.line}:${p.column + 1}`;
            if (mine !== `    at f (${theirs})`)
              differ.push(`${rel}:${i + 1}:${column} ${mine} vs ${theirs}`);
            compared++;
          }
        });
    }
    expect(compared).toBeGreaterThan(500);
    expect(differ).toEqual([]);
  });

  it("names the .ts file and line of a frame in tap's code", () => {
    const file = path.join(dir, "bin", "tap.js");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const line = lines.findIndex((l) => l.includes("resolveConfig)(")) + 1;
    const column = lines[line - 1].indexOf("(0, config_1.resolveConfig)") + 1;
    const site = {
      getFileName: () => file,
      getLineNumber: () => line,
      getColumnNumber: () => column,
      toString: () => `main (${file}:${line}:${column})`,
    } as unknown as NodeJS.CallSite;
    const tsLine =
      fs
        .readFileSync(path.join(ROOT, "bin", "tap.ts"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("resolveConfig(input")) + 1;
    expect(traces.tapFrameFormatter(dir)(new Error("x"), [site])).toMatch(
      new RegExp(
        `^Error: x\n {4}at main \\(${path.join(ROOT, "bin", "tap.ts")}:${tsLine}:\\d+\\)$`,
      ),
    );
  });

  it("leaves a formatter other than source-map-support's alone", () => {
    const saved = Error.prepareStackTrace;
    const mine = () => "mine";
    try {
      Error.prepareStackTrace = mine;
      expect(traces.mapOnlyTapFrames(dir)).toBe(false);
      expect(Error.prepareStackTrace).toBe(mine);
    } finally {
      Error.prepareStackTrace = saved;
    }
  });
});
