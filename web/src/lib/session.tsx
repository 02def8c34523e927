'use client';
// Who is signed in, for every page: restores the session from the refresh cookie once per
// page load (only when this browser signed in before, so anonymous visitors cause no 401s)
// and keeps `/api/user/me` at hand.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { usePathname, useRouter } from 'next/navigation';
import { api, hasToken, mightHaveSession, onSessionChange, refreshSession, signedOutOnPurpose, SignInRequired } from './api';

export type ServiceStatus = {
  service: string;
  name: string;
  slug: string;
  status: 'unlocked' | 'locked' | 'scheduled';
  unlocks_at: string | null;
  used_today: number;
  daily_limit: number;
  reason?: string | null;
};

export type Subscription = {
  plan: string;
  status: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  service?: string | null;
};

export type Me = {
  id: string;
  email: string;
  name: string;
  marketing_emails?: boolean;
  roles: string[];
  subscription: Subscription | null;
  subscriptions?: Subscription[];
  services: ServiceStatus[];
};

type State = { status: 'loading' | 'signed-in' | 'signed-out'; me: Me | null; error: string | null };

type SessionValue = State & { reload: () => Promise<void> };

const SessionContext = createContext<SessionValue>({
  status: 'loading',
  me: null,
  error: null,
  reload: async () => {},
});

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading', me: null, error: null });

  const reload = useCallback(async () => {
    if (!hasToken() && !(mightHaveSession() && (await refreshSession()))) {
      setState({ status: 'signed-out', me: null, error: null });
      return;
    }
    try {
      const me = await api<Me>('/api/user/me');
      setState({ status: 'signed-in', me, error: null });
    } catch (err) {
      if (err instanceof SignInRequired) setState({ status: 'signed-out', me: null, error: null });
      else setState((s) => ({ ...s, status: s.me ? 'signed-in' : 'signed-out', error: (err as Error).message }));
    }
  }, []);

  useEffect(() => {
    void reload();
    return onSessionChange(() => {
      if (!hasToken()) setState({ status: 'signed-out', me: null, error: null });
    });
  }, [reload]);

  return <SessionContext.Provider value={{ ...state, reload }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  return useContext(SessionContext);
}

/** For pages behind sign-in: sends anonymous visitors to /signin/, remembering the page. */
export function useRequireSession(): SessionValue {
  const session = useSession();
  const router = useRouter();
  const pathname = usePathname();
  useEffect(() => {
    if (session.status === 'signed-out') {
      // Signing out or erasing the account navigates by itself.
      if (signedOutOnPurpose()) return;
      const here = pathname + (typeof window !== 'undefined' ? window.location.search : '');
      router.replace(`/signin/?next=${encodeURIComponent(here)}`);
    }
  }, [session.status, router, pathname]);
  return session;
}
