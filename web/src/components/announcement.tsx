'use client';
// An operator's announcement (maintenance, a new service, a changed price), set without a
// deploy through the `announcement` feature flag: `config.message`, and optionally
// `config.link` (a same-site path or https URL) with `config.link_text`. Users can dismiss
// it; a different message shows again.
import { useEffect, useState } from 'react';
import { Megaphone, X } from 'lucide-react';
import { useFlag } from '@/lib/flags';

const DISMISSED = 'konqer.announcement.dismissed';

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;
}

function safeLink(value: unknown): string | null {
  const link = text(value, 500);
  if (!link) return null;
  if (link.startsWith('/') && !link.startsWith('//')) return link;
  try {
    return new URL(link).protocol === 'https:' ? link : null;
  } catch {
    return null;
  }
}

export function Announcement() {
  const flag = useFlag('announcement');
  const message = flag.on ? text(flag.config.message, 280) : null;
  const link = safeLink(flag.config.link);
  const [dismissed, setDismissed] = useState<string | null>(null);
  useEffect(() => {
    try {
      setDismissed(window.localStorage.getItem(DISMISSED));
    } catch {
      // Storage may be blocked; the announcement just stays.
    }
  }, []);
  if (!message || dismissed === message) return null;
  const dismiss = () => {
    setDismissed(message);
    try {
      window.localStorage.setItem(DISMISSED, message);
    } catch {
      // Dismissed for this page only.
    }
  };
  return (
    <div role="status" data-testid="announcement" className="flex items-start gap-3 rounded-lg border border-brand-200 bg-brand-50 px-4 py-3 text-sm text-brand-900">
      <Megaphone className="mt-0.5 h-4 w-4 shrink-0" aria-hidden="true" />
      <p className="flex-1">
        {message}
        {link && (
          <>
            {' '}
            <a href={link} className="font-semibold underline underline-offset-2">
              {text(flag.config.link_text, 60) ?? 'Learn more'}
            </a>
          </>
        )}
      </p>
      <button type="button" onClick={dismiss} className="rounded p-0.5 hover:bg-brand-100" aria-label="Dismiss the announcement">
        <X className="h-4 w-4" aria-hidden="true" />
      </button>
    </div>
  );
}
