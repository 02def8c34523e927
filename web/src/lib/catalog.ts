// The catalog as the API serves it. Pages are generated at build time from the committed
// copy in `data/catalog.json` (kept equal to the server's by a Rust test); pages that need
// live values (release dates, the user's status) read `/api/services` at run time.
import data from '@/data/catalog.json';

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  minItems?: number;
  format?: string;
  pattern?: string;
  examples?: unknown[];
  [key: string]: unknown;
};

export type ServiceEntry = {
  key: string;
  name: string;
  slug: string;
  type: string;
  pricing_monthly: number;
  pricing_annual: number;
  rate_limit_daily: number;
  release_offset_days: number;
  complement?: string;
  released_at?: string;
  enabled?: boolean;
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
};

export type PlanEntry = {
  plan: 'founding' | 'monthly_single' | 'annual_single' | 'monthly_bundle' | 'annual_bundle';
  price: number;
  interval: 'month' | 'year';
  covers_all_services: boolean;
};

export const services: ServiceEntry[] = data.services as ServiceEntry[];
export const plans: PlanEntry[] = data.plans as PlanEntry[];

export function planPrice(plan: PlanEntry['plan']): number {
  const found = plans.find((p) => p.plan === plan);
  if (!found) throw new Error(`plan ${plan} missing from the catalog`);
  return found.price;
}

export function serviceBySlug(slug: string): ServiceEntry | undefined {
  return services.find((s) => s.slug === slug);
}

export function serviceByKey(key: string): ServiceEntry | undefined {
  return services.find((s) => s.key === key);
}

/** Formats integer cents as euros, without decimals when whole: 69900 → "€699". */
export function euros(cents: number, locale = 'en-IE'): string {
  const whole = cents % 100 === 0;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'EUR',
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: whole ? 0 : 2,
  }).format(cents / 100);
}

/** 00:00 UTC on launch + offset, as the server computes it. */
export function releaseDate(launch: Date, offsetDays: number): Date {
  const base = Date.UTC(launch.getUTCFullYear(), launch.getUTCMonth(), launch.getUTCDate());
  return new Date(base + offsetDays * 86_400_000);
}

export function formatDate(date: Date | string): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}

/** The services a runner exists for (the API has their schemas). */
export function isAvailable(service: ServiceEntry): boolean {
  return service.input_schema !== null;
}
