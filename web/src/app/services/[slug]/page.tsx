import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ArrowRight, Check } from 'lucide-react';
import { euros, isAvailable, planPrice, serviceBySlug, services } from '@/lib/catalog';
import { copy } from '@/lib/copy';
import { fields, humanize } from '@/lib/schema';
import { pageMetadata } from '@/lib/seo';

type Params = { params: { slug: string } };

export function generateStaticParams() {
  return services.map((s) => ({ slug: s.slug }));
}

export function generateMetadata({ params }: Params) {
  const service = serviceBySlug(params.slug);
  if (!service) return {};
  return pageMetadata(service.name, copy[service.key]?.description ?? service.name, `/services/${service.slug}/`);
}

export default function ServicePage({ params }: Params) {
  const service = serviceBySlug(params.slug);
  if (!service) notFound();
  const text = copy[service.key];
  const inputs = fields(service.input_schema);
  const complement = services.find((s) => s.key === service.complement);
  const launchText = service.release_offset_days === 0 ? 'Live from launch day' : `Released ${service.release_offset_days} days after launch`;
  return (
    <div className="container-page py-14">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
        <Link href="/#services" className="hover:text-brand-700">Services</Link> / <span aria-current="page">{service.name}</span>
      </nav>
      <div className="mt-6 grid gap-10 lg:grid-cols-[1.3fr_1fr]">
        <div>
          <p className="badge bg-brand-100 text-brand-800">{launchText} for founding members</p>
          <h1 className="mt-3 text-4xl font-extrabold tracking-tight">{service.name}</h1>
          <p className="mt-3 text-xl text-slate-800">{text?.tagline}</p>
          <p className="mt-4 text-slate-700">{text?.description}</p>
          <ul className="mt-6 space-y-2">
            {text?.outcomes.map((o) => (
              <li key={o} className="flex gap-2 text-slate-800">
                <Check className="mt-1 h-4 w-4 shrink-0 text-emerald-600" aria-hidden="true" /> {o}
              </li>
            ))}
          </ul>
          {inputs.length > 0 && (
            <section className="mt-10" aria-labelledby="inputs-title">
              <h2 id="inputs-title" className="text-xl font-semibold">What you provide</h2>
              <dl className="mt-3 divide-y divide-slate-200 rounded-xl border border-slate-200">
                {inputs.map((f) => (
                  <div key={f.name} className="grid gap-1 px-4 py-3 sm:grid-cols-[12rem_1fr]">
                    <dt className="font-medium">
                      {humanize(f.name)} {f.required ? '' : <span className="text-sm font-normal text-slate-600">(optional)</span>}
                    </dt>
                    <dd className="text-sm text-slate-700">{f.schema.description ?? (f.schema.enum ? `One of: ${f.schema.enum.join(', ')}` : '')}</dd>
                  </div>
                ))}
              </dl>
            </section>
          )}
        </div>
        <aside className="space-y-6">
          {text && (
            <div className="card">
              <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600">Example result</h2>
              <p className="mt-3 font-semibold">{text.example.title}</p>
              <p className="mt-2 text-sm text-slate-700">{text.example.body}</p>
              <dl className="mt-4 grid grid-cols-2 gap-3">
                {text.example.facts.map(([k, v]) => (
                  <div key={k} className="rounded-lg bg-slate-50 p-3">
                    <dt className="text-xs text-slate-600">{k}</dt>
                    <dd className="font-semibold">{v}</dd>
                  </div>
                ))}
              </dl>
            </div>
          )}
          <div className="card">
            <p className="text-3xl font-extrabold">{euros(service.pricing_monthly)}<span className="text-base font-normal text-slate-600"> / month</span></p>
            <p className="text-sm text-slate-600">or {euros(service.pricing_annual)} / year · {service.rate_limit_daily} runs a day</p>
            <Link href={`/billing/?buy=single&service=${service.key}&interval=month`} className="btn-primary mt-4 w-full">
              {isAvailable(service) ? `Get ${service.name}` : `Pre-order ${service.name}`}
            </Link>
            <Link href="/billing/?buy=founding" className="btn-secondary mt-2 w-full">
              All twelve for {euros(planPrice('founding'))} / year <ArrowRight className="h-4 w-4" aria-hidden="true" />
            </Link>
          </div>
          {complement && (
            <p className="text-sm text-slate-700">
              Pairs well with <Link className="link" href={`/services/${complement.slug}/`}>{complement.name}</Link>.
            </p>
          )}
        </aside>
      </div>
    </div>
  );
}
