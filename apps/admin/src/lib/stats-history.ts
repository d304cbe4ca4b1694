// The overview's charts over time: /v1/stats is a snapshot, so the console keeps the snapshots it
// polled and charts the differences between them. Pure, so it is tested without a browser.
import type { Stats } from '@herald/sdk/browser';

export interface StatsPoint {
  /** Unix ms when the snapshot was taken. */
  at: number;
  /** Delivery attempts since the previous snapshot, by outcome. */
  success: number;
  retry: number;
  deadLetter: number;
  /** success / attempts since the previous snapshot, 0–100; null without attempts. */
  successRate: number | null;
  waiting: number;
  active: number;
  delayed: number;
  deadLetters: number;
  circuitsOpen: number;
  pending: number;
}

export const HISTORY_LENGTH = 120;

/** One poll of /v1/stats, and when it was taken (unix ms). */
export interface Snapshot {
  at: number;
  stats: Stats;
}

/** Adds a snapshot to the history (the oldest drop off past HISTORY_LENGTH). */
export function addSnapshot(history: readonly Snapshot[], at: number, stats: Stats): Snapshot[] {
  return [...history, { at, stats }].slice(-(HISTORY_LENGTH + 1));
}

/** The points to chart: one per snapshot after the first (a difference needs two). */
export function toPoints(history: readonly Snapshot[]): StatsPoint[] {
  const points: StatsPoint[] = [];
  for (let i = 1; i < history.length; i++) {
    const previous = history[i - 1]!.stats.deliveries;
    const { at, stats } = history[i]!;
    // Counters only grow; a drop (Redis emptied) counts from zero.
    const delta = (now: number, before: number) => (now >= before ? now - before : now);
    const success = delta(stats.deliveries.success, previous.success);
    const retry = delta(stats.deliveries.retry, previous.retry);
    const deadLetter = delta(stats.deliveries.deadLetter, previous.deadLetter);
    const attempts = success + retry + deadLetter;
    points.push({
      at,
      success,
      retry,
      deadLetter,
      successRate: attempts ? Math.round((success / attempts) * 1000) / 10 : null,
      waiting: (stats.queue.waiting ?? 0) + (stats.queue.prioritized ?? 0),
      active: stats.queue.active ?? 0,
      delayed: stats.queue.delayed ?? 0,
      deadLetters: stats.deadLetters,
      circuitsOpen: stats.circuitsOpen,
      pending: stats.stream.pending,
    });
  }
  return points;
}

/** The per-minute series of the last hour as chart points, oldest first; the last minute is still filling. */
export function minuteSeries(series: readonly number[], nowMs: number): { minute: number; events: number }[] {
  const thisMinute = Math.floor(nowMs / 60_000) * 60_000;
  return series.map((events, i) => ({ minute: thisMinute - (series.length - 1 - i) * 60_000, events }));
}
