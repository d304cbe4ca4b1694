import type { DeadLetter, DeadLetterDetail, DeadLetterFilter, Page, ReplayInput, ReplayResult } from '../types';
import { timeParam, unwrap, type RequestContext } from './request';

export interface DeadLetterListOptions extends DeadLetterFilter {
  /** Page size, 1–1,000 (default 100). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** The filter as sent: openapi-fetch leaves undefined query values out, JSON.stringify undefined body fields. */
function filterFields(filter: DeadLetterFilter) {
  return { webhookId: filter.webhookId, type: filter.type, since: timeParam(filter.since), before: timeParam(filter.before) };
}

export class DeadLettersResource {
  constructor(private readonly context: RequestContext) {}

  /** One page of dead letters, newest first: `{ items, next }`; pass `next` as `cursor` for the page after. */
  async list(options: DeadLetterListOptions = {}): Promise<Page<DeadLetter>> {
    const query = { ...filterFields(options), limit: options.limit, cursor: options.cursor };
    const page = unwrap(await this.context.api.GET('/v1/dead-letters', { params: { query } }));
    return { items: page.data, next: page.next };
  }

  /** Every page of dead letters matching the filter, one after the other: `for await (const page of …)`. */
  async *pages(options: Omit<DeadLetterListOptions, 'cursor'> = {}): AsyncGenerator<Page<DeadLetter>, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, cursor });
      // A full last page still carries a `next`, whose page is empty: that one is not yielded.
      if (page.items.length === 0 && cursor !== undefined) return;
      yield page;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  /** One dead letter with its attempts. */
  async get(id: string): Promise<DeadLetterDetail> {
    return unwrap(await this.context.api.GET('/v1/dead-letters/{id}', { params: { path: { id } } }));
  }

  /** Delivers dead letters again (same delivery id and webhook-id): the given `ids`, or all matching a filter. */
  async replay(input: ReplayInput): Promise<ReplayResult> {
    // Replaying ids twice is harmless (the second time they are not found); a filter may catch new ones.
    if ('ids' in input) {
      return unwrap(await this.context.api.POST('/v1/dead-letters/replay', { body: { ids: input.ids }, fetch: this.context.fetchFor({ idempotent: true }) }));
    }
    const body = { ...filterFields(input), limit: input.limit };
    return unwrap(await this.context.api.POST('/v1/dead-letters/replay', { body }));
  }

  /** Deletes one dead letter for good. */
  async purge(id: string): Promise<void> {
    unwrap(await this.context.api.DELETE('/v1/dead-letters/{id}', { params: { path: { id } } }));
  }
}
