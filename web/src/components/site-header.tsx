'use client';
import Link from 'next/link';
import { useState } from 'react';
import { usePathname, useRouter } from 'next/navigation';
import { LogOut, Menu, X } from 'lucide-react';
import { Logo } from './logo';
import { useSession } from '@/lib/session';
import { signOut } from '@/lib/api';

const publicLinks = [
  { href: '/#services', label: 'Services' },
  { href: '/pricing/', label: 'Pricing' },
  { href: '/#faq', label: 'FAQ' },
];

const appLinks = [
  { href: '/dashboard/', label: 'Dashboard' },
  { href: '/history/', label: 'History' },
  { href: '/billing/', label: 'Billing' },
  { href: '/account/', label: 'Account' },
];

export function SiteHeader() {
  const session = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const signedIn = session.status === 'signed-in';
  const links = signedIn ? appLinks : publicLinks;

  async function onSignOut() {
    await signOut();
    setOpen(false);
    router.push('/signin/');
  }

  return (
    <header className="sticky top-0 z-40 border-b border-slate-200 bg-white/90 backdrop-blur">
      <div className="container-page flex h-16 items-center justify-between gap-4">
        <Link href={signedIn ? '/dashboard/' : '/'} aria-label="Konqer home" className="text-lg text-slate-900">
          <Logo />
        </Link>
        <nav aria-label="Main" className="hidden items-center gap-1 md:flex">
          {links.map((l) => (
            <Link
              key={l.href}
              href={l.href}
              aria-current={pathname === l.href ? 'page' : undefined}
              className="rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 aria-[current=page]:text-brand-700"
            >
              {l.label}
            </Link>
          ))}
        </nav>
        <div className="hidden items-center gap-2 md:flex">
          {session.status === 'loading' ? (
            <span className="h-9 w-32" aria-hidden="true" />
          ) : signedIn ? (
            <button type="button" onClick={onSignOut} className="btn-secondary">
              <LogOut className="h-4 w-4" aria-hidden="true" /> Sign out
            </button>
          ) : (
            <>
              <Link href="/signin/" className="btn-secondary">
                Sign in
              </Link>
              <Link href="/signup/" className="btn-primary">
                Start now
              </Link>
            </>
          )}
        </div>
        <button
          type="button"
          className="btn-secondary md:hidden"
          aria-expanded={open}
          aria-controls="mobile-nav"
          onClick={() => setOpen(!open)}
        >
          {open ? <X className="h-5 w-5" aria-hidden="true" /> : <Menu className="h-5 w-5" aria-hidden="true" />}
          <span className="sr-only">Menu</span>
        </button>
      </div>
      {open && (
        <nav id="mobile-nav" aria-label="Mobile" className="border-t border-slate-200 bg-white md:hidden">
          <div className="container-page flex flex-col gap-1 py-3">
            {links.map((l) => (
              <Link key={l.href} href={l.href} onClick={() => setOpen(false)} className="rounded-md px-3 py-2 text-slate-800 hover:bg-slate-100">
                {l.label}
              </Link>
            ))}
            {signedIn ? (
              <button type="button" onClick={onSignOut} className="btn-secondary mt-2">
                Sign out
              </button>
            ) : (
              <div className="mt-2 grid grid-cols-2 gap-2">
                <Link href="/signin/" onClick={() => setOpen(false)} className="btn-secondary">
                  Sign in
                </Link>
                <Link href="/signup/" onClick={() => setOpen(false)} className="btn-primary">
                  Start now
                </Link>
              </div>
            )}
          </div>
        </nav>
      )}
    </header>
  );
}
