// Stack traces as Pulumi's runtime formats them, at a fraction of the cost. The runtime registers
// source-map-support (@pulumi/pulumi@3.248.0: cmd/run/index.js L30), and the SDK formats a stack
// trace for every resource (resource.js L311-343, Resource.callsites: every frame, for the source
// position the engine records) and for every promise it tracks (runtime/debuggable.js L85). Mapping
// every frame of those through source maps was 0.6 s of tap's 1.3 s start-up on 2 cores. The only
// frames a map can send somewhere real are tap's own: the @pulumi packages ship .js.map files but
// not the .ts files they point to. So a frame in tap's build is mapped to its .ts line through the
// build's inline source map (decoded once per file, below), and every other frame is printed as V8
// prints it, at the JavaScript that runs.
"use strict";
const fs = require("fs");
const path = require("path");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

const VLQ = new Map(
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]),
);

/** Decodes one segment of a source map's `mappings` (base64 VLQ) into its numbers. */
function decodeSegment(segment) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = VLQ.get(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/**
 * A source map v3 as a lookup: generated line (0-based) -> segments [column, file, line, column]
 * sorted by generated column, positions in the original absolute.
 */
function decodeMap(map, mapDir) {
  const root = map.sourceRoot ? path.resolve(mapDir, map.sourceRoot) : mapDir;
  const sources = map.sources.map((s) => path.resolve(root, s));
  const lines = [];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  for (const line of map.mappings.split(";")) {
    const segments = [];
    let col = 0;
    for (const text of line ? line.split(",") : []) {
      const f = decodeSegment(text);
      col += f[0];
      if (f.length < 4) continue;
      src += f[1];
      srcLine += f[2];
      srcCol += f[3];
      segments.push([col, sources[src], srcLine, srcCol]);
    }
    lines.push(segments);
  }
  return lines;
}

const INLINE = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** `file:line:column` (1-based) -> the original position in the same form, or undefined. */
function mapperFor(buildDir) {
  const prefix = buildDir.endsWith(path.sep) ? buildDir : buildDir + path.sep;
  const maps = new Map();
  const lookup = (file) => {
    if (!maps.has(file)) {
      const m = INLINE.exec(fs.readFileSync(file, "utf8"));
      maps.set(
        file,
        m && decodeMap(JSON.parse(Buffer.from(m[1], "base64").toString()), path.dirname(file)),
      );
    }
    return maps.get(file);
  };
  return (file, line, column) => {
    if (!file || !file.startsWith(prefix) || !line) return undefined;
    const segments = lookup(file)?.[line - 1];
    let hit;
    for (const s of segments ?? []) {
      if (s[0] > column - 1) break;
      hit = s;
    }
    return hit && `${hit[1]}:${hit[2] + 1}:${hit[3] + 1}`;
  };
}

/**
 * A prepareStackTrace with source-map-support's output (source-map-support@0.5.21
 * source-map-support.js L433-451: "name: message" then one "\n    at " line per frame) that maps
 * only the frames under `buildDir`.
 */
function tapFrameFormatter(buildDir) {
  const map = mapperFor(buildDir);
  return function prepareStackTrace(error, stack) {
    let out = `${error.name || "Error"}: ${error.message || ""}`;
    for (const site of stack) {
      const text = String(site);
      const file = site.getFileName();
      const line = site.getLineNumber();
      const column = site.getColumnNumber();
      const mapped = map(file, line, column);
      out += "\n    at " + (mapped ? text.replace(`${file}:${line}:${column}`, mapped) : text);
    }
    return out;
  };
}

/** True when the installed formatter is source-map-support's, as Pulumi's runtime installs it. */
function sourceMapSupportInstalled() {
  const file = require.resolve("source-map-support", { paths: [pulumiDir] });
  const f = Error.prepareStackTrace;
  return Boolean(require.cache[file]) && typeof f === "function" && f.name === "prepareStackTrace";
}

/**
 * Replaces source-map-support's formatter with tapFrameFormatter when Pulumi's runtime installed
 * it (and only then: any other formatter is left alone). Returns whether it did.
 */
function mapOnlyTapFrames(buildDir) {
  if (!sourceMapSupportInstalled()) return false;
  Error.prepareStackTrace = tapFrameFormatter(buildDir);
  return true;
}

module.exports = { decodeMap, decodeSegment, mapOnlyTapFrames, tapFrameFormatter };
