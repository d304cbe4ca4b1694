// Decides at fan-out which webhooks' filters let an event through. Each filter document is compiled
// the first time it is used and kept with it: a webhook's document is replaced when its version
// changes, so a filter is compiled once per webhook version.
import { compileFilter, defaultEnvelope, filterDocumentFor, hasFilters, type CompiledFilter, type StoredEvent, type Webhook } from '@herald/shared';

export class WebhookFilters {
  /** Keyed by the document itself: dropped with the webhook version that held it. */
  private readonly compiled = new WeakMap<object, CompiledFilter>();
  /** Filters compiled; for tests. */
  compiles = 0;

  /**
   * Splits `webhooks` into those whose filter lets `event` through (and those with none) and the
   * count refused. A webhook without filters costs one check; the envelope is made once per event,
   * and only when some webhook has a filter.
   */
  select(event: StoredEvent, webhooks: readonly Webhook[]): { passed: Webhook[]; refused: number } {
    if (!webhooks.some(hasFilters)) return { passed: webhooks as Webhook[], refused: 0 };
    let envelope: Record<string, unknown> | undefined;
    const passed: Webhook[] = [];
    for (const webhook of webhooks) {
      const document = hasFilters(webhook) ? filterDocumentFor(webhook, event.type) : undefined;
      if (document === undefined) {
        passed.push(webhook);
        continue;
      }
      envelope ??= defaultEnvelope(event);
      if (this.compile(document).matches(envelope)) passed.push(webhook);
    }
    return { passed, refused: webhooks.length - passed.length };
  }

  private compile(document: object): CompiledFilter {
    let filter = this.compiled.get(document);
    if (filter === undefined) {
      // Saved filters were checked when saved and again when their document was read (webhookSchema).
      filter = compileFilter(document);
      this.compiles += 1;
      this.compiled.set(document, filter);
    }
    return filter;
  }
}
