import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Page } from '@playwright/test';

export const PASSWORD = 'correct-horse-battery-9';

/** Screenshots land in end2end/test-results/screenshots (gitignored, cleared each run). */
/** Every screen is looked at in these: light and dark, at 1440x900 and on a 390x844 phone. */
export const LOOKS = [
  ['light', 1440, 900],
  ['dark', 1440, 900],
  ['light', 390, 844],
  ['dark', 390, 844],
] as const;

export const screenshotPath = (name: string) =>
  path.join(__dirname, '..', 'test-results', 'screenshots', `${name}.png`);

let counter = 0;

/**
 * A username no other test (or earlier run against the same data) has used: prefix, the time
 * in ms modulo 1e8, and a per-process counter. At most 3 + 8 + 4 characters, within the 3-32
 * characters of [A-Za-z0-9_.-] that usernames allow.
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix.slice(0, 3)}${Date.now() % 1e8}${counter}`;
}

/**
 * Resolves once the WASM app has taken over the server-rendered page. Before that a click
 * would post the plain HTML form instead of running the app's handler.
 */
export async function waitHydrated(page: Page): Promise<void> {
  await page.waitForSelector('body[data-hydrated="true"]');
}

/** Fills and submits the sign-up form already on screen, then waits to be sent elsewhere. */
export async function submitSignUp(page: Page, username: string, password = PASSWORD): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await waitHydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signup'));
}

/** Creates an account from /signup and leaves the page signed in. */
export async function signUp(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/signup');
  await submitSignUp(page, username, password);
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
}

/** Fills and submits /login; the caller checks the outcome. */
export async function submitSignIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Sign in to Palaver' })).toBeVisible();
  await waitHydrated(page);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/login');
  await expect(page.getByRole('heading', { name: 'Sign in to Palaver' })).toBeVisible();
}

/** Creates a conversation from the signed-in layout and waits until its page is shown. */
export async function createConversation(page: Page, title: string): Promise<void> {
  await waitHydrated(page);
  await page.getByLabel('New conversation title', { exact: true }).fill(title);
  await page.getByRole('button', { name: 'Create conversation', exact: true }).click();
  await page.waitForURL(/\/c\/[^/]+$/);
  await expect(conversationHeading(page, title)).toBeVisible();
  // The create form may have navigated with a full page load: wait for the new page to hydrate.
  await waitHydrated(page);
}

export const conversationHeading = (page: Page, title: string) =>
  page.getByRole('heading', { level: 1, name: title, exact: true });

export const messageList = (page: Page) => page.getByRole('list', { name: 'Messages', exact: true });

/** The timeline's events (messages, joins and leaves), without the day and "new" dividers. */
export const timelineItems = (page: Page) =>
  messageList(page).locator(':scope > li:not(.day):not(.divider)');

/** The message bubble whose text contains `text`. */
export const bubble = (page: Page, text: string) =>
  messageList(page).getByRole('listitem').filter({ hasText: text });

export const composer = (page: Page) => page.getByLabel('Message', { exact: true });

/**
 * Waits until the live connection is up: the top bar's status says "Connecting…" or
 * "Reconnecting…" until then. After this the page receives other people's messages live.
 */
export async function waitConnected(page: Page): Promise<void> {
  await expect(page.locator('header.topbar [role="status"]')).toHaveText('');
}

export const alertWith = (page: Page, text: string | RegExp) =>
  page.getByRole('alert').filter({ hasText: text });

/** Someone new, signed up in a browser context of their own. */
export async function newPerson(browser: Browser, baseURL: string | undefined, prefix: string) {
  const name = uniqueName(prefix);
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signUp(page, name);
  return { name, context, page };
}

export type Person = Awaited<ReturnType<typeof newPerson>>;

/** A fresh invite link from the conversation header (owners and admins). */
export async function headerInviteLink(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const field = page.getByLabel('Invite link', { exact: true });
  await expect(field).toHaveValue(/\/invite\//);
  return field.inputValue();
}

/** The invite page's join button, shown to a signed-in person who is not yet a member. */
export const joinButton = (page: Page) => page.getByRole('button', { name: 'Join conversation', exact: true });

/**
 * Accepts the invite on screen: opening a link never joins by itself (a foreign page could
 * send a signed-in person there), the person clicks "Join conversation".
 */
export async function acceptInvite(page: Page, path: string): Promise<void> {
  await expect(joinButton(page)).toBeVisible();
  await waitHydrated(page);
  await joinButton(page).click();
  await page.waitForURL((url) => url.pathname === path);
}

/** Opens `link` as `page`'s user, joins, and waits until the conversation at `path` is live. */
export async function joinWith(page: Page, link: string, path: string, title: string): Promise<void> {
  await page.goto(link);
  await acceptInvite(page, path);
  await expect(conversationHeading(page, title)).toBeVisible();
  await waitHydrated(page);
  await waitConnected(page);
}

/**
 * Alice's room with Bob in it; both pages open on it and live. `prepareBob` runs before Bob
 * opens the invite (e.g. to install an init script in his context).
 */
export async function roomOfTwo(
  browser: Browser,
  baseURL: string | undefined,
  title: string,
  prepareBob?: (bob: Person) => Promise<void>,
) {
  const alice = await newPerson(browser, baseURL, 'ali');
  const bob = await newPerson(browser, baseURL, 'bob');
  if (prepareBob) await prepareBob(bob);
  await createConversation(alice.page, title);
  await waitConnected(alice.page);
  const path = new URL(alice.page.url()).pathname;
  const link = await headerInviteLink(alice.page);
  await alice.page.getByRole('button', { name: 'Done', exact: true }).click();
  await joinWith(bob.page, link, path, title);
  return { alice, bob, path };
}

/** Closes every person's browser context. */
export async function closeAll(...people: Person[]) {
  for (const p of people) await p.context.close();
}

export const sideNav = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });

export const membersPanel = (page: Page) => page.getByRole('complementary', { name: 'Members' });

export const settingsPanel = (page: Page) => page.getByRole('region', { name: 'Conversation settings' });

export async function openSettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(settingsPanel(page)).toBeVisible();
}

/** Opens the member menu for `name` and picks `action`, confirming when asked. */
export async function memberAction(page: Page, name: string, action: string): Promise<void> {
  const row = membersPanel(page).getByRole('listitem').filter({ hasText: name });
  await row.getByRole('button', { name: `Manage ${name}`, exact: true }).click();
  const menu = row.getByRole('group', { name: `Actions for ${name}` });
  await menu.getByRole('button', { name: action, exact: true }).click();
  // Making someone the owner and removing them ask first; the question's button repeats the action.
  if (action === 'Make owner' || action === 'Remove') {
    await expect(menu).toContainText('?');
    await menu.getByRole('button', { name: action, exact: true }).click();
  }
}

/** Sends a message from the composer and waits for it to be stored (no pending bubble). */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expectStored(page, text);
}

/** Waits until the bubble showing `shown` is on screen and no message is pending any more. */
export async function expectStored(page: Page, shown: string, timeout?: number): Promise<void> {
  await expect(bubble(page, shown)).toBeVisible({ timeout });
  await expect(messageList(page).locator('[data-pending="true"]')).toHaveCount(0, { timeout });
}

/**
 * Sends `texts` in order as fast as the page takes them, then waits until the last shows and
 * none is pending. Each goes through the composer as typed text and Enter, dispatched inside
 * the page: one round trip for all instead of two per message (240 one by one took 20-37 s).
 */
export async function sendMany(page: Page, texts: string[]): Promise<void> {
  await composer(page).evaluate((box, all) => {
    const area = box as HTMLTextAreaElement;
    for (const text of all) {
      area.value = text;
      area.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text }));
      area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    }
  }, texts);
  await expectStored(page, texts[texts.length - 1], 30_000);
}

/** Runs axe-core (WCAG 2.1 A and AA) on what is on screen; every violation fails the test. */
export async function expectNoViolations(page: Page, screen: string): Promise<void> {
  // Right after a colour scheme switch, buttons are still fading their background (0.12 s)
  // while their text has already changed: axe judged a frame in between and failed the
  // contrast now and then. The transitions end first; a transition cannot run forever.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a instanceof CSSTransition)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(found, `axe-core on ${screen}`).toEqual([]);
}
