// The console's webhooks in TanStack Query's cache: one list (['webhooks']) and one entry per
// webhook (['webhook', id], under which its stats, log and FIFO lines sit too). What an action returns is
// written into both, so that no page asks the API again for what it was just told.
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { FifoSkipped, Webhook, WebhookDefaults } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';

const LIST_KEY = ['webhooks'];

/** Every webhook the token may see; `refetchInterval` keeps a page that shows health up to date. */
export function useWebhooks({ refetchInterval }: { refetchInterval?: number } = {}) {
  const { client } = useSession();
  return useQuery({ queryKey: LIST_KEY, queryFn: () => client.webhooks.list(), refetchInterval });
}

/** What a new webhook gets for the fields it leaves out (the API's configuration): a form's placeholders. */
export function useWebhookDefaults() {
  const { client } = useSession();
  return useQuery<WebhookDefaults>({ queryKey: ['webhook-defaults'], queryFn: () => client.webhooks.defaults(), staleTime: 5 * 60_000 });
}

/** One webhook (its circuit too); `refetchInterval` keeps a page that shows its circuit up to date. */
export function useWebhook(id: string | undefined, { refetchInterval }: { refetchInterval?: number } = {}) {
  const { client } = useSession();
  return useQuery({ queryKey: ['webhook', id], queryFn: () => client.webhooks.get(id as string), enabled: id !== undefined, refetchInterval });
}

const fifoKey = (id: string) => ['webhook', id, 'fifo'];

/** A FIFO webhook's lines: deliveries waiting, heads out, and each blocked line. */
export function useWebhookFifo(id: string, { refetchInterval }: { refetchInterval?: number } = {}) {
  const { client } = useSession();
  return useQuery({ queryKey: fifoKey(id), queryFn: () => client.webhooks.fifo(id), refetchInterval });
}

/** Skips a blocked line's head; its lines are read again, and the dead letters (the head's stays). */
export function useSkipFifoHead(id: string, { onSuccess }: { onSuccess?(skipped: FifoSkipped): void } = {}) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (key: string) => client.webhooks.skipFifoHead(id, { key }),
    onSuccess: async (skipped) => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: fifoKey(id) }), queryClient.invalidateQueries({ queryKey: ['dead-letters'] })]);
      onSuccess?.(skipped);
    },
  });
}

/** A webhook's circuit by id, from the list (closed until the list is in, or if it is gone). */
export function useCircuits(): (id: string) => Webhook['circuit'] {
  const webhooks = useWebhooks();
  return (id) => webhooks.data?.find((webhook) => webhook.id === id)?.circuit ?? { state: 'closed' };
}

/** A webhook's URL by id, for tables that name webhooks (its id until the list is in, or if it is gone). */
export function useWebhookUrl(): (id: string) => string {
  const webhooks = useWebhooks();
  return (id) => webhooks.data?.find((webhook) => webhook.id === id)?.url ?? id;
}

/** A webhook as the API just returned it (created or saved): into the list and its own entry. */
export function storeWebhook(queryClient: QueryClient, saved: Webhook): void {
  queryClient.setQueryData(['webhook', saved.id], saved);
  queryClient.setQueryData<Webhook[]>(LIST_KEY, (list) =>
    list && (list.some((webhook) => webhook.id === saved.id) ? list.map((webhook) => (webhook.id === saved.id ? saved : webhook)) : [...list, saved]),
  );
}

/** A deleted webhook: out of the list, and its own entries (stats, log) dropped. */
export function forgetWebhook(queryClient: QueryClient, id: string): void {
  queryClient.setQueryData<Webhook[]>(LIST_KEY, (list) => list?.filter((webhook) => webhook.id !== id));
  queryClient.removeQueries({ queryKey: ['webhook', id] });
}
