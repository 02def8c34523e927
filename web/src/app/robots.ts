import type { MetadataRoute } from 'next';
import { SITE_URL } from '@/lib/seo';

export const dynamic = 'force-static';

export default function robots(): MetadataRoute.Robots {
  return {
    rules: { userAgent: '*', allow: '/', disallow: ['/dashboard/', '/run/', '/history/', '/billing/', '/account/', '/auth/'] },
    sitemap: `${SITE_URL}/sitemap.xml`,
  };
}
