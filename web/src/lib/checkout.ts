// Starting a purchase: the API answers with the checkout page's address (Stripe Checkout or
// the local checkout), and the browser goes there.
import { api } from './api';

export type Purchase =
  | { kind: 'founding' }
  | { kind: 'bundle'; interval: 'month' | 'year' }
  | { kind: 'single'; service: string; interval: 'month' | 'year' };

export async function startCheckout(purchase: Purchase): Promise<void> {
  const body = purchase.kind === 'founding' ? undefined : purchase.kind === 'bundle' ? { interval: purchase.interval } : { service: purchase.service, interval: purchase.interval };
  const { checkout_url } = await api<{ checkout_url: string }>(`/api/checkout/${purchase.kind}`, { method: 'POST', body: body ?? {} });
  window.location.assign(checkout_url);
}

export async function openPortal(): Promise<void> {
  const { portal_url } = await api<{ portal_url: string }>('/api/checkout/portal', { method: 'POST', body: {} });
  window.location.assign(portal_url);
}

/** `?buy=founding`, `?buy=bundle&interval=year`, `?buy=single&service=cold-dm&interval=month`. */
export function purchaseFromQuery(params: URLSearchParams): Purchase | null {
  const interval = params.get('interval') === 'year' ? 'year' : 'month';
  switch (params.get('buy')) {
    case 'founding':
      return { kind: 'founding' };
    case 'bundle':
      return { kind: 'bundle', interval };
    case 'single': {
      const service = params.get('service');
      return service ? { kind: 'single', service, interval } : null;
    }
    default:
      return null;
  }
}

export function purchaseQuery(purchase: Purchase): string {
  const q = new URLSearchParams({ buy: purchase.kind });
  if (purchase.kind !== 'founding') q.set('interval', purchase.interval);
  if (purchase.kind === 'single') q.set('service', purchase.service);
  return `?${q.toString()}`;
}
