'use client';
// Where social sign-in lands: the tokens arrive in the URL fragment (never sent to a
// server); the access token is kept in memory, the fragment wiped from history.
import { useEffect, useState } from 'react';
import { useRouter } from 'next/navigation';
import { acceptTokens } from '@/lib/api';
import { useSession } from '@/lib/session';
import { safeNext } from '@/components/auth-form';
import { Banner, Spinner } from '@/components/form';

export default function OAuthCallback() {
  const router = useRouter();
  const session = useSession();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const params = new URLSearchParams(window.location.hash.slice(1));
    window.history.replaceState(null, '', window.location.pathname);
    const access = params.get('access_token');
    if (!access) {
      setFailed(true);
      return;
    }
    acceptTokens({ access_token: access, refresh_token: '', token_type: 'Bearer', expires_in: Number(params.get('expires_in') ?? 3600) });
    void session.reload().then(() => router.replace(safeNext(params.get('redirect_to'))));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <div className="container-page py-16">
      {failed ? <Banner kind="error">Sign-in did not complete. Please try again from the sign-in page.</Banner> : <Spinner label="Signing you in…" />}
    </div>
  );
}
