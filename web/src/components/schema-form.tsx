'use client';
// A form generated from a service's input JSON Schema, so every service gets a runner
// without its own form code. Values are kept as the JSON the API takes; field errors from a
// 422 answer are shown under the field they name.
import { Minus, Plus } from 'lucide-react';
import type { JsonSchema } from '@/lib/catalog';
import { describedBy, FieldNote } from './form';
import { enumLabel, fields, humanize, schemaType } from '@/lib/schema';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type FormValue = Record<string, Json>;

type Props = {
  schema: JsonSchema;
  value: FormValue;
  onChange: (value: FormValue) => void;
  errors: Record<string, string>;
  prefix?: string;
};

function hint(schema: JsonSchema, required: boolean): string {
  const parts: string[] = [];
  if (schema.description) parts.push(schema.description);
  if (!required) parts.push('Optional.');
  return parts.join(' ');
}

export function SchemaForm({ schema, value, onChange, errors, prefix = '' }: Props) {
  const set = (name: string, v: Json | undefined) => {
    const next = { ...value };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <div className="space-y-5">
      {fields(schema).map(({ name, schema: s, required }) => {
        const path = prefix ? `${prefix}.${name}` : name;
        const id = `in-${path.replace(/\W/g, '-')}`;
        const error = errors[path];
        const type = schemaType(s);
        const label = (
          <label htmlFor={id} className="label">
            {humanize(name)} {required && <span className="text-red-700" aria-hidden="true">*</span>}
          </label>
        );
        const help = hint(s, required);
        const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy(id, help, error), 'aria-required': required || undefined };
        let control;
        if (type === 'object' && s.properties) {
          const inner = (value[name] as FormValue | undefined) ?? {};
          return (
            <fieldset key={path} className="rounded-xl border border-slate-200 p-4">
              <legend className="px-1 text-sm font-semibold text-slate-800">{humanize(name)}{!required && <span className="font-normal text-slate-600"> (optional)</span>}</legend>
              <SchemaForm
                schema={s}
                value={inner}
                errors={errors}
                prefix={path}
                onChange={(v) => set(name, Object.keys(v).length ? v : undefined)}
              />
            </fieldset>
          );
        } else if (type === 'array') {
          const items = ((value[name] as Json[] | undefined) ?? []).map(String);
          const max = s.maxItems ?? 10;
          const shown = items.length ? items : [''];
          control = (
            <div className="space-y-2">
              {shown.map((item, i) => (
                <div key={i} className="flex gap-2">
                  <textarea
                    {...common}
                    id={i === 0 ? id : `${id}-${i}`}
                    aria-label={i === 0 ? undefined : `${humanize(name)} ${i + 1}`}
                    className="input min-h-[4.5rem]"
                    value={item}
                    maxLength={s.items?.maxLength}
                    onChange={(e) => {
                      const next = [...shown];
                      next[i] = e.target.value;
                      set(name, next.some((x) => x !== '') ? next : undefined);
                    }}
                  />
                  {shown.length > 1 && (
                    <button type="button" className="btn-secondary self-start px-2" aria-label={`Remove ${humanize(name)} ${i + 1}`} onClick={() => set(name, shown.filter((_, j) => j !== i))}>
                      <Minus className="h-4 w-4" aria-hidden="true" />
                    </button>
                  )}
                </div>
              ))}
              {shown.length < max && (
                <button type="button" className="btn-secondary px-3 py-1.5 text-xs" onClick={() => set(name, [...shown, ''])}>
                  <Plus className="h-4 w-4" aria-hidden="true" /> Add another
                </button>
              )}
            </div>
          );
        } else if (s.enum) {
          const current = value[name] ?? (s.default as Json | undefined) ?? '';
          control = (
            <select {...common} className="input" value={String(current)} onChange={(e) => set(name, e.target.value === '' ? undefined : typeof s.enum?.[0] === 'number' ? Number(e.target.value) : e.target.value)}>
              {!required && s.default === undefined && <option value="">—</option>}
              {s.enum.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {enumLabel(o)}
                </option>
              ))}
            </select>
          );
        } else if (type === 'integer' || type === 'number') {
          const current = value[name];
          control = (
            <input
              {...common}
              type="number"
              inputMode="numeric"
              className="input"
              min={s.minimum}
              max={s.maximum}
              placeholder={s.default !== undefined ? String(s.default) : undefined}
              value={current === undefined || current === null ? '' : String(current)}
              onChange={(e) => set(name, e.target.value === '' ? undefined : Number(e.target.value))}
            />
          );
        } else if (type === 'boolean') {
          return (
            <div key={path} className="flex items-center gap-2">
              <input {...common} type="checkbox" className="h-4 w-4" checked={Boolean(value[name] ?? s.default)} onChange={(e) => set(name, e.target.checked)} />
              <label htmlFor={id} className="text-sm font-medium">{humanize(name)}</label>
            </div>
          );
        } else {
          const current = value[name] === undefined || value[name] === null ? '' : String(value[name]);
          const long = (s.maxLength ?? 0) > 200;
          const onText = (v: string) => set(name, v === '' && !required ? undefined : v);
          control = long ? (
            <textarea {...common} className="input min-h-[6rem]" maxLength={s.maxLength} value={current} onChange={(e) => onText(e.target.value)} />
          ) : (
            <input {...common} type={s.format === 'uri' || name.endsWith('_url') ? 'url' : 'text'} className="input" maxLength={s.maxLength} value={current} onChange={(e) => onText(e.target.value)} />
          );
        }
        return (
          <div key={path}>
            {label}
            {control}
            <FieldNote id={id} hint={help} error={error} />
          </div>
        );
      })}
    </div>
  );
}

/** Maps API field paths (`.context.stage`, `recent_posts[0]`, `recent_posts.0`) to form paths. */
export function formErrors(errors: { field: string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const path = e.field
      .replace(/^\./, '')
      .replace(/\[\d+\]/g, '')
      .replace(/\.\d+(?=\.|$)/g, '');
    if (!(path in out)) out[path] = e.message;
  }
  return out;
}

/** Drops empty optional strings and blank list items before sending. */
export function cleaned(value: FormValue): FormValue {
  const out: FormValue = {};
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      const items = v.filter((x) => !(typeof x === 'string' && x.trim() === ''));
      if (items.length) out[k] = items;
    } else if (v && typeof v === 'object') {
      const inner = cleaned(v as FormValue);
      if (Object.keys(inner).length) out[k] = inner;
    } else if (v !== '' && v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}
