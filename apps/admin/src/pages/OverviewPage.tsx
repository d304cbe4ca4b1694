// Herald at a glance (admin token): figures polled from /v1/stats. Events and delivery outcomes are
// charted from the server's per-minute history (the last hour), the gauges from the polls since the
// page opened. Herald's own operational events are shown apart from producers'.
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../session/SessionContext';
import { ErrorMessage } from '../components/ErrorMessage';
import { TimeChart } from '../charts/TimeChart';
import { isForbidden } from '../api/errors';
import { formatCount, formatPercent } from '../lib/format';
import { addSnapshot, deliveryMinutes, hourTotals, minuteSeries, toPoints, type Snapshot } from '../lib/stats-history';
import { FailedJobsNote } from '../components/FailedJobsNote';

const POLL_MS = 5_000;
const HISTORY_KEY = ['stats', 'history'];

export function OverviewPage() {
  const { client, role } = useSession();
  const queryClient = useQueryClient();
  // Each poll adds its snapshot to those before it: the history lives in the query cache, so the
  // charts keep their past while the operator visits other pages (the cache is cleared at sign-out).
  const stats = useQuery({
    queryKey: HISTORY_KEY,
    queryFn: async () => addSnapshot(queryClient.getQueryData<Snapshot[]>(HISTORY_KEY) ?? [], Date.now(), await client.stats()),
    refetchInterval: POLL_MS,
    enabled: role === 'admin',
    gcTime: 30 * 60_000,
  });

  if (role !== 'admin' || isForbidden(stats.error)) {
    return (
      <section>
        <h1>Overview</h1>
        <p>
          The overview covers every tenant, so it needs the admin token. This token acts for one tenant: see its <Link to="/webhooks">webhooks</Link>, their
          statistics and delivery logs.
        </p>
      </section>
    );
  }
  const latestSnapshot = stats.data?.at(-1);
  const s = latestSnapshot?.stats;
  const gauges = toPoints(stats.data ?? []);
  const deliveries = s ? deliveryMinutes(s.deliveries.series, latestSnapshot.at) : [];
  const hour = s ? hourTotals(s.deliveries.series) : undefined;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorMessage error={stats.error} context="Could not load the statistics" />
      {s && hour ? (
        <>
          <dl className="stat-grid" aria-label="Current figures">
            <div>
              <dt>Events per minute</dt>
              <dd>{formatCount(s.events.perMinute)}</dd>
            </div>
            <div>
              <dt>Delivery attempts</dt>
              <dd>{formatCount(s.deliveries.attempts)}</dd>
            </div>
            <div>
              <dt>Delivered</dt>
              <dd>{formatPercent(s.deliveries.deliveryRate)}</dd>
            </div>
            <div>
              <dt>Attempts succeeded</dt>
              <dd>{formatPercent(s.deliveries.successRate)}</dd>
            </div>
            <div>
              <dt>Queued deliveries</dt>
              <dd>{formatCount((s.queue.waiting ?? 0) + (s.queue.delayed ?? 0) + (s.queue.active ?? 0) + (s.queue.prioritized ?? 0))}</dd>
            </div>
            <div>
              <dt>Dead letters</dt>
              <dd>{formatCount(s.deadLetters)}</dd>
            </div>
            <div>
              <dt>Open circuits</dt>
              <dd>{formatCount(s.circuitsOpen)}</dd>
            </div>
          </dl>
          <p className="muted small">
            &ldquo;Delivered&rdquo; counts deliveries: of those settled, the share delivered rather than dead-lettered. &ldquo;Attempts succeeded&rdquo; counts
            attempts: a delivery that succeeds at its third attempt is one delivery delivered, and one attempt in three succeeded.
          </p>
          <div className="charts">
            <TimeChart
              title="Events per minute"
              data={minuteSeries(s.events.series, latestSnapshot.at)}
              xKey="minute"
              kind="area"
              series={[{ key: 'events', name: 'Events', color: '#3b6fd8' }]}
              summary={`${formatCount(s.events.perMinute)} in the last full minute, ${formatCount(s.events.lastHour)} in the last hour.`}
            />
            <TimeChart
              title="Deliveries per minute"
              data={deliveries}
              xKey="minute"
              kind="area"
              series={[
                { key: 'success', name: 'Succeeded', color: '#2e8b57' },
                { key: 'retry', name: 'Retried', color: '#d9a400' },
                { key: 'deadLetter', name: 'Dead-lettered', color: '#c0392b' },
              ]}
              summary={`In the last hour: ${formatCount(hour.attempts)} attempts, ${formatCount(hour.success)} succeeded, ${formatCount(hour.retry)} retried, ${formatCount(hour.deadLetter)} dead-lettered.`}
            />
            <TimeChart
              title="Delivery rates per minute"
              data={deliveries}
              xKey="minute"
              unit="%"
              yDomain={[0, 100]}
              dots
              series={[
                { key: 'delivered', name: 'Delivered', color: '#2e8b57' },
                { key: 'attemptsSucceeded', name: 'Attempts succeeded', color: '#3b6fd8' },
              ]}
              summary={`In the last hour: delivered ${formatPercent(hour.delivered)}, attempts succeeded ${formatPercent(hour.attemptsSucceeded)}; since counting began, ${formatPercent(s.deliveries.deliveryRate)} and ${formatPercent(s.deliveries.successRate)}.`}
            />
            <TimeChart
              title="Queue depths"
              data={gauges}
              xKey="at"
              series={[
                { key: 'waiting', name: 'Waiting', color: '#3b6fd8' },
                { key: 'active', name: 'Active', color: '#2e8b57' },
                { key: 'delayed', name: 'Delayed', color: '#d9a400' },
                { key: 'pending', name: 'Stream pending', color: '#7f8c8d' },
              ]}
              summary={`Since this page opened (every ${POLL_MS / 1000} s). Waiting ${formatCount(s.queue.waiting ?? 0)}, active ${formatCount(s.queue.active ?? 0)}, delayed ${formatCount(s.queue.delayed ?? 0)}, failed jobs ${formatCount(s.queue.failed ?? 0)}; stream entries pending ${formatCount(s.stream.pending)} of ${formatCount(s.stream.length)}.`}
            />
            <TimeChart
              title="Dead letters and open circuits"
              data={gauges}
              xKey="at"
              series={[
                { key: 'deadLetters', name: 'Dead letters', color: '#c0392b' },
                { key: 'circuitsOpen', name: 'Open circuits', color: '#8e44ad' },
              ]}
              summary={`Since this page opened. ${formatCount(s.deadLetters)} dead letters, ${formatCount(s.circuitsOpen)} open circuits.`}
            />
          </div>
          <FailedJobsNote />
          <section aria-labelledby="operational-title" className="operational">
            <h2 id="operational-title">Herald&apos;s own events</h2>
            <p className="muted">Operational events (circuit_breaker.*, rate_limit.exceeded, webhook.disabled, delivery.dead_lettered) and their deliveries, counted apart.</p>
            <dl className="stat-grid" aria-label="Operational figures">
              <div>
                <dt>Operational events per minute</dt>
                <dd>{formatCount(s.operational.events.perMinute)}</dd>
              </div>
              <div>
                <dt>Operational events in the last hour</dt>
                <dd>{formatCount(s.operational.events.lastHour)}</dd>
              </div>
              <div>
                <dt>Operational delivery attempts</dt>
                <dd>{formatCount(s.operational.deliveries.attempts)}</dd>
              </div>
              <div>
                <dt>Operational events delivered</dt>
                <dd>{formatPercent(s.operational.deliveries.deliveryRate)}</dd>
              </div>
              <div>
                <dt>Operational attempts succeeded</dt>
                <dd>{formatPercent(s.operational.deliveries.successRate)}</dd>
              </div>
            </dl>
          </section>
        </>
      ) : stats.isPending ? (
        <p role="status">Loading the statistics…</p>
      ) : null}
    </section>
  );
}
