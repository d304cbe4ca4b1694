// scripts/test.sh's jest step (run_jest in scripts/lib.sh): jest's own report, then one plain
// closing line, and no mention of a results file that is gone by the time anyone reads the log.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..');

function runJest(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', 'source scripts/lib.sh && run_jest "$@"', 'run_jest', ...args], { cwd: REPO_ROOT, env: process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

it('ends with one "jest:" line and names no results file', async () => {
  const run = await runJest(['packages/shared/src/ids.test.ts']);
  expect(run.code).toBe(0);
  expect(run.output).toMatch(/^jest: [1-9]\d* passed, 0 failed, 0 skipped$/m);
  expect(run.output.trimEnd().split('\n').at(-1)).toMatch(/^jest: /);
  expect(run.output).not.toMatch(/Test results written to/);
}, 60_000);

it("counts what was skipped, and passes jest's failure on as its exit status", async () => {
  const skipped = await runJest(['packages/shared/src/ids.test.ts', '-t', 'no test has this name']);
  expect(skipped.output).toMatch(/^jest: 0 passed, 0 failed, [1-9]\d* skipped$/m);
  expect(skipped.output).not.toMatch(/Test results written to/);
  const none = await runJest(['packages/shared/src/no-such-file.test.ts']);
  expect(none.code).toBe(1);
  expect(none.output).toMatch(/No tests found/);
}, 60_000);
