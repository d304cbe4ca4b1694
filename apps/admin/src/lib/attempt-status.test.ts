import type { DeliveryAttempt } from '@herald/sdk/browser';
import { attemptStatus, supersededAttempts } from './attempt-status';

const at = (iso: string) => Date.parse(iso);
const attempt = (fields: Partial<DeliveryAttempt>): DeliveryAttempt => ({
  id: 'evt_1.wh_1#1', deliveryId: 'evt_1.wh_1', webhookId: 'wh_1', eventId: 'evt_1', eventType: 'a.b', tenant: 'default',
  attempt: 1, outcome: 'retry', statusCode: 500, durationMs: 12, timestamp: '2026-01-01T12:00:00.000Z', nextAttemptAt: '2026-01-01T12:00:10.000Z',
  ...fields,
});
const closed = { state: 'closed' as const };

describe('an attempt\'s status', () => {
  it('counts the next attempt from now, not from the attempt', () => {
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:07.500Z'), circuit: closed, superseded: false })).toBe('Failed, will retry · HTTP 500 · next attempt in 2.50 s');
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:00.100Z'), circuit: closed, superseded: false })).toBe('Failed, will retry · HTTP 500 · next attempt in 9.90 s');
  });

  it('says nothing of a next attempt that is due, or that the log already shows', () => {
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:11.000Z'), circuit: closed, superseded: false })).toBe('Failed, will retry · HTTP 500');
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:01.000Z'), circuit: closed, superseded: true })).toBe('Failed, will retry · HTTP 500');
  });

  it('says the attempt waits for the circuit while it is open, rather than a delay the circuit overrides', () => {
    const open = { state: 'open' as const, openedAt: '2026-01-01T12:00:00.050Z', nextProbeAt: '2026-01-01T12:10:00.050Z' };
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:01.000Z'), circuit: open, superseded: false })).toBe('Failed, will retry · HTTP 500 · waiting: circuit open');
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:01.000Z'), circuit: { state: 'half_open', openedAt: open.openedAt }, superseded: false })).toBe(
      'Failed, will retry · HTTP 500 · waiting: circuit half-open',
    );
    // A retry due before the circuit opened is not said to wait for it: the log may show what followed elsewhere.
    const earlier = attempt({ nextAttemptAt: '2026-01-01T11:59:00.000Z', timestamp: '2026-01-01T11:58:59.000Z' });
    expect(attemptStatus(earlier, { nowMs: at('2026-01-01T12:00:01.000Z'), circuit: open, superseded: false })).toBe('Failed, will retry · HTTP 500');
    // Nor one whose next attempt the log shows.
    expect(attemptStatus(attempt({}), { nowMs: at('2026-01-01T12:00:01.000Z'), circuit: open, superseded: true })).toBe('Failed, will retry · HTTP 500');
  });

  it('words every outcome, with the status code or the error', () => {
    expect(attemptStatus(attempt({ outcome: 'success', statusCode: 204 }), { nowMs: 0, circuit: closed, superseded: false })).toBe('Succeeded · HTTP 204');
    expect(attemptStatus(attempt({ outcome: 'dead_letter', statusCode: undefined, error: 'timed out after 10000 ms' }), { nowMs: 0, circuit: closed, superseded: false })).toBe(
      'Failed, dead-lettered · timed out after 10000 ms',
    );
  });
});

it('finds the attempts the log shows a later attempt of, in a newest-first list', () => {
  const rows = [
    attempt({ id: 'd1#3', deliveryId: 'd1', attempt: 3, outcome: 'success' }),
    attempt({ id: 'd2#1', deliveryId: 'd2', attempt: 1 }),
    attempt({ id: 'd1#2', deliveryId: 'd1', attempt: 2 }),
    attempt({ id: 'd1#1', deliveryId: 'd1', attempt: 1 }),
  ];
  expect(supersededAttempts(rows)).toEqual(new Set(['d1#2', 'd1#1']));
});
