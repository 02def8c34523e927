// Every page: accessible (axe: no serious or critical violation), no console errors, the
// findability files, and screenshots at phone and desktop widths.
import { expect, test } from '@playwright/test';
import { expectAccessible, payLocally, screenshot, signUp, uniqueEmail, watchConsole } from './helpers';

const publicPages = ['/', '/pricing/', '/services/cold-dm-personalizer/', '/services/vc-deck-heatmap/', '/signin/', '/signup/', '/billing/cancel/', '/does-not-exist/'];

test('public pages are accessible and complete', async ({ page }) => {
  const problems = watchConsole(page);
  for (const path of publicPages) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(path === '/does-not-exist/' ? 404 : 200);
    await expect(page.locator('h1')).toHaveCount(1);
    expect(await page.title(), path).toMatch(/Konqer/);
    await expectAccessible(page);
  }
  await page.goto('/');
  await screenshot(page, 'landing');
  await page.goto('/pricing/');
  await screenshot(page, 'pricing');
  expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
});

test('pricing savings follow the billing period', async ({ page }) => {
  await page.goto('/pricing/');
  await expect(page.getByTestId('tier-bundle')).toContainText('€3,990');
  await expect(page.getByTestId('tier-bundle').getByTestId('saving')).toContainText('€7,890');
  await page.getByRole('radio', { name: 'Monthly' }).click();
  await expect(page.getByTestId('tier-bundle')).toContainText('€399');
  await expect(page.getByTestId('tier-bundle').getByTestId('saving')).toContainText('€789');
  await expect(page.getByTestId('tier-single')).toContainText('€99');
});

test('signed-in pages are accessible', async ({ page }) => {
  const problems = watchConsole(page);
  await signUp(page, uniqueEmail('a11y'));
  await page.goto('/billing/?buy=founding');
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await payLocally(page, '4242 4242 4242 4242');
  await expect(page.getByRole('heading', { name: /you’re in/ })).toBeVisible();
  for (const path of ['/dashboard/', '/history/', '/billing/', '/account/', '/run/cold-dm-personalizer/', '/run/vc-deck-heatmap/']) {
    await page.goto(path);
    await expect(page.locator('h1')).toHaveCount(1);
    await expectAccessible(page);
  }
  expect(problems).toEqual([]);
});

test('sitemap and robots are served', async ({ request }) => {
  const sitemap = await request.get('/sitemap.xml');
  expect(sitemap.status()).toBe(200);
  const body = await sitemap.text();
  expect(body).toContain('/services/linkedin-carousel-forge/');
  expect(body).toContain('/pricing/');
  const robots = await request.get('/robots.txt');
  expect(await robots.text()).toContain('Sitemap:');
});

test('service pages carry their own title, description and Open Graph tags', async ({ page }) => {
  await page.goto('/services/sales-objection-crusher/');
  await expect(page).toHaveTitle('Sales Objection Crusher · Konqer');
  await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /objection/i);
  await expect(page.locator('meta[property="og:title"]')).toHaveAttribute('content', /Sales Objection Crusher/);
});
