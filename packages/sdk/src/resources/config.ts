import type { ConfigApplyResult, ConfigDocument } from '../types';
import { unwrap, type RequestContext } from './request';

export class ConfigResource {
  constructor(private readonly context: RequestContext) {}

  /** Applies a declarative configuration (admin token); applying it twice changes nothing the second time. */
  async apply(document: ConfigDocument, options: { dryRun?: boolean } = {}): Promise<ConfigApplyResult> {
    return unwrap(
      await this.context.api.POST('/v1/config/apply', {
        body: document,
        params: { query: options.dryRun ? { dryRun: 'true' } : {} },
        fetch: this.context.fetchFor({ idempotent: true }),
      }),
    );
  }
}
