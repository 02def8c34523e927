// The newcomer's journey, end to end in a real browser against a real server.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { payLocally, screenshot, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

test('a newcomer signs up, buys the founding membership and runs the launch services', async ({ page }) => {
  const problems = watchConsole(page);
  const email = uniqueEmail('newcomer');

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Twelve AI tools');
  await expect(page.getByTestId('service-card')).toHaveCount(12);
  await expect(page.getByTestId('release-group').first()).toContainText(/Live since|\d{4}/);
  await page.getByRole('link', { name: 'Pricing', exact: true }).first().click();
  await expect(page).toHaveURL(/\/pricing\/$/);
  await expect(page.getByTestId('tier-founding')).toContainText('€699');

  await page.getByRole('link', { name: 'Start now' }).click();
  await signUp(page, email);
  const statuses = page.getByTestId('service-status');
  await expect(statuses.and(page.locator('[data-status="locked"]'))).toHaveCount(12);

  // Buy the founding membership through the local checkout.
  await page.getByRole('link', { name: /Become a founding member/ }).click();
  await expect(page.getByTestId('confirm-purchase')).toContainText('Founding Membership');
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await payLocally(page, '4242 4242 4242 4242');
  await expect(page).toHaveURL(/\/billing\/success\//);
  await expect(page.getByRole('heading', { name: /you’re in/ })).toBeVisible();
  await page.getByRole('link', { name: 'Go to your dashboard' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Founding Membership');
  await expect(page.locator('[data-testid="service-status"][data-status="unlocked"]')).toHaveCount(3);
  const scheduled = page.locator('[data-testid="service-status"][data-status="scheduled"]');
  await expect(scheduled).toHaveCount(9);
  await expect(scheduled.first()).toContainText(/\d{4}/);
  await expect(scheduled.first().getByTestId('countdown')).toContainText(/in \d+d/);
  await screenshot(page, 'dashboard');

  // Cold DM: the result streams in, then the message and its score.
  await page.locator('[data-service="cold-dm"]').getByRole('link', { name: /Open/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cold DM Personalizer');
  await page.getByRole('button', { name: 'Fill with an example' }).click();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('result')).toBeVisible();
  await expect(page.getByTestId('message')).toContainText('Maya');
  await expect(page.getByTestId('score')).toHaveText(/^\d+$/);
  await expect(page.getByTestId('score-breakdown').locator('tbody tr')).toHaveCount(6);
  await expect(page.getByTestId('runner-usage')).toContainText('1 of 100');
  await screenshot(page, 'runner-cold-dm');

  // Objection Crusher: type, confidence, framework and the four-part answer.
  await page.goto('/dashboard/');
  await page.locator('[data-service="objection"]').getByRole('link', { name: /Open/ }).click();
  await page.getByRole('button', { name: 'Fill with an example' }).click();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('objection-type')).toHaveText('Price');
  await expect(page.getByTestId('framework')).toHaveText('Cost vs Value');
  await expect(page.getByTestId('confidence')).toHaveText(/^\d+%$/);
  for (const part of ['empathy', 'reframe', 'evidence', 'action']) await expect(page.getByTestId(`part-${part}`)).not.toBeEmpty();
  await screenshot(page, 'runner-objection');

  // Carousel Forge: slide previews, then the PDF.
  await page.goto('/run/linkedin-carousel-forge/');
  await page.getByRole('button', { name: 'Fill with an example' }).click();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('slides').locator('li')).toHaveCount(8);
  await expect(page.getByTestId('reach')).toContainText('–');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download PDF' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^konqer-carousel-.*\.pdf$/);
  const pdf = readFileSync((await download.path()) as string);
  expect(pdf.subarray(0, 8).toString()).toBe('%PDF-1.4');
  expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(8);
  await screenshot(page, 'runner-carousel');

  // History lists the three runs; a detail view shows one again.
  await page.getByRole('link', { name: 'History' }).first().click();
  await expect(page.getByTestId('history-item')).toHaveCount(3);
  await page.getByLabel('Service').selectOption({ label: 'Cold DM Personalizer' });
  await expect(page.getByTestId('history-item')).toHaveCount(1);
  await page.getByTestId('history-item').first().getByRole('link').click();
  await expect(page.getByTestId('message')).toContainText('Maya');

  // Sign out, sign in again: everything is still there.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/signin\/$/);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/dashboard\/$/);
  await expect(page.locator('[data-testid="service-status"][data-status="unlocked"]')).toHaveCount(3);
  await page.goto('/history/');
  await expect(page.getByTestId('history-item')).toHaveCount(3);

  // A reload keeps the session through the refresh cookie, with nothing in storage but a hint.
  await page.reload();
  await expect(page.getByTestId('history-item')).toHaveCount(3);
  const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }));
  expect(stored).not.toMatch(/eyJ|krt_/);

  // Deleting a result asks first, then removes it from the history.
  await page.getByTestId('history-item').filter({ hasText: 'Sales Objection Crusher' }).getByRole('link').click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('group', { name: 'Confirm deletion' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/history\/$/);
  await expect(page.getByTestId('history-item')).toHaveCount(2);
  await expect(page.getByTestId('history-item').filter({ hasText: 'Sales Objection Crusher' })).toHaveCount(0);

  expect(problems).toEqual([]);
});
