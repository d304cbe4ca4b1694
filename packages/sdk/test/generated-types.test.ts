// src/generated/openapi.ts is what openapi-typescript makes of docs/openapi.json today.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SDK = join(__dirname, '..');
const GENERATED = 'src/generated/openapi.ts';

it('match docs/openapi.json (run `pnpm openapi` at the root after changing the API)', async () => {
  const { scripts } = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { scripts: { generate: string } };
  const [command, ...args] = scripts.generate.split(' ');
  expect(command).toBe('openapi-typescript');
  expect(args).toContain(GENERATED);
  const scratch = mkdtempSync(join(tmpdir(), 'herald-sdk-types-'));
  try {
    const output = join(scratch, 'openapi.ts');
    const bin = join(SDK, 'node_modules', '.bin', 'openapi-typescript');
    await promisify(execFile)(bin, args.map((arg) => (arg === GENERATED ? output : arg)), { cwd: SDK });
    expect(readFileSync(output, 'utf8') === readFileSync(join(SDK, GENERATED), 'utf8')).toBe(true);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
