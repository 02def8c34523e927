'use client';
// The user's generations, newest first: filter by service, open one, delete one.
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { useRouter, useSearchParams } from 'next/navigation';
import { ArrowLeft, Trash2 } from 'lucide-react';
import { api, ApiError } from '@/lib/api';
import { formatDate, serviceByKey, services } from '@/lib/catalog';
import { useRequireSession } from '@/lib/session';
import { ResultView, type Generation } from '@/components/results';
import { Banner, Spinner } from '@/components/form';
import { Suspense } from 'react';

type Item = Generation & { id: string; created_at: string };
type Page = { items: Item[]; next_cursor: string | null };

function summary(item: Item): string {
  const o = item.output as Record<string, unknown>;
  const text = [o.message, o.response, (o.slides as { title?: string }[] | undefined)?.[0]?.title].find((v) => typeof v === 'string') as string | undefined;
  return text ? (text.length > 140 ? `${text.slice(0, 140)}…` : text) : 'Result';
}

function Detail({ id }: { id: string }) {
  const router = useRouter();
  const [item, setItem] = useState<Item | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    api<Item>(`/api/user/generations/${encodeURIComponent(id)}`)
      .then(setItem)
      .catch((e: Error) => setError(e instanceof ApiError && e.status === 404 ? 'This result does not exist or was deleted.' : e.message));
  }, [id]);
  async function remove() {
    try {
      await api(`/api/user/generations/${encodeURIComponent(id)}`, { method: 'DELETE' });
      router.push('/history/');
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <div className="container-page py-10">
      <Link href="/history/" className="link inline-flex items-center gap-1 text-sm">
        <ArrowLeft className="h-4 w-4" aria-hidden="true" /> All results
      </Link>
      {error && <div className="mt-4"><Banner kind="error">{error}</Banner></div>}
      {!item && !error && <div className="mt-6"><Spinner /></div>}
      {item && (
        <>
          <div className="mt-4 flex flex-wrap items-end justify-between gap-3">
            <div>
              <h1 className="text-2xl font-bold">{serviceByKey(item.service)?.name ?? item.service}</h1>
              <p className="text-sm text-slate-600">{formatDate(item.created_at)} · {new Date(item.created_at).toLocaleTimeString('en-GB')}</p>
            </div>
            {confirming ? (
              <div className="flex items-center gap-2" role="group" aria-label="Confirm deletion">
                <span className="text-sm">Delete this result?</span>
                <button type="button" className="btn-danger" onClick={remove}>Delete</button>
                <button type="button" className="btn-secondary" onClick={() => setConfirming(false)}>Keep</button>
              </div>
            ) : (
              <button type="button" className="btn-secondary" onClick={() => setConfirming(true)}>
                <Trash2 className="h-4 w-4" aria-hidden="true" /> Delete
              </button>
            )}
          </div>
          <div className="mt-6">
            <ResultView generation={item} />
          </div>
        </>
      )}
    </div>
  );
}

function List() {
  const router = useRouter();
  const params = useSearchParams();
  const filter = params.get('service') ?? '';
  const [items, setItems] = useState<Item[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      const q = new URLSearchParams({ limit: '20' });
      if (filter) q.set('service', filter);
      if (after) q.set('cursor', after);
      try {
        const page = await api<Page>(`/api/user/generations?${q.toString()}`);
        setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
        setCursor(page.next_cursor);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [filter],
  );

  useEffect(() => {
    setItems(null);
    void load(null);
  }, [load]);

  return (
    <div className="container-page py-10">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-3xl font-bold tracking-tight">History</h1>
        <div>
          <label htmlFor="filter" className="label">Service</label>
          <select id="filter" className="input" value={filter} onChange={(e) => router.push(e.target.value ? `/history/?service=${e.target.value}` : '/history/')}>
            <option value="">All services</option>
            {services.map((s) => (
              <option key={s.key} value={s.key}>{s.name}</option>
            ))}
          </select>
        </div>
      </div>
      {error && <div className="mt-6"><Banner kind="error">{error}</Banner></div>}
      {items === null && !error && <div className="mt-6"><Spinner label="Loading your results…" /></div>}
      {items?.length === 0 && (
        <div className="card mt-6 text-center" data-testid="empty-history">
          <p className="font-semibold">No results yet</p>
          <p className="mt-1 text-sm text-slate-600">Run a service from your <Link className="link" href="/dashboard/">dashboard</Link>; every result is kept here.</p>
        </div>
      )}
      {items && items.length > 0 && (
        <ul className="mt-6 divide-y divide-slate-200 rounded-2xl border border-slate-200" aria-label="Results">
          {items.map((item) => (
            <li key={item.id} data-testid="history-item" data-service={item.service}>
              <Link href={`/history/?id=${item.id}`} className="block px-4 py-3 hover:bg-slate-50">
                <span className="flex flex-wrap items-center justify-between gap-2">
                  <span className="font-medium">{serviceByKey(item.service)?.name ?? item.service}</span>
                  <span className="text-xs text-slate-600">{formatDate(item.created_at)}</span>
                </span>
                <span className="mt-1 block text-sm text-slate-700">{summary(item)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="btn-secondary mt-4" onClick={() => load(cursor)} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

function History() {
  const session = useRequireSession();
  const params = useSearchParams();
  const id = params.get('id');
  if (session.status !== 'signed-in') return <div className="container-page py-16"><Spinner /></div>;
  return id ? <Detail id={id} /> : <List />;
}

export default function HistoryPage() {
  return (
    <Suspense fallback={<div className="container-page py-16"><Spinner /></div>}>
      <History />
    </Suspense>
  );
}
