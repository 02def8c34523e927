import Link from 'next/link';

export const metadata = { title: 'Checkout canceled', robots: { index: false } };

export default function Cancel() {
  return (
    <div className="container-page flex justify-center py-16">
      <div className="card w-full max-w-lg text-center">
        <h1 className="text-2xl font-bold">Checkout canceled</h1>
        <p className="mt-2 text-slate-700">Nothing was charged. You can come back to it whenever you like.</p>
        <div className="mt-6 flex justify-center gap-2">
          <Link href="/pricing/" className="btn-primary">See plans</Link>
          <Link href="/dashboard/" className="btn-secondary">Dashboard</Link>
        </div>
      </div>
    </div>
  );
}
