// Every webhook the token may see, with its health and the actions on it.
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import type { Webhook, WebhookStats } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { forgetWebhook, storeWebhook, useWebhooks } from '../api/webhooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { ConfirmDialog } from '../components/Dialog';
import { CircuitBadge } from '../components/CircuitBadge';
import { Switch } from '../components/Switch';
import { describeTestResult } from '../api/test-result';
import { formatMs, formatPercent } from '../lib/format';

export function WebhooksPage() {
  const { client } = useSession();
  const navigate = useNavigate();
  // The list (with each circuit) is cheap to read; each webhook's statistics read its attempt log.
  const webhooks = useWebhooks({ refetchInterval: 5_000 });
  const stats = useQueries({
    queries: (webhooks.data ?? []).map((webhook) => ({
      queryKey: ['webhook', webhook.id, 'stats'],
      queryFn: () => client.webhooks.stats(webhook.id),
      refetchInterval: 10_000,
    })),
  });
  const [message, setMessage] = useState<string>('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);

  return (
    <section>
      <div className="page-head">
        <h1>Webhooks</h1>
        <button type="button" className="primary" onClick={() => void navigate('/webhooks/new')}>
          Create webhook
        </button>
      </div>
      <p role="status" aria-live="polite" className="status">
        {message}
      </p>
      <ErrorMessage error={actionError} />
      <ErrorMessage error={webhooks.error} context="Could not load the webhooks" />
      {webhooks.isPending ? <p role="status">Loading webhooks…</p> : null}
      {webhooks.data?.length === 0 ? <p>No webhooks yet. Create one to start delivering events.</p> : null}
      {webhooks.data?.length ? (
        <table>
          <caption>Webhooks</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Delivered</th>
              <th scope="col">Attempts succeeded</th>
              <th scope="col">Average latency</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {webhooks.data.map((webhook, i) => (
              <WebhookRow
                key={webhook.id}
                webhook={webhook}
                stats={stats[i]?.data}
                onMessage={(text) => {
                  setActionError(null);
                  setMessage(text);
                }}
                onError={(error) => {
                  setMessage('');
                  setActionError(error);
                }}
                onDelete={() => setDeleting(webhook)}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      {deleting ? (
        <DeleteWebhookDialog
          webhook={deleting}
          onDone={(text) => {
            setDeleting(null);
            if (text) setMessage(text);
          }}
        />
      ) : null}
    </section>
  );
}

function WebhookRow({ webhook, stats, onMessage, onError, onDelete }: { webhook: Webhook; stats?: WebhookStats; onMessage(text: string): void; onError(error: unknown): void; onDelete(): void }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const test = useMutation({
    mutationFn: () => client.webhooks.test(webhook.id),
    onMutate: () => onMessage(`Sending a test event to ${webhook.url}…`),
    onSuccess: (result) => onMessage(`${webhook.url}: ${describeTestResult(result)}`),
    onError,
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['webhook', webhook.id, 'stats'] }),
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => client.webhooks.update(webhook.id, { enabled }),
    onSuccess: (saved) => {
      storeWebhook(queryClient, saved);
      onMessage(`${saved.url} is ${saved.enabled ? 'enabled' : 'disabled'}.`);
    },
    onError,
  });
  return (
    <tr>
      <th scope="row">
        <Link to={`/webhooks/${webhook.id}`}>{webhook.url}</Link>
        {webhook.description ? <div className="muted small">{webhook.description}</div> : null}
      </th>
      <td>{webhook.events.join(', ')}</td>
      <td>
        <span className={`badge ${webhook.enabled ? 'ok' : 'off'}`}>{webhook.enabled ? 'Enabled' : 'Disabled'}</span>
        <CircuitBadge circuit={webhook.circuit} />
      </td>
      <td>{formatPercent(stats?.deliveryRate)}</td>
      <td>{formatPercent(stats?.successRate)}</td>
      <td>{formatMs(stats?.averageDurationMs)}</td>
      <td className="actions">
        <button type="button" onClick={() => test.mutate()} disabled={test.isPending} aria-busy={test.isPending}>
          Send test
        </button>
        <button type="button" onClick={() => void navigate(`/webhooks/${webhook.id}/edit`)}>
          Edit
        </button>
        <Switch label="Enabled" checked={webhook.enabled} disabled={toggle.isPending} onChange={(enabled) => toggle.mutate(enabled)} />
        <button type="button" className="danger" onClick={onDelete}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function DeleteWebhookDialog({ webhook, onDone }: { webhook: Webhook; onDone(message?: string): void }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => client.webhooks.delete(webhook.id),
    onSuccess: () => {
      forgetWebhook(queryClient, webhook.id);
      onDone(`Deleted ${webhook.url}.`);
    },
  });
  return (
    <ConfirmDialog title="Delete webhook?" confirmLabel="Delete" danger busy={remove.isPending} onCancel={() => onDone()} onConfirm={() => remove.mutate()}>
      <p>
        Delete <strong>{webhook.url}</strong>? Its deliveries stop at once, and its delivery log and statistics are deleted. This cannot be undone.
      </p>
      <ErrorMessage error={remove.error} context="Deleting failed" />
    </ConfirmDialog>
  );
}
