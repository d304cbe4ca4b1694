// `pnpm bench` is how Herald's speed is measured: asked for help, or given a wrong option, it
// says how to use it instead of failing with a stack trace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCH = join(__dirname, '..', '..', '..', 'bench', 'run.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 30_000 });

it('prints its usage and scenarios for --help, and exits 0', () => {
  const result = run('--help');
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^Usage: pnpm bench/);
  for (const scenario of ['ceiling-2', 'herald-drain-2w', 'herald-api-2w', 'neighbour-hang', 'memory-soak']) expect(result.stdout).toContain(scenario);
  expect(result.stderr).toBe('');
});

it('refuses an unknown option or scenario with the usage, exit 2, and no stack trace', () => {
  for (const args of [['--no-such-option'], ['--scenarios', 'no-such-scenario']]) {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Usage: pnpm bench/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});
