// One event, and every attempt at delivering it, across its webhooks.
import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../session/SessionContext';
import { useCircuits, useWebhookUrl } from '../api/webhooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { attemptStatus, supersededAttempts } from '../lib/attempt-status';
import { useNow } from '../lib/use-now';
import { formatMs, formatTime } from '../lib/format';

export function EventPage() {
  const { id } = useParams() as { id: string };
  const { client } = useSession();
  const detail = useQuery({ queryKey: ['event', id], queryFn: () => client.events.get(id), refetchInterval: 3_000 });
  const urlOf = useWebhookUrl();
  const circuitOf = useCircuits();
  const now = useNow();
  if (detail.isPending) return <p role="status">Loading the event…</p>;
  if (detail.error) return <ErrorMessage error={detail.error} context="Could not load the event" />;
  const { event, deliveries } = detail.data;
  const superseded = supersededAttempts(deliveries);
  return (
    <section>
      <h1>Event {event?.type ?? ''}</h1>
      <dl className="settings">
        <dt>Id</dt>
        <dd>
          <code>{detail.data.id}</code>
        </dd>
        {event ? (
          <>
            <dt>Tenant</dt>
            <dd>{event.tenant}</dd>
            <dt>Occurred</dt>
            <dd>{formatTime(event.occurredAt)}</dd>
            {event.idempotencyKey ? (
              <>
                <dt>Idempotency key</dt>
                <dd>{event.idempotencyKey}</dd>
              </>
            ) : null}
          </>
        ) : (
          <>
            <dt>Event</dt>
            <dd>No longer among the newest events kept; its attempts are below.</dd>
          </>
        )}
      </dl>
      {event ? (
        <>
          <h2>Data</h2>
          <pre aria-label="Event data">{JSON.stringify(event.data, null, 2)}</pre>
        </>
      ) : null}
      <table>
        <caption>Attempts</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Webhook</th>
            <th scope="col">Attempt</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.length === 0 ? (
            <tr>
              <td colSpan={5}>No attempts yet.</td>
            </tr>
          ) : null}
          {deliveries.map((attempt) => (
            <tr key={attempt.id}>
              <td>
                <time dateTime={attempt.timestamp}>{formatTime(attempt.timestamp, { withMs: true })}</time>
              </td>
              <td>
                <Link to={`/webhooks/${attempt.webhookId}`}>{urlOf(attempt.webhookId)}</Link>
              </td>
              <td>{attempt.attempt}</td>
              <td>{attemptStatus(attempt, { nowMs: now, circuit: circuitOf(attempt.webhookId), superseded: superseded.has(attempt.id) })}</td>
              <td>{formatMs(attempt.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
