// The console's API client: @herald/sdk's browser entry, talking only to the origin that served the page.
import { Herald } from '@herald/sdk/browser';

export function consoleClient(token: string): Herald {
  return new Herald({
    baseUrl: window.location.origin,
    token,
    // One quick retry at most: a person is waiting, and a refusal is better shown than hidden.
    retry: { maxRetries: 1, maxDelayMs: 2_000 },
    timeoutMs: 20_000,
  });
}
