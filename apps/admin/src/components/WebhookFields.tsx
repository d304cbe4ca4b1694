// The fields of the create/edit form: the common ones, then an Advanced section.
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../session/SessionContext';
import { useWebhookDefaults } from '../api/webhooks';
import { Field } from './Field';
import { FilterField } from './FilterField';
import { formatMs } from '../lib/format';
import { splitEventTypes, type FormErrors, type FormValues } from '../lib/webhook-form';

export interface WebhookFieldsProps {
  values: FormValues;
  errors: FormErrors;
  onChange(patch: Partial<FormValues>): void;
  editing: boolean;
  /** The saved webhook being edited, whose recent events its filter can be previewed on. */
  webhookId?: string | undefined;
  showTenant: boolean;
  advancedOpen: boolean;
  onAdvancedToggle(open: boolean): void;
}

/** Event types seen recently, and their prefixes: what "Event types" suggests. */
function useKnownEventTypes(): string[] {
  const { client } = useSession();
  const recent = useQuery({ queryKey: ['events', 'types'], queryFn: () => client.events.list({ limit: 200 }), staleTime: 60_000 });
  const types = new Set<string>();
  for (const event of recent.data ?? []) {
    types.add(event.type);
    const dot = event.type.indexOf('.');
    if (dot > 0) types.add(`${event.type.slice(0, dot)}.*`);
  }
  return [...types].sort();
}

export function WebhookFields({ values, errors, onChange, editing, webhookId, showTenant, advancedOpen, onAdvancedToggle }: WebhookFieldsProps) {
  const known = useKnownEventTypes();
  // The server's defaults, as placeholders: a field left empty gets them (the form does not send it).
  const defaults = useWebhookDefaults().data;
  const placeholder = (value: string | number | undefined) => (value === undefined ? {} : { placeholder: String(value) });
  const schedule = defaults?.retry.strategy === 'schedule' ? (defaults.retry.delaysMs ?? []).map((ms) => formatMs(ms)).join(', ') : undefined;
  // A datalist completes the whole value: each suggestion is what is typed so far plus one more type.
  const typed = splitEventTypes(values.events);
  const before = values.events.includes(',') ? `${values.events.slice(0, values.events.lastIndexOf(',') + 1).trim()} ` : '';
  const suggestions = known.filter((type) => !typed.includes(type)).map((type) => `${before}${type}`);
  const input = (name: keyof FormValues) => ({
    value: String(values[name]),
    onChange: (event: { target: { value: string } }) => onChange({ [name]: event.target.value } as Partial<FormValues>),
  });

  return (
    <>
      <Field id="url" label="URL" error={errors.url} hint="Where deliveries are sent: an http(s) URL.">
        {(control) => <input {...control} {...input('url')} type="url" inputMode="url" autoComplete="off" required />}
      </Field>
      <Field id="description" label="Description" error={errors.description}>
        {(control) => <input {...control} {...input('description')} />}
      </Field>
      <Field id="events" label="Event types" error={errors.events} hint="Comma-separated: a type (order.created), a prefix (order.*), or * for every event.">
        {(control) => <input {...control} {...input('events')} {...placeholder(defaults?.events.join(', '))} list="known-event-types" autoComplete="off" spellCheck={false} />}
      </Field>
      <datalist id="known-event-types">
        {suggestions.map((value) => (
          <option key={value} value={value} />
        ))}
      </datalist>
      <FilterField value={values.filter} error={errors.filter} onChange={(filter) => onChange({ filter })} webhookId={webhookId} />
      <div className="field-row">
        <Field id="max-retries" label="Max retries" error={errors.maxRetries}>
          {(control) => <input {...control} {...input('maxRetries')} {...placeholder(defaults?.retry.maxRetries)} type="number" min={0} max={10} />}
        </Field>
        <Field id="initial-delay" label="Initial delay (ms)" error={errors.initialDelayMs}>
          {(control) => <input {...control} {...input('initialDelayMs')} {...placeholder(schedule ? undefined : defaults?.retry.initialDelayMs)} type="number" min={0} />}
        </Field>
        <Field id="backoff-multiplier" label="Backoff multiplier" error={errors.backoffMultiplier}>
          {(control) => <input {...control} {...input('backoffMultiplier')} {...placeholder(schedule ? undefined : defaults?.retry.backoffMultiplier)} type="number" min={1} max={10} step="0.1" />}
        </Field>
      </div>
      {editing ? null : (
        <p className="hint">
          {schedule ? `Empty fields take the server's defaults: retries on a schedule of ${schedule}.` : "Empty fields take the server's defaults, shown in grey."}
        </p>
      )}
      <div className="field checkbox">
        <input
          id="enabled"
          type="checkbox"
          role="switch"
          checked={values.enabled}
          onChange={(event) => onChange({ enabled: event.target.checked })}
          aria-invalid={errors.enabled ? true : undefined}
        />
        <label htmlFor="enabled">Enabled</label>
        {errors.enabled ? <p className="field-error">{errors.enabled}</p> : null}
      </div>
      <Field id="name" label="Name" error={errors.name} hint="Optional: a stable name, unique in the tenant (for declarative configuration).">
        {(control) => <input {...control} {...input('name')} autoComplete="off" />}
      </Field>
      {showTenant ? (
        <Field id="tenant" label="Tenant" error={errors.tenant} hint="Empty: the default tenant.">
          {(control) => <input {...control} {...input('tenant')} autoComplete="off" />}
        </Field>
      ) : null}

      <details open={advancedOpen} onToggle={(event) => onAdvancedToggle(event.currentTarget.open)}>
        <summary>Advanced</summary>
        <Field id="method" label="Method" error={errors.method}>
          {(control) => (
            <select {...control} {...input('method')}>
              <option value="POST">POST</option>
              <option value="PUT">PUT</option>
            </select>
          )}
        </Field>
        <Field id="timeout" label="Timeout (ms)" error={errors.timeoutMs}>
          {(control) => <input {...control} {...input('timeoutMs')} {...placeholder(defaults?.timeoutMs)} type="number" min={100} max={120000} />}
        </Field>
        <Field id="max-in-flight" label="Max in flight" error={errors.maxInFlight} hint="maxInFlight: deliveries in flight to this endpoint at once, per worker. Empty: the worker's default.">
          {(control) => <input {...control} {...input('maxInFlight')} type="number" min={1} max={10000} />}
        </Field>

        <fieldset>
          <legend>Ordered delivery</legend>
          <Field id="ordering-mode" label="Ordering" error={errors.orderingMode} hint="FIFO: one delivery at a time per line, in the order the events came in; the deliveries behind a failing head wait.">
            {(control) => (
              <select {...control} {...input('orderingMode')}>
                <option value="off">Off</option>
                <option value="fifo">FIFO</option>
              </select>
            )}
          </Field>
          {values.orderingMode === 'fifo' ? (
            <>
              <Field id="ordering-key" label="Ordering key" error={errors.orderingKey} hint="A line per value of tenant, type or a path under data such as data.orderId. Empty: one line for the whole webhook.">
                {(control) => <input {...control} {...input('orderingKey')} autoComplete="off" spellCheck={false} />}
              </Field>
              <Field id="ordering-exhausted" label="When a head spends its attempts" error={errors.orderingOnExhausted}>
                {(control) => (
                  <select {...control} {...input('orderingOnExhausted')}>
                    <option value="skip">Skip it: dead-letter it and move the line on</option>
                    <option value="block">Block the line until it is skipped or replayed</option>
                  </select>
                )}
              </Field>
            </>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Authentication</legend>
          <Field id="auth-type" label="Authentication type" error={errors.authType} hint={editing ? 'Stored credentials are never shown: type them again to change them.' : undefined}>
            {(control) => (
              <select {...control} {...input('authType')}>
                <option value="none">None</option>
                <option value="bearer">Bearer token</option>
                <option value="api_key">API key</option>
                <option value="hmac">HMAC signature</option>
                <option value="oauth2">OAuth2</option>
              </select>
            )}
          </Field>
          {values.authType === 'bearer' ? (
            <Field id="auth-token" label="Bearer token" error={errors.authToken}>
              {(control) => <input {...control} {...input('authToken')} type="password" autoComplete="off" />}
            </Field>
          ) : null}
          {values.authType === 'api_key' ? (
            <>
              <Field id="api-key" label="API key" error={errors.apiKey}>
                {(control) => <input {...control} {...input('apiKey')} type="password" autoComplete="off" />}
              </Field>
              <Field id="api-key-header" label="API key header" error={errors.apiKeyHeader} hint="Default: x-api-key">
                {(control) => <input {...control} {...input('apiKeyHeader')} autoComplete="off" />}
              </Field>
            </>
          ) : null}
          {values.authType === 'hmac' ? (
            <>
              <Field id="hmac-secret" label="HMAC secret" error={errors.hmacSecret}>
                {(control) => <input {...control} {...input('hmacSecret')} type="password" autoComplete="off" />}
              </Field>
              <Field id="hmac-algorithm" label="HMAC algorithm" error={errors.hmacAlgorithm}>
                {(control) => (
                  <select {...control} {...input('hmacAlgorithm')}>
                    <option value="sha256">sha256</option>
                    <option value="sha512">sha512</option>
                  </select>
                )}
              </Field>
              <Field id="hmac-header" label="HMAC header" error={errors.hmacHeader} hint="Default: x-herald-signature-256">
                {(control) => <input {...control} {...input('hmacHeader')} autoComplete="off" />}
              </Field>
            </>
          ) : null}
          {values.authType === 'oauth2' ? (
            <>
              <Field id="oauth-token-url" label="Token URL" error={errors.oauthTokenUrl} hint="Client credentials grant; tokens are cached and renewed before they expire.">
                {(control) => <input {...control} {...input('oauthTokenUrl')} type="url" autoComplete="off" />}
              </Field>
              <Field id="oauth-client-id" label="Client ID" error={errors.oauthClientId}>
                {(control) => <input {...control} {...input('oauthClientId')} autoComplete="off" />}
              </Field>
              <Field id="oauth-client-secret" label="Client secret" error={errors.oauthClientSecret}>
                {(control) => <input {...control} {...input('oauthClientSecret')} type="password" autoComplete="off" />}
              </Field>
              <Field id="oauth-auth-method" label="Client authentication" error={errors.oauthAuthMethod} hint="A private key JWT (private_key_jwt) is set through the API.">
                {(control) => (
                  <select {...control} {...input('oauthAuthMethod')}>
                    <option value="basic">HTTP Basic</option>
                    <option value="post">In the form</option>
                  </select>
                )}
              </Field>
              <Field id="oauth-scope" label="Scope" error={errors.oauthScope}>
                {(control) => <input {...control} {...input('oauthScope')} autoComplete="off" />}
              </Field>
              <Field id="oauth-audience" label="Audience" error={errors.oauthAudience}>
                {(control) => <input {...control} {...input('oauthAudience')} autoComplete="off" />}
              </Field>
            </>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Mutual TLS</legend>
          <Field id="tls-client-cert" label="Client certificate" error={errors.tlsClientCert} hint="PEM. Presented to https endpoints; empty: none.">
            {(control) => <textarea {...control} {...input('tlsClientCert')} rows={3} spellCheck={false} />}
          </Field>
          <Field id="tls-client-key" label="Client key" error={errors.tlsClientKey} hint={editing ? 'PEM. Never shown: type it again with a new certificate.' : 'PEM. Never shown again.'}>
            {(control) => <textarea {...control} {...input('tlsClientKey')} rows={3} spellCheck={false} autoComplete="off" />}
          </Field>
          <Field id="tls-passphrase" label="Key passphrase" error={errors.tlsPassphrase} hint="Only for an encrypted key.">
            {(control) => <input {...control} {...input('tlsPassphrase')} type="password" autoComplete="off" />}
          </Field>
        </fieldset>

        <Field id="headers" label="Custom headers" error={errors.headers} hint="One per line: name: value. Stored values are shown as ********.">
          {(control) => <textarea {...control} {...input('headers')} rows={3} spellCheck={false} />}
        </Field>

        <Field id="template-kind" label="Template or preset" error={errors.templateKind}>
          {(control) => (
            <select {...control} {...input('templateKind')}>
              <option value="none">None (the default envelope)</option>
              <option value="slack">Slack preset</option>
              <option value="discord">Discord preset</option>
              <option value="pagerduty">PagerDuty preset</option>
              <option value="custom">Custom template</option>
            </select>
          )}
        </Field>
        {values.templateKind === 'custom' ? (
          <Field id="template" label="Template" error={errors.template} hint="JSON with placeholders such as {{id}}, {{type}}, {{data.order}}.">
            {(control) => <textarea {...control} {...input('template')} rows={5} spellCheck={false} />}
          </Field>
        ) : errors.template ? (
          <p className="field-error">{errors.template}</p>
        ) : null}

        <fieldset>
          <legend>Rate limit</legend>
          <div className="field-row">
            <Field id="rate-per-second" label="Rate limit (per second)" error={errors.rateLimitPerSecond} hint="Empty: no limit.">
              {(control) => <input {...control} {...input('rateLimitPerSecond')} type="number" min={0} step="any" />}
            </Field>
            <Field id="rate-burst" label="Burst" error={errors.rateLimitBurst}>
              {(control) => <input {...control} {...input('rateLimitBurst')} type="number" min={1} />}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Circuit breaker</legend>
          <div className="field checkbox">
            <input
              id="circuit-enabled"
              type="checkbox"
              checked={values.circuitBreakerEnabled}
              onChange={(event) => onChange({ circuitBreakerEnabled: event.target.checked })}
            />
            <label htmlFor="circuit-enabled">Circuit breaker on</label>
            {errors.circuitBreakerEnabled ? <p className="field-error">{errors.circuitBreakerEnabled}</p> : null}
          </div>
          <div className="field-row">
            <Field id="failure-threshold" label="Failure threshold" error={errors.failureThreshold} hint="Empty: the worker's default (5).">
              {(control) => <input {...control} {...input('failureThreshold')} type="number" min={1} max={1000} />}
            </Field>
            <Field id="cooldown" label="Cooldown (ms)" error={errors.cooldownMs} hint="Empty: the worker's default (30000).">
              {(control) => <input {...control} {...input('cooldownMs')} type="number" min={100} />}
            </Field>
          </div>
        </fieldset>
      </details>
    </>
  );
}
