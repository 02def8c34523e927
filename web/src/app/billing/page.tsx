'use client';
// The plan and its renewal, the portal to manage it, and buying more: a single service or
// the bundle. `?buy=…` (from pricing and service pages) asks for one confirmation first.
import Link from 'next/link';
import { Suspense, useEffect, useState } from 'react';
import { useSearchParams } from 'next/navigation';
import { CreditCard } from 'lucide-react';
import { euros, formatDate, planPrice, services } from '@/lib/catalog';
import { openPortal, purchaseFromQuery, startCheckout, type Purchase } from '@/lib/checkout';
import { planNames, statusNames } from '@/lib/plans';
import { useRequireSession } from '@/lib/session';
import { Banner, Spinner } from '@/components/form';

function describe(p: Purchase): { title: string; price: string } {
  if (p.kind === 'founding') return { title: 'Founding Membership — all twelve services', price: `${euros(planPrice('founding'))} / year` };
  if (p.kind === 'bundle')
    return { title: 'Bundle — all twelve services', price: `${euros(planPrice(p.interval === 'month' ? 'monthly_bundle' : 'annual_bundle'))} / ${p.interval}` };
  const s = services.find((x) => x.key === p.service);
  return { title: s?.name ?? p.service, price: `${euros(p.interval === 'month' ? (s?.pricing_monthly ?? 0) : (s?.pricing_annual ?? 0))} / ${p.interval}` };
}

function Billing() {
  const session = useRequireSession();
  const params = useSearchParams();
  const [pending, setPending] = useState<Purchase | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [service, setService] = useState(services[0]?.key ?? 'cold-dm');
  const [interval, setInterval] = useState<'month' | 'year'>('month');

  useEffect(() => setPending(purchaseFromQuery(params)), [params]);

  async function go(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  }

  if (session.status !== 'signed-in' || !session.me) return <div className="container-page py-16"><Spinner /></div>;
  const subs = (session.me.subscriptions ?? (session.me.subscription ? [session.me.subscription] : [])).filter((s) => s.status !== 'incomplete_expired');
  const confirm = pending && describe(pending);
  return (
    <div className="container-page py-10">
      <h1 className="text-3xl font-bold tracking-tight">Billing</h1>
      {error && <div className="mt-4"><Banner kind="error">{error}</Banner></div>}
      {pending && confirm && (
        <div className="card mt-6 border-brand-300 ring-2 ring-brand-200" data-testid="confirm-purchase">
          <h2 className="text-lg font-semibold">{confirm.title}</h2>
          <p className="mt-1 text-slate-700">{confirm.price}, billed securely. You can cancel at any time.</p>
          <div className="mt-4 flex flex-wrap gap-2">
            <button type="button" className="btn-primary" disabled={busy} onClick={() => go(() => startCheckout(pending))}>
              <CreditCard className="h-4 w-4" aria-hidden="true" /> {busy ? 'Opening checkout…' : 'Continue to checkout'}
            </button>
            <button type="button" className="btn-secondary" onClick={() => setPending(null)}>Not now</button>
          </div>
        </div>
      )}
      <section className="mt-8" aria-labelledby="plans-title">
        <h2 id="plans-title" className="text-xl font-semibold">Your plan</h2>
        {subs.length === 0 ? (
          <div className="card mt-3">
            <p className="text-slate-700">You have no plan yet.</p>
            <div className="mt-4 flex flex-wrap gap-2">
              <button type="button" className="btn-primary" disabled={busy} onClick={() => go(() => startCheckout({ kind: 'founding' }))}>
                Become a founding member · {euros(planPrice('founding'))}/year
              </button>
              <Link className="btn-secondary" href="/pricing/">Compare plans</Link>
            </div>
          </div>
        ) : (
          <ul className="mt-3 space-y-3">
            {subs.map((s, i) => (
              <li key={i} className="card flex flex-wrap items-center justify-between gap-3 p-5" data-testid="subscription">
                <div>
                  <p className="font-semibold">
                    {planNames[s.plan] ?? s.plan}
                    {s.service ? ` — ${services.find((x) => x.key === s.service)?.name ?? s.service}` : ''}
                  </p>
                  <p className="text-sm text-slate-600">
                    {statusNames[s.status] ?? s.status}
                    {s.current_period_end && <> · {s.cancel_at_period_end ? 'ends' : 'renews'} {formatDate(s.current_period_end)}</>}
                  </p>
                </div>
              </li>
            ))}
          </ul>
        )}
        {subs.length > 0 && (
          <button type="button" className="btn-secondary mt-4" disabled={busy} onClick={() => go(openPortal)}>
            Manage subscription
          </button>
        )}
      </section>
      <section className="mt-10 grid gap-6 lg:grid-cols-2" aria-label="Buy more">
        <div className="card">
          <h2 className="text-lg font-semibold">Add a single service</h2>
          <div className="mt-4 grid gap-3 sm:grid-cols-2">
            <div>
              <label htmlFor="buy-service" className="label">Service</label>
              <select id="buy-service" className="input" value={service} onChange={(e) => setService(e.target.value)}>
                {services.map((s) => <option key={s.key} value={s.key}>{s.name}</option>)}
              </select>
            </div>
            <div>
              <label htmlFor="buy-interval" className="label">Billing</label>
              <select id="buy-interval" className="input" value={interval} onChange={(e) => setInterval(e.target.value as 'month' | 'year')}>
                <option value="month">Monthly</option>
                <option value="year">Yearly</option>
              </select>
            </div>
          </div>
          <button type="button" className="btn-primary mt-4" disabled={busy} onClick={() => go(() => startCheckout({ kind: 'single', service, interval }))}>
            Buy · {describe({ kind: 'single', service, interval }).price}
          </button>
        </div>
        <div className="card">
          <h2 className="text-lg font-semibold">Get the bundle</h2>
          <p className="mt-2 text-sm text-slate-700">All twelve services, monthly or yearly.</p>
          <div className="mt-4 flex flex-wrap gap-2">
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => go(() => startCheckout({ kind: 'bundle', interval: 'month' }))}>
              {euros(planPrice('monthly_bundle'))} / month
            </button>
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => go(() => startCheckout({ kind: 'bundle', interval: 'year' }))}>
              {euros(planPrice('annual_bundle'))} / year
            </button>
          </div>
        </div>
      </section>
    </div>
  );
}

export default function BillingPage() {
  return (
    <Suspense fallback={<div className="container-page py-16"><Spinner /></div>}>
      <Billing />
    </Suspense>
  );
}
