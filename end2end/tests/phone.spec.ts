import { expect, test, type Page } from './fixtures';
import {
  PASSWORD,
  composer,
  conversationHeading,
  membersPanel,
  screenshotPath,
  sendMessage,
  sideNav,
  submitSignUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

// A phone: below 700 px one pane shows at a time, the conversation list is the home screen.
test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

/** Nothing may push the page wider than the screen. */
async function expectNoSidewaysScroll(page: Page, what: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  expect(scroll, `${what}: page is ${scroll}px wide on a ${width}px screen`).toBeLessThanOrEqual(width);
}

/** A username of the longest allowed length (32), unique to this run. */
function longName(): string {
  const base = uniqueName('phn');
  return base + 'w'.repeat(32 - base.length);
}

test('on a phone the list is home, a conversation fills the screen, and everything is reachable', async ({ page }) => {
  const name = longName();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/signup');
  await submitSignUp(page, name, PASSWORD);
  await waitHydrated(page);

  // Home: the conversation list fills the screen; the top bar keeps "Sign out" on screen.
  await expect(sideNav(page)).toBeVisible();
  await expect(page).toHaveTitle(/Conversations · Palaver/);
  const signOut = page.getByRole('button', { name: 'Sign out', exact: true });
  await expect(signOut).toBeInViewport({ ratio: 1 });
  await expectNoSidewaysScroll(page, 'home at 360 px with a 32-character username');

  // A conversation with a 100-character title opens full-width with a way back.
  const shortTitle = 'Quarterly planning for the platform team '.repeat(3).slice(0, 100);
  expect(shortTitle.length).toBe(100);
  await page.getByLabel('New conversation title', { exact: true }).fill(shortTitle);
  await page.getByRole('button', { name: 'Create conversation', exact: true }).click();
  await page.waitForURL(/\/c\/\d+$/);
  await expect(conversationHeading(page, shortTitle)).toBeVisible();
  await waitHydrated(page);
  await waitConnected(page);
  await expect(sideNav(page)).toBeHidden();
  const back = page.getByRole('link', { name: 'Back to conversations', exact: true });
  await expect(back).toBeVisible();

  // A 4,000-character word wraps inside its bubble.
  await sendMessage(page, 'y'.repeat(4000));
  await expect(composer(page)).toBeInViewport();
  await expectNoSidewaysScroll(page, 'conversation with a 100-character title and a 4,000-character word');
  // The composer's hint fits one line.
  const box = await composer(page).evaluate((el: HTMLTextAreaElement) => ({
    fits: el.scrollWidth <= el.clientWidth,
  }));
  expect(box.fits).toBe(true);

  // The member list is a sheet, opened from the header and closed with Escape.
  await expect(membersPanel(page)).toBeHidden();
  await page.getByRole('button', { name: 'Members', exact: true }).click();
  await expect(membersPanel(page)).toBeVisible();
  await expect(membersPanel(page)).toBeInViewport({ ratio: 1 });
  await membersPanel(page).getByRole('button', { name: 'Close', exact: true }).focus();
  await page.keyboard.press('Escape');
  await expect(membersPanel(page)).toBeHidden();

  // Back to the list, on to the room directory and the account page, and back again.
  await back.click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(sideNav(page)).toBeVisible();
  await sideNav(page).getByRole('link', { name: /Browse rooms/ }).click();
  await page.waitForURL('**/rooms');
  await expect(page.getByRole('heading', { level: 1, name: 'Browse rooms' })).toBeVisible();
  await expectNoSidewaysScroll(page, 'room directory');
  await page.getByRole('link', { name: 'Conversations', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByRole('link', { name: `${name}, your account`, exact: true }).click();
  await page.waitForURL('**/account');
  await expectNoSidewaysScroll(page, 'account page');
  await expect(page.getByRole('link', { name: 'Conversations', exact: true })).toBeVisible();
});

for (const scheme of ['light', 'dark'] as const) {
  test(`phone screens look right (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const name = uniqueName('pic');
    await page.goto('/signup');
    await submitSignUp(page, name, PASSWORD);
    await waitHydrated(page);
    await page.getByLabel('New conversation title', { exact: true }).fill('Weekend plans');
    await page.getByRole('button', { name: 'Create conversation', exact: true }).click();
    await page.waitForURL(/\/c\/\d+$/);
    await waitHydrated(page);
    await waitConnected(page);
    await sendMessage(page, 'Shall we meet on Saturday at ten? שלום');
    await page.screenshot({ path: screenshotPath(`phone-conversation-${scheme}`) });
    await page.getByRole('button', { name: 'Members', exact: true }).click();
    await page.screenshot({ path: screenshotPath(`phone-members-${scheme}`) });
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Back to conversations', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.screenshot({ path: screenshotPath(`phone-home-${scheme}`) });

    await page.setViewportSize({ width: 1440, height: 900 });
    await sideNav(page).getByRole('link', { name: /Weekend plans/ }).click();
    await expect(conversationHeading(page, 'Weekend plans')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Back to conversations', exact: true })).toBeHidden();
    await expect(membersPanel(page)).toBeVisible();
    await page.screenshot({ path: screenshotPath(`desktop-conversation-${scheme}`) });
  });
}

test('signing out on purpose does not say the session ended', async ({ page }) => {
  await page.goto('/signup');
  await submitSignUp(page, uniqueName('bye'), PASSWORD);
  await waitHydrated(page);
  await waitConnected(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/login');
  await expect(page.getByRole('heading', { name: 'Sign in to Palaver' })).toBeVisible();
  // The socket closing because of the sign-out must not send the page on to ?reason=session_ended.
  // Once the sign-in page has hydrated, the chat page and its socket are gone, so nothing can
  // navigate later: that is the marker after which the URL and the text are checked.
  await waitHydrated(page);
  await page.getByLabel('Username', { exact: true }).fill('marker');
  await expect(page).toHaveURL((url) => url.pathname === '/login' && !url.search.includes('session_ended'));
  await expect(page.getByText('Your session has ended')).toHaveCount(0);
});
