// What a webhook's filter would do to the newest events of its types: counts and a few of each side.
import { compileFilter, defaultEnvelope, filterDocumentFor, matchesAnyPattern, type FilteredWebhook, type StoredEvent, type Webhook } from '@herald/shared';
import type { EventHistory } from './event-history';

/** Most events a preview runs over. */
export const PREVIEW_MAX_EVENTS = 1000;
/** How far back a preview looks for them: the newest stream entries, of every tenant and type. */
export const PREVIEW_SCAN_LIMIT = 10_000;
/** Events shown of each side. */
export const PREVIEW_SAMPLE_SIZE = 5;

export interface FilterPreviewResult {
  events: number;
  matched: number;
  refused: number;
  samples: { matched: StoredEvent[]; refused: { event: StoredEvent; failed: string }[] };
}

export class FilterPreview {
  constructor(private readonly history: EventHistory) {}

  /**
   * Runs the webhook's filters (or `filters`, to try others before saving them) over the newest
   * `last` events of its tenant and event types.
   */
  async run(webhook: Webhook, last: number, filters: FilteredWebhook = webhook): Promise<FilterPreviewResult> {
    const { events } = await this.history.newest(
      (event) => event.tenant === webhook.tenant && matchesAnyPattern(webhook.events, event.type),
      last,
      PREVIEW_SCAN_LIMIT,
    );
    const compiled = new Map<object, ReturnType<typeof compileFilter>>();
    const result: FilterPreviewResult = { events: events.length, matched: 0, refused: 0, samples: { matched: [], refused: [] } };
    for (const event of events) {
      const document = filterDocumentFor(filters, event.type);
      let filter = document && compiled.get(document);
      if (document && !filter) {
        filter = compileFilter(document);
        compiled.set(document, filter);
      }
      const failed = filter?.explain(defaultEnvelope(event));
      if (failed === undefined) {
        result.matched += 1;
        if (result.samples.matched.length < PREVIEW_SAMPLE_SIZE) result.samples.matched.push(event);
      } else {
        result.refused += 1;
        if (result.samples.refused.length < PREVIEW_SAMPLE_SIZE) result.samples.refused.push({ event, failed });
      }
    }
    return result;
  }
}
