// Writes dist/index.mjs and dist/index.d.mts: `import` gets the same CommonJS build as `require`
// (one copy of the code, so `instanceof HeraldApiError` holds whichever way it was loaded).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const names = Object.keys(require('../dist/index.js')).filter((name) => name !== '__esModule').sort();
const dist = new URL('../dist/', import.meta.url);
writeFileSync(new URL('index.mjs', dist), `import sdk from './index.js';\n\nexport const { ${names.join(', ')} } = sdk;\n`);
writeFileSync(new URL('index.d.mts', dist), `export * from './index.js';\n`);
