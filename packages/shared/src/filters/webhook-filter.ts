// Which of a webhook's filters applies to an event type, as templates are chosen.
import { mostSpecificPattern } from '../patterns';
import type { FilterDocument } from './filter-schema';

export interface FilteredWebhook {
  filter?: FilterDocument | undefined;
  eventFilters?: Record<string, FilterDocument> | undefined;
}

/** The filter for events of `type`: the most specific matching pattern of `eventFilters`, else `filter`; undefined when none. */
export function filterDocumentFor(webhook: FilteredWebhook, type: string): FilterDocument | undefined {
  const pattern = webhook.eventFilters ? mostSpecificPattern(Object.keys(webhook.eventFilters), type) : undefined;
  return pattern !== undefined ? webhook.eventFilters?.[pattern] : webhook.filter;
}

/** Whether a webhook has any filter: the one check webhooks without filters pay at fan-out. */
export function hasFilters(webhook: FilteredWebhook): boolean {
  return webhook.filter !== undefined || webhook.eventFilters !== undefined;
}
