import { expect, test, type Page } from './fixtures';
import {
  bubble,
  closeAll,
  roomOfTwo as twoPeople,
  composer,
  conversationHeading,
  createConversation,
  expectNoViolations,
  messageList,
  newPerson,
  openSettings,
  screenshotPath,
  sendMessage,
  settingsPanel,
  sideNav,
  waitConnected,
  waitHydrated,
} from './helpers';

/**
 * A stand-in for the browser's Notification API that records what the page shows, and a
 * switch for `document.hidden` (a headless page is never hidden by itself). Installed
 * before any page script runs.
 */
const notificationRecorder = () => {
  const w = window as unknown as Record<string, unknown>;
  w.__notes = [];
  w.__hidden = false;
  // The browser remembers the answer for the site, across reloads.
  class RecordingNotification {
    static get permission() {
      return localStorage.getItem('test.permission') ?? 'default';
    }
    static requestPermission() {
      localStorage.setItem('test.permission', 'granted');
      return Promise.resolve('granted');
    }
    title: string;
    body: string;
    tag: string;
    onclick: (() => void) | null = null;
    constructor(title: string, options: { body?: string; tag?: string } = {}) {
      this.title = title;
      this.body = options.body ?? '';
      this.tag = options.tag ?? '';
      (w.__notes as unknown[]).push(this);
    }
    close() {}
  }
  w.Notification = RecordingNotification;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__hidden });
};

const notes = (page: Page) =>
  page.evaluate(() =>
    ((window as unknown as { __notes: { title: string; body: string }[] }).__notes).map((n) => `${n.title} | ${n.body}`),
  );
const hide = (page: Page, hidden: boolean) =>
  page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden);

/** Alice's room with Bob in it, Bob's notifications recorded; both pages open and live. */
const roomOfTwo = (browser: import('@playwright/test').Browser, baseURL: string | undefined, title: string) =>
  twoPeople(browser, baseURL, title, (bob) => bob.context.addInitScript(notificationRecorder));

test('typing @ offers the members; the mentioned member sees it highlighted and counted', async ({ browser, baseURL }) => {
  const { alice, bob, path } = await roomOfTwo(browser, baseURL, 'Mentions');
  // Bob waits on the home screen, where the side nav counts what mentions him.
  await bob.page.goto('/');
  await waitHydrated(bob.page);
  await waitConnected(bob.page);

  const box = composer(alice.page);
  await box.fill('');
  await box.pressSequentially(`thanks @${bob.name.slice(0, 3)}`);
  const options = alice.page.getByRole('listbox', { name: 'Mention a member' });
  await expect(options.getByRole('option')).toHaveText([`@${bob.name}`]);
  await expect(box).toHaveAttribute('aria-activedescendant', 'mention-option-0');
  await alice.page.screenshot({ path: screenshotPath('mention-autocomplete') });
  await expectNoViolations(alice.page, 'mention autocomplete');
  // Escape closes the list only; typing on reopens it; Tab picks.
  await box.press('Escape');
  await expect(options).toBeHidden();
  await box.press('Backspace');
  await expect(options).toBeVisible();
  await box.press('Tab');
  await expect(options).toBeHidden();
  await expect(box).toHaveValue(`thanks @${bob.name} `);
  await expect(box).toBeFocused();
  await box.pressSequentially('for the notes');
  await box.press('Enter');
  const text = `thanks @${bob.name} for the notes`;
  await expect(bubble(alice.page, text)).toBeVisible();

  const row = sideNav(bob.page).getByRole('link', { name: /Mentions/ });
  await expect(row).toContainText('1 unread mentioning you');
  await expect(row.locator('.badge.mention')).toHaveText('@1');
  await expect(bob.page).toHaveTitle(/^\(1\) /);

  await row.click();
  await bob.page.waitForURL((u) => u.pathname === path);
  const mine = bubble(bob.page, text);
  await expect(mine).toHaveClass(/mentions-me/);
  await expect(mine.locator('.mention.me')).toHaveText(`@${bob.name}`);
  await expect(mine).toContainText('mentions you');
  await expect(row.locator('.badge')).toHaveCount(0);
  await bob.page.screenshot({ path: screenshotPath('mention-highlighted') });
  await expectNoViolations(bob.page, 'a message that mentions the reader');

  // An edit that drops the name takes the highlight away.
  await bob.page.goto('/');
  await waitConnected(bob.page);
  await sendMessage(alice.page, `and @${bob.name} once more`);
  await expect(row.locator('.badge.mention')).toHaveText('@1');
  const edit = alice.page.getByRole('button', { name: new RegExp(`^Edit message: and @${bob.name}`) });
  await edit.focus();
  await edit.press('Enter');
  const editor = alice.page.getByLabel('Edit your message', { exact: true });
  await editor.fill('and nobody once more');
  await editor.press('Enter');
  await expect(bubble(alice.page, 'and nobody once more')).toContainText('(edited)');
  await expect(row.locator('.badge.mention')).toHaveCount(0);
  await closeAll(alice, bob);
});

test('desktop notifications follow the level, are asked for on a click, and open the conversation', async ({ browser, baseURL }) => {
  const { alice, bob, path } = await roomOfTwo(browser, baseURL, 'Pings');
  const bell = bob.page.getByRole('button', { name: /^Notifications: / });
  await expect(bell).toHaveAccessibleName('Notifications: all messages');
  // Nothing was asked on load.
  expect(await bob.page.evaluate(() => Notification.permission)).toBe('default');
  await bell.click();
  const menu = bob.page.locator('#notify-menu');
  await menu.getByRole('button', { name: 'Turn on desktop notifications' }).click();
  await expect(menu).toContainText('Desktop notifications are on');
  await bob.page.screenshot({ path: screenshotPath('notify-menu') });
  await bob.page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(bell).toBeFocused();

  // Visible: nothing. Hidden: others' messages, never Bob's own.
  await sendMessage(alice.page, 'while you look');
  await expect(bubble(bob.page, 'while you look')).toBeVisible();
  await hide(bob.page, true);
  await sendMessage(bob.page, 'my own words');
  await sendMessage(alice.page, 'ping one');
  await expect.poll(() => notes(bob.page)).toEqual([`Pings | ${alice.name}: ping one`]);

  // Mentions only: a plain message passes by, a mention does not.
  await hide(bob.page, false);
  await bell.click();
  await menu.getByLabel('Mentions only').check();
  await expect(bell).toHaveAccessibleName('Notifications: mentions only');
  await bob.page.keyboard.press('Escape');
  await hide(bob.page, true);
  await sendMessage(alice.page, 'plain words');
  await sendMessage(alice.page, `@${bob.name} look`);
  await expect.poll(() => notes(bob.page)).toEqual([
    `Pings | ${alice.name}: ping one`,
    `Pings | ${alice.name}: @${bob.name} look`,
  ]);

  // The level is stored on the server: a fresh page (another device) shows it.
  const other = await bob.context.newPage();
  await other.goto(path);
  await waitHydrated(other);
  await expect(other.getByRole('button', { name: /^Notifications: / })).toHaveAccessibleName('Notifications: mentions only');
  await other.close();

  // Muted: nothing, proven by a marker that arrives after switching back to all.
  await hide(bob.page, false);
  await bell.click();
  await menu.getByLabel('Nothing (muted)').check();
  await bob.page.keyboard.press('Escape');
  await hide(bob.page, true);
  await sendMessage(alice.page, `@${bob.name} muted mention`);
  await expect(bubble(bob.page, 'muted mention')).toBeVisible();
  await hide(bob.page, false);
  await bell.click();
  await menu.getByLabel('All messages').check();
  await bob.page.keyboard.press('Escape');
  await hide(bob.page, true);
  // From the home screen: clicking the notification opens the conversation.
  await bob.page.goto('/');
  await waitHydrated(bob.page);
  await waitConnected(bob.page);
  await hide(bob.page, true);
  await sendMessage(alice.page, 'the marker');
  await expect.poll(async () => (await notes(bob.page)).at(-1)).toBe(`Pings | ${alice.name}: the marker`);
  expect((await notes(bob.page)).join('\n')).not.toContain('muted mention');
  await bob.page.evaluate(() => {
    const all = (window as unknown as { __notes: { onclick: (() => void) | null }[] }).__notes;
    all[all.length - 1].onclick?.();
  });
  await bob.page.waitForURL((u) => u.pathname === path);
  await expect(conversationHeading(bob.page, 'Pings')).toBeVisible();
  await closeAll(alice, bob);
});

test('the owner sees the audit log grow without refreshing; new messages are read out', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Audited');
  const live = alice.page.locator('.sr-only[aria-live="polite"]').first();
  await sendMessage(bob.page, 'a word from bob');
  await expect(live).toHaveText(`${bob.name}: a word from bob`);

  await openSettings(alice.page);
  const rows = settingsPanel(alice.page)
    .getByRole('table', { name: 'Audit log of this conversation' })
    .locator('tbody tr');
  const before = await rows.count();
  await alice.page.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(rows).toHaveCount(before + 1);
  await expect(rows.first()).toContainText('Invite created');
  await closeAll(alice, bob);
});

test('focus lands somewhere sensible after signing up, creating and switching conversations', async ({ browser, baseURL }) => {
  const me = await newPerson(browser, baseURL, 'foc');
  // Signed up: the welcome heading holds focus (not the page body).
  await expect(me.page.getByRole('heading', { level: 1, name: `Hi, ${me.name}` })).toBeFocused();
  await createConversation(me.page, 'First room');
  await expect(composer(me.page)).toBeFocused();
  await createConversation(me.page, 'Second room');
  await expect(composer(me.page)).toBeFocused();
  await sideNav(me.page).getByRole('link', { name: /First room/ }).click();
  await expect(conversationHeading(me.page, 'First room')).toBeVisible();
  await expect(composer(me.page)).toBeFocused();

  // On a phone the title takes focus (no on-screen keyboard over the conversation); the
  // member sheet gives focus back to its button when Escape closes it.
  await me.page.setViewportSize({ width: 390, height: 844 });
  await me.page.getByRole('link', { name: 'Back to conversations', exact: true }).click();
  await sideNav(me.page).getByRole('link', { name: /Second room/ }).click();
  await expect(conversationHeading(me.page, 'Second room')).toBeFocused();
  const members = me.page.getByRole('button', { name: 'Members', exact: true });
  await members.click();
  await me.page.keyboard.press('Escape');
  await expect(members).toBeFocused();
  await me.context.close();
});

test('Escape closes a member menu and gives focus back to its button', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Menus');
  const manage = alice.page.getByRole('button', { name: `Manage ${bob.name}`, exact: true });
  await manage.click();
  const menu = alice.page.getByRole('group', { name: `Actions for ${bob.name}` });
  await menu.getByRole('button', { name: 'Remove', exact: true }).focus();
  await alice.page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(manage).toBeFocused();
  await expect(manage).toHaveAttribute('aria-expanded', 'false');
  await closeAll(alice, bob);
});
