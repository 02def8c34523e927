// Buying: a declined card grants nothing; a single service unlocks that service alone.
import { expect, test } from '@playwright/test';
import { payLocally, signUp, uniqueEmail, watchConsole } from './helpers';

test('a declined card shows an error and grants nothing', async ({ page }) => {
  const problems = watchConsole(page);
  await signUp(page, uniqueEmail('declined'));
  await page.goto('/billing/?buy=founding');
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await payLocally(page, '4000 0000 0000 0341');
  await expect(page.getByRole('alert')).toContainText('declined');
  await page.goto('/dashboard/');
  await expect(page.getByTestId('plan-summary')).toContainText('No plan yet');
  await expect(page.locator('[data-testid="service-status"][data-status="locked"]')).toHaveCount(12);
  await page.goto('/run/cold-dm-personalizer/');
  await expect(page.getByTestId('locked')).toContainText('not part of your plan');
  expect(problems.filter((p) => !p.includes('402') && !p.includes('422'))).toEqual([]);
});

test('buying one released service unlocks that service alone', async ({ page }) => {
  const problems = watchConsole(page);
  await signUp(page, uniqueEmail('single'));
  await page.goto('/billing/');
  await page.getByLabel('Service').selectOption({ label: 'Cold DM Personalizer' });
  await page.getByLabel('Billing').selectOption('month');
  await page.getByRole('button', { name: /^Buy · €99/ }).click();
  await payLocally(page, '4242 4242 4242 4242');
  await expect(page.getByRole('heading', { name: /you’re in/ })).toBeVisible();
  await page.goto('/dashboard/');
  await expect(page.getByTestId('plan-summary')).toContainText('Single service (monthly)');
  await expect(page.locator('[data-testid="service-status"][data-status="unlocked"]')).toHaveCount(1);
  await expect(page.locator('[data-service="cold-dm"]')).toHaveAttribute('data-status', 'unlocked');
  await expect(page.locator('[data-testid="service-status"][data-status="locked"]')).toHaveCount(11);
  await page.goto('/billing/');
  await expect(page.getByTestId('subscription')).toContainText('Cold DM Personalizer');
  expect(problems).toEqual([]);
});
