import { test, expect, request as http } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PASSWORD, expectAccessible, screenshot, signUp, uniqueEmail, watchConsole } from './helpers';

const ADMIN = process.env.KONQER_ADMIN_URL ?? '';
const BASE = process.env.KONQER_BASE_URL ?? '';
const KONQER = path.join(__dirname, '..', '..', 'target', 'debug', 'konqer');

/** A superadmin made the way a newcomer makes one: sign up, then `konqer admin add`. */
async function superadminToken(): Promise<string> {
  const email = uniqueEmail('root');
  const api = await http.newContext({ baseURL: BASE });
  expect((await api.post('/auth/register', { data: { email, password: PASSWORD, name: 'Root' } })).status()).toBe(201);
  execFileSync(KONQER, ['admin', 'add', email, '--role', 'superadmin'], { env: process.env, stdio: 'pipe' });
  const login = await api.post('/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  return (await login.json()).access_token as string;
}

async function setAnnouncement(token: string, enabled: boolean, config: Record<string, unknown>) {
  const admin = await http.newContext({ baseURL: ADMIN });
  const answer = await admin.put('/admin/flags/announcement', {
    headers: { authorization: `Bearer ${token}` },
    data: { enabled, rollout_percentage: 100, config },
  });
  expect(answer.status()).toBe(200);
}

test('an operator announcement set through a feature flag reaches the dashboard and can be dismissed', async ({ page }) => {
  test.skip(!ADMIN || !process.env.KONQER_DATA_DIR, 'needs the admin listener and the data directory');
  const problems = watchConsole(page);
  const token = await superadminToken();
  const message = 'Pitch Deck Builder arrives next week for founding members.';
  await setAnnouncement(token, true, { message, link: '/pricing/', link_text: 'See the schedule' });
  try {
    await signUp(page, uniqueEmail('reader'));
    const banner = page.getByTestId('announcement');
    await expect(banner).toContainText(message);
    await expect(banner.getByRole('link', { name: 'See the schedule' })).toHaveAttribute('href', '/pricing/');
    await expectAccessible(page);
    await screenshot(page, 'dashboard-announcement');
    await page.getByRole('button', { name: 'Dismiss the announcement' }).click();
    await expect(banner).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId('service-status')).toHaveCount(12);
    await expect(page.getByTestId('announcement')).toHaveCount(0);

    // A new message shows again; an unsafe link is left out rather than rendered.
    await setAnnouncement(token, true, { message: 'Scheduled maintenance on Sunday, 02:00–03:00 UTC.', link: 'javascript:alert(1)' });
    await page.reload();
    await expect(page.getByTestId('announcement')).toContainText('Scheduled maintenance');
    await expect(page.getByTestId('announcement').getByRole('link')).toHaveCount(0);
  } finally {
    await setAnnouncement(token, false, {});
  }
  expect(problems).toEqual([]);
});
