// One webhook: its settings, statistics, FIFO lines, delivery log, and the operator's actions on it.
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Webhook } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { storeWebhook, useWebhook } from '../api/webhooks';
import { CircuitBadge, circuitDetail } from '../components/CircuitBadge';
import { ErrorMessage } from '../components/ErrorMessage';
import { ConfirmDialog } from '../components/Dialog';
import { SecretDialog } from '../components/SecretDialog';
import { DeliveryLog } from '../components/DeliveryLog';
import { FifoLines, describeOrdering } from '../components/FifoLines';
import { Switch } from '../components/Switch';
import { DeleteWebhookDialog } from './WebhooksPage';
import { describeTestResult } from '../api/test-result';
import { formatCount, formatMs, formatPercent, formatTime, isoToLocalInput, localInputToIso, timeZoneName } from '../lib/format';

export function WebhookPage() {
  const { id } = useParams() as { id: string };
  // Polled: its circuit (and whether a worker disabled it) changes as deliveries go.
  const webhook = useWebhook(id, { refetchInterval: 2_000 });
  if (webhook.isPending) return <p role="status">Loading the webhook…</p>;
  if (webhook.error) return <ErrorMessage error={webhook.error} context="Could not load the webhook" />;
  return <WebhookView webhook={webhook.data} />;
}

function WebhookView({ webhook }: { webhook: Webhook }) {
  const { client } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState('');
  const [dialog, setDialog] = useState<'rotate' | 'recover' | 'delete' | null>(null);
  const [secret, setSecret] = useState<{ value: string; previousExpiresAt?: string } | null>(null);
  const test = useMutation({
    mutationFn: () => client.webhooks.test(webhook.id),
    onMutate: () => setMessage('Sending a test event…'),
    onSuccess: (result) => setMessage(describeTestResult(result)),
    onError: () => setMessage(''),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['webhook', webhook.id, 'stats'] }),
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => client.webhooks.update(webhook.id, { enabled }),
    onSuccess: (saved) => {
      storeWebhook(queryClient, saved);
      setMessage(`The webhook is ${saved.enabled ? 'enabled' : 'disabled'}.`);
    },
  });

  return (
    <section>
      <div className="page-head">
        <h1>Webhook</h1>
        <div className="actions">
          <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
            Send test
          </button>
          <button type="button" onClick={() => void navigate(`/webhooks/${webhook.id}/edit`)}>
            Edit
          </button>
          <Switch label="Enabled" checked={webhook.enabled} disabled={toggle.isPending} onChange={(enabled) => toggle.mutate(enabled)} />
          <button type="button" onClick={() => setDialog('rotate')}>
            Rotate secret
          </button>
          <button type="button" onClick={() => setDialog('recover')}>
            Recover
          </button>
          <button type="button" className="danger" onClick={() => setDialog('delete')}>
            Delete
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className="status">
        {message}
      </p>
      <ErrorMessage error={test.error ?? toggle.error} />
      <dl className="settings">
        <dt>URL</dt>
        <dd>{webhook.url}</dd>
        {webhook.description ? (
          <>
            <dt>Description</dt>
            <dd>{webhook.description}</dd>
          </>
        ) : null}
        <dt>Event types</dt>
        <dd>{webhook.events.join(', ')}</dd>
        <dt>Status</dt>
        <dd>
          {webhook.enabled ? 'Enabled' : 'Disabled'}
          <CircuitBadge circuit={webhook.circuit} />
          {circuitDetail(webhook.circuit) ? <div className="muted small">{circuitDetail(webhook.circuit)}</div> : null}
        </dd>
        <dt>Tenant</dt>
        <dd>{webhook.tenant}</dd>
        <dt>Retries</dt>
        <dd>
          {webhook.retry.strategy === 'schedule'
            ? `schedule: ${(webhook.retry.delaysMs ?? []).map((d) => formatMs(Number(d))).join(', ')}`
            : `${webhook.retry.maxRetries}, from ${formatMs(webhook.retry.initialDelayMs)} × ${webhook.retry.backoffMultiplier}`}
        </dd>
        {webhook.ordering ? (
          <>
            <dt>Ordering</dt>
            <dd>{describeOrdering(webhook.ordering)}</dd>
          </>
        ) : null}
        <dt>Id</dt>
        <dd>
          <code>{webhook.id}</code>
        </dd>
      </dl>
      <WebhookStatistics webhookId={webhook.id} />
      {webhook.ordering ? <FifoLines webhook={webhook} onMessage={setMessage} /> : null}
      <DeliveryLog webhook={webhook} />
      {dialog === 'rotate' ? (
        <RotateSecretDialog
          webhook={webhook}
          onCancel={() => setDialog(null)}
          onRotated={(value, previousExpiresAt) => {
            setDialog(null);
            setSecret({ value, ...(previousExpiresAt ? { previousExpiresAt } : {}) });
          }}
        />
      ) : null}
      {dialog === 'recover' ? (
        <RecoverDialog
          webhook={webhook}
          onDone={(text) => {
            setDialog(null);
            if (text) setMessage(text);
          }}
        />
      ) : null}
      {dialog === 'delete' ? (
        <DeleteWebhookDialog
          webhook={webhook}
          onDone={(text) => {
            setDialog(null);
            if (text) void navigate('/webhooks');
          }}
        />
      ) : null}
      {secret ? (
        <SecretDialog
          title="Secret rotated"
          secret={secret.value}
          note={secret.previousExpiresAt ? `The previous secret still signs deliveries until ${formatTime(secret.previousExpiresAt)}.` : 'The previous secret no longer signs deliveries.'}
          onClose={() => setSecret(null)}
        />
      ) : null}
    </section>
  );
}

function WebhookStatistics({ webhookId }: { webhookId: string }) {
  const { client } = useSession();
  const stats = useQuery({ queryKey: ['webhook', webhookId, 'stats'], queryFn: () => client.webhooks.stats(webhookId), refetchInterval: 2_000 });
  const s = stats.data;
  return (
    <section aria-labelledby="statistics-title">
      <h2 id="statistics-title">Statistics</h2>
      <ErrorMessage error={stats.error} context="Could not load the statistics" />
      <dl className="stat-grid">
        <div>
          <dt>Delivered</dt>
          <dd>{formatPercent(s?.deliveryRate)}</dd>
        </div>
        <div>
          <dt>Attempts succeeded</dt>
          <dd>{formatPercent(s?.successRate)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{s ? `${formatCount(s.total)} (${formatCount(s.succeeded)} succeeded, ${formatCount(s.failed)} failed)` : '—'}</dd>
        </div>
        <div>
          <dt>Average duration</dt>
          <dd>{formatMs(s?.averageDurationMs)}</dd>
        </div>
        <div>
          <dt>p95 duration</dt>
          <dd>{formatMs(s?.p95DurationMs)}</dd>
        </div>
        <div>
          <dt>Last success</dt>
          <dd>{formatTime(s?.lastSuccessAt)}</dd>
        </div>
        <div>
          <dt>Last failure</dt>
          <dd>{formatTime(s?.lastFailureAt)}</dd>
        </div>
      </dl>
    </section>
  );
}

const GRACE_PERIODS = [
  { value: '0', label: 'None: the old secret stops at once' },
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

function RotateSecretDialog({ webhook, onCancel, onRotated }: { webhook: Webhook; onCancel(): void; onRotated(secret: string, previousExpiresAt?: string): void }) {
  const { client } = useSession();
  const [grace, setGrace] = useState('24h');
  const rotate = useMutation({
    mutationFn: () => client.webhooks.rotateSecret(webhook.id, { graceMs: grace === '0' ? 0 : grace }),
    onSuccess: (rotated) => onRotated(rotated.secret, grace === '0' ? undefined : (rotated.previousSecretExpiresAt ?? undefined)),
  });
  return (
    <ConfirmDialog title="Rotate secret?" confirmLabel="Rotate secret" busy={rotate.isPending} onCancel={onCancel} onConfirm={() => rotate.mutate()}>
      <p>A new signing secret is made for {webhook.url}. Receivers must be given it.</p>
      <div className="field">
        <label htmlFor="grace">Grace period</label>
        <select id="grace" value={grace} onChange={(event) => setGrace(event.target.value)}>
          {GRACE_PERIODS.map((period) => (
            <option key={period.value} value={period.value}>
              {period.label}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={rotate.error} context="Rotating failed" />
    </ConfirmDialog>
  );
}

function RecoverDialog({ webhook, onDone }: { webhook: Webhook; onDone(message?: string): void }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const [since, setSince] = useState(() => isoToLocalInput(new Date(Date.now() - 86_400_000)));
  const [invalid, setInvalid] = useState(false);
  const recover = useMutation({
    mutationFn: (iso: string) => client.webhooks.recover(webhook.id, { since: iso }),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
      onDone(`Recovered ${result.replayed.length} dead letter${result.replayed.length === 1 ? '' : 's'}${result.skipped.length ? `; ${result.skipped.length} skipped (${result.skipped[0]?.reason ?? ''})` : ''}.`);
    },
  });
  return (
    <ConfirmDialog
      title="Recover dead letters?"
      confirmLabel="Recover"
      busy={recover.isPending}
      onCancel={() => onDone()}
      onConfirm={() => {
        const iso = localInputToIso(since);
        setInvalid(!iso);
        if (iso) recover.mutate(iso);
      }}
    >
      <p>Deliver again every dead letter of {webhook.url} parked since the time below (same delivery id and webhook-id).</p>
      <div className="field">
        <label htmlFor="recover-since">Since ({timeZoneName()})</label>
        <input id="recover-since" type="datetime-local" value={since} onChange={(event) => setSince(event.target.value)} aria-invalid={invalid || undefined} aria-describedby={invalid ? 'recover-since-error' : undefined} />
        {invalid ? (
          <p id="recover-since-error" className="field-error">
            Enter a date and time.
          </p>
        ) : null}
      </div>
      <ErrorMessage error={recover.error} context="Recovering failed" />
    </ConfirmDialog>
  );
}
