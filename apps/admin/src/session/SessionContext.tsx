// Who is signed in, the API client acting for them, and signing in and out.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { HeraldApiError, type Herald } from '@herald/sdk/browser';
import { consoleClient } from '../api/client';
import { closeQueuesSession, openQueuesSession } from '../api/queues-session';
import { clearSession, loadSession, saveSession, type Role } from './storage';

export interface Session {
  role: Role;
  client: Herald;
  signOut(): Promise<void>;
}

interface SessionState {
  session: Session | null;
  /** Checks the token with the API, then keeps it: throws what the API said (or could not say). */
  signIn(token: string): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** The admin token reads /v1/stats; a tenant token is refused there with 403 (an unknown one with 401). */
async function roleOf(client: Herald): Promise<Role> {
  try {
    await client.stats();
    return 'admin';
  } catch (error) {
    if (error instanceof HeraldApiError && error.status === 403) return 'tenant';
    throw error;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [stored, setStored] = useState(() => loadSession());

  const signOut = useCallback(async () => {
    clearSession();
    setStored(null);
    queryClient.clear();
    await closeQueuesSession();
  }, [queryClient]);

  const signIn = useCallback(async (token: string) => {
    const client = consoleClient(token);
    const role = await roleOf(client);
    // Bull Board's cookie: only the admin token may have one. Without it the console still works.
    if (role === 'admin') await openQueuesSession(token).catch(() => false);
    saveSession({ token, role });
    queryClient.clear();
    setStored({ token, role });
  }, [queryClient]);

  const session = useMemo<Session | null>(
    () => (stored ? { role: stored.role, client: consoleClient(stored.token), signOut } : null),
    [stored, signOut],
  );
  const value = useMemo(() => ({ session, signIn }), [session, signIn]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

export function useSignIn(): SessionState['signIn'] {
  return useSessionState().signIn;
}

export function useMaybeSession(): Session | null {
  return useSessionState().session;
}

/** The signed-in session: only pages behind the sign-in use it. */
export function useSession(): Session {
  const session = useSessionState().session;
  if (!session) throw new Error('useSession without a session');
  return session;
}
