// Bull Board (/admin/queues) is opened by navigation, which cannot carry a bearer header: the admin
// token is traded for an HttpOnly cookie scoped to /admin/queues, and the cookie dropped at sign-out.

export async function openQueuesSession(token: string): Promise<boolean> {
  const response = await fetch('/admin/queues/session', { method: 'POST', headers: { authorization: `Bearer ${token}` }, credentials: 'same-origin' });
  return response.ok;
}

export async function closeQueuesSession(): Promise<void> {
  await fetch('/admin/queues/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
}
