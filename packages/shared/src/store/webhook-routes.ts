// Webhook routes: what fan-out needs of a webhook (enabled, its event patterns, the version of its
// latest change), kept per tenant beside the documents, with a digest per tenant. The Lua side
// (lua/webhook-routes.lua) writes them; this reads them, and computes the same digest.
import { createHash } from 'node:crypto';

export interface WebhookRoute {
  id: string;
  tenant: string;
  enabled: boolean;
  /** Its event patterns (`order.created`, `order.*`, `*`). */
  events: readonly string[];
  /** The webhooks' version at its latest change: a document read at an older one is stale. */
  revision: number;
  /** Its share of its tenant's digest. */
  hash: number;
}

/**
 * A stored route as the worker holds it; null for one that does not read as a route. `intern`
 * returns one shared copy of a text (a tenant's name, an event pattern) for every route naming it.
 */
export function parseRoute(id: string, tenant: string, value: string, intern: (text: string) => string = (text) => text): WebhookRoute | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  const { e, p, r } = (parsed ?? {}) as { e?: unknown; p?: unknown; r?: unknown };
  if (typeof e !== 'boolean' || typeof r !== 'number' || !Array.isArray(p) || !p.every((pattern) => typeof pattern === 'string')) return null;
  return { id, tenant: intern(tenant), enabled: e, events: (p as string[]).map(intern), revision: r, hash: routeHash(id, value) };
}

/** The first 32 bits of the SHA-1 of `<id> <route>`, as a signed integer: what webhook-routes.lua XORs into a tenant's digest. */
export function routeHash(id: string, value: string): number {
  return Number.parseInt(createHash('sha1').update(`${id} ${value}`).digest('hex').slice(0, 8), 16) | 0;
}

/** A tenant's digest, as `:webhooks:tenants` keeps it: the count of its routes and the XOR of their hashes. */
export function tenantDigest(count: number, xor: number): string {
  return `${count}:${xor}`;
}
