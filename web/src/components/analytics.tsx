// Plausible, only when the site was built with KONQER_ANALYTICS_DOMAIN (off by default).
export function Analytics() {
  const domain = process.env.NEXT_PUBLIC_ANALYTICS_DOMAIN;
  if (!domain) return null;
  const src = process.env.NEXT_PUBLIC_ANALYTICS_SRC || 'https://plausible.io/js/script.js';
  return <script defer data-domain={domain} src={src} />;
}
