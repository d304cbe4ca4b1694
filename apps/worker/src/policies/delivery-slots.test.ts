import { DeliverySlots, type SlotGrant, type SlotLease } from './delivery-slots';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A webhook with a 10 s timeout, and its own cap if given. */
const hook = (id: string, maxInFlight?: number) => ({ id, timeoutMs: 10_000, ...(maxInFlight ? { maxInFlight } : {}) });
const answered = (durationMs = 5) => ({ timedOut: false, answered: true, durationMs });
const lease = (grant: SlotGrant): SlotLease => {
  if (grant.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(grant)}`);
  return grant.lease;
};

/** Whether a promise has settled, without waiting for it to. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> {
  const marker = Symbol('pending');
  const value = await Promise.race([promise, new Promise<typeof marker>((resolve) => setImmediate(() => resolve(marker)))]);
  return value === marker ? { done: false } : { done: true, value: value as T };
}

describe('DeliverySlots', () => {
  it('grants up to the webhook cap at once, and queues the next while the endpoint is moving', async () => {
    const time = clock();
    const slots = new DeliverySlots({ capacity: 10, webhookCap: 2, waitMs: 250, now: time.now, random: () => 0 });
    const first = lease(await slots.acquire(hook('wh_a')));
    lease(await slots.acquire(hook('wh_a')));
    const third = slots.acquire(hook('wh_a'));
    expect(slots.held).toBe(3);
    expect((await settled(third)).done).toBe(false);
    // Another webhook is not held up by wh_a's cap.
    lease(await slots.acquire(hook('wh_b')));

    time.advance(5);
    first.release(answered());
    expect((await settled(third)).value?.kind).toBe('lease');
    expect(slots.held).toBe(3);
    slots.close();
  });

  it('gives a slot at once with take() only when there is room and no one waits before it', async () => {
    const slots = new DeliverySlots({ capacity: 10, webhookCap: 1, waitMs: 10_000 });
    const first = slots.take(hook('wh_a'));
    expect(first).toBeDefined();
    expect(slots.take(hook('wh_a'))).toBeUndefined();
    const waiting = slots.acquire(hook('wh_a'));
    first!.release(answered());
    // The slot went to the one waiting, not to a newcomer.
    expect(slots.take(hook('wh_a'))).toBeUndefined();
    expect((await waiting).kind).toBe('lease');
    slots.close();
  });

  it('defers at once a delivery to an endpoint that has freed nothing for waitMs, until its oldest request times out', async () => {
    const time = clock();
    const slots = new DeliverySlots({ capacity: 10, webhookCap: 2, waitMs: 250, now: time.now, random: () => 0 });
    lease(await slots.acquire(hook('wh_hang')));
    lease(await slots.acquire(hook('wh_hang')));
    time.advance(300);
    const grant = await slots.acquire(hook('wh_hang'));
    expect(grant).toEqual({ kind: 'defer', delayMs: 9700, reason: 'cap' });
    // The deferred delivery holds nothing.
    expect(slots.held).toBe(2);
    slots.close();
  });

  it('defers what would wait longer than waitMs at the endpoint\'s usual pace', async () => {
    const time = clock();
    const slots = new DeliverySlots({ capacity: 50, webhookCap: 1, waitMs: 250, now: time.now, random: () => 0 });
    const slow = lease(await slots.acquire(hook('wh_slow')));
    time.advance(200);
    slow.release(answered(200));
    lease(await slots.acquire(hook('wh_slow')));
    // One waiter is worth it (one round of ~200 ms); a second would wait two rounds.
    const waiting = slots.acquire(hook('wh_slow'));
    expect((await settled(waiting)).done).toBe(false);
    expect(await slots.acquire(hook('wh_slow'))).toEqual({ kind: 'defer', delayMs: 400, reason: 'cap' }); // two rounds
    slots.close();
    expect((await waiting).kind).toBe('defer');
  });

  it('defers the waiters of an endpoint that has not answered yet once it stalls, sooner than one that has', async () => {
    const time = clock();
    const slots = new DeliverySlots({ capacity: 50, webhookCap: 1, waitMs: 250, now: time.now, random: () => 0 });
    lease(await slots.acquire(hook('wh_new')));
    const waiting = slots.acquire(hook('wh_new'));
    expect(slots.held).toBe(2);
    time.advance(50); // a fifth of waitMs without any answer
    // Stalled a moment only (it may be slow to start): back soon.
    expect(await waiting).toEqual({ kind: 'defer', delayMs: 100, reason: 'cap' });
    time.advance(200); // stalled for waitMs: it hangs, so until its oldest request times out
    expect(await slots.acquire(hook('wh_new'))).toEqual({ kind: 'defer', delayMs: 9750, reason: 'cap' });
    expect(slots.held).toBe(1);

    // An endpoint known to answer gets the whole waitMs.
    const known = lease(await slots.acquire(hook('wh_known')));
    known.release(answered(5));
    lease(await slots.acquire(hook('wh_known')));
    const patient = slots.acquire(hook('wh_known'));
    time.advance(100);
    await new Promise((resolve) => setTimeout(resolve, 60)); // the sweeper has looked meanwhile
    expect((await settled(patient)).done).toBe(false);
    slots.close();
    expect((await patient).kind).toBe('defer');
  });

  it('defers waiters that waited twice waitMs', async () => {
    const slots = new DeliverySlots({ capacity: 10, webhookCap: 1, waitMs: 20 });
    const held = lease(await slots.acquire(hook('wh_a')));
    const waiting = slots.acquire(hook('wh_a'));
    const grant = await waiting;
    expect(grant.kind).toBe('defer');
    expect(slots.held).toBe(1);
    held.release(answered());
    expect(slots.held).toBe(0);
    slots.close();
  });

  it('halves the cap of an endpoint that times out, and grows it back by one per answer', async () => {
    const time = clock();
    const slots = new DeliverySlots({ capacity: 100, webhookCap: 8, waitMs: 250, now: time.now });
    const leases = await Promise.all(Array.from({ length: 8 }, () => slots.acquire(hook('wh_t'))));
    leases.slice(0, 3).forEach((grant) => lease(grant).release({ timedOut: true, answered: false, durationMs: 10_000 }));
    expect(slots.capOf('wh_t')).toBe(1); // 8 → 4 → 2 → 1
    leases.slice(3, 5).forEach((grant) => lease(grant).release({ timedOut: true, answered: false, durationMs: 10_000 }));
    expect(slots.capOf('wh_t')).toBe(1); // never below one
    leases.slice(5).forEach((grant) => lease(grant).release(answered()));
    expect(slots.capOf('wh_t')).toBe(4);
    // A refused or unrenderable delivery (no answer, no timeout) leaves the cap alone.
    lease(await slots.acquire(hook('wh_t'))).release({ timedOut: false, answered: false, durationMs: 1 });
    expect(slots.capOf('wh_t')).toBe(4);
    slots.close();
  });

  it('uses a webhook\'s own maxInFlight, within the worker\'s capacity', async () => {
    const slots = new DeliverySlots({ capacity: 3, webhookCap: 1, waitMs: 250 });
    const grants = await Promise.all([slots.acquire(hook('wh_big', 5)), slots.acquire(hook('wh_big', 5)), slots.acquire(hook('wh_big', 5))]);
    expect(grants.map((g) => g.kind)).toEqual(['lease', 'lease', 'lease']);
    expect(slots.capOf('wh_big')).toBe(3);
    slots.close();
  });

  it('holds deliveries beyond the worker\'s capacity, and says when there is room again', async () => {
    const slots = new DeliverySlots({ capacity: 2, backlog: 0, webhookCap: 2, waitMs: 250 });
    const a = lease(await slots.acquire(hook('wh_a')));
    lease(await slots.acquire(hook('wh_b')));
    const room = slots.whenRoom();
    const c = slots.acquire(hook('wh_c'));
    expect(slots.held).toBe(3);
    expect((await settled(room)).done).toBe(false);
    a.release(answered());
    expect((await c).kind).toBe('lease');
    expect((await settled(room)).done).toBe(false); // still 2 held of 2
    slots.close();
  });

  it('takes on a backlog as large as its capacity by default, waiting for slots', async () => {
    const slots = new DeliverySlots({ capacity: 2, webhookCap: 2, waitMs: 10_000 });
    expect(slots.room).toBe(4);
    const grants = ['wh_a', 'wh_b', 'wh_c', 'wh_d'].map((id) => slots.acquire(hook(id)));
    expect(slots.room).toBe(0);
    const room = slots.whenRoom(2);
    lease(await grants[0]!).release(answered());
    expect((await settled(room)).done).toBe(false); // one freed: the backlog took it
    lease(await grants[1]!).release(answered());
    await room;
    expect(slots.room).toBe(2);
    slots.close();
  });

  it('serves waiting endpoints in turn, not one before all others', async () => {
    const slots = new DeliverySlots({ capacity: 1, webhookCap: 1, waitMs: 10_000 });
    const first = lease(await slots.acquire(hook('wh_a')));
    const order: string[] = [];
    const waits = ['wh_a', 'wh_a', 'wh_b'].map((id) => slots.acquire(hook(id)).then((grant) => (order.push(id), lease(grant))));
    first.release(answered());
    (await waits[0]!).release(answered());
    (await waits[2]!).release(answered());
    (await waits[1]!).release(answered());
    expect(order).toEqual(['wh_a', 'wh_b', 'wh_a']);
    slots.close();
  });
});
