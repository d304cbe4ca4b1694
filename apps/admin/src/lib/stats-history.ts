// The overview's charts over time. Events and delivery outcomes per minute come from the server's
// history (`/v1/stats` returns the last hour's), so the charts open full; queue depths, dead
// letters and open circuits are gauges the server keeps no history of, charted from the polls
// made since the page opened. Pure, so it is tested without a browser.
import type { Stats } from '@herald/sdk/browser';

/** One poll's gauges. */
export interface GaugePoint {
  /** Unix ms when the snapshot was taken. */
  at: number;
  waiting: number;
  active: number;
  delayed: number;
  deadLetters: number;
  circuitsOpen: number;
  pending: number;
}

/** One minute of producers' delivery attempts, with its rates (0–100; null without any). */
export interface DeliveryMinute {
  /** Unix ms of the minute's start. */
  minute: number;
  success: number;
  retry: number;
  deadLetter: number;
  /** Of the deliveries settled this minute (delivered or dead-lettered), those delivered. */
  delivered: number | null;
  /** Of the attempts this minute, those that succeeded. */
  attemptsSucceeded: number | null;
}

/** The polls kept: ten minutes at one every 5 s. */
export const HISTORY_LENGTH = 120;

/** One poll of /v1/stats, and when it was taken (unix ms). */
export interface Snapshot {
  at: number;
  stats: Stats;
}

/** Adds a snapshot to the history (the oldest drop off past HISTORY_LENGTH). */
export function addSnapshot(history: readonly Snapshot[], at: number, stats: Stats): Snapshot[] {
  return [...history, { at, stats }].slice(-HISTORY_LENGTH);
}

/** The gauges to chart: one point per poll. */
export function toPoints(history: readonly Snapshot[]): GaugePoint[] {
  return history.map(({ at, stats }) => ({
    at,
    waiting: (stats.queue.waiting ?? 0) + (stats.queue.prioritized ?? 0),
    active: stats.queue.active ?? 0,
    delayed: stats.queue.delayed ?? 0,
    deadLetters: stats.deadLetters,
    circuitsOpen: stats.circuitsOpen,
    pending: stats.stream.pending,
  }));
}

/** Unix ms of the start of each minute of a series that ends with the current one. */
function minutesEndingNow(length: number, nowMs: number): number[] {
  const thisMinute = Math.floor(nowMs / 60_000) * 60_000;
  return Array.from({ length }, (_, i) => thisMinute - (length - 1 - i) * 60_000);
}

/** The per-minute series of the last hour as chart points, oldest first; the last minute is still filling. */
export function minuteSeries(series: readonly number[], nowMs: number): { minute: number; events: number }[] {
  const minutes = minutesEndingNow(series.length, nowMs);
  return series.map((events, i) => ({ minute: minutes[i]!, events }));
}

const percent = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : null);

/** The server's delivery outcomes per minute as chart points, with both rates. */
export function deliveryMinutes(series: Stats['deliveries']['series'], nowMs: number): DeliveryMinute[] {
  const minutes = minutesEndingNow(series.length, nowMs);
  return series.map(({ success, retry, deadLetter }, i) => ({
    minute: minutes[i]!,
    success,
    retry,
    deadLetter,
    delivered: percent(success, success + deadLetter),
    attemptsSucceeded: percent(success, success + retry + deadLetter),
  }));
}

/** The hour's delivery outcomes added up, with both rates (0–1; null without any). */
export function hourTotals(series: Stats['deliveries']['series']) {
  const success = series.reduce((sum, m) => sum + m.success, 0);
  const retry = series.reduce((sum, m) => sum + m.retry, 0);
  const deadLetter = series.reduce((sum, m) => sum + m.deadLetter, 0);
  const attempts = success + retry + deadLetter;
  const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);
  return { attempts, success, retry, deadLetter, delivered: rate(success, success + deadLetter), attemptsSucceeded: rate(success, attempts) };
}
