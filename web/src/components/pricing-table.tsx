'use client';
import Link from 'next/link';
import { useState } from 'react';
import { Check } from 'lucide-react';
import { euros, planPrice, services } from '@/lib/catalog';
import { purchaseQuery, type Purchase } from '@/lib/checkout';

type Interval = 'month' | 'year';

function Tier(props: {
  name: string;
  price: string;
  per: string;
  note: string;
  features: string[];
  cta: string;
  purchase: Purchase;
  highlight?: boolean;
  testId: string;
}) {
  return (
    <div className={`card flex flex-col ${props.highlight ? 'border-brand-500 ring-2 ring-brand-500' : ''}`} data-testid={props.testId}>
      <h3 className="text-lg font-semibold">{props.name}</h3>
      <p className="mt-4">
        <span className="text-4xl font-extrabold tracking-tight">{props.price}</span>
        <span className="text-slate-600"> / {props.per}</span>
      </p>
      <p className="mt-2 min-h-[2.5rem] text-sm text-emerald-700" data-testid="saving">{props.note}</p>
      <ul className="mt-4 flex-1 space-y-2 text-sm text-slate-700">
        {props.features.map((f) => (
          <li key={f} className="flex gap-2">
            <Check className="mt-0.5 h-4 w-4 shrink-0 text-emerald-600" aria-hidden="true" /> {f}
          </li>
        ))}
      </ul>
      <Link href={`/billing/${purchaseQuery(props.purchase)}`} className={`mt-6 ${props.highlight ? 'btn-primary' : 'btn-secondary'}`}>
        {props.cta}
      </Link>
    </div>
  );
}

export function PricingTable() {
  const [interval, setInterval] = useState<Interval>('year');
  const n = services.length;
  const founding = planPrice('founding');
  const singleMonth = planPrice('monthly_single');
  const singleYear = planPrice('annual_single');
  const bundleMonth = planPrice('monthly_bundle');
  const bundleYear = planPrice('annual_bundle');
  const single = interval === 'month' ? singleMonth : singleYear;
  const bundle = interval === 'month' ? bundleMonth : bundleYear;
  const singleSaving = singleMonth * 12 - singleYear;
  const bundleSaving = interval === 'month' ? singleMonth * n - bundleMonth : singleYear * n - bundleYear;
  const foundingSaving = bundleYear - founding;
  const [firstService] = services;

  return (
    <div>
      <div role="radiogroup" aria-label="Billing period" className="mx-auto flex w-fit rounded-full border border-slate-300 bg-white p-1">
        {(['month', 'year'] as const).map((i) => (
          <button
            key={i}
            type="button"
            role="radio"
            aria-checked={interval === i}
            onClick={() => setInterval(i)}
            className="rounded-full px-4 py-1.5 text-sm font-semibold text-slate-700 aria-checked:bg-brand-600 aria-checked:text-white"
          >
            {i === 'month' ? 'Monthly' : 'Yearly'}
          </button>
        ))}
      </div>
      <div className="mt-10 grid gap-6 lg:grid-cols-3">
        <Tier
          testId="tier-single"
          name="Single service"
          price={euros(single)}
          per={interval}
          note={interval === 'year' ? `Save ${euros(singleSaving)} a year against monthly billing` : `Or ${euros(singleYear)} a year — save ${euros(singleSaving)}`}
          features={['One service of your choice', 'Dashboard and API', 'Add the bundle any time']}
          cta="Choose a service"
          purchase={{ kind: 'single', service: firstService?.key ?? 'cold-dm', interval }}
        />
        <Tier
          testId="tier-founding"
          highlight
          name="Founding Membership"
          price={euros(founding)}
          per="year"
          note={`Save ${euros(foundingSaving)} a year against the yearly bundle`}
          features={[`All ${n} services, released on a rolling schedule`, 'Founding member price, locked', 'Dashboard and API']}
          cta="Become a founding member"
          purchase={{ kind: 'founding' }}
        />
        <Tier
          testId="tier-bundle"
          name="Bundle"
          price={euros(bundle)}
          per={interval}
          note={`Save ${euros(bundleSaving)} a ${interval} against ${n} single services`}
          features={[`All ${n} services`, 'Dashboard and API', 'Monthly or yearly']}
          cta="Get the bundle"
          purchase={{ kind: 'bundle', interval }}
        />
      </div>
    </div>
  );
}
