import { expect, test, type Page, type WebSocketRoute } from './fixtures';
import {
  conversationHeading,
  createConversation,
  headerInviteLink,
  joinWith,
  memberAction,
  membersPanel,
  newPerson,
  openSettings,
  settingsPanel,
  sideNav,
  waitConnected,
  waitHydrated,
} from './helpers';

const subline = (page: Page) => page.locator('.chat-header .subline');

async function rename(page: Page, title: string) {
  await openSettings(page);
  const panel = settingsPanel(page);
  await panel.getByLabel('Conversation title').fill(title);
  await panel.getByRole('button', { name: 'Rename', exact: true }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Renamed.' })).toBeVisible();
  await panel.getByRole('button', { name: 'Back to messages', exact: true }).click();
}

test('a rename reaches everyone live, and what changed while offline shows after reconnecting', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const alice = await newPerson(browser, baseURL, 'ali');
  const first = `Plans ${Date.now() % 1e6}`;
  await createConversation(alice.page, first);
  const path = new URL(alice.page.url()).pathname;
  const link = await headerInviteLink(alice.page);
  const bob = await newPerson(browser, baseURL, 'bob');

  // Bob's socket goes through Playwright so the test can cut it like a dropped network.
  const routed: WebSocketRoute[] = [];
  let networkDown = false;
  await bob.page.routeWebSocket(/\/ws$/, (ws) => {
    if (networkDown) {
      ws.close();
      return;
    }
    ws.connectToServer();
    routed.push(ws);
  });
  await joinWith(bob.page, link, path, first);
  await waitConnected(alice.page);
  await expect(subline(bob.page)).toHaveText('2 members · 2 online');

  // Live: a new title in the header, the page title and the side nav.
  const second = `${first} (v2)`;
  await rename(alice.page, second);
  await expect(conversationHeading(bob.page, second)).toBeVisible();
  await expect(bob.page).toHaveTitle(new RegExp(`^${second.replace(/[()]/g, '\\$&')} · Palaver`));
  await expect(sideNav(bob.page).getByRole('link', { name: new RegExp(second.replace(/[()]/g, '\\$&')) })).toBeVisible();

  // Bob's connection drops: who is online is unknown now, so nobody is shown as online.
  networkDown = true;
  await bob.page.context().setOffline(true);
  for (const ws of routed) await ws.close();
  await expect(bob.page.locator('header.topbar [role="status"]')).toHaveText(/Reconnecting/);
  await expect(subline(bob.page)).toHaveText('2 members');
  await expect(membersPanel(bob.page).getByRole('listitem').filter({ hasText: alice.name })).toContainText('offline');

  // Meanwhile Alice renames again, makes Bob an admin, and leaves.
  const third = `${first} (final)`;
  await rename(alice.page, third);
  await memberAction(alice.page, bob.name, 'Make admin');
  await expect(membersPanel(alice.page).getByRole('listitem').filter({ hasText: bob.name })).toContainText('admin');
  await alice.context.close();

  // Back online: none of those frames reached Bob, yet his page shows all of it.
  networkDown = false;
  await bob.page.context().setOffline(false);
  // The reconnect backs off while offline: allow for its longest wait.
  await expect(bob.page.locator('header.topbar [role="status"]')).toHaveText('', { timeout: 30_000 });
  await expect(conversationHeading(bob.page, third)).toBeVisible({ timeout: 20_000 });
  await expect(bob.page.getByRole('button', { name: 'Settings', exact: true })).toBeVisible();
  await expect(subline(bob.page)).toHaveText('2 members · 1 online');
  await expect(membersPanel(bob.page).getByRole('listitem').filter({ hasText: alice.name })).toContainText('offline');
  await expect(sideNav(bob.page).getByRole('link', { name: /\(final\)/ })).toBeVisible();

  // And a fresh load agrees.
  await bob.page.reload();
  await waitHydrated(bob.page);
  await expect(conversationHeading(bob.page, third)).toBeVisible();
  await expect(subline(bob.page)).toHaveText('2 members · 1 online');
  await bob.context.close();
});
