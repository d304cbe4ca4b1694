// The signed-in token lives in sessionStorage: this tab only, gone when it closes, never in a URL.
export type Role = 'admin' | 'tenant';

export interface StoredSession {
  token: string;
  role: Role;
}

const KEY = 'herald.console.session';

export function loadSession(storage: Storage = window.sessionStorage): StoredSession | null {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? 'null') as Partial<StoredSession> | null;
    if (value && typeof value.token === 'string' && value.token && (value.role === 'admin' || value.role === 'tenant')) {
      return { token: value.token, role: value.role };
    }
  } catch {
    // An unreadable entry is no session.
  }
  return null;
}

export function saveSession(session: StoredSession, storage: Storage = window.sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = window.sessionStorage): void {
  storage.removeItem(KEY);
}
