import Link from 'next/link';
import { ArrowRight, Check, ShieldCheck, Sparkles, Zap } from 'lucide-react';
import { euros, planPrice, services } from '@/lib/catalog';
import { copy, faq } from '@/lib/copy';
import { pageMetadata } from '@/lib/seo';
import { UnlockSchedule } from '@/components/unlock-schedule';

export const metadata = {
  ...pageMetadata(
    'Twelve AI tools for B2B sales and marketing',
    'Personalised cold DMs, objection handling, LinkedIn carousels and nine more AI tools behind one account. Founding Membership: all twelve for one yearly price.',
    '/',
  ),
  title: { absolute: 'Konqer — twelve AI tools for B2B sales and marketing' },
};

export default function Landing() {
  const founding = planPrice('founding');
  const single = planPrice('monthly_single');
  const separately = single * 12 * services.length;
  return (
    <>
      <section className="bg-gradient-to-b from-brand-50 to-white">
        <div className="container-page py-16 sm:py-24">
          <p className="badge bg-brand-100 text-brand-800">
            <Sparkles className="h-3.5 w-3.5" aria-hidden="true" /> Founding Membership open
          </p>
          <h1 className="mt-4 max-w-3xl text-4xl font-extrabold tracking-tight text-slate-900 sm:text-5xl">
            Twelve AI tools that do the busywork of B2B selling.
          </h1>
          <p className="mt-5 max-w-2xl text-lg text-slate-700">
            Write cold messages that get answers, handle objections with a proven framework, turn ideas into LinkedIn carousels — from
            one dashboard and one API, with one bill.
          </p>
          <div className="mt-8 flex flex-wrap gap-3">
            <Link href="/signup/" className="btn-primary px-5 py-3 text-base">
              Become a founding member <ArrowRight className="h-4 w-4" aria-hidden="true" />
            </Link>
            <Link href="/pricing/" className="btn-secondary px-5 py-3 text-base">
              See pricing
            </Link>
          </div>
          <ul className="mt-8 flex flex-wrap gap-x-6 gap-y-2 text-sm text-slate-700">
            <li className="flex items-center gap-2"><Check className="h-4 w-4 text-emerald-600" aria-hidden="true" /> {euros(founding)} a year for all twelve</li>
            <li className="flex items-center gap-2"><Check className="h-4 w-4 text-emerald-600" aria-hidden="true" /> Scores computed, not guessed</li>
            <li className="flex items-center gap-2"><Check className="h-4 w-4 text-emerald-600" aria-hidden="true" /> Dashboard and API</li>
          </ul>
        </div>
      </section>

      <section id="services" className="container-page py-16" aria-labelledby="services-title">
        <h2 id="services-title" className="text-3xl font-bold tracking-tight">The twelve services</h2>
        <p className="mt-2 max-w-2xl text-slate-700">Each one does one job well, and each one has a deterministic core — a scorer, a classifier, a ranker — so you can trust what it tells you.</p>
        <ul className="mt-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {services.map((s) => (
            <li key={s.key} className="card flex flex-col p-5" data-testid="service-card">
              <h3 className="text-lg font-semibold text-slate-900">{s.name}</h3>
              <p className="mt-2 flex-1 text-sm text-slate-700">{copy[s.key]?.tagline}</p>
              <Link href={`/services/${s.slug}/`} className="link mt-4 inline-flex items-center gap-1 text-sm" aria-label={`Learn more about ${s.name}`}>
                Learn more <ArrowRight className="h-4 w-4" aria-hidden="true" />
              </Link>
            </li>
          ))}
        </ul>
      </section>

      <section className="bg-slate-900 text-white" aria-labelledby="founding-title">
        <div className="container-page grid gap-10 py-16 lg:grid-cols-2">
          <div>
            <h2 id="founding-title" className="text-3xl font-bold tracking-tight">The Founding Membership</h2>
            <p className="mt-4 text-slate-200">
              {euros(founding)} a year gives you every service as it is released — worth {euros(separately)} a year bought one by one.
              Three services are live on launch day; the rest unlock every week on the schedule below, and you get an email each time.
            </p>
            <ul className="mt-6 space-y-3 text-slate-100">
              <li className="flex gap-3"><Zap className="h-5 w-5 shrink-0 text-amber-300" aria-hidden="true" /> All twelve services, dashboard and API</li>
              <li className="flex gap-3"><ShieldCheck className="h-5 w-5 shrink-0 text-amber-300" aria-hidden="true" /> Your price is locked while you stay a member</li>
              <li className="flex gap-3"><Sparkles className="h-5 w-5 shrink-0 text-amber-300" aria-hidden="true" /> The founding member role and early access to what comes next</li>
            </ul>
            <Link href="/signup/" className="btn mt-8 bg-white px-5 py-3 text-base text-slate-900 hover:bg-slate-100">
              Join for {euros(founding)} / year
            </Link>
          </div>
          <div className="text-slate-900">
            <h3 className="mb-4 text-lg font-semibold text-white">Release schedule</h3>
            <UnlockSchedule />
          </div>
        </div>
      </section>

      <section id="faq" className="container-page py-16" aria-labelledby="faq-title">
        <h2 id="faq-title" className="text-3xl font-bold tracking-tight">Questions</h2>
        <div className="mt-6 divide-y divide-slate-200 rounded-2xl border border-slate-200">
          {faq.map((item) => (
            <details key={item.q} className="group p-5">
              <summary className="cursor-pointer list-none font-semibold text-slate-900">{item.q}</summary>
              <p className="mt-2 text-slate-700">{item.a}</p>
            </details>
          ))}
        </div>
      </section>
    </>
  );
}
