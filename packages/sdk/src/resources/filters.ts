import type { Filter, FilterEnvelope, FilterTestResult } from '../types';
import { unwrap, type RequestContext } from './request';

export class FiltersResource {
  constructor(private readonly context: RequestContext) {}

  /**
   * Whether `event` passes `filter`, and if not the first condition it fails in words
   * (`data.amount: 50 is not >= 100`). Nothing is stored, so it is retried like a read.
   */
  async test(filter: Filter, event: FilterEnvelope): Promise<FilterTestResult> {
    return unwrap(await this.context.api.POST('/v1/filters/test', { body: { filter, event }, fetch: this.context.fetchFor({ idempotent: true }) }));
  }
}
