import { expect, test, type Route } from './fixtures';
import {
  alertWith,
  bubble,
  composer,
  createConversation,
  messageList,
  signUp,
  submitSignIn,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

// The suite's server runs with high limits (and a real lock-out would shut every later test
// out of 127.0.0.1), so these answer with exactly what the server sends when a limit is hit:
// HTTP 429 with the app error's JSON, or an `error` frame with code `rate_limited`. The
// limits themselves are tested in the Rust suites; this is about what the person sees.
const rateLimited = (message: string, retryAfter: number) => (route: Route) =>
  route.fulfill({
    status: 429,
    contentType: 'application/json',
    headers: { 'retry-after': String(retryAfter) },
    body: JSON.stringify({ code: 'rate_limited', message, retry_after_secs: retryAfter }),
  });

test('a throttled sign-in says to wait and for how long', async ({ page }) => {
  const message = 'Too many sign-in attempts. Please slow down and try again in 15 minutes.';
  await page.route('**/api/sign_in', rateLimited(message, 900));
  await submitSignIn(page, uniqueName('rl'), 'whatever-it-is-1');
  await expect(alertWith(page, message)).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test('a throttled new conversation says so next to the form', async ({ page }) => {
  await signUp(page, uniqueName('rl'));
  await waitHydrated(page);
  const message = 'You have created too many conversations in the last hour. Please slow down and try again in 2 minutes.';
  await page.route('**/api/create_conversation', rateLimited(message, 120));
  await page.getByLabel('New conversation title', { exact: true }).fill('One too many');
  await page.getByRole('button', { name: 'Create conversation', exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'Conversations' }).getByRole('alert')).toHaveText(message);
  await expect(page).toHaveURL((url) => url.pathname === '/');
});

test('a throttled message keeps its text on a failed bubble with the reason, and a retry sends it', async ({ page }) => {
  const message = 'You are sending messages too fast. Please slow down and try again in 42 seconds.';
  let throttle = true;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((data) => {
      const frame = JSON.parse(String(data));
      if (throttle && frame.type === 'send') {
        ws.send(JSON.stringify({ type: 'error', code: 'rate_limited', message, client_id: frame.client_id, retry_after_secs: 42 }));
      } else {
        server.send(data);
      }
    });
  });
  await signUp(page, uniqueName('rl'));
  await createConversation(page, 'Too fast');
  await waitConnected(page);

  await composer(page).fill('slow down?');
  await composer(page).press('Enter');
  const failed = messageList(page).locator('[data-pending="true"]');
  await expect(failed).toContainText('slow down?');
  await expect(failed).toContainText(`Not sent: ${message}`);

  throttle = false;
  await failed.getByRole('button', { name: 'Retry', exact: true }).click();
  await expect(failed).toHaveCount(0);
  await expect(bubble(page, 'slow down?')).toHaveAttribute('data-seq', /\d+/);
});
