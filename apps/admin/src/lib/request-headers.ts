// The request headers of one attempt, as far as the attempt log tells them: the log keeps no headers,
// so these are the ones Herald sets from what it does keep. Credentials and custom values are masked.
import type { DeliveryAttempt, Webhook } from '@herald/sdk/browser';

export function requestHeaders(attempt: DeliveryAttempt, webhook: Webhook | undefined): [string, string][] {
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['webhook-id', attempt.eventId],
    ['x-herald-event', attempt.eventType],
    ['x-herald-delivery-id', attempt.deliveryId],
    ['x-herald-attempt', String(attempt.attempt)],
  ];
  if (!webhook) return headers;
  const auth = webhook.auth;
  if (auth.type === 'bearer') headers.push(['authorization', 'Bearer ********']);
  if (auth.type === 'api_key') headers.push([auth.apiKeyHeader ?? 'x-api-key', '********']);
  if (auth.type === 'hmac') headers.push([auth.hmacHeader ?? 'x-herald-signature-256', `${auth.hmacAlgorithm ?? 'sha256'}=…`]);
  for (const [name, value] of Object.entries(webhook.headers)) headers.push([name, value]);
  return headers;
}
