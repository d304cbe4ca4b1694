// The built package as a consumer sees it: `require` and `import` on this Node, with types for both,
// through the `exports` map (a project outside the workspace, with the package linked in).
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SDK = join(__dirname, '..');
const TSC = require.resolve('typescript/bin/tsc');
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'herald-sdk-consumer-'));
  mkdirSync(join(project, 'node_modules', '@herald'), { recursive: true });
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(SDK, join(project, 'node_modules', '@herald', 'sdk'));
  symlinkSync(join(require.resolve('@types/node/package.json'), '..'), join(project, 'node_modules', '@types', 'node'));
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

const node = (args: string[]) => run(process.execPath, args, { cwd: project });

it('loads with require', async () => {
  const { stdout } = await node([
    '-e',
    `const sdk = require('@herald/sdk');
     const herald = new sdk.Herald({ baseUrl: 'http://127.0.0.1:1', token: 't' });
     console.log(JSON.stringify({ names: Object.keys(sdk).sort(), events: typeof herald.events.publish, api: new sdk.HeraldApiError(400, { type: 'about:blank', title: 'x', status: 400 }).name }));`,
  ]);
  expect(JSON.parse(stdout)).toEqual({
    names: ['Herald', 'HeraldApiError', 'HeraldError', 'HeraldNetworkError', 'WebhookVerificationError', 'describeProblem', 'verifyWebhook', 'webhookMiddleware'],
    events: 'function',
    api: 'HeraldApiError',
  });
});

it('loads with import, as the same classes require gives', async () => {
  const { stdout } = await node([
    '--input-type=module',
    '-e',
    `import { Herald, HeraldApiError, verifyWebhook } from '@herald/sdk';
     import { createRequire } from 'node:module';
     const required = createRequire(import.meta.url)('@herald/sdk');
     console.log(JSON.stringify({ herald: typeof new Herald({ baseUrl: 'http://127.0.0.1:1', token: 't' }).webhooks.list, same: required.HeraldApiError === HeraldApiError, verify: typeof verifyWebhook }));`,
  ]);
  expect(JSON.parse(stdout)).toEqual({ herald: 'function', same: true, verify: 'function' });
});

it('has types for require and for import', async () => {
  // Each file uses the types so that `any` would not do: the @ts-expect-error lines must be errors.
  const body = `
const herald = new Herald({ baseUrl: 'http://127.0.0.1:8080', token: 'token' });
async function produce(): Promise<string> {
  const published: PublishResult = await herald.events.publish({ type: 'invoice.paid', data: { invoice: 42 } });
  const page = await herald.deadLetters.list({ webhookId: 'wh_1', limit: 10 });
  for await (const each of herald.deadLetters.pages({ type: 'invoice.paid' })) each.items.map((d) => d.event.type);
  // @ts-expect-error: an event needs a type
  await herald.events.publish({ data: {} });
  // @ts-expect-error: no such field
  await herald.webhooks.create({ url: 'https://example.com', colour: 'red' });
  return published.id + String(page.next) + (page.items[0]?.lastError ?? '');
}
function receive(secret: string, body: string, headers: Record<string, string>): string {
  const event: WebhookEvent = verifyWebhook(secret, body, headers, { toleranceSeconds: 60 });
  // @ts-expect-error: the envelope has no such field
  event.colour;
  return event.type;
}
export { produce, receive };
`;
  writeFileSync(join(project, 'consumer.cts'), `import { Herald, verifyWebhook, type PublishResult, type WebhookEvent } from '@herald/sdk';\n${body}`);
  writeFileSync(join(project, 'consumer.mts'), `import { Herald, verifyWebhook, type PublishResult, type WebhookEvent } from '@herald/sdk';\n${body}`);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['consumer.cts', 'consumer.mts'] }),
  );
  const result = await run(process.execPath, [TSC, '-p', project], { cwd: project }).catch((error: { stdout: string }) => error);
  expect(result.stdout).toBe('');
});

it('has a browser entry that needs nothing from Node', () => {
  // Every module @herald/sdk/browser loads, followed through the built files: none may be a Node
  // builtin (a web page has none) or a package made for Node (raw-body, the Express middleware's).
  const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  const entry = require.resolve('@herald/sdk/browser', { paths: [project] });
  const seen = new Set<string>();
  const offending: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, name] of text.matchAll(/require\("([^"]+)"\)/g)) {
      if (builtins.has(name!) || name === 'raw-body') offending.push(`${relative(SDK, file)}: ${name}`);
      else if (name!.startsWith('.') && name!.endsWith('.json')) continue;
      else if (name!.startsWith('.')) visit(require.resolve(join(dirname(file), name!)));
    }
  };
  visit(entry);
  expect(seen.size).toBeGreaterThan(5);
  expect(offending).toEqual([]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require(entry) as Record<string, unknown>;
  expect(Object.keys(sdk).filter((name) => name !== '__esModule').sort()).toEqual(['Herald', 'HeraldApiError', 'HeraldError', 'HeraldNetworkError', 'describeProblem']);
});
