import { expect, test, type Page } from './fixtures';
import {
  bubble,
  composer,
  conversationHeading,
  createConversation,
  expectNoViolations,
  expectStored,
  messageList,
  newPerson,
  screenshotPath,
  sendMany,
  sendMessage,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

const topSearch = (page: Page) => page.getByRole('searchbox', { name: 'Search messages', exact: true }).first();
const results = (page: Page) => page.getByRole('list', { name: 'Results', exact: true });
const hits = (page: Page) => results(page).getByRole('listitem');

/** Sends a formatted message and waits until it is stored; `shown` is its text as drawn. */
async function sendFormatted(page: Page, text: string, shown: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expectStored(page, shown);
}

/** The element has its middle on screen inside the message list. */
async function expectInView(page: Page, seq: number): Promise<void> {
  const row = messageList(page).locator(`[data-seq="${seq}"]`);
  await expect(row).toBeInViewport();
}

test('search finds a message far back in a conversation, marks the words, and opens the conversation there', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await signUp(page, uniqueName('sea'));
  const title = `Archive ${uniqueName('a')}`;
  await createConversation(page, title);
  await waitConnected(page);
  await sendFormatted(page, 'The **needle** we lost, near 北京 station', 'The needle we lost');
  const targetSeq = Number(await bubble(page, 'we lost').getAttribute('data-seq'));
  // Far back: more than a page of history and more than one catch-up batch (200) after it.
  await sendMany(page, Array.from({ length: 240 }, (_, i) => `filler message number ${i}`));

  // Someone else's conversation with the same word: never found by this user.
  const bob = await newPerson(browser, baseURL, 'bob');
  await createConversation(bob.page, 'Bob only');
  await waitConnected(bob.page);
  await sendMessage(bob.page, 'a needle in a private room');

  // The keyboard reaches the box from anywhere but a text field: "/".
  await page.getByRole('heading', { level: 1, name: title }).click();
  await page.keyboard.press('/');
  await expect(topSearch(page)).toBeFocused();
  await page.keyboard.type('NEEDLE');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=NEEDLE$/);
  await expect(hits(page)).toHaveCount(1);
  await expect(page.getByRole('status').filter({ hasText: '1 message' })).toBeVisible();
  const hit = hits(page).first();
  await expect(hit).toContainText(title);
  await expect(hit).toContainText('The needle we lost, near 北京 station');
  await expect(hit.locator('mark')).toHaveText(['needle']);
  // Nothing of the message became markup: the ** are gone only because it was formatted.
  await expect(hit.locator('strong, script, img')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('search-results-desktop-light') });
  await expectNoViolations(page, 'search results (desktop, light)');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('search-results-desktop-dark') });
  await expectNoViolations(page, 'search results (desktop, dark)');
  await page.emulateMedia({ colorScheme: 'light' });

  // Two characters of Chinese: found too; Ctrl+K reaches the box as well.
  await page.keyboard.press('Control+k');
  await expect(topSearch(page)).toBeFocused();
  await page.keyboard.type('北京');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=/);
  await expect(hits(page)).toHaveCount(1);
  await expect(hits(page).first().locator('mark')).toHaveText(['北京']);

  // The result opens the conversation at the message, 240 messages back: shown, outlined and
  // focused, with the way back to the newest.
  await hits(page).first().getByRole('link').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/c/\\d+\\?at=${targetSeq}$`));
  await expect(conversationHeading(page, title)).toBeVisible();
  const target = messageList(page).locator(`[data-seq="${targetSeq}"]`);
  await expect(target).toBeFocused();
  await expect(target).toHaveClass(/flash/);
  await expectInView(page, targetSeq);
  await expect(bubble(page, 'filler message number 239')).toHaveCount(0);
  const loadNewer = page.getByRole('button', { name: 'Load newer messages', exact: true });
  await expect(loadNewer).toBeVisible();
  await expect(page.getByRole('button', { name: 'Jump to latest ↓', exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('search-opened-at-message-desktop-light') });
  await expectNoViolations(page, 'conversation opened at a message');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('search-opened-at-message-desktop-dark') });
  await expectNoViolations(page, 'conversation opened at a message (dark)');
  await page.emulateMedia({ colorScheme: 'light' });

  // "Load newer messages" fetches what follows, in batches, until the newest.
  await waitHydrated(page);
  await waitConnected(page);
  await loadNewer.click();
  await expect(bubble(page, 'filler message number 150')).toHaveCount(1);
  await expect(target).toBeVisible();
  await loadNewer.click();
  await expect(bubble(page, 'filler message number 239')).toHaveCount(1);
  await expect(loadNewer).toBeHidden();
  // Joined to the live stream again: what is sent now shows up.
  await sendMessage(page, 'after the window');

  // From a window, sending goes to the newest messages, where the message is shown.
  await page.goto(`/search?q=needle`);
  await waitHydrated(page);
  await hits(page).first().getByRole('link').click();
  await expect(messageList(page).locator(`[data-seq="${targetSeq}"]`)).toBeFocused();
  await waitConnected(page);
  await composer(page).fill('written while reading old messages');
  await composer(page).press('Enter');
  await page.waitForURL(/\/c\/\d+$/);
  await expectStored(page, 'written while reading old messages');

  // "Jump to latest" from a window reopens the conversation at its end.
  await page.goto(`/search?q=needle`);
  await waitHydrated(page);
  await hits(page).first().getByRole('link').click();
  await expect(messageList(page).locator(`[data-seq="${targetSeq}"]`)).toBeFocused();
  await page.getByRole('button', { name: 'Jump to latest ↓', exact: true }).click();
  await page.waitForURL(/\/c\/\d+$/);
  await expect(bubble(page, 'written while reading old messages')).toBeInViewport();
  await bob.context.close();
});

test('an edit or a deletion is what the next search finds, and a bad query says why', async ({ page }) => {
  await signUp(page, uniqueName('sed'));
  await createConversation(page, 'Edits');
  await waitConnected(page);
  await sendMessage(page, 'original wording here');
  await page.goto('/search?q=wording');
  await expect(hits(page)).toHaveCount(1);
  await page.goto('/search?q=%22%22');
  await expect(page.getByRole('alert')).toHaveText('Type something to search for.');
  await page.goto(`/search?q=${'x'.repeat(201)}`);
  await expect(page.getByRole('alert')).toHaveText('A search must be at most 200 characters long.');
  await page.goto('/search?q=zebra');
  await expect(page.getByRole('status').filter({ hasText: 'No messages match “zebra”.' })).toBeVisible();
  await page.goto('/search');
  await expect(hits(page)).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1, name: 'Search messages' })).toBeVisible();
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  for (const scheme of ['light', 'dark'] as const) {
    test(`search is a button in the top bar and its page fits the screen (${scheme})`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await signUp(page, uniqueName('sph'));
      await createConversation(page, 'Phone search');
      await waitConnected(page);
      await sendFormatted(page, 'where is the **meeting** room? the meeting is at noon', 'the meeting is at noon');
      await sendMessage(page, 'a long line that goes on and on about the meeting, the agenda, the people, the room and the coffee');
      // The box gives way to a button on a phone; the search page has the field.
      await expect(page.locator('header.topbar input[type="search"]')).toBeHidden();
      await page.getByRole('link', { name: 'Search messages', exact: true }).click();
      await page.waitForURL(/\/search$/);
      await waitHydrated(page);
      const field = page.getByRole('searchbox', { name: 'Search messages', exact: true });
      await field.fill('meeting');
      await field.press('Enter');
      await expect.poll(() => page.url()).toMatch(/\/search\?q=meeting$/);
      await expect(hits(page)).toHaveCount(2);
      await expect(hits(page).first().locator('mark')).toHaveText(['meeting']);
      await expect(hits(page).nth(1).locator('mark')).toHaveText(['meeting', 'meeting']);
      const { scroll, width } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        width: window.innerWidth,
      }));
      expect(scroll).toBeLessThanOrEqual(width);
      await page.screenshot({ path: screenshotPath(`search-results-phone-${scheme}`) });
      await expectNoViolations(page, `search results (phone, ${scheme})`);
      await hits(page).nth(1).getByRole('link').click();
      await page.waitForURL(/\/c\/\d+\?at=\d+$/);
      await expect(messageList(page).locator('.flash')).toContainText('where is the');
      // Both messages fit on the screen: nothing newer to jump to.
      await expect(page.getByRole('button', { name: 'Jump to latest ↓', exact: true })).toBeHidden();
      await page.screenshot({ path: screenshotPath(`search-opened-phone-${scheme}`) });
      await expectNoViolations(page, `conversation opened at a message (phone, ${scheme})`);
    });
  }
});

test('hostile messages in search results are text, in the server HTML and after hydration', async ({ page }) => {
  const payloads = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '"><svg onload=alert(1)>',
    'javascript:alert(1)',
    '{{7*7}}',
    "'; DROP TABLE messages; --",
  ];
  let dialogs = 0;
  page.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  await signUp(page, uniqueName('sxs'));
  await createConversation(page, '<b>bold</b> "title"');
  await waitConnected(page);
  for (const payload of payloads) {
    await composer(page).fill(`${payload} zzq`);
    await composer(page).press('Enter');
  }
  await expect(messageList(page).locator('[data-pending="true"]')).toHaveCount(0);
  const expected = [...payloads].reverse().map((p) => `${p} zzq`);

  const html = await (await page.request.get('/search?q=zzq')).text();
  const server = await page.evaluate((html) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    return {
      excerpts: [...doc.querySelectorAll('.hits .excerpt')].map((e) => e.textContent),
      titles: [...doc.querySelectorAll('.hits .hit-title')].map((e) => e.textContent),
      marks: [...doc.querySelectorAll('.hits .excerpt mark')].map((e) => e.textContent),
      injected: doc.querySelectorAll('.hits img, .hits svg, .hits script, .hits b, [onerror], [onload]').length,
    };
  }, html);
  expect(server.excerpts).toEqual(expected);
  expect(server.titles).toEqual(Array(payloads.length).fill('<b>bold</b> "title"'));
  expect(server.marks).toEqual(Array(payloads.length).fill('zzq'));
  expect(server.injected).toBe(0);

  await page.goto('/search?q=zzq');
  await waitHydrated(page);
  await expect(hits(page)).toHaveCount(payloads.length);
  expect(await results(page).locator('.excerpt').allTextContents()).toEqual(expected);
  expect(await results(page).locator('img, svg, script, b, [onerror], [onload]').count()).toBe(0);
  // More results and a search from the box draw the same way after hydration.
  await topSearch(page).fill('alert(1)');
  await topSearch(page).press('Enter');
  await expect(hits(page)).toHaveCount(4);
  await expect(results(page).locator('mark')).toHaveText(Array(4).fill('alert(1)'));
  expect(await results(page).locator('img, svg, script, b, [onerror], [onload]').count()).toBe(0);
  expect(dialogs).toBe(0);
});
