// Receivers on Express (or plain node:http): a middleware that reads the raw body, verifies it and
// sets `req.webhook`, answering 400 problem+json to anything that is not a genuine delivery.
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { WebhookVerificationError } from './errors/webhook-verification-error';
import type { WebhookEvent } from './types';
import { signingKey, verifyWebhook, type VerifyOptions } from './verify';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified delivery's body, set by webhookMiddleware. */
      webhook?: WebhookEvent;
    }
  }
}

export interface WebhookMiddlewareOptions extends VerifyOptions {
  /**
   * The largest body read, in bytes or as "1mb" (413 beyond).
   * @defaultValue "2mb"
   */
  limit?: number | string;
}

type WebhookRequest = IncomingMessage & { body?: unknown; webhook?: WebhookEvent };

function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/problem+json');
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/**
 * `app.post('/hooks/herald', webhookMiddleware(secret), (req, res) => { req.webhook … })`. Mount it
 * before any JSON body parser for that route (or after `express.raw()`): it needs the body's bytes.
 */
export function webhookMiddleware(secret: string | readonly string[], options: WebhookMiddlewareOptions = {}) {
  // A malformed secret is the receiver's mistake: it fails here, at start, not as a 400 to Herald.
  (typeof secret === 'string' ? [secret] : secret).forEach(signingKey);
  const limit = options.limit ?? '2mb';
  return (req: WebhookRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const read: Promise<Buffer | string> = Buffer.isBuffer(req.body) || typeof req.body === 'string'
      ? Promise.resolve(req.body)
      : req.body !== undefined && req.readableEnded
        ? Promise.reject(new TypeError('webhookMiddleware needs the raw body: mount it before express.json() (or use express.raw())'))
        : getRawBody(req, { limit });
    read.then(
      (raw) => {
        try {
          req.webhook = verifyWebhook(secret, raw, req.headers, options);
        } catch (error) {
          if (error instanceof WebhookVerificationError) return sendProblem(res, 400, 'Invalid webhook', error.message);
          return next(error);
        }
        next();
      },
      (error: { status?: number; type?: string; message?: string }) => {
        if (error.type === 'entity.too.large') return sendProblem(res, 413, 'Payload too large', `The body is over ${String(limit)}`);
        next(error);
      },
    );
  };
}
