'use client';
// Sign in and sign up: email and password, plus a button per configured social provider.
import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { ApiError, signIn } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Banner, TextField } from './form';

type Provider = { id: string; name: string; start_url: string };

/** Only same-site paths are followed after sign-in. */
export function safeNext(raw: string | null): string {
  if (raw && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\')) return raw;
  return '/dashboard/';
}

export function AuthForm({ mode }: { mode: 'signin' | 'signup' }) {
  const router = useRouter();
  const session = useSession();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [next, setNext] = useState('/dashboard/');

  useEffect(() => {
    setNext(safeNext(new URLSearchParams(window.location.search).get('next')));
    fetch('/auth/providers')
      .then((r) => (r.ok ? r.json() : { providers: [] }))
      .then((body: { providers: Provider[] }) => setProviders(body.providers ?? []))
      .catch(() => setProviders([]));
  }, []);

  useEffect(() => {
    if (session.status === 'signed-in' && !busy) router.replace(next);
  }, [session.status, busy, next, router]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: Record<string, string> = {
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
    };
    if (mode === 'signup') body.name = String(form.get('name') ?? '').trim();
    const local: Record<string, string> = {};
    if (mode === 'signup' && !body.name) local.name = 'Tell us your name.';
    if (!body.email) local.email = 'Enter your email address.';
    if (!body.password) local.password = 'Enter your password.';
    setErrors(local);
    setMessage(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await signIn(mode === 'signin' ? '/auth/login' : '/auth/register', body);
      await session.reload();
      router.push(next);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setMessage(err.problem.errors?.length ? null : err.status === 401 ? 'The email or password is not right.' : err.message);
      } else {
        setMessage('Something went wrong. Please try again.');
      }
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'signin' ? 'Sign in to Konqer' : 'Create your Konqer account';
  return (
    <div className="container-page flex justify-center py-14">
      <div className="card w-full max-w-md">
        <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
        <p className="mt-1 text-sm text-slate-600">
          {mode === 'signin' ? (
            <>New here? <Link className="link" href={`/signup/${next !== '/dashboard/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link></>
          ) : (
            <>Already have an account? <Link className="link" href={`/signin/${next !== '/dashboard/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Sign in</Link></>
          )}
        </p>
        {providers.length > 0 && (
          <div className="mt-6 grid gap-2">
            {providers.map((p) => (
              <a key={p.id} href={`${p.start_url}${p.start_url.includes('?') ? '&' : '?'}redirect_to=${encodeURIComponent(next)}`} className="btn-secondary w-full">
                Continue with {p.name}
              </a>
            ))}
            <p className="my-2 text-center text-xs uppercase tracking-wide text-slate-500">or</p>
          </div>
        )}
        <form className="mt-6 space-y-4" onSubmit={onSubmit} noValidate>
          {message && <Banner kind="error">{message}</Banner>}
          {mode === 'signup' && <TextField label="Name" name="name" autoComplete="name" error={errors.name} maxLength={100} />}
          <TextField label="Email" name="email" type="email" autoComplete="email" error={errors.email} />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            error={errors.password}
            hint={mode === 'signup' ? 'At least 10 characters. Avoid common passwords.' : undefined}
          />
          <button type="submit" className="btn-primary w-full" disabled={busy}>
            {busy ? 'Please wait…' : mode === 'signin' ? 'Sign in' : 'Create account'}
          </button>
        </form>
      </div>
    </div>
  );
}
