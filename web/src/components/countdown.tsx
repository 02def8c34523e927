'use client';
import { useEffect, useState } from 'react';

function parts(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  return `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s`;
}

/** A live "unlocks in 6d 4h 12m" that calls `onDone` when the moment passes. */
export function Countdown({ to, onDone }: { to: string; onDone?: () => void }) {
  const target = new Date(to).getTime();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  const left = target - now;
  useEffect(() => {
    if (left <= 0 && onDone) onDone();
  }, [left <= 0]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <time dateTime={to} className="tabular-nums" data-testid="countdown">
      {left > 0 ? `in ${parts(left)}` : 'now'}
    </time>
  );
}
