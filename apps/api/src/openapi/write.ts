// Writes docs/openapi.json from the schemas: `pnpm openapi` at the repository root does it after a build.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeOpenApiDocument } from './document';

/** The repository's docs/ folder, from src/openapi or dist/openapi alike. */
export const OPENAPI_FILE = join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.json');

if (require.main === module) {
  const target = process.argv[2] ?? OPENAPI_FILE;
  writeFileSync(target, serializeOpenApiDocument());
  process.stdout.write(`wrote ${target}\n`);
}
