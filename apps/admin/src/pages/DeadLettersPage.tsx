// Deliveries that failed for good: filter them, select some, replay or purge them; or replay every
// one that matches the filter.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DeadLetterFilter, ReplayResult } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { FailedJobsNote } from '../components/FailedJobsNote';
import { useWebhookUrl, useWebhooks } from '../api/webhooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { ConfirmDialog } from '../components/Dialog';
import { formatTime, localInputToIso, timeZoneName } from '../lib/format';

const PAGE_SIZE = 50;
type Action = 'replay' | 'purge' | 'replay-all';

interface FilterForm {
  webhookId: string;
  type: string;
  since: string;
  before: string;
}

const EMPTY: FilterForm = { webhookId: '', type: '', since: '', before: '' };

function toFilter(form: FilterForm): DeadLetterFilter {
  const since = localInputToIso(form.since);
  const before = localInputToIso(form.before);
  return {
    ...(form.webhookId ? { webhookId: form.webhookId } : {}),
    ...(form.type.trim() ? { type: form.type.trim() } : {}),
    ...(since ? { since } : {}),
    ...(before ? { before } : {}),
  };
}

function replayMessage(result: ReplayResult): string {
  const skipped = result.skipped.length ? ` ${result.skipped.length} skipped: ${[...new Set(result.skipped.map((s) => s.reason))].join(', ')}.` : '';
  return `Replayed ${result.replayed.length} dead letter${result.replayed.length === 1 ? '' : 's'}.${skipped}`;
}

export function DeadLettersPage() {
  const { client, role } = useSession();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [filter, setFilter] = useState<DeadLetterFilter>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState<Action | null>(null);
  const [message, setMessage] = useState('');
  const cursor = cursors.at(-1);

  const webhooks = useWebhooks();
  const urlOf = useWebhookUrl();
  const page = useQuery({
    queryKey: ['dead-letters', filter, cursor],
    queryFn: () => client.deadLetters.list({ ...filter, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const items = page.data?.items ?? [];

  const run = useMutation({
    mutationFn: async (what: Action): Promise<string> => {
      if (what === 'replay-all') return replayMessage(await client.deadLetters.replay(filter));
      const ids = [...selected];
      if (what === 'replay') return replayMessage(await client.deadLetters.replay({ ids }));
      for (const id of ids) await client.deadLetters.purge(id);
      return `Purged ${ids.length} dead letter${ids.length === 1 ? '' : 's'}.`;
    },
    onSuccess: async (text) => {
      setMessage(text);
      setSelected(new Set());
      setAction(null);
      setCursors([]);
      await queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
    },
  });

  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    setFilter(toFilter(form));
    setCursors([]);
    setSelected(new Set());
  };
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allOnPage = items.length > 0 && items.every((d) => selected.has(d.id));

  return (
    <section>
      <h1>Dead letters</h1>
      {/* Bull Board is the admin's: a tenant token never sees its counts. */}
      {role === 'admin' ? <FailedJobsNote onDeadLetterPage /> : null}
      <form className="filters" onSubmit={applyFilter} aria-label="Dead letter filters">
        <div className="field">
          <label htmlFor="dl-webhook">Webhook</label>
          <select id="dl-webhook" value={form.webhookId} onChange={(event) => setForm({ ...form, webhookId: event.target.value })}>
            <option value="">All webhooks</option>
            {(webhooks.data ?? []).map((webhook) => (
              <option key={webhook.id} value={webhook.id}>
                {webhook.url}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="dl-type">Event type</label>
          <input id="dl-type" value={form.type} spellCheck={false} onChange={(event) => setForm({ ...form, type: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dl-since">Since ({timeZoneName()})</label>
          <input id="dl-since" type="datetime-local" value={form.since} onChange={(event) => setForm({ ...form, since: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dl-before">Before ({timeZoneName()})</label>
          <input id="dl-before" type="datetime-local" value={form.before} onChange={(event) => setForm({ ...form, before: event.target.value })} />
        </div>
        <button type="submit">Filter</button>
      </form>

      <div className="toolbar">
        <button type="button" disabled={selected.size === 0} onClick={() => setAction('replay')}>
          Replay
        </button>
        <button type="button" className="danger" disabled={selected.size === 0} onClick={() => setAction('purge')}>
          Purge
        </button>
        <button type="button" disabled={items.length === 0} onClick={() => setAction('replay-all')}>
          Replay all matching
        </button>
        <span className="muted">{selected.size ? `${selected.size} selected` : ''}</span>
      </div>
      <p role="status" aria-live="polite" className="status">
        {message}
      </p>
      <ErrorMessage error={page.error} context="Could not load the dead letters" />

      <table>
        <caption>Dead letters</caption>
        <thead>
          <tr>
            <th scope="col">
              <input
                type="checkbox"
                aria-label="Select all on this page"
                checked={allOnPage}
                disabled={items.length === 0}
                onChange={(event) => setSelected(event.target.checked ? new Set(items.map((d) => d.id)) : new Set())}
              />
            </th>
            <th scope="col">Dead-lettered</th>
            <th scope="col">Webhook</th>
            <th scope="col">Event</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && !page.isPending ? (
            <tr>
              <td colSpan={6}>No dead letters{Object.keys(filter).length ? ' match this filter' : ''}.</td>
            </tr>
          ) : null}
          {items.map((deadLetter) => (
            <tr key={deadLetter.id}>
              <td>
                <input type="checkbox" aria-label={`Select ${deadLetter.id}`} checked={selected.has(deadLetter.id)} onChange={(event) => toggle(deadLetter.id, event.target.checked)} />
              </td>
              <td>
                <time dateTime={deadLetter.deadLetteredAt}>{formatTime(deadLetter.deadLetteredAt)}</time>
              </td>
              <td>
                <Link to={`/webhooks/${deadLetter.webhookId}`}>{urlOf(deadLetter.webhookId)}</Link>
              </td>
              <td>
                <Link to={`/events/${deadLetter.event.id}`}>{deadLetter.event.type}</Link>
                <div className="muted small">{deadLetter.event.id}</div>
              </td>
              <td>
                {deadLetter.attempts}
                {deadLetter.replays ? <span className="muted small"> ({deadLetter.replays} replays)</span> : null}
              </td>
              <td>
                {deadLetter.lastStatusCode !== undefined && !deadLetter.lastError.includes(String(deadLetter.lastStatusCode)) ? `HTTP ${deadLetter.lastStatusCode}: ` : ''}
                {deadLetter.lastError}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!page.data?.next} onClick={() => page.data?.next && setCursors([...cursors, page.data.next])}>
          Next page
        </button>
      </div>

      {action ? (
        <ConfirmDialog
          title={action === 'purge' ? 'Purge dead letters?' : action === 'replay' ? 'Replay dead letters?' : 'Replay all matching dead letters?'}
          confirmLabel={action === 'purge' ? 'Purge' : action === 'replay' ? 'Replay' : 'Replay all matching'}
          danger={action === 'purge'}
          busy={run.isPending}
          onCancel={() => {
            run.reset();
            setAction(null);
          }}
          onConfirm={() => run.mutate(action)}
        >
          <p>
            {action === 'purge'
              ? `Delete ${selected.size} dead letter${selected.size === 1 ? '' : 's'} for good? They will not be delivered.`
              : action === 'replay'
                ? `Deliver ${selected.size} dead letter${selected.size === 1 ? '' : 's'} again, with the same delivery id and webhook-id?`
                : `Deliver again every dead letter that matches the filter${Object.keys(filter).length ? '' : ' (no filter: all of them)'}?`}
          </p>
          <ErrorMessage error={run.error} context="The API refused" />
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
