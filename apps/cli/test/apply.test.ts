// `herald apply -f`: a bad file is a usage error (exit 2), and the secrets of webhooks it creates are shown once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, type Herald } from '@herald/testing';

const HERALD_BIN = join(__dirname, '..', 'bin', 'herald.js');
let herald: Herald;
let dir: string;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HERALD_API_URL: herald.api.url, HERALD_TOKEN: herald.api.token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function configFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

beforeAll(async () => {
  herald = await startHerald('cli-apply', { workers: 0 });
  dir = mkdtempSync(join(tmpdir(), 'herald-apply-'));
});

afterAll(async () => {
  await herald?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('herald apply -f with a bad file', () => {
  it('exits 2 naming each field the API refuses, and applies nothing', async () => {
    const file = configFile('invalid.yaml', [
      'webhooks:',
      '  - name: ftp-hook',
      '    url: ftp://example.com/hook',
      '  - name: too-many-retries',
      '    url: https://example.com/hook',
      '    retry: { maxRetries: 50 }',
    ]);
    const run = await cli(['apply', '-f', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/webhooks\.0\.url: /);
    expect(run.stderr).toMatch(/webhooks\.1\.retry\.maxRetries: must be at most 10/);
    expect((await herald.client.get('/v1/webhooks')).body.data).toEqual([]);
  });

  it('exits 2 for a file without webhooks and for a name given twice', async () => {
    const empty = await cli(['apply', '-f', configFile('empty.yaml', ['# nothing here'])]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/webhooks: /);
    const twice = configFile('twice.yaml', [
      'webhooks:',
      '  - { name: same, url: "https://example.com/a" }',
      '  - { name: same, url: "https://example.com/b" }',
    ]);
    const run = await cli(['apply', '-f', twice]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/webhooks\.1\.name: "same" appears twice/);
  });
});

describe('herald apply -f creating webhooks', () => {
  it('prints the signing secret of each webhook it creates, once', async () => {
    const file = configFile('secrets.yaml', [
      'webhooks:',
      '  - { name: shown-once, tenant: apply-secrets, url: "https://example.com/a" }',
      '  - { name: also-shown, tenant: apply-secrets, url: "https://example.com/b" }',
    ]);
    const dryRun = await cli(['apply', '-f', file, '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).not.toMatch(/whsec_/);

    const first = await cli(['apply', '-f', file]);
    expect(first.code).toBe(0);
    const listed = (await herald.client.get('/v1/webhooks?tenant=apply-secrets')).body.data as { id: string; name: string }[];
    expect(listed).toHaveLength(2);
    for (const webhook of listed) {
      const stored = JSON.parse((await herald.redis.hget(herald.keys.webhooks, webhook.id)) as string) as { secret: string };
      const line = first.stdout.split('\n').find((text) => text.startsWith(`created   ${webhook.name} `));
      expect(line).toContain(webhook.id);
      expect(line).toContain(`secret ${stored.secret}`);
    }
    expect(first.stdout).toMatch(/shown only now/i);

    const second = await cli(['apply', '-f', file]);
    expect(second.stdout).toMatch(/unchanged shown-once/);
    expect(second.stdout).not.toMatch(/whsec_/);
  });

  it('gives the secrets in --json output too', async () => {
    const file = configFile('json.yaml', ['webhooks:', '  - { name: json-out, tenant: apply-json, url: "https://example.com/j" }']);
    const run = await cli(['apply', '-f', file, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { created: string[]; secrets: { name: string; tenant: string; id: string; secret: string }[] };
    expect(result.created).toEqual(['json-out']);
    expect(result.secrets).toEqual([{ name: 'json-out', tenant: 'apply-json', id: expect.stringMatching(/^wh_/), secret: expect.stringMatching(/^whsec_/) }]);
  });
});

describe('herald apply -f with payload filters', () => {
  it('applies a filter as written, shows it back the same, and applying it again changes nothing', async () => {
    const file = configFile('filters.yaml', [
      'webhooks:',
      '  - name: big-orders',
      '    tenant: apply-filters',
      '    url: https://example.com/orders',
      '    events: ["order.*"]',
      '    filter:',
      '      data:',
      '        amount: { $gte: 100 }',
      '        customer: { country: { $in: [NL, BE] } }',
      '      timestamp: { $gte: "2026-01-01T00:00:00Z" }',
      '    eventFilters:',
      '      order.refunded: { data: { reason: { $contains: fraud } } }',
    ]);
    const first = await cli(['apply', '-f', file]);
    expect(first.code).toBe(0);
    const [listed] = (await herald.client.get('/v1/webhooks?tenant=apply-filters')).body.data as { id: string }[];
    const shown = await cli(['webhooks', 'show', listed!.id, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      filter: { data: { amount: { $gte: 100 }, customer: { country: { $in: ['NL', 'BE'] } } }, timestamp: { $gte: '2026-01-01T00:00:00Z' } },
      eventFilters: { 'order.refunded': { data: { reason: { $contains: 'fraud' } } } },
    });
    const again = await cli(['apply', '-f', file]);
    expect(again.stdout).toMatch(/unchanged big-orders/);
  });

  it('exits 2 naming the path of a bad filter, and applies nothing', async () => {
    const file = configFile('bad-filter.yaml', [
      'webhooks:',
      '  - name: bad-filter',
      '    tenant: apply-bad-filter',
      '    url: https://example.com/orders',
      '    filter: { data: { amount: { $gte: [100] } } }',
    ]);
    const run = await cli(['apply', '-f', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/webhooks\.0\.filter\.data\.amount\.\$gte: must be a number or a string/);
    expect((await herald.client.get('/v1/webhooks?tenant=apply-bad-filter')).body.data).toEqual([]);
  });
});

describe('herald apply -f with ordering', () => {
  it('creates a FIFO webhook, shows its ordering back, and changes or removes it on a later apply', async () => {
    const entry = (ordering: string[]) =>
      configFile('ordering.yaml', ['webhooks:', '  - name: ordered', '    tenant: apply-ordering', '    url: https://example.com/orders', ...ordering]);
    const file = entry(['    ordering: { mode: fifo, key: data.orderId, onExhausted: block }']);
    expect((await cli(['apply', '-f', file])).code).toBe(0);
    const [listed] = (await herald.client.get('/v1/webhooks?tenant=apply-ordering')).body.data as { id: string }[];
    const shown = JSON.parse((await cli(['webhooks', 'show', listed!.id, '--json'])).stdout) as { ordering?: unknown };
    expect(shown.ordering).toEqual({ mode: 'fifo', key: 'data.orderId', onExhausted: 'block' });
    expect((await cli(['apply', '-f', file])).stdout).toMatch(/unchanged ordered/);

    // onExhausted left out is skip, the default.
    expect((await cli(['apply', '-f', entry(['    ordering: { mode: fifo, key: data.orderId }'])])).stdout).toMatch(/updated\s+ordered \(ordering\)/);
    expect((await herald.client.get(`/v1/webhooks/${listed!.id}`)).body.ordering).toEqual({ mode: 'fifo', key: 'data.orderId', onExhausted: 'skip' });
    expect((await cli(['apply', '-f', entry([])])).stdout).toMatch(/updated\s+ordered \(ordering\)/);
    expect((await herald.client.get(`/v1/webhooks/${listed!.id}`)).body).not.toHaveProperty('ordering');

    const bad = await cli(['apply', '-f', entry(['    ordering: { mode: fifo, key: orderId }'])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/webhooks\.0\.ordering\.key: must be "tenant", "type" or a path under data/);
  });
});

describe('herald filter test', () => {
  it('says "matched", or why not and exits 1; reads either argument from @file', async () => {
    const filter = '{"data": {"amount": {"$gte": 100}}}';
    const matched = await cli(['filter', 'test', filter, '{"type": "order.paid", "data": {"amount": 150}}']);
    expect([matched.code, matched.stdout.trim()]).toEqual([0, 'matched']);

    const eventFile = configFile('event.json', ['{"type": "order.paid", "data": {"amount": 50}}']);
    const refused = await cli(['filter', 'test', filter, `@${eventFile}`]);
    expect([refused.code, refused.stdout.trim()]).toEqual([1, 'not matched: data.amount: 50 is not >= 100']);

    const json = await cli(['filter', 'test', `@${configFile('filter.json', [filter])}`, `@${eventFile}`, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ matched: false, failed: 'data.amount: 50 is not >= 100' });
  });

  it('exits with the API\'s refusal naming the filter path, and 2 for JSON that does not parse', async () => {
    const invalid = await cli(['filter', 'test', '{"data": {"amount": {"$gte": true}}}', '{}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/filter\.data\.amount\.\$gte: must be a number or a string/);
    const notJson = await cli(['filter', 'test', '{nope', '{}']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/filter is not valid JSON/);
    const noFile = await cli(['filter', 'test', '{}', '@/nonexistent/event.json']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/cannot read event from \/nonexistent\/event\.json/);
  });
});
