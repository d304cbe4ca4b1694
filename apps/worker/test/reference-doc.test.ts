// docs/reference.md is the contract a clone of the repository carries: it must name every
// setting, metric and command the code defines, and no document may send readers outside the
// repository for it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { commonEnvShape } from '@herald/shared';

const ROOT = join(__dirname, '..', '..', '..');
const REFERENCE = join(ROOT, 'docs', 'reference.md');

/** Files under the repository (sources and docs, not dependencies or builds) whose name passes `keep`. */
function repositoryFiles(keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', '.git', '.turbo', '.herald'].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (keep(entry.name)) found.push(path);
    }
  };
  walk(ROOT);
  return found;
}

const reference = () => readFileSync(REFERENCE, 'utf8');
const sources = () => repositoryFiles((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')).filter((p) => !p.includes(`${join(ROOT, 'bench')}`));

it('exists in the repository', () => {
  expect(existsSync(REFERENCE)).toBe(true);
});

it('names every environment variable the API and the worker read', () => {
  const names = new Set(Object.keys(commonEnvShape));
  for (const app of ['api', 'worker']) {
    const text = readFileSync(join(ROOT, 'apps', app, 'src', 'env.ts'), 'utf8');
    for (const match of text.matchAll(/^\s+(HERALD_[A-Z0-9_]+|REDIS_URL|LOG_LEVEL|NODE_ENV):/gm)) names.add(match[1]!);
  }
  expect(names.size).toBeGreaterThan(20);
  const text = reference();
  expect([...names].filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
});

it('names every metric the code defines', () => {
  const metrics = new Set<string>();
  for (const path of sources()) for (const m of readFileSync(path, 'utf8').matchAll(/name: '(herald_[a-z_]+)'/g)) metrics.add(m[1]!);
  expect(metrics.size).toBeGreaterThan(5);
  const text = reference();
  expect([...metrics].filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
});

it('names every command of the herald command line', () => {
  const commands = new Set<string>();
  for (const path of repositoryFiles((name) => name.endsWith('.ts')).filter((p) => p.includes(join('apps', 'cli', 'src', 'commands')))) {
    for (const m of readFileSync(path, 'utf8').matchAll(/new Command\('([a-z-]+)'\)/g)) commands.add(m[1]!);
  }
  expect(commands.size).toBeGreaterThan(4);
  const text = reference();
  expect([...commands].filter((name) => !new RegExp(`\\| \`${name}\\b`).test(text))).toEqual([]);
});

it('is what the documents point to: none refers to a specification outside the repository', () => {
  const outside = repositoryFiles((name) => name.endsWith('.md'))
    .filter((path) => /\.\.\/shared\b|shared\/SPEC\.md/.test(readFileSync(path, 'utf8')))
    .map((path) => relative(ROOT, path));
  expect(outside).toEqual([]);
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('docs/reference.md');
});

it('speaks of Herald in the documents, not of the work items it was built in', () => {
  const offending = repositoryFiles((name) => name.endsWith('.md'))
    .flatMap((path) => {
      const lines = readFileSync(path, 'utf8').split('\n');
      return lines.flatMap((line, i) => (/\bissues? \d+\b|\bSPEC\b|§\s*\d/.test(line) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`] : []));
    });
  expect(offending).toEqual([]);
});
