// The webhook form's "Filter" field: JSON, checked through the API while it is typed, and, for a
// saved webhook, "Preview": how many of its newest events the filter typed would let through.
import type { Filter } from '@herald/sdk/browser';
import { useFilterCheck, useFilterPreview, type FilterCheck } from '../api/filters';
import { describeError } from '../api/errors';
import { parseFilterText } from '../lib/webhook-form';
import { Field } from './Field';

/** Events a preview runs over. */
const PREVIEW_EVENTS = 100;

export interface FilterFieldProps {
  value: string;
  error?: string | undefined;
  onChange(value: string): void;
  /** The saved webhook whose recent events a preview runs over; none for a new one. */
  webhookId?: string | undefined;
}

function checkMessage(check: FilterCheck): string | undefined {
  switch (check.state) {
    case 'checking':
      return 'Checking the filter…';
    case 'valid':
      return 'The API accepts this filter.';
    case 'invalid':
      return `The API refuses this filter: ${check.problems.join('; ')}`;
    case 'unchecked':
      return `Could not check the filter: ${describeError(check.error)}`;
    default:
      return undefined;
  }
}

export function FilterField({ value, error, onChange, webhookId }: FilterFieldProps) {
  const parsed = parseFilterText(value);
  const filter: Filter | undefined = parsed.ok ? parsed.filter : undefined;
  const check = useFilterCheck(filter);
  // A text that is not JSON is said at once, without asking the API.
  const problem = error ?? (parsed.ok ? undefined : parsed.error);
  const status = parsed.ok ? checkMessage(check) : undefined;
  return (
    <>
      <Field
        id="filter"
        label="Filter"
        error={problem}
        hint='Deliver only events that match, as JSON over { id, type, tenant, timestamp, data }: {"data": {"amount": {"$gte": 100}}}. Empty: every event.'
      >
        {(control) => (
          <textarea {...control} value={value} onChange={(event) => onChange(event.target.value)} rows={4} spellCheck={false} placeholder='{"data": {"status": {"$in": ["paid", "refunded"]}}}' />
        )}
      </Field>
      {status ? (
        <p role="status" className={check.state === 'invalid' ? 'field-error' : 'hint'} aria-label="Check result">
          {status}
        </p>
      ) : null}
      {webhookId ? <FilterPreview webhookId={webhookId} filter={filter} disabled={!parsed.ok || check.state === 'invalid'} /> : null}
    </>
  );
}

function FilterPreview({ webhookId, filter, disabled }: { webhookId: string; filter: Filter | undefined; disabled: boolean }) {
  const preview = useFilterPreview(webhookId);
  const result = preview.data;
  const firstRefusal = result?.samples.refused[0];
  return (
    <div className="field">
      <button type="button" onClick={() => preview.mutate({ filter, last: PREVIEW_EVENTS })} disabled={disabled || preview.isPending} aria-busy={preview.isPending}>
        Preview
      </button>
      {result ? (
        <p role="status" aria-label="Preview result">
          {result.events === 0
            ? `None of the last ${PREVIEW_EVENTS} events is of this webhook's types.`
            : `${result.matched} of the last ${result.events} events would match; ${result.refused} would not.`}
          {firstRefusal ? ` For example ${firstRefusal.event.id}: ${firstRefusal.failed}.` : ''}
        </p>
      ) : null}
      {preview.error ? (
        <p role="alert" className="field-error">
          {describeError(preview.error)}
        </p>
      ) : null}
    </div>
  );
}
