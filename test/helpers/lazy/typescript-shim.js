// @pulumi/pulumi's typescript-shim (TypeScript itself), loaded on first use (lazy.js).
"use strict";
module.exports = require("./lazy").lazy("typescript-shim");
