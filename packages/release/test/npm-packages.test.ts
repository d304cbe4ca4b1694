// @herald/sdk and @herald/cli as someone outside this repository gets them: packed into tarballs,
// installed with npm into a project of its own (the SDK) and globally under a prefix of its own
// (the CLI), then used against a real API.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startApi, testRedisUrl, uniquePrefix, type RunningApi } from '@herald/testing';
import { outsideEnv, packTarballs, run, tarballContents, type Tarballs } from './support/release';

let work: string;
let tarballs: Tarballs;
let api: RunningApi;

beforeAll(async () => {
  // Under the system's temporary folder, far from this repository's node_modules.
  work = mkdtempSync(join(tmpdir(), 'herald-npm-'));
  tarballs = await packTarballs(join(work, 'tarballs'));
  api = await startApi({ REDIS_URL: testRedisUrl(), HERALD_PREFIX: uniquePrefix('npm-packages') });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(['sdk', 'cli'] as const)('the %s tarball', (name) => {
  it('carries the licence and names versions, not workspace ranges', async () => {
    const { manifest, files } = await tarballContents(tarballs[name]);
    expect(manifest.license).toBe('Apache-2.0');
    expect(files).toContain('package/LICENSE');
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    expect(manifest.private).toBeUndefined();
    expect(manifest.engines).toEqual({ node: '>=20' });
  });
});

describe('@herald/sdk', () => {
  let project: string;
  const node = (args: string[], env: Record<string, string> = {}) => run(process.execPath, args, { cwd: project, env: outsideEnv(env) });

  beforeAll(async () => {
    project = join(work, 'sdk-consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sdk-consumer', version: '1.0.0', private: true }));
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', tarballs.sdk], { cwd: project, env: outsideEnv() });
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
  }, 120_000);

  it('loads with require and with import, as the same classes', async () => {
    const required = await node(['-e', `const sdk = require('@herald/sdk'); console.log(typeof sdk.Herald, typeof sdk.verifyWebhook, require.resolve('@herald/sdk'))`]);
    expect(required.stderr).toBe('');
    expect(required.stdout).toMatch(new RegExp(`^function function ${project}/node_modules/@herald/sdk/dist/index\\.js\\n$`));
    const imported = await node([
      '--input-type=module',
      '-e',
      `import { Herald, HeraldApiError } from '@herald/sdk'; import { createRequire } from 'node:module';
       console.log(typeof Herald, createRequire(import.meta.url)('@herald/sdk').HeraldApiError === HeraldApiError)`,
    ]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toBe('function true\n');
  });

  it('type-checks a consumer with the types it installed, for require and for import', async () => {
    // Only @types/node comes from this repository; the SDK's types and their imports come from the install.
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(dirname(require.resolve('@types/node/package.json')), join(project, 'node_modules', '@types', 'node'));
    const body = `
import { Herald, verifyWebhook, type PublishResult, type WebhookEvent } from '@herald/sdk';
export async function produce(herald: Herald): Promise<string> {
  const published: PublishResult = await herald.events.publish({ type: 'invoice.paid', data: { invoice: 42 } });
  // @ts-expect-error: an event needs a type (the line is an error only if the types are real)
  await herald.events.publish({ data: {} });
  return published.id;
}
export function receive(secret: string, body: string, headers: Record<string, string>): string {
  const event: WebhookEvent = verifyWebhook(secret, body, headers);
  return event.type;
}
`;
    writeFileSync(join(project, 'consumer.cts'), body);
    writeFileSync(join(project, 'consumer.mts'), body);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['consumer.cts', 'consumer.mts'] }),
    );
    const checked = await node([require.resolve('typescript/bin/tsc'), '-p', project]);
    expect(checked.stdout).toBe('');
    expect(checked.code).toBe(0);
  });

  it('talks to a running API', async () => {
    const script = `
const { Herald } = require('@herald/sdk');
(async () => {
  const herald = new Herald({ baseUrl: process.env.API_URL, token: process.env.TOKEN });
  const webhook = await herald.webhooks.create({ url: 'http://127.0.0.1:9/sdk-hook', events: ['order.*'] });
  const { id } = await herald.events.publish({ type: 'order.created', data: { order: 1 } });
  const listed = await herald.webhooks.list();
  console.log(JSON.stringify({ secret: webhook.secret.startsWith('whsec_'), event: id.startsWith('evt_'), listed: listed.some((w) => w.id === webhook.id) }));
})().catch((error) => { console.error(error); process.exit(1); });
`;
    const used = await node(['-e', script], { API_URL: api.url, TOKEN: api.token });
    expect(used.stderr).toBe('');
    expect(JSON.parse(used.stdout)).toEqual({ secret: true, event: true, listed: true });
  });
});

describe('@herald/cli', () => {
  let herald: string;
  const cli = (args: string[]) => run(herald, args, { cwd: work, env: outsideEnv({ HERALD_API_URL: api.url, HERALD_TOKEN: api.token }) });

  beforeAll(async () => {
    const prefix = join(work, 'global');
    // -g under a prefix of its own: what `npm install -g` does, without touching this machine's.
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarballs.cli], { cwd: work, env: outsideEnv() });
    if (installed.code !== 0) throw new Error(`npm install -g failed:\n${installed.stderr}`);
    herald = join(prefix, 'bin', 'herald');
  }, 120_000);

  it('installs alone: the tarball needs no other package, and carries the licences of those compiled in', async () => {
    const { manifest, files } = await tarballContents(tarballs.cli);
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.bin).toEqual({ herald: './bin/herald.js' });
    expect(files.sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/bin/herald.js', 'package/dist/THIRD-PARTY-NOTICES.txt', 'package/dist/herald.cjs', 'package/package.json']);
    const notices = await run('tar', ['-xzOf', tarballs.cli, 'package/dist/THIRD-PARTY-NOTICES.txt']);
    const compiledIn = [...notices.stdout.matchAll(/^(@?[\w./-]+)@\d[^ ]* \(/gm)].map((m) => m[1]);
    expect(compiledIn).toEqual(expect.arrayContaining(['commander', 'zod']));
    // Only what the command line reaches of @herald/shared: not its Redis and queue half.
    expect(compiledIn).not.toContain('bullmq');
    expect(compiledIn).not.toContain('ioredis');
  });

  it('prints its version', async () => {
    const { manifest } = await tarballContents(tarballs.cli);
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${String(manifest.version)}\n`, stderr: '' });
  });

  it('prints the help of every command and command group', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    const commands = [...help.stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['webhooks', 'publish', 'deliveries', 'dlq', 'stats', 'apply']));
    for (const command of commands) {
      const shown = await cli([command, '--help']);
      expect({ command, code: shown.code, stderr: shown.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(shown.stdout).toMatch(new RegExp(`^Usage: herald ${command}`));
    }
  });

  it('works against a running API', async () => {
    const added = await cli(['webhooks', 'add', 'http://127.0.0.1:9/cli-hook', '--events', 'order.*', '--name', 'from-npm', '--json']);
    expect(added.stderr).toBe('');
    const webhook = JSON.parse(added.stdout) as { id: string; secret: string };
    expect(webhook.secret).toMatch(/^whsec_/);
    const listed = await cli(['webhooks', 'ls', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id: webhook.id, name: 'from-npm' })]));
    const published = await cli(['publish', 'order.created', '{"order":1}', '--json']);
    expect(published.code).toBe(0);
    expect(JSON.parse(published.stdout)).toMatchObject({ id: expect.stringMatching(/^evt_/) });
    // A refusal ends the command with its exit code, as in the repository's own build.
    expect((await cli(['webhooks', 'show', 'wh_missing'])).code).toBe(5);
    // `apply` reads the file with the parser compiled in from @herald/shared, ${env.NAME} included.
    const file = join(work, 'herald.yaml');
    writeFileSync(file, 'webhooks:\n  - name: applied-from-npm\n    url: http://127.0.0.1:9/${env.HOOK_PATH}\n    events: ["order.*"]\n');
    const applied = await run(herald, ['apply', '-f', file, '--dry-run', '--json'], {
      cwd: work,
      env: outsideEnv({ HERALD_API_URL: api.url, HERALD_TOKEN: api.token, HOOK_PATH: 'applied' }),
    });
    expect(applied.stderr).toBe('');
    expect(JSON.parse(applied.stdout)).toMatchObject({ dryRun: true, created: ['applied-from-npm'] });
    const broken = await run(herald, ['apply', '-f', file], { cwd: work, env: outsideEnv({ HERALD_API_URL: api.url, HERALD_TOKEN: api.token }) });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('HOOK_PATH');
  });
});
