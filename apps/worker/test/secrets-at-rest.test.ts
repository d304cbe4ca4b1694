// With HERALD_ENCRYPTION_KEY, no secret Herald stores is readable in Redis, deliveries still verify,
// and `herald secrets reencrypt` moves every secret to a new key.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { RedisClient } from '@herald/shared';
import { createWebhook, publish, receiverPool, startApi, startHerald, testRedisUrl, waitFor, type Herald } from '@herald/testing';

const HERALD_BIN = join(__dirname, '..', '..', 'cli', 'bin', 'herald.js');
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const receivers = receiverPool();
let herald: Herald;

beforeAll(async () => {
  herald = await startHerald('secrets-at-rest', { env: { HERALD_ENCRYPTION_KEY: OLD_KEY } });
});

afterAll(async () => {
  await herald?.stop();
  await receivers.closeAll();
});

/** Every key under the prefix, with every string its value holds, read by type. */
async function everyValue(redis: RedisClient, prefix: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === 'string') values = [(await redis.get(key)) ?? ''];
      else if (type === 'hash') values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === 'list') values = await redis.lrange(key, 0, -1);
      else if (type === 'set') values = await redis.smembers(key);
      else if (type === 'zset') values = await redis.zrange(key, 0, -1);
      else if (type === 'stream') values = (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
      found.set(key, [key, ...values]);
    }
  } while (cursor !== '0');
  return found;
}

async function keysHolding(needles: string[]): Promise<string[]> {
  const all = await everyValue(herald.redis, herald.prefix);
  return [...all].filter(([, values]) => values.some((value) => needles.some((needle) => value.includes(needle)))).map(([key]) => key);
}

function cli(args: string[], apiUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HERALD_API_URL: apiUrl, HERALD_TOKEN: herald.api.token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('stores no secret in plain text, delivers verifiable requests, and re-encrypts under a new key', async () => {
  const hook = await receivers.start();
  const token = `bearer-${randomBytes(12).toString('hex')}`;
  const apiKey = `apikey-${randomBytes(12).toString('hex')}`;
  const hmacSecret = `hmac-${randomBytes(12).toString('hex')}`;
  const clientSecret = `oauth-${randomBytes(12).toString('hex')}`;
  const accessToken = `access-${randomBytes(12).toString('hex')}`;
  const tokenEndpoint = await receivers.start(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 300 }),
  }));
  const bearer = await createWebhook(herald.client, { tenant: 'sealed', url: `${hook.url}/bearer`, events: ['order.*'], auth: { type: 'bearer', token } });
  await createWebhook(herald.client, { tenant: 'sealed', url: `${hook.url}/key`, events: ['order.*'], auth: { type: 'api_key', apiKey } });
  await createWebhook(herald.client, { tenant: 'sealed', url: `${hook.url}/hmac`, events: ['order.*'], auth: { type: 'hmac', hmacSecret } });
  await createWebhook(herald.client, {
    tenant: 'sealed', url: `${hook.url}/oauth2`, events: ['order.*'], auth: { type: 'oauth2', tokenUrl: tokenEndpoint.url, clientId: 'herald', clientSecret },
  });
  // A rotated secret is kept (it still signs during its grace period): it must be sealed too.
  const rotated = await herald.client.post(`/v1/webhooks/${bearer.id}/rotate-secret`, {});
  expect(rotated.status).toBe(200);
  const newSecret = rotated.body.secret as string;
  const secrets = [bearer.secret, newSecret, token, apiKey, hmacSecret, clientSecret, accessToken];
  // The signing secrets' key material too, not just their whsec_ spelling.
  const needles = [...secrets, ...[bearer.secret, newSecret].map((s) => s.slice('whsec_'.length))];

  const eventId = await publish(herald.client, { tenant: 'sealed', type: 'order.paid', data: { total: 42 } });
  const requests = await hook.waitForRequests(4);
  await herald.waitForSettled();
  const signed = requests.find((r) => r.path.endsWith('/bearer'))!;
  const headers = signed.headers as Record<string, string>;
  // Both secrets sign during the grace period; each verifies on its own.
  expect(new StandardWebhook(newSecret).verify(signed.body, headers)).toMatchObject({ id: eventId, data: { total: 42 } });
  expect(new StandardWebhook(bearer.secret).verify(signed.body, headers)).toMatchObject({ id: eventId });
  expect(headers.authorization).toBe(`Bearer ${token}`);
  expect(requests.find((r) => r.path.endsWith('/key'))!.headers['x-api-key']).toBe(apiKey);
  expect(requests.find((r) => r.path.endsWith('/oauth2'))!.headers.authorization).toBe(`Bearer ${accessToken}`);
  // The access token is cached in Redis, sealed.
  const cachedTokens = await herald.redis.keys(`${herald.prefix}:oauth2:token:*`);
  expect(cachedTokens).toHaveLength(1);

  expect(await keysHolding(needles)).toEqual([]);
  // The webhooks' documents are there, sealed under the first key.
  const documents = Object.values(await herald.redis.hgetall(herald.keys.webhooks));
  expect(documents).toHaveLength(4);
  expect(documents.every((json) => /"secret":"hsec1\./.test(json))).toBe(true);
  const oldKeyId = /"secret":"hsec1\.([0-9a-f]{8})\./.exec(documents[0]!)![1]!;

  // Rotation: an API with the new key and the old one as previous rewrites everything.
  const rotating = await startApi({
    ...apiEnv(herald),
    HERALD_ENCRYPTION_KEY: NEW_KEY,
    HERALD_ENCRYPTION_KEY_PREVIOUS: OLD_KEY,
  });
  try {
    const run = await cli(['secrets', 'reencrypt', '--json'], rotating.url);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ rewritten: 4, unreadable: [], cachedTokensDropped: 1 });
    // Again: nothing left to do.
    expect(JSON.parse((await cli(['secrets', 'reencrypt', '--json'], rotating.url)).stdout)).toEqual({ rewritten: 0, unreadable: [], cachedTokensDropped: 0 });
  } finally {
    await rotating.stop('SIGTERM');
  }
  const after = Object.values(await herald.redis.hgetall(herald.keys.webhooks)).join('\n');
  expect(after).not.toContain(`hsec1.${oldKeyId}.`);
  expect(await herald.redis.keys(`${herald.prefix}:oauth2:token:*`)).toEqual([]);
  expect(await keysHolding(needles)).toEqual([]);

  // The new key alone now reads every webhook, and deliveries still verify.
  const fresh = await startApi({ ...apiEnv(herald), HERALD_ENCRYPTION_KEY: NEW_KEY });
  try {
    const list = await fetch(`${fresh.url}/v1/webhooks?tenant=sealed`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { data: unknown[] };
    expect(body.data).toHaveLength(4);
    // GET /v1/webhooks shows no secret, sealed or opened.
    expect(JSON.stringify(body)).not.toMatch(/hsec1\.|whsec_/);
    for (const secret of secrets) expect(JSON.stringify(body)).not.toContain(secret);
  } finally {
    await fresh.stop('SIGTERM');
  }
  const worker = await herald.startWorker({ HERALD_ENCRYPTION_KEY: NEW_KEY });
  await Promise.all(herald.workers.filter((w) => w !== worker).map((w) => w.stop('SIGTERM')));
  const second = await publish(herald.client, { tenant: 'sealed', type: 'order.shipped', data: {} });
  await waitFor(() => hook.requests.find((r) => r.path.endsWith('/bearer') && r.headers['webhook-id'] === second), { timeoutMs: 15_000, message: 'the delivery after the rotation' });
  const later = hook.requests.find((r) => r.path.endsWith('/bearer') && r.headers['webhook-id'] === second)!;
  expect(new StandardWebhook(newSecret).verify(later.body, later.headers as Record<string, string>)).toMatchObject({ id: second });
});

/** The environment of `herald`'s API, for another API process on the same Redis and prefix. */
function apiEnv(running: Herald): Record<string, string> {
  return { REDIS_URL: testRedisUrl(), HERALD_PREFIX: running.prefix, HERALD_ALLOW_PRIVATE_TARGETS: 'true' };
}

it('warns at start in production when no encryption key is set, and not when one is', async () => {
  const base = { ...apiEnv(herald), NODE_ENV: 'production' };
  const unkeyed = await startApi(base);
  const keyed = await startApi({ ...base, HERALD_ENCRYPTION_KEY: NEW_KEY });
  try {
    const warning = (api: typeof unkeyed) => api.logs().find((line) => line.level === 40 && /HERALD_ENCRYPTION_KEY is not set/.test(String(line.msg)));
    expect(warning(unkeyed)).toBeDefined();
    expect(warning(keyed)).toBeUndefined();
  } finally {
    await Promise.all([unkeyed.stop('SIGTERM'), keyed.stop('SIGTERM')]);
  }
});
