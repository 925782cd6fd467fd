import { expect, test } from './fixtures';
import { PASSWORD, alertWith, signOut, signUp, submitSignIn, uniqueName, waitHydrated } from './helpers';

test('signing out returns to the sign-in page', async ({ page }) => {
  const name = uniqueName('out');
  await signUp(page, name);
  await expect(page.getByText(name, { exact: true }).first()).toBeVisible();
  await signOut(page);
  // Signed out for real: the app does not let us back in without a password.
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
});

test('a wrong password is refused and the right one lets you in', async ({ page }) => {
  const name = uniqueName('pw');
  await signUp(page, name);
  await signOut(page);

  await submitSignIn(page, name, `${PASSWORD}-wrong`);
  await expect(alertWith(page, 'Wrong username or password.')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  await submitSignIn(page, name, PASSWORD);
  await page.waitForURL((url) => url.pathname !== '/login');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
});

test('an unknown username gets the same message as a wrong password', async ({ page }) => {
  await submitSignIn(page, uniqueName('nob'), PASSWORD);
  await expect(alertWith(page, 'Wrong username or password.')).toBeVisible();
});

test('signing up with a taken username is refused', async ({ page }) => {
  const name = uniqueName('tkn');
  await signUp(page, name);
  await signOut(page);

  await page.goto('/signup');
  await waitHydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(alertWith(page, 'That username is already taken.')).toBeVisible();
  await expect(page).toHaveURL(/\/signup/);
});

test('a password shorter than 8 characters is refused', async ({ page }) => {
  await page.goto('/signup');
  await waitHydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(uniqueName('sh'));
  await page.getByLabel('Password', { exact: true }).fill('Zq7-kp3');
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(alertWith(page, /at least 8 characters/)).toBeVisible();
  await expect(page).toHaveURL(/\/signup/);
});

test('the sign-in and sign-up pages link to each other', async ({ page }) => {
  await page.goto('/login');
  await waitHydrated(page);
  await page.getByRole('link', { name: 'Create an account', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Palaver' })).toBeVisible();
});
