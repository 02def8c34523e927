import { AuthForm } from '@/components/auth-form';
import { pageMetadata } from '@/lib/seo';

export const metadata = { ...pageMetadata('Sign in', 'Sign in to your Konqer account.', '/signin/'), robots: { index: false } };

export default function SignIn() {
  return <AuthForm mode="signin" />;
}
