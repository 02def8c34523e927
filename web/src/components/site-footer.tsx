import Link from 'next/link';
import { services } from '@/lib/catalog';
import { Logo } from './logo';

export function SiteFooter() {
  return (
    <footer className="mt-16 border-t border-slate-200 bg-slate-50">
      <div className="container-page grid gap-8 py-10 sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <Logo className="text-slate-900" />
          <p className="mt-3 text-sm text-slate-600">Twelve AI tools for B2B sales and marketing. One account, one bill.</p>
        </div>
        <div className="lg:col-span-2">
          <h2 className="text-sm font-semibold text-slate-900">Services</h2>
          <ul className="mt-3 grid grid-cols-1 gap-1 text-sm sm:grid-cols-2">
            {services.map((s) => (
              <li key={s.key}>
                <Link href={`/services/${s.slug}/`} className="text-slate-700 hover:text-brand-700">
                  {s.name}
                </Link>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h2 className="text-sm font-semibold text-slate-900">Konqer</h2>
          <ul className="mt-3 space-y-1 text-sm">
            <li><Link href="/pricing/" className="text-slate-700 hover:text-brand-700">Pricing</Link></li>
            <li><a href="/api/openapi.json" className="text-slate-700 hover:text-brand-700">API (OpenAPI)</a></li>
            <li><Link href="/signin/" className="text-slate-700 hover:text-brand-700">Sign in</Link></li>
          </ul>
        </div>
      </div>
      <p className="container-page pb-8 text-xs text-slate-600">© {new Date().getFullYear()} Konqer. Prices in euros, VAT excluded.</p>
    </footer>
  );
}
