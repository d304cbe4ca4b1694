// The cookie that lets a browser into Bull Board at /admin/queues. A page navigation cannot send a
// bearer header, so the console trades the admin token for this cookie: HttpOnly (no script reads
// it), SameSite=Strict (no other site's page sends it), scoped to /admin/queues. Its value is an
// expiry and an HMAC of it keyed with the admin token: nothing to store, and changing the admin
// token ends every session.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@herald/shared';

export const QUEUES_COOKIE = 'herald_queues';
export const QUEUES_PATH = '/admin/queues';
/** How long a session lasts: a working day. */
export const QUEUES_SESSION_MS = 8 * 60 * 60 * 1000;

function mac(adminToken: string, expiresAtMs: number): string {
  return createHmac('sha256', adminToken).update(`herald-queues-session.${expiresAtMs}`).digest('base64url');
}

/** A session value that expires at `nowMs + QUEUES_SESSION_MS`. */
export function issueQueuesSession(adminToken: string, nowMs: number): { value: string; expiresAtMs: number } {
  const expiresAtMs = nowMs + QUEUES_SESSION_MS;
  return { value: `v1.${expiresAtMs}.${mac(adminToken, expiresAtMs)}`, expiresAtMs };
}

/** Whether a cookie value is a session this admin token issued, not yet expired at `nowMs`. */
export function isValidQueuesSession(value: string | undefined, adminToken: string, nowMs: number): boolean {
  const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!match) return false;
  const expiresAtMs = Number(match[1]);
  if (!(expiresAtMs > nowMs) || expiresAtMs > nowMs + QUEUES_SESSION_MS) return false;
  return constantTimeEqual(match[2] ?? '', mac(adminToken, expiresAtMs));
}
