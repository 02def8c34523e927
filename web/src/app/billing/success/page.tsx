'use client';
// After checkout: the payment is confirmed by a webhook, which may land a moment later, so
// the page waits for the plan to show up on the account before saying it is active.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { CheckCircle2 } from 'lucide-react';
import { useRequireSession } from '@/lib/session';
import { planNames } from '@/lib/plans';
import { Spinner } from '@/components/form';

export default function Success() {
  const session = useRequireSession();
  const [tries, setTries] = useState(0);
  const active = session.me?.subscription && ['active', 'trialing'].includes(session.me.subscription.status);
  useEffect(() => {
    if (session.status !== 'signed-in' || active || tries >= 15) return;
    const timer = window.setTimeout(() => {
      void session.reload();
      setTries((t) => t + 1);
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [session, active, tries]);
  return (
    <div className="container-page flex justify-center py-16">
      <div className="card w-full max-w-lg text-center">
        {active ? (
          <>
            <CheckCircle2 className="mx-auto h-12 w-12 text-emerald-600" aria-hidden="true" />
            <h1 className="mt-4 text-2xl font-bold">Thank you — you’re in</h1>
            <p className="mt-2 text-slate-700">Your {planNames[session.me?.subscription?.plan ?? ''] ?? 'plan'} is active. A receipt is on its way to your inbox.</p>
            <Link href="/dashboard/" className="btn-primary mt-6">Go to your dashboard</Link>
          </>
        ) : tries >= 15 ? (
          <>
            <h1 className="text-2xl font-bold">Payment received</h1>
            <p className="mt-2 text-slate-700">We are still confirming it with the bank. Your services will unlock in a minute; you can safely leave this page.</p>
            <Link href="/dashboard/" className="btn-primary mt-6">Go to your dashboard</Link>
          </>
        ) : (
          <>
            <h1 className="text-2xl font-bold">Confirming your payment…</h1>
            <div className="mt-4"><Spinner label="This takes a few seconds" /></div>
          </>
        )}
      </div>
    </div>
  );
}
