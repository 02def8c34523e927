import type { Metadata } from 'next';

export const SITE_URL = process.env.NEXT_PUBLIC_SITE_URL || 'https://konqer.app';

/** Title, description and Open Graph tags for one page. */
export function pageMetadata(title: string, description: string, path: string): Metadata {
  return {
    title,
    description,
    alternates: { canonical: path },
    openGraph: { title: `${title} · Konqer`, description, url: path, siteName: 'Konqer', type: 'website' },
    twitter: { card: 'summary', title: `${title} · Konqer`, description },
  };
}
