import { formatClock, formatTime, timeZoneName } from './format';

describe('times, in one format with their time zone', () => {
  it('reads date, time and zone the same way everywhere', () => {
    expect(formatTime('2026-01-02T03:04:05.678Z', { timeZone: 'UTC' })).toBe('2026-01-02 03:04:05 UTC');
    expect(formatTime('2026-01-02T03:04:05.678Z', { withMs: true, timeZone: 'UTC' })).toBe('2026-01-02 03:04:05.678 UTC');
    expect(formatTime(Date.parse('2026-07-02T23:30:00Z'), { timeZone: 'Asia/Tokyo' })).toBe('2026-07-03 08:30:00 GMT+9');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('not a time')).toBe('not a time');
  });

  it('gives chart axes the time of day, with the zone, and names the zone alone', () => {
    expect(formatClock(Date.parse('2026-01-02T03:04:05Z'), { timeZone: 'UTC' })).toBe('03:04 UTC');
    expect(timeZoneName({ timeZone: 'UTC' })).toBe('UTC');
    expect(timeZoneName({ timeZone: 'Asia/Tokyo' })).toBe('GMT+9');
  });
});
