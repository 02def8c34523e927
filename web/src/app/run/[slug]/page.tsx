import { notFound } from 'next/navigation';
import { serviceBySlug, services } from '@/lib/catalog';
import { Runner } from '@/components/runner';

type Params = { params: { slug: string } };

export function generateStaticParams() {
  return services.map((s) => ({ slug: s.slug }));
}

export function generateMetadata({ params }: Params) {
  const service = serviceBySlug(params.slug);
  return { title: service ? `Run ${service.name}` : 'Run', robots: { index: false } };
}

export default function RunPage({ params }: Params) {
  const service = serviceBySlug(params.slug);
  if (!service) notFound();
  return <Runner service={service} />;
}
