#!/usr/bin/env node
// The `herald` executable: a committed shim, so the workspace links it before the first build.
require('../dist/index.js').main(process.argv);
