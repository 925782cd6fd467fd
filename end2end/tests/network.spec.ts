import { expect, test, type WebSocketRoute } from './fixtures';
import {
  bubble,
  composer,
  createConversation,
  expectStored,
  messageList,
  screenshotPath,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

const status = (page: import('@playwright/test').Page) => page.locator('header.topbar [role="status"]');

test('going offline shows reconnecting at once, keeps the pending message, and sends it when back', async ({
  page,
  context,
}) => {
  await signUp(page, uniqueName('off'));
  await createConversation(page, 'Offline');
  await waitConnected(page);

  await context.setOffline(true);
  // The browser's offline event ends the socket without waiting for a timeout.
  await expect(status(page)).toHaveText('Reconnecting…', { timeout: 2_000 });
  await composer(page).fill('written on the train');
  await composer(page).press('Enter');
  const pending = messageList(page).locator('[data-pending="true"]');
  await expect(pending).toHaveCount(1);
  await expect(pending).toContainText('written on the train');

  await context.setOffline(false);
  await waitConnected(page);
  await expect(pending).toHaveCount(0);
  await expect(bubble(page, 'written on the train')).toBeVisible();
});

test('a connection that goes silent without closing is noticed within seconds', async ({ page }) => {
  // Every socket goes through this proxy; `silence()` makes the open ones drop every frame in
  // both directions without closing, as a dead network does. Later sockets work normally.
  const open: { dropped: boolean }[] = [];
  await page.routeWebSocket(/\/ws$/, (ws: WebSocketRoute) => {
    const state = { dropped: false };
    open.push(state);
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (!state.dropped) server.send(m);
    });
    server.onMessage((m) => {
      if (!state.dropped) ws.send(m);
    });
  });
  const silence = () => open.forEach((s) => (s.dropped = true));

  await signUp(page, uniqueName('sil'));
  await createConversation(page, 'Silent');
  await waitHydrated(page);
  await waitConnected(page);

  // Noticing means giving the silent socket up and opening a new one (the status flips to
  // "Reconnecting…" only for as long as that takes, too briefly to watch for).
  const before = open.length;
  silence();
  const dropped = Date.now();
  await expect.poll(() => open.length, { timeout: 15_000 }).toBeGreaterThan(before);
  const noticed = Date.now() - dropped;
  console.log(`a silent connection was noticed after ${noticed} ms`);
  expect(noticed).toBeLessThan(12_000);

  // It comes back by itself on a fresh socket and works.
  await waitConnected(page);
  await composer(page).fill('after the silence');
  await composer(page).press('Enter');
  await expectStored(page, 'after the silence');
});

test('messages waiting to be sent survive a reload and are stored once', async ({ page, context }) => {
  let blocked = false;
  await page.routeWebSocket(/\/ws$/, (ws: WebSocketRoute) => {
    if (blocked) {
      ws.close({ code: 1011, reason: 'blocked by the test' });
      return;
    }
    ws.connectToServer();
  });
  await signUp(page, uniqueName('box'));
  await createConversation(page, 'Outbox');
  await waitConnected(page);

  blocked = true;
  await context.setOffline(true);
  await expect(status(page)).toHaveText('Reconnecting…', { timeout: 2_000 });
  await composer(page).fill('typed before the reload');
  await composer(page).press('Enter');
  const pending = messageList(page).locator('[data-pending="true"]');
  await expect(pending).toHaveCount(1);
  await context.setOffline(false);

  await page.reload();
  await waitHydrated(page);
  await expect(pending).toHaveCount(1);
  await expect(pending).toContainText('typed before the reload');

  blocked = false;
  await expect(pending).toHaveCount(0, { timeout: 30_000 });
  await expect(bubble(page, 'typed before the reload')).toHaveCount(1);
  await page.reload();
  await waitHydrated(page);
  await expect(bubble(page, 'typed before the reload')).toHaveCount(1);
  await expect(pending).toHaveCount(0);
});

test('a conversation that failed to load says so in its pane and loads once the connection is back', async ({
  page,
  context,
}) => {
  await signUp(page, uniqueName('err'));
  await createConversation(page, 'Flaky');
  const path = new URL(page.url()).pathname;
  await page.goto('/');
  await waitHydrated(page);
  await waitConnected(page);

  // The server cannot be reached for the conversation's data.
  const unreachable = /\/api\/(conversation|history)(\?|$)/;
  await page.route(unreachable, (route) => route.abort('connectionrefused'));
  await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /Flaky/ }).click();
  await page.waitForURL((url) => url.pathname === path);
  const error = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
  await expect(error).toBeVisible();
  await expect(error.getByRole('button', { name: 'Retry', exact: true })).toBeVisible();
  // Inside the pane: the side nav is still there.
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('pane-error') });

  // The network drops and comes back: the pane loads by itself.
  await page.unroute(unreachable);
  await context.setOffline(true);
  await expect(status(page)).toHaveText('Reconnecting…', { timeout: 2_000 });
  await context.setOffline(false);
  await waitConnected(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Flaky', exact: true })).toBeVisible();
  await expect(error).toHaveCount(0);
});
