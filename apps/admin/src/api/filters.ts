// Payload filters from the console: a typed filter checked through POST /v1/filters/test as it is
// typed, and a webhook's filter previewed on its recent events.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { Filter } from '@herald/sdk/browser';
import { useSession } from '../session/SessionContext';
import { fieldErrorsOf } from './errors';

/** How long typing must pause before the filter is checked, in ms. */
const CHECK_AFTER_MS = 400;

/** `value`, once it has stayed the same for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export type FilterCheck = { state: 'none' | 'checking' | 'valid' } | { state: 'invalid'; problems: string[] } | { state: 'unchecked'; error: unknown };

/**
 * Whether the API accepts `filter` (undefined: none typed, nothing to check), asked once typing
 * pauses. The API checks it as saving would; the event it is tried on does not matter here.
 */
export function useFilterCheck(filter: Filter | undefined): FilterCheck {
  const { client } = useSession();
  const text = useSettled(filter === undefined ? undefined : JSON.stringify(filter), CHECK_AFTER_MS);
  const check = useQuery({
    queryKey: ['filter-check', text],
    queryFn: async () => {
      try {
        await client.filters.test(JSON.parse(text as string) as Filter, {});
        return { state: 'valid' as const };
      } catch (error) {
        const problems = fieldErrorsOf(error);
        if (problems.length === 0) throw error;
        return { state: 'invalid' as const, problems: problems.map(({ field, message }) => `${field}: ${message}`) };
      }
    },
    enabled: text !== undefined,
    staleTime: Infinity,
    retry: false,
  });
  if (filter === undefined) return { state: 'none' };
  if (text !== JSON.stringify(filter) || check.isPending) return { state: 'checking' };
  if (check.error) return { state: 'unchecked', error: check.error };
  return check.data;
}

/** How many of a webhook's newest events `filter` (none: every event passes) would let through. */
export function useFilterPreview(webhookId: string) {
  const { client } = useSession();
  return useMutation({
    mutationFn: ({ filter, last }: { filter: Filter | undefined; last: number }) => client.webhooks.previewFilter(webhookId, { last, filter: filter ?? {} }),
  });
}
