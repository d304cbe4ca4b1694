// Create a webhook (/webhooks/new) or edit one (/webhooks/:id/edit). The API's field errors appear
// beside their fields; after creating, the signing secret is shown once.
import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Webhook } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { storeWebhook, useWebhook } from '../api/webhooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { SecretDialog } from '../components/SecretDialog';
import { WebhookFields } from '../components/WebhookFields';
import { fieldErrorsOf } from '../api/errors';
import {
  ADVANCED_FIELDS,
  createBody,
  emptyForm,
  formErrorsFromApi,
  formFromWebhook,
  updateBody,
  type FormErrors,
  type FormValues,
} from '../lib/webhook-form';

export function WebhookFormPage() {
  const { id } = useParams();
  const webhook = useWebhook(id);
  if (id === undefined) return <WebhookForm />;
  if (webhook.isPending) return <p role="status">Loading the webhook…</p>;
  if (webhook.error) return <ErrorMessage error={webhook.error} context="Could not load the webhook" />;
  return <WebhookForm key={webhook.data.updatedAt} webhook={webhook.data} />;
}

function WebhookForm({ webhook }: { webhook?: Webhook }) {
  const { client, role } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const initial = useMemo(() => (webhook ? formFromWebhook(webhook) : emptyForm()), [webhook]);
  const [values, setValues] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<FormErrors>({});
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);

  const save = useMutation({
    mutationFn: async (form: FormValues) => {
      if (webhook) {
        const built = updateBody(webhook, initial, form);
        if (!built.ok) return { kind: 'invalid' as const, errors: built.errors };
        return { kind: 'updated' as const, webhook: await client.webhooks.update(webhook.id, built.body) };
      }
      const built = createBody(form);
      if (!built.ok) return { kind: 'invalid' as const, errors: built.errors };
      const { secret, ...saved } = await client.webhooks.create(built.body);
      return { kind: 'created' as const, webhook: saved as Webhook, secret };
    },
    onSuccess: (result) => {
      if (result.kind === 'invalid') return showErrors(result.errors);
      storeWebhook(queryClient, result.webhook);
      if (result.kind === 'created') setCreated({ id: result.webhook.id, secret: result.secret });
      else void navigate(`/webhooks/${result.webhook.id}`);
    },
    onError: (error) => {
      const fieldErrors = fieldErrorsOf(error);
      if (fieldErrors.length) showErrors(formErrorsFromApi(fieldErrors));
    },
  });

  function showErrors(next: FormErrors) {
    setErrors(next);
    if (ADVANCED_FIELDS.some((field) => next[field])) setAdvancedOpen(true);
    // The first field in error takes the focus, so keyboard and screen-reader users land on it.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    save.mutate(values);
  };

  const apiRefusedWithoutFields = save.error && fieldErrorsOf(save.error).length === 0 ? save.error : null;
  return (
    <section>
      <h1>{webhook ? `Edit webhook` : 'Create webhook'}</h1>
      {webhook ? <p className="muted">{webhook.url}</p> : null}
      <form method="post" onSubmit={submit} noValidate aria-label={webhook ? 'Edit webhook' : 'Create webhook'}>
        <WebhookFields
          values={values}
          errors={errors}
          onChange={(patch) => setValues((current) => ({ ...current, ...patch }))}
          editing={webhook !== undefined}
          webhookId={webhook?.id}
          showTenant={role === 'admin' && webhook === undefined}
          advancedOpen={advancedOpen}
          onAdvancedToggle={setAdvancedOpen}
        />
        {errors.form?.length ? (
          <div role="alert" className="error">
            <strong>The API refused the webhook:</strong>
            <ul>
              {errors.form.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {Object.keys(errors).some((key) => key !== 'form') ? (
          <p role="alert" className="error">
            Some fields need attention: see the messages beside them.
          </p>
        ) : null}
        <ErrorMessage error={apiRefusedWithoutFields} context={webhook ? 'Saving failed' : 'Creating failed'} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.isPending} aria-busy={save.isPending}>
            {webhook ? 'Save' : 'Create'}
          </button>
          <button type="button" onClick={() => void navigate(webhook ? `/webhooks/${webhook.id}` : '/webhooks')}>
            Cancel
          </button>
        </div>
      </form>
      {created ? (
        <SecretDialog
          title="Webhook created"
          secret={created.secret}
          onClose={() => {
            const { id } = created;
            setCreated(null);
            void navigate(`/webhooks/${id}`);
          }}
        />
      ) : null}
    </section>
  );
}
