// What POST /v1/events does with input it cannot keep exactly as sent: it refuses it, naming why.
import { MAX_EVENT_BYTES } from '@herald/shared';
import request from './support/checked-request';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('event-input');
});

afterAll(() => api.close());

const streamLength = () => api.redis.xlen(api.keys.eventsStream);
/** Sends `body` byte for byte (supertest would otherwise serialize a Buffer as JSON). */
const postRaw = (path: string, body: Buffer | string) =>
  request(api.app)
    .post(path)
    .set(adminAuth)
    .set('content-type', 'application/json')
    .serialize((raw: unknown) => raw as string)
    .send(typeof body === 'string' ? body : (body as unknown as string));

describe('invalid UTF-8', () => {
  it('is refused with 400 naming the body, on one event and on a batch, and nothing is appended', async () => {
    const before = await streamLength();
    // The JSON text with the bytes FF FE (never valid UTF-8) where the "@" is.
    const bytes = (json: string) => {
      const [before, after] = json.split('@') as [string, string];
      return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
    };
    for (const [path, body] of [
      ['/v1/events', bytes('{"type":"utf.bad","data":{"s":"@"}}')],
      ['/v1/events/batch', bytes('{"events":[{"type":"utf.bad","data":{"s":"@"}}]}')],
    ] as const) {
      const response = await postRaw(path, body);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.body.errors).toEqual([{ field: '(body)', message: 'is not valid UTF-8' }]);
    }
    expect(await streamLength()).toBe(before);
    // Valid multi-byte text is, of course, fine.
    expect((await postRaw('/v1/events', Buffer.from('{"type":"utf.good","data":{"s":"é ✓ 🙂"}}'))).status).toBe(202);
  });
});

describe('field errors', () => {
  it('names every problem of a field, in plain words, not only the first', async () => {
    const response = await postRaw('/v1/events', '{"type":""}');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'type', message: 'must be at least 1 character' },
      { field: 'type', message: 'must be dotted lowercase segments such as "invoice.paid"' },
    ]);
  });

  it('names each failing field once in the detail, however many problems it has', async () => {
    const one = await postRaw('/v1/events', '{"type":""}');
    expect(one.body.detail).toBe('Invalid field(s): type');
    const batch = await postRaw('/v1/events/batch', '{"events":[{"type":"a.b"},{"type":""},{"type":"","id":""}]}');
    expect(batch.status).toBe(400);
    expect(batch.body.errors).toHaveLength(5);
    expect(batch.body.detail).toBe('Invalid field(s): events.1.type, events.2.type, events.2.id');
  });
});

describe('"__proto__" keys in event data', () => {
  it('are refused with 400 naming the key, wherever they are, and nothing is appended', async () => {
    const before = await streamLength();
    const top = await postRaw('/v1/events', '{"type":"proto.key","data":{"__proto__":{"admin":true},"keep":1}}');
    expect(top.status).toBe(400);
    expect(top.body.errors).toEqual([{ field: 'data.__proto__', message: expect.stringMatching(/__proto__/) }]);
    const nested = await postRaw('/v1/events', '{"type":"proto.key","data":{"a":[{"__proto__":1}]}}');
    expect(nested.status).toBe(400);
    expect(nested.body.errors[0].field).toBe('data.a.0.__proto__');
    const inBatch = await postRaw('/v1/events/batch', '{"events":[{"type":"proto.ok"},{"type":"proto.key","data":{"__proto__":{}}}]}');
    expect(inBatch.status).toBe(400);
    expect(inBatch.body.errors[0].field).toBe('events.1.data.__proto__');
    const outside = await postRaw('/v1/events', '{"type":"proto.key","__proto__":{}}');
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].field).toBe('__proto__');
    expect(await streamLength()).toBe(before);
    // Keys that merely look alike are data like any other.
    const alike = await postRaw('/v1/events', '{"type":"proto.key","data":{"proto":1,"constructor":2,"__proto":3}}');
    expect(alike.status).toBe(202);
  });
});

describe('the 1 MiB limit', () => {
  /** The text the last accepted event was stored as. */
  const lastStored = async () => {
    const [[, fields]] = (await api.redis.xrevrange(api.keys.eventsStream, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    return fields[fields.indexOf('event') + 1] as string;
  };
  const post = (s: string, key?: string) =>
    request(api.app).post('/v1/events').set(adminAuth).set(key ? { 'idempotency-key': key } : {}).send({ type: 'size.edge', data: { s } });

  it('applies to the event as stored, its id from the Idempotency-Key header included', async () => {
    expect((await post('x')).status).toBe(202);
    const overhead = Buffer.byteLength(await lastStored()) - 1;
    // Stored 50 bytes under the limit: accepted, and stored at exactly that size.
    const padding = 'x'.repeat(MAX_EVENT_BYTES - 50 - overhead);
    expect((await post(padding)).status).toBe(202);
    expect(Buffer.byteLength(await lastStored())).toBe(MAX_EVENT_BYTES - 50);
    // The same body with a 256-character key is stored with "id" too: over the limit.
    const before = await streamLength();
    const keyed = await post(padding, 'k'.repeat(256));
    expect(keyed.status).toBe(413);
    expect(await streamLength()).toBe(before);
  });
});

describe('error texts', () => {
  it('names the size limit in a 413, for one event and for a batch', async () => {
    const one = await request(api.app).post('/v1/events').set(adminAuth).send({ type: 'big.one', data: { blob: 'x'.repeat(1_100_000) } });
    expect(one.status).toBe(413);
    expect(one.headers['content-type']).toMatch(/problem\+json/);
    expect(one.body.detail).toBe('The request body exceeds the limit of 1 MiB (1048576 bytes)');
    const events = Array.from({ length: 17 }, () => ({ type: 'big.many', data: { blob: 'x'.repeat(1_000_000) } }));
    const batch = await request(api.app).post('/v1/events/batch').set(adminAuth).send({ events });
    expect(batch.status).toBe(413);
    expect(batch.body.detail).toBe('The request body exceeds the limit of 16 MiB (16777216 bytes)');
  });

  it('says "required" for a missing field, not what type it expected', async () => {
    const event = await request(api.app).post('/v1/events').set(adminAuth).send({ data: {} });
    expect(event.status).toBe(400);
    expect(event.body.errors).toEqual([{ field: 'type', message: 'required' }]);
    const batch = await request(api.app).post('/v1/events/batch').set(adminAuth).send({ events: [{ type: 'a.b' }, {}] });
    expect(batch.body.errors).toEqual([{ field: 'events.1.type', message: 'required' }]);
    const webhook = await request(api.app).post('/v1/webhooks').set(adminAuth).send({ events: ['a.*'] });
    expect(webhook.status).toBe(400);
    expect(webhook.body.errors).toEqual([{ field: 'url', message: 'required' }]);
    // A value of the wrong type still says what was expected.
    const wrong = await request(api.app).post('/v1/events').set(adminAuth).send({ type: 7 });
    expect(wrong.body.errors[0]).toMatchObject({ field: 'type', message: expect.stringMatching(/expected string/) });
  });
});
