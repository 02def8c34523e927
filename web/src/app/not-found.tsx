import Link from 'next/link';

export const metadata = { title: 'Page not found', robots: { index: false } };

export default function NotFound() {
  return (
    <div className="container-page flex justify-center py-24">
      <div className="text-center">
        <p className="text-sm font-semibold text-brand-700">404</p>
        <h1 className="mt-2 text-3xl font-bold">This page does not exist</h1>
        <p className="mt-2 text-slate-700">The link may be old, or the address mistyped.</p>
        <div className="mt-6 flex justify-center gap-2">
          <Link href="/" className="btn-primary">Home</Link>
          <Link href="/pricing/" className="btn-secondary">Pricing</Link>
        </div>
      </div>
    </div>
  );
}
