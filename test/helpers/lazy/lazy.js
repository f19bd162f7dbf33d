/**
 * jest.config.js maps two modules of @pulumi/pulumi to this file for the unit suite: what its
 * closure serialization (pulumi.runtime.serializeFunction) loads at start, @npmcli/arborist and
 * TypeScript (about 1 s of every test file's 2-3 s of module loading; tap serializes no function).
 * Each stays a real module, loaded on first use: a Proxy that requires the original the first
 * time a property is read. `__esModule` answers without loading, so TypeScript's __importStar
 * returns the proxy as it is instead of enumerating (and so loading) the module.
 */
"use strict";
const path = require("path");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const originals = {
  "@npmcli/arborist": () => require(require.resolve("@npmcli/arborist", { paths: [pulumiDir] })),
  "typescript-shim": () => require(path.join(pulumiDir, "typescript-shim.js")),
};

function lazy(name) {
  let real;
  const load = () => (real ??= originals[name]());
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

module.exports = { lazy };
