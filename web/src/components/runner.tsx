'use client';
// Runs one service: a form generated from its input schema, the answer streamed in as
// server-sent events (cancel aborts the request, and an unfinished run costs no quota),
// then the purpose-built result view. A locked service says why and what unlocks it.
import Link from 'next/link';
import { useRef, useState, type FormEvent } from 'react';
import { Loader2, Sparkles, Square } from 'lucide-react';
import { ApiError, readEvents, request, SignInRequired } from '@/lib/api';
import { euros, formatDate, planPrice, type ServiceEntry } from '@/lib/catalog';
import { copy } from '@/lib/copy';
import { useRequireSession, type ServiceStatus } from '@/lib/session';
import { cleaned, formErrors, SchemaForm, type FormValue } from './schema-form';
import { ResultView, type Generation } from './results';
import { Banner, Spinner } from './form';
import { Countdown } from './countdown';

function Locked({ service, status }: { service: ServiceEntry; status: ServiceStatus | undefined }) {
  if (status?.status === 'scheduled' && status.unlocks_at)
    return (
      <div className="card" data-testid="locked">
        <h2 className="text-lg font-semibold">Coming {formatDate(status.unlocks_at)}</h2>
        <p className="mt-2 text-slate-700">
          Your plan includes {service.name}. It is released to founding members on {formatDate(status.unlocks_at)} — <Countdown to={status.unlocks_at} />. We will email you when it unlocks.
        </p>
      </div>
    );
  return (
    <div className="card" data-testid="locked">
      <h2 className="text-lg font-semibold">{service.name} is not part of your plan yet</h2>
      <p className="mt-2 text-slate-700">Buy it on its own, or get all twelve services with the Founding Membership.</p>
      <div className="mt-4 flex flex-wrap gap-2">
        <Link className="btn-primary" href={`/billing/?buy=single&service=${service.key}&interval=month`}>
          Get {service.name} · {euros(service.pricing_monthly)}/month
        </Link>
        <Link className="btn-secondary" href="/billing/?buy=founding">
          All twelve · {euros(planPrice('founding'))}/year
        </Link>
      </div>
    </div>
  );
}

export function Runner({ service }: { service: ServiceEntry }) {
  const session = useRequireSession();
  const example = (service.input_schema?.examples?.[0] ?? {}) as FormValue;
  const [value, setValue] = useState<FormValue>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [streamed, setStreamed] = useState('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<Generation | null>(null);
  const abort = useRef<AbortController | null>(null);

  const status = session.me?.services.find((s) => s.service === service.key);

  async function run(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setProblem(null);
    setStreamed('');
    setResult(null);
    setRunning(true);
    const controller = new AbortController();
    abort.current = controller;
    try {
      const response = await request(`/api/services/${service.key}/generate`, {
        method: 'POST',
        body: cleaned(value),
        accept: 'text/event-stream',
        signal: controller.signal,
      });
      for await (const e of readEvents(response)) {
        if (e.event === 'delta') setStreamed((t) => t + ((JSON.parse(e.data) as { text: string }).text ?? ''));
        else if (e.event === 'result') setResult(JSON.parse(e.data) as Generation);
        else if (e.event === 'error') throw new ApiError(JSON.parse(e.data));
      }
      void session.reload();
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') setProblem('Stopped. This run was not counted against your daily quota.');
      else if (err instanceof SignInRequired) void session.reload();
      else if (err instanceof ApiError) {
        if (err.code === 'invalid_input') {
          setErrors(formErrors(err.problem.errors ?? []));
          setProblem('Some fields need your attention.');
        } else if (err.code === 'daily_limit_reached') setProblem(`You reached today’s limit for ${service.name}. It resets at midnight UTC.`);
        else setProblem(err.message);
        if (err.code === 'service_locked') void session.reload();
      } else setProblem('Something went wrong. Please try again.');
    } finally {
      setRunning(false);
      abort.current = null;
    }
  }

  if (session.status !== 'signed-in' || !session.me)
    return (
      <div className="container-page py-16">
        <Spinner />
      </div>
    );

  const available = service.input_schema !== null;
  return (
    <div className="container-page py-10">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
        <Link href="/dashboard/" className="hover:text-brand-700">Dashboard</Link> / <span aria-current="page">{service.name}</span>
      </nav>
      <div className="mt-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-3xl font-bold tracking-tight">{service.name}</h1>
          <p className="mt-1 text-slate-700">{copy[service.key]?.tagline}</p>
        </div>
        {status?.status === 'unlocked' && (
          <p className="text-sm text-slate-600" data-testid="runner-usage">
            {status.used_today} of {status.daily_limit} runs used today
          </p>
        )}
      </div>
      <div className="mt-8">
        {!available ? (
          <div className="card">
            <h2 className="text-lg font-semibold">Almost ready</h2>
            <p className="mt-2 text-slate-700">{service.name} is being finished. Founding members get it automatically on its release date.</p>
          </div>
        ) : status?.status !== 'unlocked' ? (
          <Locked service={service} status={status} />
        ) : (
          <div className="grid gap-8 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
            <form onSubmit={run} noValidate className="card h-fit space-y-5" aria-label={`${service.name} input`}>
              <div className="flex items-center justify-between">
                <h2 className="font-semibold">Input</h2>
                <button type="button" className="link text-sm" onClick={() => setValue(example)}>
                  Fill with an example
                </button>
              </div>
              {problem && <Banner kind={problem.startsWith('Stopped') ? 'info' : 'error'}>{problem}</Banner>}
              {service.input_schema && <SchemaForm schema={service.input_schema} value={value} onChange={setValue} errors={errors} />}
              <div className="flex gap-2">
                <button type="submit" className="btn-primary flex-1" disabled={running}>
                  {running ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden="true" /> : <Sparkles className="h-4 w-4" aria-hidden="true" />}
                  {running ? 'Generating…' : 'Generate'}
                </button>
                {running && (
                  <button type="button" className="btn-secondary" onClick={() => abort.current?.abort()}>
                    <Square className="h-4 w-4" aria-hidden="true" /> Cancel
                  </button>
                )}
              </div>
            </form>
            <div aria-live="polite" aria-busy={running}>
              {result ? (
                <ResultView generation={result} />
              ) : running || streamed ? (
                <div className="card" data-testid="streaming">
                  <p className="flex items-center gap-2 text-sm font-semibold text-brand-700">
                    <Loader2 className="h-4 w-4 animate-spin" aria-hidden="true" /> Writing…
                  </p>
                  <p className="mt-3 whitespace-pre-wrap text-slate-800">{streamed}</p>
                </div>
              ) : (
                <div className="card border-dashed text-center text-slate-600">
                  <p>Your result will appear here.</p>
                  <p className="mt-1 text-sm">Tip: “Fill with an example” shows what good input looks like.</p>
                </div>
              )}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
