// Signing in and out, wrong passwords, field errors, and erasing an account.
import { expect, test } from '@playwright/test';
import { PASSWORD, signIn, signUp, uniqueEmail, watchConsole } from './helpers';

test('a wrong password shows an error and signs nobody in', async ({ page }) => {
  const email = uniqueEmail('wrongpw');
  await signUp(page, email);
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/signin\/$/);
  await signIn(page, email, 'not the right password at all');
  await expect(page.locator('#main').getByRole('alert')).toContainText('email or password is not right');
  await expect(page).toHaveURL(/\/signin\//);
  await page.goto('/dashboard/');
  await expect(page).toHaveURL(/\/signin\/\?next=%2Fdashboard%2F/);
});

test('sign-up shows field errors next to the fields', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/signup/');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Tell us your name.')).toBeVisible();
  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  expect(problems.filter((p) => !p.includes('422'))).toEqual([]);
});

test('a protected page remembers where the visitor was going', async ({ page }) => {
  const email = uniqueEmail('next');
  await signUp(page, email);
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.goto('/history/');
  await expect(page).toHaveURL(/\/signin\/\?next=%2Fhistory%2F/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/history\/$/);
  await expect(page.getByTestId('empty-history')).toBeVisible();
});

test('deleting the account signs out and frees the email', async ({ page }) => {
  const problems = watchConsole(page);
  const email = uniqueEmail('erase');
  await signUp(page, email);
  await page.goto('/account/');
  const erase = page.getByRole('button', { name: 'Delete my account' });
  await expect(erase).toBeDisabled();
  await page.getByLabel(`Type ${email} to confirm`).fill(email);
  await erase.click();
  await expect(page).toHaveURL(/\/\?account=deleted$/);
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  await page.goto('/dashboard/');
  await expect(page).toHaveURL(/\/signin\//);
  await signUp(page, email, 'Ada Again');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Welcome, Ada');
  expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
});

test('name and password can be changed', async ({ page }) => {
  const email = uniqueEmail('profile');
  await signUp(page, email);
  await page.goto('/account/');
  await page.getByLabel('Name').fill('Katherine Johnson');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByText('Your name is saved.')).toBeVisible();
  const offers = page.getByRole('checkbox', { name: /Send me offers by email/ });
  await expect(offers).toBeChecked();
  await offers.click();
  await expect(page.getByText('No more offers by email.')).toBeVisible();
  await expect(offers).not.toBeChecked();
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'Password' }) });
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByLabel('New password').fill('an even better passphrase 2026');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your password is changed.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await signIn(page, email, 'an even better passphrase 2026');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Welcome, Katherine');
});
