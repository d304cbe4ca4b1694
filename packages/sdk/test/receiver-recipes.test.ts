// docs/receivers.md's receivers, as written there, run against real deliveries from a real Herald:
// plain Node, Python (python3, standard library) and Go (the Go toolchain, which scripts/test.sh installs).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { freePort, startHerald, waitFor, type Herald as RunningHerald } from '@herald/testing';
import { Herald } from '../src';

const RECEIVERS_DOC = join(__dirname, '..', '..', '..', 'docs', 'receivers.md');
/** Compiling net/http the first time on a busy machine takes a while. */
const GO_BUILD_TIMEOUT_MS = 240_000;

let herald: RunningHerald;
let client: Herald;
let scratch: string;
const children: ChildProcess[] = [];

/** The fenced blocks of docs/receivers.md that name a file: ```python receiver.py */
function recipes(): Map<string, string> {
  const text = readFileSync(RECEIVERS_DOC, 'utf8');
  return new Map([...text.matchAll(/^```\w+ (receiver[\w-]*\.\w+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Every fenced block of docs/receivers.md with its language: what the page presents as code. */
function codeBlocks(): { language: string; code: string }[] {
  const text = readFileSync(RECEIVERS_DOC, 'utf8');
  return [...text.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => ({ language: m[1]!, code: m[2]! }));
}

beforeAll(async () => {
  herald = await startHerald('receiver-recipes');
  client = new Herald({ baseUrl: herald.api.url, token: herald.api.token });
  scratch = mkdtempSync(join(tmpdir(), 'herald-receivers-'));
  // What `npm install @herald/sdk express` would give the SDK recipe: the packages it imports.
  mkdirSync(join(scratch, 'node_modules', '@herald'), { recursive: true });
  symlinkSync(join(__dirname, '..'), join(scratch, 'node_modules', '@herald', 'sdk'), 'dir');
  symlinkSync(join(__dirname, '..', 'node_modules', 'express'), join(scratch, 'node_modules', 'express'), 'dir');
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await herald?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Running {
  url: string;
  /** What the receiver printed so far. */
  output(): string;
}

/** Starts `command` on a free port with the webhook's secret; resolves once it says it listens. */
async function startRecipe(command: string, args: string[], secret: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? scratch, PORT: String(port), HERALD_WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}: ${output}`);
      return output.includes(`listening on ${port}`);
    },
    { timeoutMs: 15_000, message: `${command} ${args.join(' ')} to listen` },
  );
  return { url: `http://127.0.0.1:${port}/hooks/herald`, output: () => output };
}

/** A delivery, then requests that are not genuine, at a receiver written from the document. */
async function exercise(file: string, launch: (path: string) => Promise<[string, string[]]>): Promise<void> {
  const code = recipes().get(file);
  expect(code).toBeDefined();
  const path = join(scratch, file);
  writeFileSync(path, code!);
  const [command, args] = await launch(path);

  // The receiver needs the secret, and the webhook its URL: the port is chosen first, then both.
  const type = `recipe.${file.replace('.', '-')}`;
  const webhook = await client.webhooks.create({ url: 'http://127.0.0.1:9/placeholder', events: [type], enabled: false });
  const receiver = await startRecipe(command, args, webhook.secret);
  await client.webhooks.update(webhook.id, { url: receiver.url, enabled: true });

  const published = await client.events.publish({ type, data: { order: 42, name: 'Zoë ✓', nested: { ok: true } } });
  const line = await waitFor(() => receiver.output().split('\n').find((l) => l.startsWith('{')), { timeoutMs: 20_000, message: `the event printed by ${file}` });
  expect(JSON.parse(line)).toEqual({ id: published.id, type, timestamp: expect.any(String), tenant: 'default', data: { order: 42, name: 'Zoë ✓', nested: { ok: true } } });
  const attempts = await waitFor(async () => (await client.webhooks.deliveries(webhook.id)).items.find((a) => a.outcome === 'success'), { message: 'the successful attempt' });
  expect(attempts.statusCode).toBe(204);

  // Signed by another library, now; then with a rotation's two signatures (only the second ours).
  const body = JSON.stringify({ id: 'evt_x', type: 'a.b', timestamp: new Date().toISOString(), tenant: 'default', data: {} });
  const send = (headers: Record<string, string>) => fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const now = Math.floor(Date.now() / 1000);
  const sign = (secret: string, at: number) => new StandardWebhook(secret).sign('evt_x', new Date(at * 1000), body);
  const other = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const headers = (signature: string, at = now) => ({ 'webhook-id': 'evt_x', 'webhook-timestamp': String(at), 'webhook-signature': signature });
  expect((await send(headers(sign(webhook.secret, now)))).status).toBe(204);
  expect((await send(headers(`${sign(other, now)} ${sign(webhook.secret, now)}`))).status).toBe(204);

  const refused = async (request: Promise<Response>, reason: RegExp) => {
    const response = await request;
    expect([response.status, await response.text()]).toEqual([400, expect.stringMatching(reason)]);
  };
  await refused(send(headers(sign(other, now))), /no signature matches/);
  await refused(send(headers(sign(webhook.secret, now - 600), now - 600)), /outside the tolerance|more than 300 s away/);
  await refused(send({ 'webhook-id': 'evt_x', 'webhook-timestamp': String(now) }), /missing/);
  await refused(
    fetch(receiver.url, { method: 'POST', headers: headers(sign(webhook.secret, now)), body: body.replace('a.b', 'a.c') }),
    /no signature matches/,
  );

  // One slow client must not hold up the others: a request whose body is still on its way, and a
  // delivery answered meanwhile (a receiver serving one connection at a time makes every delivery
  // of a burst wait for the one before it).
  const { port } = new URL(receiver.url);
  const stalled = connect(Number(port), '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => stalled.once('connect', resolve).once('error', reject));
    stalled.write(`POST /hooks/herald HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n{`);
    const answered = await Promise.race([
      send(headers(sign(webhook.secret, now))).then((response) => response.status),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5_000).unref()),
    ]);
    expect(answered).toBe(204);
  } finally {
    stalled.destroy();
  }
}

it('presents no TypeScript as a Node program: every Node recipe is plain JavaScript in a file node runs', () => {
  const node = codeBlocks().filter((block) => /^(js|ts|javascript|typescript|mjs)$/.test(block.language));
  expect(node.length).toBeGreaterThanOrEqual(2);
  expect(node.map((block) => block.language)).toEqual(node.map(() => 'js'));
  // A non-null assertion or a type annotation would be a syntax error in plain JavaScript.
  for (const { code } of node) expect(code).not.toMatch(/\w!\)|\w!\.|: (string|number|Request|Response)\b/);
});

it('Node with the SDK (its Express middleware): verifies a real delivery, refuses forged, stale and unsigned requests', async () => {
  await exercise('receiver-sdk.mjs', async (path) => [process.execPath, [path]]);
});

it('plain Node (crypto): verifies a real delivery, refuses forged, stale and unsigned requests', async () => {
  await exercise('receiver.mjs', async (path) => [process.execPath, [path]]);
});

it('Python, standard library only: verifies a real delivery, refuses forged, stale and unsigned requests', async () => {
  await exercise('receiver.py', async (path) => ['python3', [path]]);
});

it(
  'Go, standard library only: verifies a real delivery, refuses forged, stale and unsigned requests',
  async () => {
    await exercise('receiver.go', async (path) => {
      const binary = join(scratch, 'receiver-go');
      await promisify(execFile)('go', ['build', '-o', binary, path], {
        cwd: scratch,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? scratch },
        timeout: GO_BUILD_TIMEOUT_MS,
      }).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
        throw new Error(error.code === 'ENOENT' ? 'no Go toolchain on PATH: scripts/test.sh installs golang-go' : `go build failed: ${error.stderr ?? error.message}`);
      });
      return [binary, []];
    });
  },
  GO_BUILD_TIMEOUT_MS + 60_000,
);
