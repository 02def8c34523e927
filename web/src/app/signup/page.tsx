import { AuthForm } from '@/components/auth-form';
import { pageMetadata } from '@/lib/seo';

export const metadata = pageMetadata('Create your account', 'Create a Konqer account and try twelve AI tools for B2B sales and marketing.', '/signup/');

export default function SignUp() {
  return <AuthForm mode="signup" />;
}
