import { decodeStreamEntry, routedItem, type RoutedEvent } from './stream-entry';
import { MAX_EVENT_BYTES } from './schemas/event';

describe('decodeStreamEntry', () => {
  it('reads an event a producer wrote directly, with an id derived from the entry', () => {
    const result = decodeStreamEntry('1700000000000-3', ['event', JSON.stringify({ type: 'order.created', data: { n: 1 } })]);
    expect(result).toEqual({
      ok: true,
      viaApi: false,
      event: {
        id: 'evt_s1700000000000-3',
        type: 'order.created',
        data: { n: 1 },
        tenant: 'default',
        occurredAt: new Date(1700000000000).toISOString(),
        receivedAt: 1700000000000,
      },
    });
  });

  it('keeps the API-assigned id, receive time and idempotency key', () => {
    const result = decodeStreamEntry('1700000000000-0', [
      'event', JSON.stringify({ type: 'a.b', id: 'key-1', tenant: 'acme', occurredAt: '2024-01-01T00:00:00Z' }),
      'eventId', 'evt_abc',
      'receivedAt', '1700000000123',
    ]);
    expect(result.ok && 'event' in result && result.event).toMatchObject({
      id: 'evt_abc', tenant: 'acme', idempotencyKey: 'key-1', receivedAt: 1700000000123, occurredAt: '2024-01-01T00:00:00Z',
    });
    expect(result.ok && 'viaApi' in result && result.viaApi).toBe(true);
  });

  it('takes an event the API wrote as it is, and puts one whose shape is off through the schema', () => {
    const fields = (event: unknown) => ['event', JSON.stringify(event), 'eventId', 'evt_abc', 'receivedAt', '1700000000123'];
    const good = decodeStreamEntry('1700000000124-0', fields({ type: 'a.b', data: { n: 1 }, tenant: 'acme', id: 'key-1' }));
    expect(good).toEqual({
      ok: true,
      viaApi: true,
      event: { id: 'evt_abc', type: 'a.b', data: { n: 1 }, tenant: 'acme', idempotencyKey: 'key-1', receivedAt: 1700000000123, occurredAt: new Date(1700000000123).toISOString() },
    });
    for (const odd of [
      { type: 'a.b', data: [], tenant: 'acme' },
      { type: 7, data: {}, tenant: 'acme' },
      { data: {}, tenant: 'acme' },
      // A producer writing the API's fields itself does not get around the event's rules.
      { type: 'Not Dotted', data: {}, tenant: 'acme' },
      { type: 'a.b', data: {}, tenant: 'no spaces' },
      { type: 'a.b', data: JSON.parse('{"__proto__":{"x":1}}'), tenant: 'acme' },
      { type: 'a.b', data: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`), tenant: 'acme' },
      { type: 'a.b', data: {}, tenant: 'acme', occurredAt: 'yesterday' },
      { type: 'a.b', data: {}, tenant: 'acme', id: 'k'.repeat(257) },
      { type: 'a.b', data: {}, tenant: 'acme', id: '' },
      { type: 'a.b', data: {}, tenant: 'acme', extra: 1 },
    ]) {
      const result = decodeStreamEntry('1700000000124-0', fields(odd));
      expect(result.ok).toBe(false);
    }
    expect(decodeStreamEntry('1700000000124-0', fields({ data: {}, tenant: 'acme' }))).toMatchObject({ ok: false, reason: /type: required/ });
    // A "__proto__" key spelled with escapes in the entry's text is the same key once parsed.
    const escaped = ['event', '{"type":"a.b","tenant":"acme","data":{"\\u005f_proto__":{"x":1}}}', 'eventId', 'evt_abc', 'receivedAt', '1700000000123'];
    expect(decodeStreamEntry('1700000000124-0', escaped)).toMatchObject({ ok: false, reason: /data\.__proto__: is a key named "__proto__"/ });
  });

  it.each([
    [['data', '{}'], /no "event" field/],
    [['event', '{not json'], /not valid JSON/],
    [['event', JSON.stringify({ type: 'Bad Type' })], /type: must be dotted lowercase/],
    [['event', JSON.stringify({ type: 'a.b', extra: 1 })], /extra/],
    [['event', JSON.stringify({ data: {} })], /type: required/],
    [['event', JSON.stringify({ type: 'webhook.disabled' })], /reserved for Herald/],
    [['event', '{"type":"a.b","data":{"__proto__":{"x":1},"keep":1}}'], /data\.__proto__: is a key named "__proto__"/],
  ])('gives a reason for a malformed entry %j', (fields, reason) => {
    const result = decodeStreamEntry('1-0', fields);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses an event over the size limit the API applies, naming the limit', () => {
    const sized = (bytes: number) => {
      const shell = JSON.stringify({ type: 'big.one', data: { blob: '' } });
      return JSON.stringify({ type: 'big.one', data: { blob: 'x'.repeat(bytes - shell.length) } });
    };
    expect(MAX_EVENT_BYTES).toBe(1_048_576);
    expect(decodeStreamEntry('1-0', ['event', sized(MAX_EVENT_BYTES)]).ok).toBe(true);
    for (const bytes of [MAX_EVENT_BYTES + 1, 2 * MAX_EVENT_BYTES]) {
      const result = decodeStreamEntry('1-0', ['event', sized(bytes)]);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toBe(`"event" is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES} bytes (1 MiB)`);
    }
    // Bytes, not characters: two-byte characters count twice.
    const accented = JSON.stringify({ type: 'big.one', data: { blob: 'é'.repeat(MAX_EVENT_BYTES / 2) } });
    expect(decodeStreamEntry('1-0', ['event', accented]).ok).toBe(false);
  });

  describe('an entry fan-out routed here from another partition (several events)', () => {
    const event = (n: number) => ({ id: `evt_r${n}`, type: 'order.created', tenant: 'acme', data: { n }, occurredAt: '2024-01-01T00:00:00.000Z', receivedAt: 1700000000000 + n });
    const routed: RoutedEvent[] = [
      { event: event(1), webhookIds: ['wh_a', 'wh_b'] },
      { event: { ...event(2), idempotencyKey: 'key-2' }, webhookIds: ['wh_c'] },
    ];
    const entry = (items: unknown) => ['routed', typeof items === 'string' ? items : JSON.stringify(items)];

    it('reads back every event with the webhooks it goes to', () => {
      const fields = entry(`[${routed.map(routedItem).join(',')}]`);
      expect(decodeStreamEntry('1700000000500-0', fields)).toEqual({ ok: true, routed });
    });

    it('refuses an entry that is not a list of routed events, saying why and which', () => {
      const good = JSON.parse(routedItem(routed[0] as RoutedEvent)) as Record<string, unknown>;
      const cases: [unknown, RegExp][] = [
        ['{', /"routed" is not valid JSON/],
        [[], /"routed" must be a non-empty list of events/],
        [{ event: good }, /"routed" must be a non-empty list/],
        [[good, 'x'], /routed event 1: not an object/],
        [[{ ...good, eventId: 'nope' }], /routed event 0: "eventId" must look like evt_/],
        [[{ ...good, receivedAt: '1700000000000' }], /routed event 0: "receivedAt" must be a positive number/],
        [[{ ...good, targets: [] }], /routed event 0: "targets" must be a non-empty list of webhook ids/],
        [[{ ...good, targets: 'wh_a' }], /routed event 0: "targets" must be a non-empty list/],
        [[good, { ...good, event: { type: 'not a type!', tenant: 'acme', data: {} } }], /routed event 1: invalid event: type: /],
      ];
      for (const [items, reason] of cases) expect(decodeStreamEntry('1-0', entry(items))).toMatchObject({ ok: false, reason });
    });
  });
});
