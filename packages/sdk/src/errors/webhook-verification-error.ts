import { HeraldError } from './herald-error';

export type WebhookVerificationCode =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'invalid_signature'
  | 'invalid_payload';

/** A request that is not a genuine, fresh delivery signed with the webhook's secret: refuse it (400). */
export class WebhookVerificationError extends HeraldError {
  override readonly name = 'WebhookVerificationError';

  constructor(
    message: string,
    override readonly code: WebhookVerificationCode,
  ) {
    super(message, code);
  }
}
