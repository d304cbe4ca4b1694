// An operator's session through the `herald` command line against a running API and worker.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, startReceiver, waitFor, type Herald, type Receiver } from '@herald/testing';

const HERALD_BIN = join(__dirname, '..', 'bin', 'herald.js');
let herald: Herald;
let hook: Receiver;
let healthy = false;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HERALD_API_URL: herald.api.url, HERALD_TOKEN: herald.api.token, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function cliJson<T>(args: string[]): Promise<T> {
  const run = await cli([...args, '--json']);
  if (run.code !== 0) throw new Error(`herald ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

beforeAll(async () => {
  herald = await startHerald('cli');
  hook = await startReceiver(() => ({ status: healthy ? 200 : 503, body: healthy ? 'ok' : 'maintenance' }));
});

afterAll(async () => {
  await herald?.stop();
  await hook?.close();
});

it('walks an operator from a failing receiver through dead letters and replay to agreeing statistics', async () => {
  const added = await cli(['webhooks', 'add', hook.url, '--events', 'order.*', '--name', 'orders', '--max-retries', '1', '--set', '{"retry":{"initialDelayMs":50,"jitter":0}}']);
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(/secret\s+whsec_/);
  const webhookId = /id\s+(wh_\S+)/.exec(added.stdout)?.[1] as string;
  expect(webhookId).toBeDefined();

  const listed = await cli(['webhooks', 'ls']);
  expect(listed.stdout).toMatch(/ID\s+NAME\s+TENANT/);
  expect(listed.stdout).toContain(webhookId);
  expect(listed.stdout).not.toContain('whsec_');

  const published = await cli(['publish', 'order.created', '{"order":1}']);
  expect(published.code).toBe(0);
  const eventId = published.stdout.trim();

  // Two failed attempts, then a dead letter.
  const deadLetters = await waitFor(async () => {
    const list = await cliJson<{ id: string }[]>(['dlq', 'ls', '--webhook', webhookId]);
    return list.length > 0 && list;
  }, { message: 'the dead letter in `herald dlq ls`' });
  const failures = await cli(['deliveries', webhookId, '--outcome', 'failure']);
  expect(failures.stdout.match(/retry|dead_letter/g)).toHaveLength(2);
  expect(failures.stdout).toContain('503');
  const shown = await cli(['dlq', 'show', deadLetters[0]!.id]);
  expect(shown.stdout).toContain(eventId);

  healthy = true;
  const replayed = await cli(['dlq', 'replay', deadLetters[0]!.id]);
  expect(replayed.stdout).toContain('replayed 1');
  await hook.waitForRequests(3);
  expect(hook.requests[2]!.headers['webhook-id']).toBe(eventId);
  await herald.waitForSettled();
  expect(await cliJson<unknown[]>(['dlq', 'ls', '--webhook', webhookId])).toEqual([]);

  const log = await cliJson<{ outcome: string }[]>(['deliveries', webhookId, '--limit', '100']);
  const stats = await cliJson<{ total: number; succeeded: number; failed: number }>(['stats', webhookId]);
  expect(stats).toMatchObject({
    total: log.length,
    succeeded: log.filter((a) => a.outcome === 'success').length,
    failed: log.filter((a) => a.outcome !== 'success').length,
  });
  expect(stats).toMatchObject({ total: 3, succeeded: 1, failed: 2 });
  const overall = await cli(['stats']);
  expect(overall.stdout).toMatch(/^delivered\s+\d+(\.\d)? %$/m);
  expect(overall.stdout).toMatch(/^attempts succeeded\s+\d+(\.\d)? %$/m);
  // The one delivery settled (dead-lettered, then replayed and delivered): one of two deliveries, one of three attempts.
  const human = await cli(['stats', webhookId]);
  expect(human.stdout).toMatch(/^deliveryRate\s+50 %$/m);
  expect(human.stdout).toMatch(/^successRate\s+33\.3 %$/m);

  const tested = await cli(['webhooks', 'test', webhookId]);
  expect(tested.code).toBe(0);
  expect(tested.stdout).toMatch(/status\s+delivered/);
  expect((await cli(['webhooks', 'disable', webhookId])).code).toBe(0);
  expect((await cliJson<{ enabled: boolean }>(['webhooks', 'show', webhookId])).enabled).toBe(false);
  expect((await cli(['webhooks', 'rm', webhookId])).code).toBe(0);
  expect((await cli(['webhooks', 'show', webhookId])).code).toBe(5);
});

it('lists recent events (filtered by type, limited) and shows one with its attempts, as a table and as JSON', async () => {
  const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
  try {
    const added = await cliJson<{ id: string }>(['webhooks', 'add', receiver.url, '--events', 'shipment.*']);
    const first = (await cli(['publish', 'shipment.sent', '{"shipment":1}'])).stdout.trim();
    const second = (await cli(['publish', 'shipment.sent', '{"shipment":2}'])).stdout.trim();
    const other = (await cli(['publish', 'parcel.lost', '{}'])).stdout.trim();
    await receiver.waitForRequests(2);
    await herald.waitForSettled();

    const listed = await cliJson<{ id: string; type: string }[]>(['events', 'ls', '--type', 'shipment.sent']);
    expect(listed.map((e) => e.id)).toEqual([second, first]);
    const limited = await cliJson<{ id: string }[]>(['events', 'ls', '--limit', '1']);
    expect(limited.map((e) => e.id)).toEqual([other]);
    const table = await cli(['events', 'ls', '--type', 'shipment.sent']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+TYPE\s+TENANT\s+RECEIVED/);
    expect(table.stdout).toContain(first);
    expect(table.stdout).not.toContain(other);

    const shown = await cliJson<{ id: string; event: { data: unknown }; deliveries: { webhookId: string; outcome: string }[] }>(['events', 'show', first]);
    expect(shown).toMatchObject({ id: first, event: { data: { shipment: 1 } }, deliveries: [{ webhookId: added.id, outcome: 'success' }] });
    const human = await cli(['events', 'show', first]);
    expect(human.stdout).toMatch(/type\s+shipment\.sent/);
    expect(human.stdout).toMatch(/TIMESTAMP\s+WEBHOOKID\s+ATTEMPT\s+OUTCOME/);
    expect(human.stdout).toContain(added.id);
    expect((await cli(['events', 'show', 'evt_nothing_here'])).code).toBe(5);
    await cli(['webhooks', 'rm', added.id]);
  } finally {
    await receiver.close();
  }
});

it('shows an open circuit in `webhooks show`, `webhooks ls` and `stats`', async () => {
  const down = await startReceiver(() => ({ status: 503 }));
  try {
    const breaker = '{"retry":{"maxRetries":5,"initialDelayMs":20,"backoffMultiplier":1,"jitter":0},"circuitBreaker":{"failureThreshold":2,"cooldownMs":600000}}';
    const added = await cliJson<{ id: string }>(['webhooks', 'add', down.url, '--events', 'breaker.*', '--set', breaker]);
    expect((await cliJson<{ circuit: { state: string } }>(['webhooks', 'show', added.id])).circuit).toEqual({ state: 'closed' });
    await cli(['publish', 'breaker.tripped']);
    const circuit = await waitFor(async () => {
      const shown = await cliJson<{ circuit: { state: string; openedAt?: string; nextProbeAt?: string } }>(['webhooks', 'show', added.id]);
      return shown.circuit.state === 'open' && shown.circuit;
    }, { message: 'the circuit open in `herald webhooks show --json`' });

    const shown = await cli(['webhooks', 'show', added.id]);
    expect(shown.stdout).toMatch(new RegExp(`^circuit\\s+open since ${circuit.openedAt!.replace(/\./g, '\\.')}, next probe at ${circuit.nextProbeAt!.replace(/\./g, '\\.')}$`, 'm'));
    const listed = await cli(['webhooks', 'ls']);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+TENANT\s+ENABLED\s+CIRCUIT\s+EVENTS\s+URL$/m);
    expect(listed.stdout.split('\n').find((line) => line.startsWith(added.id))).toMatch(/\sopen\s/);
    expect((await cli(['stats'])).stdout).toMatch(/^open circuits\s+1$/m);
    expect((await cliJson<{ circuitsOpen: number }>(['stats'])).circuitsOpen).toBe(1);
    await cli(['webhooks', 'rm', added.id]);
    expect((await cli(['stats'])).stdout).toMatch(/^open circuits\s+0$/m);
  } finally {
    await down.close();
  }
});

it('shows a blocked FIFO line with `herald fifo show` and moves it on with `herald fifo skip`', async () => {
  const delivered: number[] = [];
  const receiver = await startReceiver((request) => {
    const { n } = (JSON.parse(request.body) as { data: { n: number } }).data;
    if (n === 1) return { status: 503, body: 'not this one' };
    delivered.push(n);
    return { status: 200 };
  });
  try {
    const settings = {
      retry: { maxRetries: 1, initialDelayMs: 20, jitter: 0 },
      circuitBreaker: { enabled: false },
      ordering: { mode: 'fifo', key: 'data.line', onExhausted: 'block' },
    };
    const { id } = await cliJson<{ id: string }>(['webhooks', 'add', receiver.url, '--events', 'shipment.*', '--set', JSON.stringify(settings)]);
    const published = await herald.client.post('/v1/events/batch', { events: [0, 1, 2, 3].map((n) => ({ type: 'shipment.moved', data: { line: 'a', n } })) });
    expect(published.status).toBe(202);

    const status = await waitFor(async () => {
      const read = await cliJson<{ blocked: number; blockedLines: { eventId: string; deadLetterId: string }[] }>(['fifo', 'show', id]);
      return read.blocked === 1 && read;
    }, { message: 'line a blocked in `herald fifo show`' });
    const [head] = status.blockedLines;
    const shown = await cli(['fifo', 'show', id]);
    expect(shown.stdout).toMatch(/^ordering\s+fifo by data\.line, block when a head spends its attempts$/m);
    expect(shown.stdout).toMatch(/^deliveries waiting\s+3$/m);
    expect(shown.stdout).toMatch(/^KEY\s+EVENT\s+DEAD LETTER\s+SINCE\s+ERROR$/m);
    expect(shown.stdout).toMatch(new RegExp(`^a\\s+${head!.eventId}\\s+${head!.deadLetterId.replace('.', '\\.')}\\s+\\S+\\s+fifo_blocked: `, 'm'));
    expect(shown.stdout).toContain(`herald fifo skip ${id} --key <key>`);

    const keyless = await cli(['fifo', 'skip', id]);
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toMatch(/key: is required: webhook \S+ orders by data\.line/);
    const skipped = await cli(['fifo', 'skip', id, '--key', 'a']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout.trim()).toBe(`skipped ${head!.eventId} on line a; its dead letter ${head!.deadLetterId} stays`);
    const again = await cli(['fifo', 'skip', id, '--key', 'a', '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not blocked/);

    await waitFor(() => delivered.length === 3, { message: 'the rest of line a' });
    expect(delivered).toEqual([0, 2, 3]);
    expect(await cliJson(['fifo', 'show', id])).toMatchObject({ deliveries: 0, lines: 0, blocked: 0, blockedLines: [] });
  } finally {
    await receiver.close();
  }
});

it('applies a config file idempotently, resolving ${env.NAME}, and names a missing variable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
  const file = join(dir, 'herald.yaml');
  writeFileSync(
    file,
    [
      'webhooks:',
      '  - name: billing',
      `    url: ${hook.url}`,
      '    events: ["invoice.*"]',
      '    auth: { type: bearer, token: "${env.BILLING_TOKEN}" }',
      '    retry: { strategy: schedule, delaysMs: [1m, 5m, 15m, 1h, 6h] }',
      '  - name: alerts',
      `    url: ${hook.url}`,
      '    events: ["circuit_breaker.*", "webhook.disabled"]',
      '    template: slack',
    ].join('\n'),
  );
  const env = { BILLING_TOKEN: 'billing-secret-token' };
  const first = await cli(['apply', '-f', file], env);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/created\s+billing/);
  expect(first.stdout).toMatch(/created\s+alerts/);
  const second = await cli(['apply', '-f', file], env);
  expect(second.stdout).toMatch(/unchanged billing/);
  expect(second.stdout).toMatch(/no changes/);

  const rotatedToken = await cli(['apply', '-f', file, '--dry-run'], { BILLING_TOKEN: 'a-new-token-value' });
  expect(rotatedToken.stdout).toMatch(/updated\s+billing \(auth\)/);
  expect(rotatedToken.stdout).toMatch(/dry run/);
  const webhooks = await cliJson<{ name?: string; retry: { delaysMs?: number[] } }[]>(['webhooks', 'ls']);
  expect(webhooks.filter((w) => w.name === 'billing')).toHaveLength(1);
  expect(webhooks.find((w) => w.name === 'billing')?.retry.delaysMs).toEqual([60_000, 300_000, 900_000, 3_600_000, 21_600_000]);

  const missing = await cli(['apply', '-f', file], {});
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/webhooks\[0\]\.auth\.token: refers to \$\{env\.BILLING_TOKEN\}, but the environment variable BILLING_TOKEN is not set/);
});

it('says clearly when the API is unreachable or the token is wrong', async () => {
  const unreachable = await cli(['webhooks', 'ls'], { HERALD_API_URL: 'http://127.0.0.1:9' });
  expect(unreachable.code).toBe(3);
  expect(unreachable.stderr).toMatch(/cannot reach the Herald API at http:\/\/127\.0\.0\.1:9/);
  const badToken = await cli(['webhooks', 'ls'], { HERALD_TOKEN: 'wrong-token' });
  expect(badToken.code).toBe(4);
  expect(badToken.stderr).toMatch(/Unauthorized.*\n?.*HERALD_TOKEN/);
  const usage = await cli(['webhooks', 'add']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/missing required argument 'url'/);
  const help = await cli(['dlq', 'replay', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--webhook <id>/);
});
