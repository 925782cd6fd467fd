import { expect, test, type Browser, type Page, type WebSocketRoute } from './fixtures';
import {
  bubble,
  composer,
  conversationHeading,
  createConversation,
  joinWith,
  messageList,
  screenshotPath,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

/** A and B, each in their own browser context, both in a conversation A created. */
async function twoPeople(browser: Browser, baseURL: string | undefined, title: string) {
  const alice = uniqueName('a');
  const bob = uniqueName('b');
  const contextA = await browser.newContext({ baseURL });
  const contextB = await browser.newContext({ baseURL });
  const pageA = await contextA.newPage();
  const pageB = await contextB.newPage();
  await signUp(pageA, alice);
  await createConversation(pageA, title);
  const path = new URL(pageA.url()).pathname;
  await pageA.getByRole('button', { name: 'Invite', exact: true }).click();
  const link = await pageA.getByLabel('Invite link', { exact: true }).inputValue();
  await signUp(pageB, bob);
  await joinWith(pageB, link, path, title);
  await waitConnected(pageA);
  await waitConnected(pageB);
  const close = async () => {
    await contextA.close();
    await contextB.close();
  };
  return { alice, bob, pageA, pageB, path, close };
}

async function send(page: Page, text: string) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expect(bubble(page, text)).toBeVisible();
}

test('joining shows a line, and edits and deletions reach the other person live', async ({ browser, baseURL }) => {
  const { bob, pageA, pageB, close } = await twoPeople(browser, baseURL, 'Edits');
  await expect(messageList(pageA).getByRole('listitem').filter({ hasText: `${bob} joined` })).toBeVisible();

  await send(pageA, 'helo wrld');
  await expect(bubble(pageB, 'helo wrld')).toBeVisible();

  const mine = bubble(pageA, 'helo wrld');
  await mine.hover();
  await mine.getByRole('button', { name: /^Edit message/ }).click();
  const editor = pageA.getByLabel('Edit your message', { exact: true });
  await editor.fill('hello world');
  await editor.press('Enter');
  await expect(bubble(pageA, 'hello world')).toContainText('(edited)');
  await expect(bubble(pageB, 'hello world')).toContainText('(edited)');
  await expect(bubble(pageB, 'helo wrld')).toHaveCount(0);

  const edited = bubble(pageA, 'hello world');
  await edited.hover();
  await edited.getByRole('button', { name: /^Delete message/ }).click();
  await edited.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(bubble(pageA, 'Message deleted')).toBeVisible();
  await expect(bubble(pageB, 'Message deleted')).toBeVisible();
  await expect(bubble(pageB, 'hello world')).toHaveCount(0);

  // Both survive a reload.
  await pageB.reload();
  await waitHydrated(pageB);
  await expect(bubble(pageB, 'Message deleted')).toBeVisible();
  await pageB.screenshot({ path: screenshotPath('edit-delete'), fullPage: true });

  // Only my own messages offer edit and delete.
  await send(pageB, 'from bob');
  await expect(bubble(pageA, 'from bob')).toBeVisible();
  await bubble(pageA, 'from bob').hover();
  await expect(bubble(pageA, 'from bob').getByRole('button', { name: 'Edit message' })).toHaveCount(0);
  await close();
});

test('presence and the typing indicator appear for the other person', async ({ browser, baseURL }) => {
  const { alice, pageA, pageB, close } = await twoPeople(browser, baseURL, 'Presence');
  const members = pageB.getByRole('complementary', { name: 'Members' });
  await expect(members.getByRole('listitem').filter({ hasText: alice })).toContainText('online');
  await expect(pageB.getByText('2 members · 2 online')).toBeVisible();

  await composer(pageA).pressSequentially('thinking about it');
  await expect(pageB.getByText(`${alice} is typing…`)).toBeVisible();
  // It goes away a few seconds after typing stops.
  await expect(pageB.getByText(`${alice} is typing…`)).toBeHidden({ timeout: 10_000 });
  // And at once when the message being typed arrives (it would otherwise stay up for 5 s).
  await composer(pageA).pressSequentially('a thought');
  await expect(pageB.getByText(`${alice} is typing…`)).toBeVisible();
  await composer(pageA).press('Enter');
  await expect(bubble(pageB, 'a thought')).toBeVisible();
  await expect(pageB.getByText(`${alice} is typing…`)).toBeHidden({ timeout: 1_000 });

  // A leaves the page: B sees A go offline.
  await pageA.close();
  await expect(members.getByRole('listitem').filter({ hasText: alice })).toContainText('offline');
  await expect(pageB.getByText('2 members · 1 online')).toBeVisible();
  await close();
});

test('unread count rises for a conversation not in view and clears when it is opened', async ({ browser, baseURL }) => {
  const { pageA, pageB, close } = await twoPeople(browser, baseURL, 'Busy room');
  // A moves to another conversation; B writes in the first one.
  await createConversation(pageA, 'Quiet room');
  await waitConnected(pageA);
  await send(pageB, 'are you there?');
  await send(pageB, 'ping');

  const nav = pageA.getByRole('navigation', { name: 'Conversations' });
  const busy = nav.getByRole('link', { name: /Busy room/ });
  await expect(busy).toHaveAccessibleName(/2 unread/);
  await expect(pageA).toHaveTitle(/^\(2\) /);
  await pageA.screenshot({ path: screenshotPath('unread'), fullPage: true });

  await busy.click();
  await expect(conversationHeading(pageA, 'Busy room')).toBeVisible();
  await expect(pageA.locator('li.divider').filter({ hasText: 'New messages' })).toBeVisible();
  await expect(busy).not.toHaveAccessibleName(/unread/);
  await expect(pageA).not.toHaveTitle(/^\(/);

  // The read position is kept on the server: a fresh load shows nothing unread.
  await pageA.reload();
  await waitHydrated(pageA);
  await expect(nav.getByRole('link', { name: /Busy room/ })).not.toHaveAccessibleName(/unread/);
  await close();
});

test('leaving a conversation removes it and tells the others', async ({ browser, baseURL }) => {
  const { bob, pageA, pageB, close } = await twoPeople(browser, baseURL, 'Short stay');
  await pageB.getByRole('button', { name: 'Leave', exact: true }).click();
  await pageB.getByRole('button', { name: 'Leave conversation', exact: true }).click();
  await pageB.waitForURL((url) => url.pathname === '/');
  await expect(pageB.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /Short stay/ })).toHaveCount(0);
  await expect(messageList(pageA).getByRole('listitem').filter({ hasText: `${bob} left` })).toBeVisible();
  await expect(pageA.getByRole('complementary', { name: 'Members' })).not.toContainText(bob);
  // The owner is not offered "Leave".
  await expect(pageA.getByRole('button', { name: 'Leave', exact: true })).toHaveCount(0);
  await close();
});

test('messages typed offline are sent once and in order when the connection is back', async ({ browser, baseURL }) => {
  const { pageA, pageB, close } = await twoPeople(browser, baseURL, 'Flaky train wifi');
  // Route A's socket through Playwright so the test can cut it like a dropped network
  // (Chromium's offline emulation alone leaves an open WebSocket up).
  const routed: WebSocketRoute[] = [];
  let networkDown = false;
  await pageA.routeWebSocket(/\/ws$/, (ws) => {
    if (networkDown) {
      ws.close();
      return;
    }
    ws.connectToServer();
    routed.push(ws);
  });
  await pageA.reload();
  await waitHydrated(pageA);
  await waitConnected(pageA);

  networkDown = true;
  await pageA.context().setOffline(true);
  for (const ws of routed) await ws.close();
  await expect(pageA.locator('header.topbar [role="status"]')).toHaveText(/Reconnecting/);

  for (const text of ['first while offline', 'second while offline']) {
    await composer(pageA).fill(text);
    await composer(pageA).press('Enter');
    await expect(composer(pageA)).toHaveValue('');
  }
  const pending = messageList(pageA).locator('[data-pending="true"]');
  await expect(pending).toHaveCount(2);
  await expect(pending.first()).toContainText('Waiting for connection…');
  await pageA.screenshot({ path: screenshotPath('offline'), fullPage: true });

  networkDown = false;
  await pageA.context().setOffline(false);
  await expect(pending).toHaveCount(0, { timeout: 30_000 });
  const bodies = messageList(pageB).locator('li.bubble .body');
  await expect(bodies.filter({ hasText: 'while offline' })).toHaveCount(2);
  await expect(bodies.filter({ hasText: 'while offline' }).nth(0)).toHaveText('first while offline');
  await expect(bodies.filter({ hasText: 'while offline' }).nth(1)).toHaveText('second while offline');
  // Once, also after a reload.
  await pageB.reload();
  await waitHydrated(pageB);
  await expect(messageList(pageB).locator('li.bubble .body').filter({ hasText: 'while offline' })).toHaveCount(2);
  await close();
});
