import { randomBytes } from 'node:crypto';
import { expect, test } from './fixtures';
import { signUp, uniqueName, waitHydrated } from './helpers';

// Same shape as a real invite code (32 random bytes, base64url), but never issued.
const unknownCode = () => randomBytes(32).toString('base64url');

test('an unknown invite code shows that the link is invalid', async ({ page }) => {
  const code = unknownCode();
  expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await page.goto(`/invite/${code}`);
  await expect(page.getByRole('heading', { name: 'This invite link is invalid' })).toBeVisible();
  await waitHydrated(page);
});

test('a malformed invite code shows that the link is invalid', async ({ page }) => {
  await page.goto('/invite/garbage');
  await expect(page.getByRole('heading', { name: 'This invite link is invalid' })).toBeVisible();
});

test('a signed-in person opening an invalid invite is told so, not joined', async ({ page }) => {
  await signUp(page, uniqueName('inv'));
  await page.goto(`/invite/${unknownCode()}`);
  await expect(page.getByRole('heading', { name: 'This invite link is invalid' })).toBeVisible();
  await expect(page).toHaveURL(/\/invite\//);
});

test('an unknown page answers 404 with "Page not found"', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await waitHydrated(page);
});
