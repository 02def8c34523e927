'use client';
// Name, email and password, and erasing the account (asked twice).
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { api, ApiError, forgetSession, signIn } from '@/lib/api';
import { useRequireSession } from '@/lib/session';
import { Banner, Spinner, TextField } from '@/components/form';

type Status = { kind: 'error' | 'success'; text: string } | null;

function useForm() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<Status>(null);
  const [busy, setBusy] = useState(false);
  async function submit(action: () => Promise<string>) {
    setBusy(true);
    setErrors({});
    setStatus(null);
    try {
      setStatus({ kind: 'success', text: await action() });
    } catch (e) {
      if (e instanceof ApiError && e.problem.errors?.length) setErrors(e.fieldErrors());
      else setStatus({ kind: 'error', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  }
  return { errors, status, busy, submit };
}

export default function Account() {
  const session = useRequireSession();
  const router = useRouter();
  const profile = useForm();
  const email = useForm();
  const password = useForm();
  const offers = useForm();
  const [confirmDelete, setConfirmDelete] = useState('');
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  if (session.status !== 'signed-in' || !session.me) return <div className="container-page py-16"><Spinner /></div>;
  const me = session.me;

  const onProfile = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
    void profile.submit(async () => {
      await api('/api/user/me', { method: 'PATCH', body: { name } });
      await session.reload();
      return 'Your name is saved.';
    });
  };
  const onEmail = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    void email.submit(async () => {
      await api('/api/user/me', { method: 'PATCH', body: { email: String(form.get('email') ?? '').trim(), current_password: String(form.get('current_password') ?? '') } });
      await session.reload();
      return 'Your email is changed.';
    });
  };
  const onPassword = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const target = e.currentTarget;
    const form = new FormData(target);
    const next = String(form.get('new_password') ?? '');
    void password.submit(async () => {
      await api('/api/user/me', { method: 'PATCH', body: { new_password: next, current_password: String(form.get('current_password') ?? '') } });
      // Changing the password signs out every device; sign this one in again.
      await signIn('/auth/login', { email: me.email, password: next });
      target.reset();
      return 'Your password is changed. Other devices were signed out.';
    });
  };
  async function onDelete(e: FormEvent) {
    e.preventDefault();
    setDeleting(true);
    setDeleteError(null);
    try {
      await api('/api/user/me', { method: 'DELETE' });
      forgetSession(true);
      router.replace('/?account=deleted');
    } catch (err) {
      setDeleteError((err as Error).message);
      setDeleting(false);
    }
  }

  return (
    <div className="container-page max-w-3xl py-10">
      <h1 className="text-3xl font-bold tracking-tight">Account</h1>
      <form className="card mt-6 space-y-4" onSubmit={onProfile} aria-labelledby="profile-title" noValidate>
        <h2 id="profile-title" className="text-lg font-semibold">Profile</h2>
        {profile.status && <Banner kind={profile.status.kind}>{profile.status.text}</Banner>}
        <TextField label="Name" name="name" defaultValue={me.name} error={profile.errors.name} autoComplete="name" maxLength={100} />
        <button type="submit" className="btn-primary" disabled={profile.busy}>Save name</button>
      </form>
      <section className="card mt-6 space-y-3" aria-labelledby="offers-title">
        <h2 id="offers-title" className="text-lg font-semibold">Emails</h2>
        {offers.status && <Banner kind={offers.status.kind}>{offers.status.text}</Banner>}
        <label className="flex items-start gap-3 text-sm text-slate-800">
          <input
            type="checkbox"
            className="mt-0.5 h-4 w-4"
            checked={me.marketing_emails ?? true}
            disabled={offers.busy}
            onChange={(e) => {
              const on = e.target.checked;
              void offers.submit(async () => {
                await api('/api/user/me', { method: 'PATCH', body: { marketing_emails: on } });
                await session.reload();
                return on ? 'Offers by email are on.' : 'No more offers by email.';
              });
            }}
          />
          <span>
            Send me offers by email (other services, the bundle).
            <span className="block text-slate-600">Receipts, unlock notices and payment messages are always sent.</span>
          </span>
        </label>
      </section>
      <form className="card mt-6 space-y-4" onSubmit={onEmail} aria-labelledby="email-title" noValidate>
        <h2 id="email-title" className="text-lg font-semibold">Email</h2>
        {email.status && <Banner kind={email.status.kind}>{email.status.text}</Banner>}
        <TextField label="Email" name="email" type="email" defaultValue={me.email} error={email.errors.email} autoComplete="email" />
        <TextField label="Current password" name="current_password" type="password" error={email.errors.current_password} autoComplete="current-password" />
        <button type="submit" className="btn-primary" disabled={email.busy}>Change email</button>
      </form>
      <form className="card mt-6 space-y-4" onSubmit={onPassword} aria-labelledby="password-title" noValidate>
        <h2 id="password-title" className="text-lg font-semibold">Password</h2>
        {password.status && <Banner kind={password.status.kind}>{password.status.text}</Banner>}
        <TextField label="Current password" name="current_password" type="password" error={password.errors.current_password} autoComplete="current-password" />
        <TextField label="New password" name="new_password" type="password" error={password.errors.new_password} autoComplete="new-password" hint="At least 10 characters. Avoid common passwords." />
        <button type="submit" className="btn-primary" disabled={password.busy}>Change password</button>
      </form>
      <form className="card mt-6 space-y-4 border-red-200" onSubmit={onDelete} aria-labelledby="delete-title">
        <h2 id="delete-title" className="text-lg font-semibold text-red-800">Delete account</h2>
        <p className="text-sm text-slate-700">This erases your account, your results and your settings at once. Active subscriptions should be canceled in Billing first. This cannot be undone.</p>
        {deleteError && <Banner kind="error">{deleteError}</Banner>}
        <TextField label={`Type ${me.email} to confirm`} name="confirm" value={confirmDelete} onChange={(e) => setConfirmDelete(e.target.value)} autoComplete="off" />
        <button type="submit" className="btn-danger" disabled={deleting || confirmDelete.trim().toLowerCase() !== me.email.toLowerCase()}>
          {deleting ? 'Deleting…' : 'Delete my account'}
        </button>
      </form>
    </div>
  );
}
