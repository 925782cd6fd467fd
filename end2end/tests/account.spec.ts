import { expect, test, type Browser, type Page } from './fixtures';
import {
  PASSWORD,
  alertWith,
  newPerson,
  screenshotPath,
  submitSignIn,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

/** The same person signed in twice: A signed up, B signed in in another browser context. */
async function twoSessions(browser: Browser, baseURL: string | undefined) {
  const a = await newPerson(browser, baseURL, 'acc');
  const contextB = await browser.newContext({ baseURL });
  const pageB = await contextB.newPage();
  await signInAndWait(pageB, a.name);
  return { name: a.name, pageA: a.page, pageB, close: async () => { await a.context.close(); await contextB.close(); } };
}

async function signInAndWait(page: Page, name: string, password = PASSWORD) {
  await submitSignIn(page, name, password);
  await page.waitForURL((url) => url.pathname === '/');
  await waitHydrated(page);
  await waitConnected(page);
}

const sessions = (page: Page) => page.getByRole('list', { name: 'Sessions' }).getByRole('listitem');

async function openAccount(page: Page) {
  await page.getByRole('link', { name: /, your account$/ }).click();
  await page.waitForURL((url) => url.pathname === '/account');
  await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
  await waitHydrated(page);
}

/** The other context's open page notices within a few seconds, without any action there. */
async function expectSentToSignIn(page: Page) {
  await page.waitForURL((url) => url.pathname === '/login', { timeout: 5_000 });
  await expect(page.getByText('Your session has ended. Please sign in again.')).toBeVisible();
}

test('signing out another session, then all others, sends them to the sign-in page', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { name, pageA, pageB, close } = await twoSessions(browser, baseURL);
  await openAccount(pageA);
  await expect(sessions(pageA)).toHaveCount(2);
  const current = sessions(pageA).filter({ hasText: 'This device' });
  await expect(current).toHaveCount(1);
  await expect(current.getByRole('button', { name: /^Sign out/ })).toHaveCount(0);
  await pageA.screenshot({ path: screenshotPath('account'), fullPage: true });

  // One session by its own button.
  const other = sessions(pageA).filter({ hasNotText: 'This device' });
  await other.getByRole('button', { name: /^Sign out/ }).click();
  await expectSentToSignIn(pageB);
  await expect(sessions(pageA)).toHaveCount(1);

  // B signs in again; "Sign out all other sessions" ends it too, and A stays signed in.
  await signInAndWait(pageB, name);
  await pageA.reload();
  await waitHydrated(pageA);
  await expect(sessions(pageA)).toHaveCount(2);
  await pageA.getByRole('button', { name: 'Sign out all other sessions', exact: true }).click();
  await expect(pageA.getByRole('status').filter({ hasText: 'Signed out 1 other session.' })).toBeVisible();
  await expectSentToSignIn(pageB);
  await expect(sessions(pageA)).toHaveCount(1);
  await pageA.reload();
  await expect(pageA.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
  await close();
});

test('changing the password signs out the other session and the new password works', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { name, pageA, pageB, close } = await twoSessions(browser, baseURL);
  await openAccount(pageA);
  const newPassword = `${uniqueName('pw')}-staple-7`;

  // A wrong current password changes nothing.
  await pageA.getByLabel('Current password').fill(`${PASSWORD}-nope`);
  await pageA.getByLabel('New password').fill(newPassword);
  await pageA.getByRole('button', { name: 'Change password', exact: true }).click();
  await expect(alertWith(pageA, 'Your current password is wrong.')).toBeVisible();
  await expect(pageB).toHaveURL((url) => url.pathname === '/');

  await pageA.getByLabel('Current password').fill(PASSWORD);
  await pageA.getByLabel('New password').fill(newPassword);
  await pageA.getByRole('button', { name: 'Change password', exact: true }).click();
  await expect(pageA.getByRole('status').filter({ hasText: 'Password changed. Signed out 1 other session.' })).toBeVisible();
  await expect(pageA.getByLabel('Current password')).toHaveValue('');
  await expectSentToSignIn(pageB);
  await expect(sessions(pageA)).toHaveCount(1);

  // The old password no longer works; the new one does.
  await submitSignIn(pageB, name, PASSWORD);
  await expect(alertWith(pageB, 'Wrong username or password.')).toBeVisible();
  await signInAndWait(pageB, name, newPassword);
  await expect(pageB.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await close();
});
