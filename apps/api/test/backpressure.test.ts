// What producers are told when Herald cannot take more events: nothing accepted, a 503 that says
// why, and when to come back.
import request from './support/checked-request';
import { EventsStream, FANOUT_GROUP } from '@herald/shared';
import { adminAuth, inProcessApi, type InProcessApi } from './support/in-process-api';

let api: InProcessApi;

beforeAll(() => {
  api = inProcessApi('backpressure', { streamMaxLen: 1000 });
});

afterAll(() => api.close());

it('answers 503 "Backlog full" with Retry-After while the workers have the most unread events the stream may hold', async () => {
  await new EventsStream(api.redis, api.keys).ensureGroup();
  const events = Array.from({ length: 1000 }, (_, n) => ({ type: 'order.created', data: { n } }));
  expect((await request(api.app).post('/v1/events/batch').set(adminAuth).send({ events })).status).toBe(202);

  for (const [path, body] of [
    ['/v1/events', { type: 'order.created', data: {} }],
    ['/v1/events/batch', { events: [{ type: 'order.created', data: {} }] }],
  ] as const) {
    const refused = await request(api.app).post(path).set(adminAuth).send(body);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ status: 503, title: 'Backlog full' });
    expect(refused.body.detail).toMatch(/1000 events are waiting to be read by a worker.*HERALD_STREAM_MAXLEN=1000/);
  }
  expect(await api.redis.xlen(api.keys.eventsStream)).toBe(1000);

  // A worker reads: room again.
  await api.redis.xreadgroup('GROUP', FANOUT_GROUP, 'worker', 'COUNT', 1, 'STREAMS', api.keys.eventsStream, '>');
  expect((await request(api.app).post('/v1/events').set(adminAuth).send({ type: 'order.created', data: {} })).status).toBe(202);
});
