import type { ReencryptResult } from '../types';
import { unwrap, type RequestContext } from './request';

export class SecretsResource {
  constructor(private readonly context: RequestContext) {}

  /** Rewrites every stored secret under the API's current HERALD_ENCRYPTION_KEY (admin token); safe to run again. */
  async reencrypt(): Promise<ReencryptResult> {
    return unwrap(await this.context.api.POST('/v1/secrets/reencrypt', { fetch: this.context.fetchFor({ idempotent: true }) }));
  }
}
