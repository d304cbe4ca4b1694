// One attempt at one delivery, the same whichever way it came (straight from the stream or from the
// queue): build and sign the request, send it, classify the answer, decide what follows.
// run/settlement.ts says what an attempt leaves to write.
import type { RetryPolicy, StoredEvent, Webhook } from '@herald/shared';
import type { SlotLease } from '../policies/delivery-slots';
import { classify, type Verdict } from './classify';
import { decide, type Decision } from './decide';
import { RENDER_FAILED, isTimeout, type HttpResult } from './http-client';
import { buildRequest } from './request-builder';
import { oauth2Settings, sendWithToken, type Outbound } from './oauth2-send';
import { DeliveryHeldError } from './delivery-held-error';

export interface DeliveryTarget {
  webhook: Webhook;
  event: StoredEvent;
  deliveryId: string;
  /** This run of the delivery: the delivery id, or a replay's job id. Attempts are `<runId>#<n>`. */
  runId: string;
  /** 1-based number of this attempt within the run. */
  attempt: number;
  /** Attempts the run may make in all. */
  maxAttempts: number;
  /** 0 for the first run; n for the n-th replay from dead letters. */
  replay: number;
}

/** What an attempt sends through, and how long a delivery the egress proxy failed waits before it goes again (no attempt spent), in ms. */
export interface AttemptOutbound extends Outbound {
  heldDelayMs: () => number;
}

export interface AttemptRun {
  result: HttpResult;
  verdict: Verdict;
  startedMs: number;
  finishedMs: number;
  durationMs: number;
}

export async function runAttempt(outbound: Outbound, target: DeliveryTarget): Promise<AttemptRun> {
  const startedMs = Date.now();
  const built = buildRequest(target.webhook, target.event, { deliveryId: target.deliveryId, attempt: target.attempt, nowMs: startedMs });
  const started = performance.now();
  const oauth2 = oauth2Settings(target.webhook);
  let result: HttpResult;
  if (!built.ok) result = { kind: 'error', code: RENDER_FAILED, message: built.reason };
  else if (oauth2) result = await sendWithToken(outbound, oauth2, built.request);
  else result = await outbound.http.send(built.request);
  const durationMs = performance.now() - started;
  const finishedMs = Date.now();
  return { result, verdict: classify(result, finishedMs), startedMs, finishedMs, durationMs };
}

/**
 * One attempt in the slot `lease` holds: `admit` first when given (the queue's circuit and rate
 * checks), then the request; the lease goes back with what the attempt said of its endpoint, and
 * the attempt is decided under `policy`.
 */
export async function attemptInSlot(
  outbound: AttemptOutbound,
  lease: SlotLease,
  target: DeliveryTarget,
  policy: RetryPolicy,
  admit?: () => Promise<void>,
): Promise<{ run: AttemptRun; decision: Decision }> {
  let run: AttemptRun;
  try {
    await admit?.();
    run = await runAttempt(outbound, target);
  } catch (error) {
    lease.releaseUnused();
    throw error;
  }
  const answered = run.result.kind === 'response';
  // An endpoint that lets its attempts time out gets a smaller cap.
  lease.release({ timedOut: isTimeout(run.result), answered, durationMs: run.durationMs });
  if (run.verdict.kind === 'held') throw new DeliveryHeldError(run.verdict.reason, outbound.heldDelayMs());
  const decision = decide({ verdict: run.verdict, answered, attempt: target.attempt, maxAttempts: target.maxAttempts, policy });
  return { run, decision };
}
