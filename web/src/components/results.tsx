'use client';
// Purpose-built views of each service's output; services without one show their JSON.
import { useState } from 'react';
import { Download, ExternalLink } from 'lucide-react';
import { request } from '@/lib/api';
import { CopyButton } from './copy-button';
import { Banner } from './form';
import { humanize } from '@/lib/schema';

type Output = Record<string, unknown>;
export type Generation = {
  generation_id?: string;
  id?: string;
  service: string;
  output: Output;
  metadata: { provider?: string; model?: string; latency_ms?: number; [k: string]: unknown };
  created_at?: string;
};

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const list = (v: unknown) => (Array.isArray(v) ? v : []);

function ScoreRing({ score, label }: { score: number; label: string }) {
  const color = score >= 80 ? 'text-emerald-600' : score >= 60 ? 'text-amber-600' : 'text-red-600';
  return (
    <div className="flex items-center gap-3">
      <span className={`text-4xl font-extrabold tabular-nums ${color}`} data-testid="score">{score}</span>
      <span className="text-sm text-slate-600">{label}</span>
    </div>
  );
}

function ColdDm({ output }: { output: Output }) {
  const message = str(output.message);
  const breakdown = list(output.score_breakdown) as { criterion: string; points: number; max: number; note: string }[];
  return (
    <div className="space-y-6">
      <div className="card">
        <div className="flex items-center justify-between gap-2">
          <h3 className="font-semibold">Your message</h3>
          <CopyButton text={message} label="Copy message" />
        </div>
        <p className="mt-3 whitespace-pre-wrap text-slate-800" data-testid="message">{message}</p>
        <p className="mt-2 text-xs text-slate-600">{message.split(/\s+/).filter(Boolean).length} words</p>
      </div>
      <div className="card">
        <ScoreRing score={Number(output.personalization_score ?? 0)} label="personalisation score out of 100" />
        <table className="mt-4 w-full text-sm" data-testid="score-breakdown">
          <caption className="sr-only">Score breakdown</caption>
          <thead className="text-left text-slate-600">
            <tr>
              <th scope="col" className="py-1">Criterion</th>
              <th scope="col" className="py-1 text-right">Points</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {breakdown.map((b) => (
              <tr key={b.criterion}>
                <td className="py-2">
                  <span className="font-medium">{humanize(b.criterion)}</span>
                  <span className="block text-xs text-slate-600">{b.note}</span>
                </td>
                <td className="py-2 text-right tabular-nums">{b.points} / {b.max}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list(output.suggestions).length > 0 && (
        <div className="card">
          <h3 className="font-semibold">Suggestions</h3>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-700">
            {list(output.suggestions).map((s) => <li key={str(s)}>{str(s)}</li>)}
          </ul>
        </div>
      )}
      <Sources used={list(output.context_used).map(str)} sources={list(output.enrichment_sources).map(str)} />
    </div>
  );
}

function Sources({ used, sources }: { used: string[]; sources: string[] }) {
  if (!used.length && !sources.length) return null;
  return (
    <p className="text-xs text-slate-600">
      {used.length > 0 && <>Built from: {used.join(', ')}. </>}
      {sources.length > 0 && <>Sources: {sources.join(', ')}.</>}
    </p>
  );
}

function Objection({ output }: { output: Output }) {
  const structure = (output.structure ?? {}) as Record<string, string>;
  const parts: [string, string][] = [
    ['Empathy', str(structure.empathy)],
    ['Reframe', str(structure.reframe)],
    ['Evidence', str(structure.evidence)],
    ['Action', str(structure.action)],
  ];
  const confidence = Number(output.confidence ?? 0);
  const full = str(output.response) || parts.map(([, v]) => v).join('\n\n');
  return (
    <div className="space-y-6">
      <div className="grid gap-4 sm:grid-cols-3">
        <div className="card p-4">
          <p className="text-xs uppercase tracking-wide text-slate-600">Objection type</p>
          <p className="mt-1 text-lg font-semibold" data-testid="objection-type">{humanize(str(output.objection_type))}</p>
        </div>
        <div className="card p-4">
          <p className="text-xs uppercase tracking-wide text-slate-600">Confidence</p>
          <p className="mt-1 text-lg font-semibold tabular-nums" data-testid="confidence">{Math.round(confidence * 100)}%</p>
        </div>
        <div className="card p-4">
          <p className="text-xs uppercase tracking-wide text-slate-600">Framework</p>
          <p className="mt-1 text-lg font-semibold" data-testid="framework">{str(output.framework)}</p>
        </div>
      </div>
      <div className="card">
        <div className="flex items-center justify-between gap-2">
          <h3 className="font-semibold">Your answer</h3>
          <CopyButton text={full} label="Copy answer" />
        </div>
        <ol className="mt-4 space-y-4">
          {parts.map(([name, text], i) => (
            <li key={name} className="flex gap-3">
              <span className="flex h-7 w-7 shrink-0 items-center justify-center rounded-full bg-brand-100 text-sm font-bold text-brand-800" aria-hidden="true">{i + 1}</span>
              <div>
                <p className="text-sm font-semibold">{name}</p>
                <p className="text-slate-800" data-testid={`part-${name.toLowerCase()}`}>{text}</p>
              </div>
            </li>
          ))}
        </ol>
        {str(output.case_study_id) && <p className="mt-4 text-xs text-slate-600">Case study: {str(output.case_study_id)}</p>}
      </div>
    </div>
  );
}

type Slide = { number?: number; title: string; content: string; visual_prompt?: string };

function Carousel({ output, generationId }: { output: Output; generationId?: string }) {
  const slides = list(output.slides) as Slide[];
  const reach = (output.estimated_reach ?? {}) as { impressions_low?: number; impressions_high?: number };
  const sources = list(output.sources) as { title: string; url: string }[];
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function download() {
    if (!generationId) return;
    setBusy(true);
    setError(null);
    try {
      const response = await request(`/api/user/generations/${generationId}/carousel.pdf`, { accept: 'application/pdf' });
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `konqer-carousel-${generationId.slice(0, 8)}.pdf`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError((err as Error).message || 'The PDF could not be made.');
    } finally {
      setBusy(false);
    }
  }
  const fmt = (n?: number) => (typeof n === 'number' ? new Intl.NumberFormat('en-GB').format(n) : '—');
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-slate-700">
          {slides.length} slides · estimated reach <span className="font-semibold" data-testid="reach">{fmt(reach.impressions_low)} – {fmt(reach.impressions_high)}</span> impressions
        </p>
        {generationId && (
          <button type="button" className="btn-primary" onClick={download} disabled={busy}>
            <Download className="h-4 w-4" aria-hidden="true" /> {busy ? 'Preparing PDF…' : 'Download PDF'}
          </button>
        )}
      </div>
      {error && <Banner kind="error">{error}</Banner>}
      <ol className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="slides">
        {slides.map((s, i) => (
          <li key={i} className="flex min-h-[18rem] flex-col rounded-2xl bg-slate-900 p-5 text-white shadow-md">
            <span className="text-xs text-slate-300">{s.number ?? i + 1} / {slides.length}</span>
            <p className="mt-3 text-lg font-bold leading-snug">{s.title}</p>
            <p className="mt-3 flex-1 whitespace-pre-line text-sm text-slate-200">{s.content}</p>
            {s.visual_prompt && (
              <details className="mt-3 text-xs text-slate-300">
                <summary className="cursor-pointer">Visual idea</summary>
                <p className="mt-1 italic">{s.visual_prompt}</p>
              </details>
            )}
          </li>
        ))}
      </ol>
      {sources.length > 0 && (
        <div className="text-sm">
          <h3 className="font-semibold">Sources</h3>
          <ul className="mt-1 space-y-1">
            {sources.map((s) => (
              <li key={s.url}>
                <a className="link inline-flex items-center gap-1" href={s.url} rel="noopener noreferrer" target="_blank">
                  {s.title} <ExternalLink className="h-3 w-3" aria-hidden="true" />
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function ResultView({ generation }: { generation: Generation }) {
  const id = generation.generation_id ?? generation.id;
  let body;
  switch (generation.service) {
    case 'cold-dm':
      body = <ColdDm output={generation.output} />;
      break;
    case 'objection':
      body = <Objection output={generation.output} />;
      break;
    case 'carousel':
      body = <Carousel output={generation.output} generationId={id} />;
      break;
    default:
      body = <pre className="card overflow-x-auto text-xs">{JSON.stringify(generation.output, null, 2)}</pre>;
  }
  const m = generation.metadata;
  return (
    <section aria-label="Result" data-testid="result">
      {body}
      <p className="mt-4 text-xs text-slate-600">
        Written by {m.provider === 'offline' ? 'the offline provider (templates, no AI model configured)' : `${m.provider ?? 'the model'} · ${m.model ?? ''}`}
        {typeof m.latency_ms === 'number' && <> in {m.latency_ms} ms</>}.
      </p>
    </section>
  );
}
