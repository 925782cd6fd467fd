import { expect, test } from './fixtures';
import {
  bubble,
  conversationHeading,
  createConversation,
  membersPanel,
  newPerson,
  openSettings,
  screenshotPath,
  sendMessage,
  settingsPanel,
  sideNav,
  waitConnected,
  waitHydrated,
} from './helpers';

test('a room made public is found in the directory and joined with one click', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const owner = await newPerson(browser, baseURL, 'own');
  const title = `Book club ${Date.now() % 1e6}`;
  await createConversation(owner.page, title);
  const path = new URL(owner.page.url()).pathname;
  await waitConnected(owner.page);
  await sendMessage(owner.page, 'Welcome to the club');

  const guest = await newPerson(browser, baseURL, 'gst');
  const card = guest.page.getByRole('list', { name: 'Public rooms' }).getByRole('listitem').filter({ hasText: title });

  // Invite-only: not in the directory.
  await guest.page.goto('/rooms');
  await expect(guest.page.getByRole('heading', { name: 'Browse rooms', level: 1 })).toBeVisible();
  await expect(card).toHaveCount(0);

  // The owner lists it from the settings.
  await openSettings(owner.page);
  const toggle = settingsPanel(owner.page).getByLabel('Public room: listed in the directory, anyone can join');
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  // The header and the side nav say so once the server confirms.
  await expect(owner.page.locator('.chat-header .tag')).toHaveText('Public');
  await expect(sideNav(owner.page).getByRole('link', { name: new RegExp(title) })).toHaveAccessibleName(/public room/);
  await owner.page.screenshot({ path: screenshotPath('settings-owner'), fullPage: true });

  // The guest finds it with its member count, next to General, the room every install starts with.
  await guest.page.reload();
  await waitHydrated(guest.page);
  await expect(card).toContainText('1 member');
  const general = guest.page.getByRole('list', { name: 'Public rooms' }).getByRole('listitem').filter({
    has: guest.page.getByRole('heading', { name: 'General', exact: true }),
  });
  await expect(general).toHaveCount(1);
  await expect(general.getByRole('button', { name: 'Join General', exact: true })).toBeVisible();
  await guest.page.screenshot({ path: screenshotPath('rooms'), fullPage: true });

  // One click: in the room, with its history.
  await card.getByRole('button', { name: `Join ${title}`, exact: true }).click();
  await guest.page.waitForURL((url) => url.pathname === path);
  await expect(conversationHeading(guest.page, title)).toBeVisible();
  await expect(bubble(guest.page, 'Welcome to the club')).toBeVisible();
  await expect(sideNav(guest.page).getByRole('link', { name: new RegExp(title) })).toBeVisible();
  // The owner sees the newcomer arrive.
  await expect(membersPanel(owner.page)).toContainText(guest.name);

  // The directory now counts two members and offers "Open" instead of "Join".
  await guest.page.goto('/rooms');
  await expect(card).toContainText('2 members');
  await expect(card.getByRole('link', { name: `Open ${title}`, exact: true })).toBeVisible();
  await expect(card.getByRole('button', { name: `Join ${title}` })).toHaveCount(0);

  // Invite-only again: gone from the directory.
  await toggle.uncheck();
  await expect(owner.page.locator('.chat-header .tag')).toHaveCount(0);
  await guest.page.reload();
  await waitHydrated(guest.page);
  await expect(guest.page.getByRole('heading', { name: 'Browse rooms', level: 1 })).toBeVisible();
  await expect(card).toHaveCount(0);

  await owner.context.close();
  await guest.context.close();
});
