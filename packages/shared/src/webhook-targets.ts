// Every address a webhook makes Herald connect to — its URL and an OAuth2 token endpoint — passes
// the same target checks (url-safety.ts).
import { refusedTargetUrl, type TargetPolicy } from './url-safety';

/** Why each target of a webhook (or of a patch of one) is refused, by field; empty when all are allowed. */
export async function refusedWebhookTargets(
  webhook: { url?: string | undefined; auth?: { type?: string; tokenUrl?: string | undefined } | null | undefined },
  policy: TargetPolicy,
): Promise<{ field: string; message: string }[]> {
  const targets: [string, string | undefined][] = [
    ['url', webhook.url],
    ['auth.tokenUrl', webhook.auth?.type === 'oauth2' ? webhook.auth.tokenUrl : undefined],
  ];
  const problems: { field: string; message: string }[] = [];
  for (const [field, url] of targets) {
    if (url === undefined) continue;
    const refused = await refusedTargetUrl(url, policy);
    if (refused) problems.push({ field, message: refused });
  }
  return problems;
}
