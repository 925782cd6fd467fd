import { expect, test, type Page } from './fixtures';
import {
  PASSWORD,
  alertWith,
  createConversation,
  messageList,
  sendMessage,
  sideNav,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

/** Markup, script URLs, template syntax and SQL: each must come back as the same text. */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
];

/** What a page's server-rendered HTML holds, parsed inertly (DOMParser never runs scripts). */
async function inspectServerHtml(page: Page, html: string) {
  return page.evaluate((html) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const title = doc.querySelector('#conversation-title');
    return {
      heading: title?.textContent ?? null,
      headingChildren: title?.children.length ?? -1,
      bodies: [...doc.querySelectorAll('.message-list .bubble .body')].map((b) => b.textContent),
      // Anything the payloads would have made had they been parsed as markup (the app's own
      // icons are decorative, aria-hidden SVG; none of the payloads makes one).
      injected: doc.querySelectorAll('img, svg:not([aria-hidden="true"]), [onerror], [onload]').length,
      liveScripts: [...doc.querySelectorAll('script')].filter((s) => s.textContent?.trim() === 'alert(1)').length,
      documentTitle: doc.title,
    };
  }, html);
}

test('hostile titles and messages render as text, in the server HTML and after hydration', async ({ page, browser, baseURL }) => {
  test.setTimeout(240_000);
  let dialogs = 0;
  page.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  await signUp(page, uniqueName('xss'));

  const made: { payload: string; path: string }[] = [];
  for (const payload of PAYLOADS) {
    await createConversation(page, payload);
    await waitConnected(page);
    await sendMessage(page, payload);
    made.push({ payload, path: new URL(page.url()).pathname });
  }

  const failures: string[] = [];
  let asText = 0;
  for (const { payload, path } of made) {
    // The page as the server sends it (the request carries this context's session cookie).
    const response = await page.request.get(path);
    expect(response.status()).toBe(200);
    const html = await response.text();
    const server = await inspectServerHtml(page, html);
    const markup = /[<>]/.test(payload);
    const serverClean =
      server.injected === 0 &&
      server.liveScripts === 0 &&
      !(markup && html.includes(payload)) &&
      !/<script>alert\(1\)<\/script>|<img src=x onerror|<svg onload/i.test(html);
    if (!serverClean) failures.push(`server HTML of ${path} holds live markup for ${payload}`);

    // The same page once the app has hydrated it.
    await page.goto(path);
    await waitHydrated(page);
    await waitConnected(page);
    const heading = page.locator('#conversation-title');
    const bodies = messageList(page).locator('li.bubble .body');
    const hydratedTitle = (await heading.textContent()) ?? '';
    const hydratedBody = (await bodies.first().textContent()) ?? '';
    const navTitle = await sideNav(page).locator('.conversation[aria-current="page"] .title').textContent();
    const injectedHere =
      (await page.locator('.chat').locator('img, svg:not([aria-hidden="true"]), script, [onerror], [onload]').count()) +
      (await heading.locator('*').count()) +
      (await sideNav(page).locator('img, svg, script').count());

    const titleOk =
      serverClean &&
      server.heading === payload &&
      server.headingChildren === 0 &&
      server.documentTitle.startsWith(payload) &&
      hydratedTitle === payload &&
      navTitle === payload &&
      injectedHere === 0;
    const messageOk =
      serverClean && server.bodies.length === 1 && server.bodies[0] === payload && hydratedBody === payload && injectedHere === 0;
    if (titleOk) asText += 1;
    else failures.push(`title ${JSON.stringify(payload)}: server ${JSON.stringify(server.heading)}, page ${JSON.stringify(hydratedTitle)}, nav ${JSON.stringify(navTitle)}`);
    if (messageOk) asText += 1;
    else failures.push(`message ${JSON.stringify(payload)}: server ${JSON.stringify(server.bodies)}, page ${JSON.stringify(hydratedBody)}`);
  }

  // Usernames allow only [A-Za-z0-9_.-]: every payload is refused as one, by the server
  // (the form's own pattern check is taken off first, as an attacker would).
  const stranger = await browser.newContext({ baseURL });
  const signup = await stranger.newPage();
  signup.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  let refused = 0;
  for (const payload of PAYLOADS) {
    await signup.goto('/signup');
    await waitHydrated(signup);
    const field = signup.getByLabel('Username', { exact: true });
    await field.evaluate((input) => {
      for (const attr of ['pattern', 'minlength', 'maxlength', 'required']) input.removeAttribute(attr);
    });
    await field.fill(payload);
    await signup.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await signup.getByRole('button', { name: 'Create account', exact: true }).click();
    await expect(alertWith(signup, "Username may contain only letters, digits, '_', '-' and '.'.")).toBeVisible();
    await expect(signup).toHaveURL(/\/signup/);
    refused += 1;
  }
  await stranger.close();

  const total = PAYLOADS.length * 2;
  console.log(
    `XSS corpus: ${PAYLOADS.length} payloads x 2 places, rendered as text ${asText}/${total}, dialogs ${dialogs}; ` +
      `usernames refused ${refused}/${PAYLOADS.length}`,
  );
  expect(failures).toEqual([]);
  expect(asText).toBe(total);
  expect(dialogs).toBe(0);
});
