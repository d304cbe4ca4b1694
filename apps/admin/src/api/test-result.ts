import type { TestResult } from '@herald/sdk/browser';
import { formatMs } from '../lib/format';

/** A test send's result in one sentence. */
export function describeTestResult(result: TestResult): string {
  if (result.status === 'pending') return `Test event ${result.eventId} sent; no answer yet: see the delivery log.`;
  const { attempt } = result;
  const answer = attempt.statusCode === undefined ? (attempt.error ?? 'no answer') : `HTTP ${attempt.statusCode}`;
  return result.status === 'delivered'
    ? `Test delivered: ${answer} in ${formatMs(attempt.durationMs)}.`
    : `Test failed: ${answer}${attempt.error && attempt.statusCode !== undefined ? ` (${attempt.error})` : ''} after ${formatMs(attempt.durationMs)}.`;
}
