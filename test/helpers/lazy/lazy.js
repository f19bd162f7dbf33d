/**
 * jest.config.js maps two modules of @pulumi/pulumi to this folder for the unit suite: what its
 * closure serialization (pulumi.runtime.serializeFunction) loads at start, @npmcli/arborist and
 * TypeScript (about 1 s of every test file's 2-3 s of module loading; tap serializes no function).
 * Each stays a real module, loaded on first use, through the same stand-in a real run uses
 * (bin/launch/lazy-sdk.js: there through require.cache, here through jest's module map).
 */
"use strict";
const path = require("path");
const { lazyExports } = require("../../../bin/launch/lazy-sdk");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const originals = {
  "@npmcli/arborist": () => require(require.resolve("@npmcli/arborist", { paths: [pulumiDir] })),
  "typescript-shim": () => require(path.join(pulumiDir, "typescript-shim.js")),
};

const lazy = (name) => lazyExports(originals[name]);

module.exports = { lazy };
