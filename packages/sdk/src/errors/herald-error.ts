/** The base of every error the SDK throws on purpose: tell them apart by class, or by `code`. */
export class HeraldError extends Error {
  constructor(
    message: string,
    /** Machine-readable: `api_error`, `network_error`, `timeout`, or a WebhookVerificationError's code. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
