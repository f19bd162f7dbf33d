// What `pulumi up` and `pulumi preview` run (Pulumi.yaml: main bin/launch.js, typescript false).
// tap is written in TypeScript; this launcher runs it as JavaScript compiled from exactly the
// sources on disk, so a preview starts in the time precompiled code takes and can never run stale
// code (launch/build.js: the build is named by the hash of every source it comes from), and the
// parts of the Pulumi SDK that tap never calls load only if something does call them
// (launch/lazy-sdk.js), and stack traces map tap's frames only (launch/stack-traces.js).
// `bin/tap.ts` is the program; edit that, never this.
"use strict";
const { compiledProgram } = require("./launch/build");
const { deferClosureSerialization } = require("./launch/lazy-sdk");
const { mapOnlyTapFrames } = require("./launch/stack-traces");

const { dir, entry } = compiledProgram();
deferClosureSerialization();
mapOnlyTapFrames(dir);
module.exports = require(entry);
