'use client';
import Link from 'next/link';
import { ArrowRight, CalendarClock, Lock, Unlock } from 'lucide-react';
import { useRequireSession, type ServiceStatus } from '@/lib/session';
import { euros, formatDate, planPrice } from '@/lib/catalog';
import { planNames, statusNames } from '@/lib/plans';
import { copy } from '@/lib/copy';
import { Countdown } from '@/components/countdown';
import { Banner, Spinner } from '@/components/form';
import { Announcement } from '@/components/announcement';

function StatusBadge({ s, onUnlock }: { s: ServiceStatus; onUnlock: () => void }) {
  if (s.status === 'unlocked')
    return (
      <span className="badge bg-emerald-100 text-emerald-800">
        <Unlock className="h-3.5 w-3.5" aria-hidden="true" /> Unlocked
      </span>
    );
  if (s.status === 'scheduled' && s.unlocks_at)
    return (
      <span className="badge bg-amber-100 text-amber-900">
        <CalendarClock className="h-3.5 w-3.5" aria-hidden="true" /> {formatDate(s.unlocks_at)} · <Countdown to={s.unlocks_at} onDone={onUnlock} />
      </span>
    );
  return (
    <span className="badge bg-slate-100 text-slate-700">
      <Lock className="h-3.5 w-3.5" aria-hidden="true" /> Locked
    </span>
  );
}

export default function Dashboard() {
  const session = useRequireSession();
  const me = session.me;
  if (session.status !== 'signed-in' || !me)
    return (
      <div className="container-page py-16">
        <Spinner label="Loading your dashboard…" />
      </div>
    );
  const sub = me.subscription;
  const live = sub && ['active', 'trialing', 'past_due'].includes(sub.status);
  return (
    <div className="container-page py-10">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-3xl font-bold tracking-tight">Welcome, {me.name.split(' ')[0]}</h1>
          <p className="mt-1 text-slate-700" data-testid="plan-summary">
            {sub ? (
              <>
                {planNames[sub.plan] ?? sub.plan} · {statusNames[sub.status] ?? sub.status}
                {sub.current_period_end && <> · {sub.cancel_at_period_end ? 'ends' : 'renews'} {formatDate(sub.current_period_end)}</>}
              </>
            ) : (
              'No plan yet — choose one to unlock the services.'
            )}
          </p>
        </div>
        {!live && (
          <Link href="/billing/?buy=founding" className="btn-primary">
            Become a founding member · {euros(planPrice('founding'))}/year
          </Link>
        )}
      </div>
      <div className="mt-6 empty:hidden">
        <Announcement />
      </div>
      {sub?.status === 'past_due' && (
        <div className="mt-6">
          <Banner kind="error">Your last payment failed. Update your payment method in Billing to keep access.</Banner>
        </div>
      )}
      {session.error && (
        <div className="mt-6">
          <Banner kind="error">{session.error}</Banner>
        </div>
      )}
      <ul className="mt-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Your services">
        {me.services.map((s) => {
          const usage = s.daily_limit > 0 ? Math.min(100, Math.round((s.used_today / s.daily_limit) * 100)) : 0;
          return (
            <li key={s.service} className="card flex flex-col p-5" data-testid="service-status" data-service={s.service} data-status={s.status}>
              <div className="flex items-start justify-between gap-2">
                <h2 className="font-semibold">{s.name}</h2>
              </div>
              <div className="mt-2">
                <StatusBadge s={s} onUnlock={() => void session.reload()} />
              </div>
              <p className="mt-3 flex-1 text-sm text-slate-700">{copy[s.service]?.tagline}</p>
              {s.status === 'unlocked' && (
                <div className="mt-3">
                  <div className="flex justify-between text-xs text-slate-600">
                    <span>Today</span>
                    <span data-testid="usage">
                      {s.used_today} / {s.daily_limit}
                    </span>
                  </div>
                  <div className="mt-1 h-1.5 rounded-full bg-slate-100" role="progressbar" aria-label={`${s.name} usage today`} aria-valuemin={0} aria-valuemax={s.daily_limit} aria-valuenow={s.used_today}>
                    <div className="h-1.5 rounded-full bg-brand-600" style={{ width: `${usage}%` }} />
                  </div>
                </div>
              )}
              <Link href={`/run/${s.slug}/`} className={`mt-4 ${s.status === 'unlocked' ? 'btn-primary' : 'btn-secondary'}`} aria-label={`${s.status === 'unlocked' ? 'Open' : 'View'} ${s.name}`}>
                {s.status === 'unlocked' ? 'Open' : 'View'} <ArrowRight className="h-4 w-4" aria-hidden="true" />
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
