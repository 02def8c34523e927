export const planNames: Record<string, string> = {
  founding: 'Founding Membership',
  monthly_single: 'Single service (monthly)',
  annual_single: 'Single service (yearly)',
  monthly_bundle: 'Bundle (monthly)',
  annual_bundle: 'Bundle (yearly)',
};

export const statusNames: Record<string, string> = {
  active: 'Active',
  trialing: 'Trial',
  past_due: 'Payment due',
  canceled: 'Canceled',
  unpaid: 'Unpaid',
  incomplete: 'Incomplete',
  incomplete_expired: 'Expired',
  paused: 'Paused',
};
