// Producers writing straight into the stream get the API's rules: what the API refuses is not
// delivered, but parked in the invalid-entries stream with the reason.
import { createWebhook, startHerald, startReceiver, waitFor, type Herald, type Receiver } from '@herald/testing';

let herald: Herald;
let hook: Receiver;

beforeAll(async () => {
  herald = await startHerald('stream-limits');
  hook = await startReceiver();
});

afterAll(async () => {
  await herald?.stop();
  await hook?.close();
});

/** The invalid-stream entry for `entryId`, once fan-out has put it there. */
async function invalidEntry(entryId: string): Promise<Record<string, string>> {
  return waitFor(async () => {
    const entries = (await herald.redis.xrange(herald.keys.invalidEventsStream, '-', '+')) as [string, string[]][];
    for (const [, fields] of entries) {
      const map: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
      if (map.entryId === entryId) return map;
    }
    return undefined;
  }, { message: `entry ${entryId} in the invalid stream` });
}

it('parks an event over 1 MiB written to the stream, naming the limit, and delivers the next one', async () => {
  await createWebhook(herald.client, { url: hook.url, events: ['big.*'] });
  const big = JSON.stringify({ type: 'big.one', data: { blob: 'x'.repeat(2 * 1_048_576) } });
  const bigId = (await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', big)) as string;
  const smallId = (await herald.redis.xadd(herald.keys.eventsStream, '*', 'event', JSON.stringify({ type: 'big.after' }))) as string;

  expect((await invalidEntry(bigId)).reason).toMatch(/limit is 1048576 bytes \(1 MiB\)/);
  await hook.waitForRequests(1);
  await herald.waitForSettled();
  expect(hook.requests.map((r) => r.headers['x-herald-event'])).toEqual(['big.after']);
  expect(hook.requests[0]?.headers['webhook-id']).toBe(`evt_s${smallId}`);
});
