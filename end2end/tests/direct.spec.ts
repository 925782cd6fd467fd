import { expect, test, type Browser, type Page } from './fixtures';
import {
  bubble,
  closeAll,
  composer,
  conversationHeading,
  expectNoViolations,
  membersPanel,
  roomOfTwo as roomOfTwoPeople,
  screenshotPath,
  sendMessage,
  sideNav,
  waitConnected,
  waitHydrated,
} from './helpers';

/** A Notification stand-in that records what the page shows, and a switch for document.hidden. */
const notificationRecorder = () => {
  const w = window as unknown as Record<string, unknown>;
  w.__notes = [];
  w.__hidden = false;
  class RecordingNotification {
    static get permission() {
      return 'granted';
    }
    static requestPermission() {
      return Promise.resolve('granted');
    }
    constructor(title: string, options: { body?: string; tag?: string } = {}) {
      (w.__notes as string[]).push(`${title} | ${options.body ?? ''}`);
    }
    close() {}
  }
  w.Notification = RecordingNotification;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__hidden });
};
const notes = (page: Page) => page.evaluate(() => (window as unknown as { __notes: string[] }).__notes);
const hide = (page: Page, hidden: boolean) =>
  page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden);

/** Alice's room with Bob in it, Bob's notifications recorded; both live on it. */
const roomOfTwo = (browser: Browser, baseURL: string | undefined, title: string) =>
  roomOfTwoPeople(browser, baseURL, title, (bob) => bob.context.addInitScript(notificationRecorder));

const directList = (page: Page) => sideNav(page).getByRole('list', { name: 'Direct messages', exact: true });

/** "Message" on `name` in the member list, with the keyboard; waits for the conversation. */
async function messageMember(page: Page, name: string): Promise<void> {
  const button = membersPanel(page).getByRole('button', { name: `Message ${name}`, exact: true });
  await button.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/c\/\d+$/);
  await expect(conversationHeading(page, name)).toBeVisible();
}

test('"Message" opens a direct conversation; the other person gets it live with the first message', async ({
  browser,
  baseURL,
}) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Planning');
  await alice.page.setViewportSize({ width: 1440, height: 900 });
  await bob.page.setViewportSize({ width: 1440, height: 900 });
  // Bob waits on the home screen, the tab hidden: what arrives may notify him.
  await bob.page.goto('/');
  await waitHydrated(bob.page);
  await waitConnected(bob.page);
  await expect(directList(bob.page)).toHaveCount(0);
  await expect(sideNav(bob.page)).toContainText('To write to one person');

  // Alice: "Message" on Bob (not on herself), from the keyboard; the keyboard lands in the
  // composer.
  await expect(membersPanel(alice.page).getByRole('button', { name: `Message ${bob.name}` })).toBeVisible();
  await expect(membersPanel(alice.page).getByRole('button', { name: `Message ${alice.name}` })).toHaveCount(0);
  await alice.page.screenshot({ path: screenshotPath('direct-member-list-desktop') });
  await messageMember(alice.page, bob.name);
  const dmPath = new URL(alice.page.url()).pathname;
  await expect(composer(alice.page)).toBeFocused();
  await expect(alice.page.locator('.chat-header .subline')).toHaveText('Direct message · online');
  // Nothing of a group: no members, invites, settings or leaving; "Close" instead.
  const header = alice.page.locator('.chat-header');
  for (const name of ['Members', 'Invite', 'Settings', 'Leave']) {
    await expect(header.getByRole('button', { name, exact: true })).toHaveCount(0);
  }
  await expect(membersPanel(alice.page)).toHaveCount(0);
  await expect(header.getByRole('button', { name: 'Close direct message', exact: true })).toBeVisible();
  await expect(header.getByRole('button', { name: 'Notifications: all messages' })).toBeVisible();
  await expect(directList(alice.page).getByRole('link', { name: new RegExp(bob.name) })).toBeVisible();
  // Opening again from the member list finds the same conversation.
  await alice.page.goBack();
  await expect(membersPanel(alice.page)).toBeVisible();
  await waitHydrated(alice.page);
  await messageMember(alice.page, bob.name);
  expect(new URL(alice.page.url()).pathname).toBe(dmPath);
  await expect(directList(alice.page).getByRole('listitem')).toHaveCount(1);

  // Nothing said yet: Bob's side nav has no direct messages.
  await expect(directList(bob.page)).toHaveCount(0);
  await hide(bob.page, true);
  await sendMessage(alice.page, 'Hello Bob, a word in private?');
  const row = directList(bob.page).getByRole('link', { name: new RegExp(alice.name) });
  await expect(row).toBeVisible();
  await expect(row).toContainText('Hello Bob, a word in private?');
  await expect(row.locator('.badge')).toHaveText('1');
  await expect(row.locator('.avatar.person')).toHaveClass(/online/);
  await expect.poll(() => notes(bob.page)).toEqual([`${alice.name} | ${alice.name}: Hello Bob, a word in private?`]);
  await hide(bob.page, false);

  // Bob opens it and answers; Alice sees it live.
  await row.click();
  await bob.page.waitForURL((u) => u.pathname === dmPath);
  await expect(conversationHeading(bob.page, alice.name)).toBeVisible();
  await expect(bubble(bob.page, 'Hello Bob, a word in private?')).toBeVisible();
  await waitConnected(bob.page);
  await sendMessage(bob.page, 'Sure, what is it?');
  await expect(bubble(alice.page, 'Sure, what is it?')).toBeVisible();
  await expect(directList(alice.page).getByRole('link', { name: new RegExp(bob.name) })).toContainText('Sure, what is it?');

  for (const scheme of ['light', 'dark'] as const) {
    await alice.page.emulateMedia({ colorScheme: scheme });
    await expectNoViolations(alice.page, `a direct conversation (${scheme}, desktop)`);
    await alice.page.screenshot({ path: screenshotPath(`direct-desktop-${scheme}`) });
  }
  await alice.page.emulateMedia({ colorScheme: null });
  await closeAll(alice, bob);
});

test('on a phone the direct messages are a section of the list; closing hides one until the next message', async ({
  browser,
  baseURL,
}) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Phones');
  await bob.page.setViewportSize({ width: 390, height: 844 });
  // Bob, on his phone, opens the member sheet and writes to Alice.
  await bob.page.getByRole('button', { name: 'Members', exact: true }).click();
  await expect(membersPanel(bob.page)).toBeVisible();
  await expectNoViolations(bob.page, 'the member sheet with Message (phone)');
  await bob.page.screenshot({ path: screenshotPath('direct-member-sheet-phone') });
  await messageMember(bob.page, alice.name);
  // "Message" means writing: the composer has the keyboard even on a phone.
  await expect(composer(bob.page)).toBeFocused();
  await waitConnected(bob.page);
  await sendMessage(bob.page, 'Lunch at noon?');
  const dmPath = new URL(bob.page.url()).pathname;
  await expect(bob.page.getByRole('link', { name: 'Back to conversations', exact: true })).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await expectNoViolations(bob.page, `a direct conversation (${scheme}, phone)`);
    await bob.page.screenshot({ path: screenshotPath(`direct-phone-${scheme}`) });
  }

  // Home: both sections, the direct message under its heading.
  await bob.page.getByRole('link', { name: 'Back to conversations', exact: true }).click();
  await bob.page.waitForURL((u) => u.pathname === '/');
  await expect(sideNav(bob.page).getByRole('heading', { name: 'Direct messages' })).toBeVisible();
  const row = directList(bob.page).getByRole('link', { name: new RegExp(alice.name) });
  await expect(row).toContainText('You: Lunch at noon?');
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await expectNoViolations(bob.page, `the list with direct messages (${scheme}, phone)`);
    await bob.page.screenshot({ path: screenshotPath(`direct-list-phone-${scheme}`) });
  }
  await bob.page.emulateMedia({ colorScheme: null });
  const width = await bob.page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);

  // Closing it leaves the list; Alice's answer brings it back, live.
  await row.click();
  await bob.page.waitForURL((u) => u.pathname === dmPath);
  await waitHydrated(bob.page);
  await bob.page.getByRole('button', { name: 'Close direct message', exact: true }).click();
  await bob.page.waitForURL((u) => u.pathname === '/');
  await expect(directList(bob.page)).toHaveCount(0);
  await waitConnected(bob.page);
  await alice.page.goto(dmPath);
  await waitHydrated(alice.page);
  await waitConnected(alice.page);
  await sendMessage(alice.page, 'Noon works');
  await expect(directList(bob.page).getByRole('link', { name: new RegExp(alice.name) })).toContainText('Noon works');
  await closeAll(alice, bob);
});
