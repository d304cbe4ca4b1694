#!/usr/bin/env node
// `herald-api`: the built API (dist/index.js) in this very process, so that a supervisor's SIGTERM
// reaches it and the API drains. A committed shim, so the workspace links it before the first build.
require('../dist/index.js');
