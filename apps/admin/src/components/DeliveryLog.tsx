// A webhook's attempt log: filterable by outcome and event type, a page at a time, each attempt
// expandable to its request headers and response body.
import { Fragment, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { DeliveryAttempt, Webhook } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { ErrorMessage } from './ErrorMessage';
import { formatMs, formatTime } from '../lib/format';
import { attemptStatus, supersededAttempts } from '../lib/attempt-status';
import { useNow } from '../lib/use-now';
import { requestHeaders } from '../lib/request-headers';

const PAGE_SIZE = 20;
type Outcome = '' | 'success' | 'failure' | 'retry' | 'dead_letter';

export function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const { client } = useSession();
  const [outcome, setOutcome] = useState<Outcome>('');
  const [eventType, setEventType] = useState('');
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const query = { ...(outcome ? { outcome } : {}), ...(eventType.trim() ? { eventType: eventType.trim() } : {}), limit: PAGE_SIZE, offset };
  const log = useQuery({
    queryKey: ['webhook', webhook.id, 'deliveries', query],
    queryFn: () => client.webhooks.deliveries(webhook.id, query),
    placeholderData: keepPreviousData,
    refetchInterval: 2_000,
  });
  const rows = log.data?.items ?? [];
  const now = useNow();
  const superseded = supersededAttempts(rows);

  return (
    <section aria-labelledby="delivery-log-title">
      <h2 id="delivery-log-title">Delivery log</h2>
      <div className="filters" role="group" aria-label="Delivery log filters">
        <div className="field">
          <label htmlFor="log-outcome">Outcome</label>
          <select
            id="log-outcome"
            value={outcome}
            onChange={(event) => {
              setOutcome(event.target.value as Outcome);
              setOffset(0);
            }}
          >
            <option value="">All</option>
            <option value="success">Succeeded</option>
            <option value="failure">Failed</option>
            <option value="retry">Will retry</option>
            <option value="dead_letter">Dead-lettered</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-event-type">Event type</label>
          <input
            id="log-event-type"
            value={eventType}
            spellCheck={false}
            onChange={(event) => {
              setEventType(event.target.value);
              setOffset(0);
            }}
          />
        </div>
      </div>
      <ErrorMessage error={log.error} context="Could not load the delivery log" />
      <table>
        <caption className="visually-hidden">Delivery log</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Attempt</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && !log.isPending ? (
            <tr>
              <td colSpan={6}>No attempts{outcome || eventType ? ' match these filters' : ' yet'}.</td>
            </tr>
          ) : null}
          {rows.map((attempt) => {
            const expanded = open === attempt.id;
            const detailsId = `attempt-${attempt.id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
            return (
              <Fragment key={attempt.id}>
                <tr className={`outcome-${attempt.outcome}`}>
                  <td>
                    <time dateTime={attempt.timestamp}>{formatTime(attempt.timestamp, { withMs: true })}</time>
                  </td>
                  <td>
                    {attempt.eventType}
                    <div className="muted small">{attempt.eventId}</div>
                  </td>
                  <td>{attempt.attempt}</td>
                  <td>{attemptStatus(attempt, { nowMs: now, circuit: webhook.circuit, superseded: superseded.has(attempt.id) })}</td>
                  <td>{formatMs(attempt.durationMs)}</td>
                  <td>
                    <button type="button" aria-expanded={expanded} aria-controls={detailsId} onClick={() => setOpen(expanded ? null : attempt.id)}>
                      Details
                    </button>
                  </td>
                </tr>
                {expanded ? (
                  <tr id={detailsId} className="details-row">
                    <td colSpan={6}>
                      <AttemptDetails attempt={attempt} webhook={webhook} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
          Previous page
        </button>
        <span>
          {rows.length ? `Attempts ${offset + 1}–${offset + rows.length}` : ''}
        </span>
        <button type="button" disabled={log.data?.next === null || log.data?.next === undefined} onClick={() => setOffset(log.data?.next ?? offset)}>
          Next page
        </button>
      </div>
    </section>
  );
}

function AttemptDetails({ attempt, webhook }: { attempt: DeliveryAttempt; webhook: Webhook }) {
  return (
    <div className="attempt-details">
      <h3>Request headers</h3>
      <pre aria-label="Request headers">{requestHeaders(attempt, webhook).map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
      <p className="muted small">webhook-timestamp and webhook-signature change with every attempt and are not kept.</p>
      <h3>Response body</h3>
      <pre aria-label="Response body">{attempt.responseBody ?? '(none)'}</pre>
      {attempt.error ? (
        <p>
          <strong>Error:</strong> {attempt.error}
        </p>
      ) : null}
      <p className="muted small">Delivery {attempt.deliveryId}</p>
    </div>
  );
}
