import { pageMetadata } from '@/lib/seo';
import { PricingTable } from '@/components/pricing-table';
import { euros, services } from '@/lib/catalog';

export const metadata = pageMetadata(
  'Pricing',
  'The Founding Membership gives you all twelve Konqer services for one yearly price. Or pick one service, or the bundle, monthly or yearly.',
  '/pricing/',
);

export default function Pricing() {
  return (
    <div className="container-page py-16">
      <h1 className="text-center text-4xl font-extrabold tracking-tight">Simple pricing</h1>
      <p className="mx-auto mt-3 max-w-2xl text-center text-slate-700">One account, one bill. Prices in euros, VAT excluded. Cancel any time from your billing page.</p>
      <div className="mt-10">
        <PricingTable />
      </div>
      <section className="mt-16" aria-labelledby="single-prices">
        <h2 id="single-prices" className="text-xl font-semibold">Every service on its own</h2>
        <div className="mt-4 overflow-x-auto rounded-2xl border border-slate-200">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-50 text-slate-700">
              <tr>
                <th scope="col" className="px-4 py-3">Service</th>
                <th scope="col" className="px-4 py-3">Monthly</th>
                <th scope="col" className="px-4 py-3">Yearly</th>
                <th scope="col" className="px-4 py-3">Daily runs</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {services.map((s) => (
                <tr key={s.key}>
                  <th scope="row" className="px-4 py-3 font-medium">
                    <a className="link" href={`/services/${s.slug}/`}>{s.name}</a>
                  </th>
                  <td className="px-4 py-3">{euros(s.pricing_monthly)}</td>
                  <td className="px-4 py-3">{euros(s.pricing_annual)}</td>
                  <td className="px-4 py-3">{s.rate_limit_daily}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
