// @npmcli/arborist for @pulumi/pulumi's closure serialization, loaded on first use (lazy.js).
"use strict";
module.exports = require("./lazy").lazy("@npmcli/arborist");
