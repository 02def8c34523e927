import type { MetadataRoute } from 'next';
import { services } from '@/lib/catalog';
import { SITE_URL } from '@/lib/seo';

export const dynamic = 'force-static';

export default function sitemap(): MetadataRoute.Sitemap {
  const pages = ['/', '/pricing/', '/signup/', ...services.map((s) => `/services/${s.slug}/`)];
  return pages.map((p) => ({ url: `${SITE_URL}${p}`, changeFrequency: 'weekly', priority: p === '/' ? 1 : 0.7 }));
}
