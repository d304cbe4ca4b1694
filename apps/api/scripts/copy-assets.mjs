// The build's non-TypeScript part: the Lua scripts, and Redoc's standalone build (with its licence
// notices) under dist/vendor/redoc, so that the API serves /docs with none of redoc's own
// dependencies (React, MobX, core-js …) installed beside it: redoc is a devDependency.
import { cpSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const API = join(dirname(fileURLToPath(import.meta.url)), '..');
const redoc = dirname(require.resolve('redoc/package.json'));
const vendor = join(API, 'dist', 'vendor', 'redoc');

cpSync(join(API, 'src', 'lua'), join(API, 'dist', 'lua'), { recursive: true });
mkdirSync(vendor, { recursive: true });
for (const file of ['bundles/redoc.standalone.js', 'bundles/redoc.standalone.js.LICENSE.txt', 'LICENSE']) {
  cpSync(join(redoc, file), join(vendor, file.replace('bundles/', '')));
}
