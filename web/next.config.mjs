/** Static export served by `konqer serve` (and a CDN in production). */
const nextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  env: {
    // Build-time switch for the analytics snippet (off unless set).
    NEXT_PUBLIC_ANALYTICS_DOMAIN: process.env.KONQER_ANALYTICS_DOMAIN ?? '',
    NEXT_PUBLIC_ANALYTICS_SRC: process.env.KONQER_ANALYTICS_SRC ?? '',
    NEXT_PUBLIC_SITE_URL: process.env.KONQER_SITE_URL ?? 'https://konqer.app',
  },
};

export default nextConfig;
