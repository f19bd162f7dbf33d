// The Pulumi SDK's index loads function serialization (pulumi.runtime.serializeFunction, used for
// Lambda callbacks written inline) eagerly: @npmcli/arborist and TypeScript, about 0.4 s of every
// start-up on 2 cores (@pulumi/pulumi@3.248.0: runtime/closure/codePaths.js L29 requires
// @npmcli/arborist, runtime/closure/parseFunction.js L25 the typescript-shim). tap serializes no
// function. Each of the two stays the real module, loaded the first time anything reads from it:
// a Proxy in require.cache that loads the original on first use and then hands its cache slot back.
"use strict";
const Module = require("module");
const path = require("path");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

/** The two modules, as @pulumi/pulumi resolves them. */
function deferredModules() {
  return [
    require.resolve("@npmcli/arborist", { paths: [pulumiDir] }),
    path.join(pulumiDir, "typescript-shim.js"),
  ];
}

/**
 * A stand-in for a module: the first read of any property calls `loadModule()`, once. `__esModule`
 * answers without loading, so TypeScript's __importStar returns the proxy instead of enumerating it.
 */
function lazyExports(loadModule) {
  let real;
  const load = () => (real ??= loadModule());
  return new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" ? true : load()[key]),
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Object.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

/** Installs the stand-ins; a module already loaded is left alone (there is nothing to save). */
function deferClosureSerialization() {
  for (const filename of deferredModules()) {
    if (require.cache[filename]) continue;
    let real;
    const load = () => {
      if (real === undefined) {
        if (require.cache[filename] === stub) delete require.cache[filename];
        real = require(filename);
      }
      return real;
    };
    const stub = new Module(filename, module);
    stub.filename = filename;
    stub.loaded = true;
    stub.exports = lazyExports(load);
    require.cache[filename] = stub;
  }
}

module.exports = { deferClosureSerialization, deferredModules, lazyExports };
