// Reading JSON Schemas for forms and pages: field labels, and which fields a service takes.
import type { JsonSchema } from './catalog';

const WORDS: Record<string, string> = { url: 'URL', linkedin: 'LinkedIn', cta: 'CTA' };

/** `prospect_name` → "Prospect name"; `linkedin_url` → "LinkedIn URL". */
export function humanize(name: string): string {
  const words = name.split('_').map((w) => WORDS[w] ?? w);
  const first = words[0] ?? '';
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}

export type Field = { name: string; schema: JsonSchema; required: boolean };

/** Required fields first, in the schema's `required` order, then the optional ones. */
export function fields(schema: JsonSchema | null | undefined): Field[] {
  if (!schema?.properties) return [];
  const properties = schema.properties;
  const required = (schema.required ?? []).filter((name) => name in properties);
  const optional = Object.keys(properties).filter((name) => !required.includes(name));
  return [...required, ...optional].map((name) => ({ name, schema: properties[name] as JsonSchema, required: required.includes(name) }));
}

const ENUM_LABELS: Record<string, string> = { en: 'English', fr: 'French' };

export function enumLabel(value: string | number): string {
  return typeof value === 'string' ? (ENUM_LABELS[value] ?? humanize(value)) : String(value);
}

export function schemaType(schema: JsonSchema): string {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? 'string';
  if (schema.type) return schema.type;
  if (schema.enum) return typeof schema.enum[0] === 'number' ? 'integer' : 'string';
  return 'string';
}
