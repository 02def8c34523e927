'use client';
// The founding members' release schedule with real dates: they depend on the launch date the
// server is configured with, so they are read from the live catalog.
import { useEffect, useState } from 'react';
import { CalendarClock, CheckCircle2 } from 'lucide-react';
import { formatDate, services as built, type ServiceEntry } from '@/lib/catalog';

export function useLiveCatalog(): { services: ServiceEntry[]; live: boolean } {
  const [state, setState] = useState<{ services: ServiceEntry[]; live: boolean }>({ services: built, live: false });
  useEffect(() => {
    let cancelled = false;
    fetch('/api/services', { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? (r.json() as Promise<ServiceEntry[]>) : Promise.reject(new Error(String(r.status)))))
      .then((services) => !cancelled && setState({ services, live: true }))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, []);
  return state;
}

export function UnlockSchedule() {
  const { services, live } = useLiveCatalog();
  const groups = new Map<number, ServiceEntry[]>();
  for (const s of services) groups.set(s.release_offset_days, [...(groups.get(s.release_offset_days) ?? []), s]);
  const now = Date.now();
  return (
    <ol className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5" aria-busy={!live}>
      {[...groups.entries()]
        .sort(([a], [b]) => a - b)
        .map(([offset, group]) => {
          const at = group[0]?.released_at;
          const released = at ? new Date(at).getTime() <= now : false;
          return (
            <li key={offset} className="card p-4" data-testid="release-group">
              <p className="flex items-center gap-2 text-sm font-semibold text-slate-900">
                {released ? <CheckCircle2 className="h-4 w-4 text-emerald-600" aria-hidden="true" /> : <CalendarClock className="h-4 w-4 text-brand-600" aria-hidden="true" />}
                {at ? (released ? `Live since ${formatDate(at)}` : formatDate(at)) : offset === 0 ? 'Launch day' : `Launch + ${offset} days`}
              </p>
              <ul className="mt-2 space-y-1 text-sm text-slate-700">
                {group.map((s) => (
                  <li key={s.key}>{s.name}</li>
                ))}
              </ul>
            </li>
          );
        })}
    </ol>
  );
}
