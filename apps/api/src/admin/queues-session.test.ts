import { QUEUES_SESSION_MS, issueQueuesSession, isValidQueuesSession } from './queues-session';

const TOKEN = 'admin-token-0123456789';
const NOW = 1_800_000_000_000;

it('admits a session the admin token issued until it expires', () => {
  const { value, expiresAtMs } = issueQueuesSession(TOKEN, NOW);
  expect(expiresAtMs).toBe(NOW + QUEUES_SESSION_MS);
  expect(value).not.toContain(TOKEN);
  expect(isValidQueuesSession(value, TOKEN, NOW)).toBe(true);
  expect(isValidQueuesSession(value, TOKEN, expiresAtMs - 1)).toBe(true);
  expect(isValidQueuesSession(value, TOKEN, expiresAtMs)).toBe(false);
});

it('refuses a session of another admin token, a changed expiry, a forged or malformed value', () => {
  const { value, expiresAtMs } = issueQueuesSession(TOKEN, NOW);
  expect(isValidQueuesSession(value, 'another-admin-token-0123', NOW)).toBe(false);
  const [, , mac] = value.split('.');
  expect(isValidQueuesSession(`v1.${expiresAtMs + 60_000}.${mac}`, TOKEN, NOW)).toBe(false);
  expect(isValidQueuesSession(`v1.${expiresAtMs}.${'A'.repeat(43)}`, TOKEN, NOW)).toBe(false);
  for (const bad of [undefined, '', 'v1', TOKEN, `v2.${expiresAtMs}.${mac}`, `v1.abc.${mac}`]) expect(isValidQueuesSession(bad, TOKEN, NOW)).toBe(false);
});

it('refuses a session that claims to last longer than any it issues', () => {
  const far = issueQueuesSession(TOKEN, NOW + QUEUES_SESSION_MS);
  expect(isValidQueuesSession(far.value, TOKEN, NOW)).toBe(false);
});
