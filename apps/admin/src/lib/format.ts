// How figures and times read in the console.

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Where times are shown: the browser's own time zone unless a test names one. */
export interface TimeOptions {
  /** An IANA zone ("UTC", "Europe/Paris"); default: the browser's. */
  timeZone?: string;
}

/** The parts of one format, in one locale, so that every time in the console reads the same way. */
function timeParts(date: Date, { timeZone }: TimeOptions): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short', ...(timeZone ? { timeZone } : {}),
  }).formatToParts(date);
  return Object.fromEntries(parts.map((part) => [part.type, part.value]));
}

/**
 * A time as the console shows it, everywhere: "2026-01-02 03:04:05 UTC" (the browser's time zone,
 * named), with milliseconds when asked ("03:04:05.678").
 */
export function formatTime(value: string | number | null | undefined, options: TimeOptions & { withMs?: boolean } = {}): string {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const p = timeParts(date, options);
  const ms = options.withMs ? `.${String(date.getMilliseconds()).padStart(3, '0')}` : '';
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}${ms} ${p.timeZoneName}`;
}

/** The time of day of the same format, for chart axes: "03:04 UTC". */
export function formatClock(value: number, options: TimeOptions = {}): string {
  const p = timeParts(new Date(value), options);
  return `${p.hour}:${p.minute} ${p.timeZoneName}`;
}

/** The time zone's short name ("UTC", "CET"), for fields that take a time in it. */
export function timeZoneName(options: TimeOptions = {}): string {
  return timeParts(new Date(), options).timeZoneName ?? '';
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** A `datetime-local` input's value as ISO-8601 (it is local time, without an offset); empty stays undefined. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A Date as a `datetime-local` input's value (local time, to the minute). */
export function isoToLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
