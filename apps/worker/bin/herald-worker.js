#!/usr/bin/env node
// `herald-worker`: the built worker (dist/index.js) in this very process, so that a supervisor's
// SIGTERM reaches it and the worker drains. A committed shim, so the workspace links it before the first build.
require('../dist/index.js');
