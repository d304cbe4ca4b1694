// A FIFO webhook's lines on its page: how much waits, and each blocked line with a Skip that asks first.
import { useState } from 'react';
import { Link } from 'react-router';
import type { FifoBlockedLine, Ordering, Webhook } from '@herald/sdk/browser';
import { useSkipFifoHead, useWebhookFifo } from '../api/webhooks';
import { ConfirmDialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { formatCount, formatTime } from '../lib/format';

/** "FIFO by data.orderId; a head that spends its attempts blocks its line." */
export function describeOrdering(ordering: Ordering): string {
  const lines = ordering.key ? `FIFO by ${ordering.key}` : 'FIFO, one line';
  const exhausted = ordering.onExhausted === 'block' ? 'blocks its line until it is skipped or replayed' : 'is dead-lettered and its line moves on';
  return `${lines}; a head that spends its attempts ${exhausted}.`;
}

/** A line as people read it: the webhook without an ordering key (or an event without the key) is the line of the empty key. */
const lineName = (key: string) => (key === '' ? '(no key)' : key);

export function FifoLines({ webhook, onMessage }: { webhook: Webhook; onMessage(text: string): void }) {
  // Polled: lines fill, drain and block as deliveries go.
  const fifo = useWebhookFifo(webhook.id, { refetchInterval: 2_000 });
  const [skipping, setSkipping] = useState<FifoBlockedLine | null>(null);
  const skip = useSkipFifoHead(webhook.id, {
    onSuccess: (skipped) => {
      setSkipping(null);
      onMessage(`Skipped ${skipped.skippedEventId} on line ${lineName(skipped.key)}; its dead letter stays.`);
    },
  });
  const s = fifo.data;
  return (
    <section aria-labelledby="fifo-title">
      <h2 id="fifo-title">Ordered delivery</h2>
      <ErrorMessage error={fifo.error} context="Could not load the lines" />
      <dl className="stat-grid">
        <div>
          <dt>Deliveries waiting</dt>
          <dd>{formatCount(s?.deliveries)}</dd>
        </div>
        <div>
          <dt>Lines</dt>
          <dd>{formatCount(s?.lines)}</dd>
        </div>
        <div>
          <dt>Heads out</dt>
          <dd>{formatCount(s?.inFlight)}</dd>
        </div>
        <div>
          <dt>Oldest head</dt>
          <dd>{formatTime(s?.oldestHeadAt)}</dd>
        </div>
        <div>
          <dt>Blocked lines</dt>
          <dd>{formatCount(s?.blocked)}</dd>
        </div>
      </dl>
      {s && s.blockedLines.length > 0 ? (
        <table>
          <caption>Blocked lines</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Head event</th>
              <th scope="col">Since</th>
              <th scope="col">Error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {s.blockedLines.map((line) => (
              <tr key={line.key}>
                <td>{lineName(line.key)}</td>
                <td>
                  <Link to={`/events/${line.eventId}`}>{line.eventId}</Link>
                </td>
                <td>
                  <time dateTime={line.since}>{formatTime(line.since)}</time>
                </td>
                <td>{line.error}</td>
                <td>
                  <button type="button" className="danger" aria-label={`Skip the head of line ${lineName(line.key)}`} onClick={() => setSkipping(line)}>
                    Skip
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : s ? (
        <p className="muted">No line is blocked.</p>
      ) : null}
      {skipping ? (
        <ConfirmDialog
          title={`Skip the head of line ${lineName(skipping.key)}?`}
          confirmLabel="Skip"
          danger
          busy={skip.isPending}
          onCancel={() => {
            skip.reset();
            setSkipping(null);
          }}
          onConfirm={() => skip.mutate(skipping.key)}
        >
          <p>
            Event {skipping.eventId} is left out of its line, and the line&apos;s next delivery goes out. Its dead letter stays: replaying it
            puts it at the end of the line. To retry it in place instead, replay its dead letter.
          </p>
          <ErrorMessage error={skip.error} context="Skipping failed" />
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
