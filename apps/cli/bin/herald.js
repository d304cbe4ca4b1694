#!/usr/bin/env node
// The `herald` executable: a committed shim, so the workspace links it before the first build.
// dist/herald.cjs is the whole command in one file (scripts/bundle.mjs), as the npm package ships it.
require('../dist/herald.cjs').main(process.argv);
