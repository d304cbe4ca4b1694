// Decides at fan-out which webhooks' payload filters let an event through. Each filter document is
// compiled the first time it is used and kept with it: a webhook's document is replaced when its
// version changes, so a filter is compiled once per webhook version.
import { compileFilter, defaultEnvelope, filterDocumentFor, hasFilters, type CompiledFilter, type StoredEvent, type Webhook } from '@herald/shared';

/** What filtering left of one event's webhooks. */
export interface FilterVerdict {
  passed: readonly Webhook[];
  /** Webhooks whose filter refused the event. */
  refused: number;
}

/** The filters of some webhooks for events of one type, chosen once and used for each such event. */
export class TypeFilters {
  private readonly unfiltered: FilterVerdict;

  constructor(
    private readonly webhooks: readonly Webhook[],
    /** Each webhook's filter for the type, by position; undefined when none of them has one. */
    private readonly filters: readonly (CompiledFilter | undefined)[] | undefined,
  ) {
    this.unfiltered = { passed: webhooks, refused: 0 };
  }

  /** The webhooks `event` goes to. Without filters, the same list each time: nothing made, nothing run. */
  select(event: StoredEvent): FilterVerdict {
    const { filters } = this;
    if (filters === undefined) return this.unfiltered;
    const envelope = defaultEnvelope(event);
    const passed: Webhook[] = [];
    for (let i = 0; i < filters.length; i++) {
      const filter = filters[i];
      if (filter === undefined || filter.matches(envelope)) passed.push(this.webhooks[i] as Webhook);
    }
    return { passed, refused: this.webhooks.length - passed.length };
  }
}

export class WebhookFilters {
  /** Keyed by the document itself: dropped with the webhook version that held it. */
  private readonly compiled = new WeakMap<object, CompiledFilter>();
  /** Filters compiled; for tests. */
  compiles = 0;

  /** The filters of `webhooks` for events of `type` (the most specific of a webhook's eventFilters, else its filter). */
  forType(type: string, webhooks: readonly Webhook[]): TypeFilters {
    // The one check a webhook without filters costs.
    if (!webhooks.some(hasFilters)) return new TypeFilters(webhooks, undefined);
    return new TypeFilters(
      webhooks,
      webhooks.map((webhook) => {
        const document = filterDocumentFor(webhook, type);
        return document === undefined ? undefined : this.compile(document);
      }),
    );
  }

  /** The webhooks `event` goes to, of `webhooks`. */
  select(event: StoredEvent, webhooks: readonly Webhook[]): FilterVerdict {
    return this.forType(event.type, webhooks).select(event);
  }

  private compile(document: object): CompiledFilter {
    let filter = this.compiled.get(document);
    if (filter === undefined) {
      // Saved filters were checked when saved and again when their document was read (webhookSchema).
      filter = compileFilter(document);
      this.compiled.set(document, filter);
      this.compiles += 1;
    }
    return filter;
  }
}
