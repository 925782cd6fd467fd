import { expect, test } from './fixtures';
import { alertWith, closeAll, composer, messageList, roomOfTwo, sideNav, timelineItems } from './helpers';
import {
  PASTED_PNG,
  PDF,
  SUNSET_PNG,
  TALL_PNG,
  ZIP,
  armChooser,
  attachButton,
  attachByButton,
  dataTransfer,
  downloadCard,
  dragFiles,
  expectThumbnailLoaded,
  fileBubble,
  noise,
  pasteFiles,
  png,
  throttleUploads,
  tray,
  trayItem,
  unthrottle,
  uploaded,
} from './files';

test('files go by the paperclip, by drag and drop and by paste; the other person sees them live and after a reload', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Holiday files');

  // The paperclip: a picture with text.
  await attachByButton(alice.page, [png('sunset.png', SUNSET_PNG)]);
  await expect(trayItem(alice.page, 'sunset.png').locator('img')).toHaveAttribute('src', /^blob:/);
  await uploaded(alice.page, 'sunset.png');
  await composer(alice.page).fill('Sunset from the pier');
  await composer(alice.page).press('Enter');
  await expect(tray(alice.page)).toHaveCount(0);
  const sunset = fileBubble(bob.page, 'Sunset from the pier').getByRole('img', { name: 'sunset.png' });
  await expectThumbnailLoaded(sunset);
  // The box is reserved from the measured size: 480 x 320 drawn within 320 px.
  await expect(sunset).toHaveAttribute('width', '320');
  await expect(sunset).toHaveAttribute('height', '213');
  await expect(sunset).toHaveAttribute('loading', 'lazy');
  const original = fileBubble(bob.page, 'Sunset from the pier').getByRole('link', { name: 'sunset.png' });
  await expect(original).toHaveAttribute('target', '_blank');
  await expect(original).toHaveAttribute('rel', 'noopener noreferrer');

  // Drag and drop onto the conversation: the overlay names where the files go.
  const drag = await dragFiles(alice.page, alice.page.locator('#messages'), [
    { name: 'minutes.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'archive.zip', mimeType: 'application/zip', buffer: ZIP },
  ]);
  await expect(alice.page.locator('.drop-overlay')).toHaveText('Drop files to send them to Holiday files');
  await drag.drop();
  await expect(alice.page.locator('.drop-overlay')).toHaveCount(0);
  await uploaded(alice.page, 'minutes.pdf');
  await uploaded(alice.page, 'archive.zip');
  // Files only, no text.
  await composer(alice.page).press('Enter');
  const cards = fileBubble(bob.page, 'minutes.pdf');
  await expect(downloadCard(cards, 'minutes.pdf')).toHaveAccessibleName(/^Download minutes\.pdf, \d+ bytes$/);
  await expect(downloadCard(cards, 'archive.zip')).toBeVisible();
  await expect(cards.locator('.body')).toHaveCount(0);
  await expect(sideNav(bob.page)).toContainText('📎 minutes.pdf and 1 more');
  // A message of files only is named by its files, in its buttons and in a reply's quote.
  await cards.hover();
  await cards.getByRole('button', { name: 'Reply to message: 📎 minutes.pdf and 1 more' }).click();
  await expect(bob.page.locator('.composer .replying')).toContainText('📎 minutes.pdf and 1 more');
  await composer(bob.page).fill('Got them, thanks');
  await composer(bob.page).press('Enter');
  await expect(fileBubble(alice.page, 'Got them, thanks').locator('.quote')).toContainText('📎 minutes.pdf and 1 more');

  // A download is a download: the server says so, and never lets the browser guess a type.
  const href = await downloadCard(cards, 'minutes.pdf').getAttribute('href');
  await expect(downloadCard(cards, 'minutes.pdf')).toHaveAttribute('download', 'minutes.pdf');
  const res = await bob.page.request.get(href!);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-disposition']).toMatch(/^attachment;/);
  expect(res.headers()['x-content-type-options']).toBe('nosniff');

  // Paste: a picture from the clipboard; a paste of text is left to the browser.
  expect(await pasteFiles(alice.page, composer(alice.page), [png('pasted.png', PASTED_PNG)])).toBe(true);
  const textOnly = await composer(alice.page).evaluate((el) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'just words');
    const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(ev);
    return ev.defaultPrevented;
  });
  expect(textOnly).toBe(false);
  await attachByButton(alice.page, [png('tall.png', TALL_PNG)]);
  await uploaded(alice.page, 'pasted.png');
  await uploaded(alice.page, 'tall.png');
  await composer(alice.page).fill('Two more');
  await composer(alice.page).press('Enter');
  const grid = fileBubble(bob.page, 'Two more').locator('.attachment-images.grid');
  await expect(grid.getByRole('img')).toHaveCount(2);
  await expectThumbnailLoaded(grid.getByRole('img', { name: 'tall.png' }));

  // After a reload (the server's page, then hydrated) everything is still there.
  await bob.page.reload();
  await expectThumbnailLoaded(fileBubble(bob.page, 'Sunset from the pier').getByRole('img', { name: 'sunset.png' }));
  await expectThumbnailLoaded(fileBubble(bob.page, 'Two more').getByRole('img', { name: 'pasted.png' }));
  await expect(downloadCard(fileBubble(bob.page, 'minutes.pdf'), 'archive.zip')).toBeVisible();
  await closeAll(alice, bob);
});

test('a big file shows its progress, Send waits for it, and Remove stops an upload', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Big files');
  const cdp = await throttleUploads(alice.page, 600_000);

  await attachByButton(alice.page, [{ name: 'data.bin', mimeType: 'application/octet-stream', buffer: noise(3_000_000) }]);
  const bar = alice.page.getByRole('progressbar', { name: 'Uploading data.bin' });
  await expect(bar).toBeVisible();
  await expect.poll(() => bar.evaluate((p: HTMLProgressElement) => p.value), { timeout: 20_000 }).toBeGreaterThan(0);
  expect(await bar.evaluate((p: HTMLProgressElement) => p.value)).toBeLessThan(100);
  await expect(trayItem(alice.page, 'data.bin')).toContainText(/of 3\.0 MB/);
  // Send during the upload: the button says it waits, and the message goes when it is done.
  await composer(alice.page).fill('The raw data');
  await composer(alice.page).press('Enter');
  await expect(alice.page.getByRole('button', { name: 'Sending after upload…' })).toBeVisible();
  await expect(downloadCard(fileBubble(bob.page, 'The raw data'), 'data.bin')).toHaveAccessibleName(
    'Download data.bin, 3.0 MB',
    { timeout: 30_000 },
  );
  await expect(tray(alice.page)).toHaveCount(0);
  await expect(composer(alice.page)).toHaveValue('');

  // Remove while uploading: the request is aborted and nothing is left.
  const aborted = alice.page.waitForEvent('requestfailed', (r) => r.url().includes('/api/attachments'));
  await attachByButton(alice.page, [{ name: 'other.bin', mimeType: 'application/octet-stream', buffer: noise(3_000_000) }]);
  await expect(alice.page.getByRole('progressbar', { name: 'Uploading other.bin' })).toBeVisible();
  await alice.page.getByRole('button', { name: 'Remove other.bin' }).click();
  await aborted;
  await expect(tray(alice.page)).toHaveCount(0);
  await expect(composer(alice.page)).toBeFocused();
  await unthrottle(cdp);
  await closeAll(alice, bob);
});

test('a file over the limit is refused before uploading and at most ten go with one message', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Limits');
  let posts = 0;
  alice.page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/attachments')) posts += 1;
  });
  await attachByButton(alice.page, [{ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(26e6, 7) }]);
  await expect(alertWith(alice.page, 'huge.bin is 26 MB; files can be at most 25 MB.')).toBeVisible();
  await expect(tray(alice.page)).toHaveCount(0);
  await composer(alice.page).press('Enter');
  await expect(timelineItems(alice.page)).toHaveCount(1); // Bob's join, nothing more
  expect(posts).toBe(0);

  // Eleven files: ten are let in, the eleventh is named.
  const eleven = Array.from({ length: 11 }, (_, i) => ({
    name: `note-${i + 1}.txt`,
    mimeType: 'text/plain',
    buffer: Buffer.from(`note ${i + 1}\n`),
  }));
  await attachByButton(alice.page, eleven);
  await expect(alertWith(alice.page, 'A message can carry at most 10 files: note-11.txt was left out.')).toBeVisible();
  await expect(tray(alice.page).getByRole('listitem')).toHaveCount(10);
  for (let i = 1; i <= 10; i++) await uploaded(alice.page, `note-${i}.txt`);
  await composer(alice.page).press('Enter');
  await expect(fileBubble(bob.page, 'note-1.txt').getByRole('link', { name: /^Download note-/ })).toHaveCount(10);
  expect(posts).toBe(10);
  await closeAll(alice, bob);
});

test("a failed upload shows the server's reason with Retry, and Send waits until it is fixed", async ({
  browser,
  baseURL,
}) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Retries');
  await alice.page.route(
    '**/api/attachments?*',
    (route) =>
      route.fulfill({
        status: 429,
        contentType: 'application/json',
        body: JSON.stringify({ message: 'You are uploading files too fast.' }),
      }),
    { times: 1 },
  );
  await attachByButton(alice.page, [png('sunset.png', SUNSET_PNG)]);
  const item = trayItem(alice.page, 'sunset.png');
  await expect(item).toHaveAttribute('data-state', 'failed');
  await expect(item.getByRole('alert')).toHaveText('You are uploading files too fast.');
  await composer(alice.page).fill('Look at this');
  await composer(alice.page).press('Enter');
  await expect(alertWith(alice.page, 'A file did not upload: retry or remove it, then send.')).toBeVisible();
  await item.getByRole('button', { name: 'Retry sunset.png' }).click();
  await uploaded(alice.page, 'sunset.png');
  await composer(alice.page).press('Enter');
  await expectThumbnailLoaded(fileBubble(bob.page, 'Look at this').getByRole('img', { name: 'sunset.png' }));

  // Stored files wait in the tray across a reload, drawn by the server's thumbnail now.
  await attachByButton(alice.page, [png('tall.png', TALL_PNG), { name: 'minutes.pdf', mimeType: 'application/pdf', buffer: PDF }]);
  await uploaded(alice.page, 'tall.png');
  await uploaded(alice.page, 'minutes.pdf');
  await alice.page.reload();
  await expect(trayItem(alice.page, 'tall.png')).toHaveAttribute('data-state', 'done');
  await expect(trayItem(alice.page, 'tall.png').locator('img')).toHaveAttribute('src', /^\/thumbnails\//);
  // Removing a stored file deletes it on the server too.
  const deleted = alice.page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/attachments/'));
  await alice.page.getByRole('button', { name: 'Remove minutes.pdf' }).click();
  expect((await deleted).status()).toBe(204);
  await composer(alice.page).press('Enter');
  // A message of that one picture: the tall hills, and no card.
  const last = messageList(bob.page).locator(':scope > li.bubble').last();
  await expectThumbnailLoaded(last.getByRole('img', { name: 'tall.png' }));
  await expect(last.getByRole('link', { name: /^Download/ })).toHaveCount(0);
  await closeAll(alice, bob);
});

test('deleting a message deletes its files for everyone', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Deleting files');
  await attachByButton(alice.page, [png('sunset.png', SUNSET_PNG), { name: 'minutes.pdf', mimeType: 'application/pdf', buffer: PDF }]);
  await uploaded(alice.page, 'sunset.png');
  await uploaded(alice.page, 'minutes.pdf');
  await composer(alice.page).fill('Delete me later');
  await composer(alice.page).press('Enter');
  const theirs = fileBubble(bob.page, 'Delete me later');
  await expectThumbnailLoaded(theirs.getByRole('img', { name: 'sunset.png' }));
  const fileUrl = await downloadCard(theirs, 'minutes.pdf').getAttribute('href');
  const thumbUrl = await theirs.getByRole('img', { name: 'sunset.png' }).getAttribute('src');
  expect((await bob.page.request.get(fileUrl!)).status()).toBe(200);

  const mine = fileBubble(alice.page, 'Delete me later');
  await mine.hover();
  await mine.getByRole('button', { name: /^Delete message/ }).click();
  await mine.getByRole('button', { name: 'Delete', exact: true }).click();
  for (const page of [alice.page, bob.page]) {
    const gone = messageList(page).locator('li.bubble.is-deleted');
    await expect(gone).toContainText('Message deleted');
    await expect(gone.locator('.attachments')).toHaveCount(0);
  }
  for (const url of [fileUrl!, thumbUrl!]) {
    await expect.poll(async () => (await bob.page.request.get(url)).status()).toBe(404);
    await expect.poll(async () => (await alice.page.request.get(url)).status()).toBe(404);
  }
  await closeAll(alice, bob);
});

test('an uploaded HTML file is only ever a download and runs no script', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Hostile files');
  let dialogs = 0;
  for (const p of [alice.page, bob.page]) p.on('dialog', (d) => ((dialogs += 1), d.dismiss()));
  const evil = '<!doctype html><script>alert(document.domain)</script><img src=x onerror="alert(2)">';
  await attachByButton(alice.page, [{ name: 'evil.html', mimeType: 'text/html', buffer: Buffer.from(evil) }]);
  await uploaded(alice.page, 'evil.html');
  await composer(alice.page).press('Enter');
  const card = downloadCard(fileBubble(bob.page, 'evil.html'), 'evil.html');
  await expect(card).toBeVisible();
  const href = (await card.getAttribute('href'))!;

  // Clicked: saved, not shown.
  const download = bob.page.waitForEvent('download');
  await card.click();
  expect((await download).suggestedFilename()).toBe('evil.html');
  // Opened directly in a tab of its own: still a download, in a sandbox.
  const tab = await bob.context.newPage();
  tab.on('dialog', (d) => ((dialogs += 1), d.dismiss()));
  await tab.goto(href).catch(() => undefined);
  await tab.waitForTimeout(500);
  const res = await bob.page.request.get(href);
  expect(res.headers()['content-type']).toBe('application/octet-stream');
  expect(res.headers()['content-disposition']).toMatch(/^attachment;/);
  expect(res.headers()['x-content-type-options']).toBe('nosniff');
  expect(res.headers()['content-security-policy']).toContain('sandbox');
  expect(dialogs).toBe(0);
  await closeAll(alice, bob);
});

test('the keyboard alone attaches, removes and sends files; dropping outside a conversation is harmless', async ({
  browser,
  baseURL,
}) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Keyboard files');
  const page = alice.page;
  const chooser = armChooser(page);
  await composer(page).focus();
  await page.keyboard.press('Shift+Tab');
  await expect(attachButton(page)).toBeFocused();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles([png('sunset.png', SUNSET_PNG), png('tall.png', TALL_PNG)]);
  await uploaded(page, 'sunset.png');
  await uploaded(page, 'tall.png');
  // Back through the tray: the last file's Remove comes before the paperclip.
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByRole('button', { name: 'Remove tall.png' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(trayItem(page, 'tall.png')).toHaveCount(0);
  await expect(composer(page)).toBeFocused();
  await page.keyboard.type('Chosen with the keyboard');
  await page.keyboard.press('Enter');
  await expectThumbnailLoaded(fileBubble(bob.page, 'Chosen with the keyboard').getByRole('img', { name: 'sunset.png' }));
  await expect(fileBubble(bob.page, 'Chosen with the keyboard').getByRole('img')).toHaveCount(1);

  // Files let go over the top bar: the page keeps them from the browser (no navigation).
  const dt = await dataTransfer(page, [png('stray.png', PASTED_PNG)]);
  const kept = await page.locator('header.topbar').evaluate((el, dt) => {
    const ev = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(ev);
    return ev.defaultPrevented;
  }, dt);
  expect(kept).toBe(true);
  await expect(tray(page)).toHaveCount(0);
  await closeAll(alice, bob);
});
