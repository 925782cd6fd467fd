import zlib from 'node:zlib';
import { expect, test, type Locator, type Page } from './fixtures';
import {
  alertWith,
  bubble,
  closeAll,
  composer,
  expectNoViolations,
  membersPanel,
  roomOfTwo,
  screenshotPath,
  sendMessage,
  signUp,
  uniqueName,
  waitHydrated,
} from './helpers';
import { armChooser } from './files';

// ----- a small PNG, made here -----

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A 400 x 300 RGB PNG: a teal field with a yellow disc in the middle, wider than tall, so the
 * server's centred square (300 px, scaled to 256) keeps the disc whole.
 */
function picture(): Buffer {
  const [width, height] = [400, 300];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // no filter
    for (let x = 0; x < width; x++) {
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < 100 ** 2;
      const [r, g, b] = inDisc ? [250, 204, 21] : [15, 118, 110];
      raw.set([r, g, b], row + 1 + x * 3);
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ----- the account page -----

const profileSection = (page: Page) => page.getByRole('region', { name: 'Profile', exact: true });
const displayName = (page: Page) => page.getByLabel('Display name', { exact: true });
const timeZone = (page: Page) => page.getByLabel('Time zone', { exact: true });
const saveButton = (page: Page) => profileSection(page).getByRole('button', { name: 'Save', exact: true });
const uploadButton = (page: Page) => page.getByRole('button', { name: 'Upload picture', exact: true });
const removeButton = (page: Page) => page.getByRole('button', { name: 'Remove picture', exact: true });
const profileStatus = (page: Page, text: string) => profileSection(page).getByRole('status').filter({ hasText: text });

/** Opens the account page from the top bar, as a person would (the socket stays up). */
async function openAccount(page: Page) {
  await page.getByRole('link', { name: /, your account$/ }).click();
  await page.waitForURL((url) => url.pathname === '/account');
  await expect(displayName(page)).toBeVisible();
  await waitHydrated(page);
}

/** Uploads `file` through "Upload picture" and the file dialog it opens. */
async function uploadPicture(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await uploadButton(page).click();
  await (await chooser).setFiles(file);
}

/** "14:03", the time now in `zone` as the page writes it. */
const clockIn = (zone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date());

/** The avatar's box is its size whatever it holds. */
async function expectSquare(face: Locator, side: number) {
  const box = await face.boundingBox();
  expect(box && [Math.round(box.width), Math.round(box.height)]).toEqual([side, side]);
}

/** The picture in an avatar has loaded: the server's 256 px square. */
async function expectPictureLoaded(face: Locator) {
  const img = face.locator('img');
  await expect(img).toHaveAttribute('src', /^\/avatars\/[A-Za-z0-9_-]+$/);
  await expect(img).toHaveAttribute('alt', '');
  await expect
    .poll(() => img.evaluate((i: HTMLImageElement) => (i.complete ? [i.naturalWidth, i.naturalHeight] : [])))
    .toEqual([256, 256]);
}

/** The initials an avatar draws (from an attribute: they are not text). */
const expectInitials = (face: Locator, initials: string) =>
  expect(face.locator('.initials')).toHaveAttribute('data-initials', initials);

test('a display name, time zone and picture reach the other person live; removing the picture goes back to initials', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Portraits');
  for (const p of [alice.page, bob.page]) await p.setViewportSize({ width: 1440, height: 900 });
  await sendMessage(alice.page, 'Hello from Alice');
  await sendMessage(bob.page, 'Hello from Bob');

  // Before: Bob sees her username and her initial on her colour; his own group has no avatar.
  const hers = bubble(bob.page, 'Hello from Alice');
  await expect(hers.locator('.meta .author')).toHaveText(alice.name);
  await expectInitials(hers.locator('.face'), alice.name[0].toUpperCase());
  await expect(hers.locator('.face')).toHaveClass(/face-c\d+/);
  await expectSquare(hers.locator('.face'), 40);
  await expect(bubble(bob.page, 'Hello from Bob').locator('.face')).toHaveCount(0);
  const aliceRow = membersPanel(bob.page).getByRole('listitem').filter({ hasText: alice.name });
  await expect(aliceRow.getByRole('tooltip')).toHaveCount(0);

  // Alice sets a display name and a time zone on her account page.
  await openAccount(alice.page);
  await displayName(alice.page).fill('  Alice Liddell ');
  await timeZone(alice.page).selectOption('Europe/Paris');
  await saveButton(alice.page).click();
  await expect(profileStatus(alice.page, 'Profile saved.')).toBeVisible();
  await expect(displayName(alice.page)).toHaveValue('Alice Liddell');

  // Bob, without reloading: her name beside the username, in the messages and the members.
  await expect(hers.locator('.meta .author')).toHaveText(`Alice Liddell @${alice.name}`);
  await expectInitials(hers.locator('.face'), 'AL');
  // Her name over her username and role; the time zone makes it a button.
  const who = aliceRow.getByRole('button', { name: `Alice Liddell @${alice.name} owner`, exact: true });
  await expect(who).toBeVisible();

  // Her local time on hover, and on keyboard focus, named by the zone.
  await who.hover();
  const tooltip = aliceRow.getByRole('tooltip');
  await expect(tooltip).toBeVisible();
  const before = clockIn('Europe/Paris');
  const shown = await tooltip.textContent();
  expect([before, clockIn('Europe/Paris')].map((c) => `Local time ${c} (Europe/Paris)`)).toContain(shown);
  await expect(who).toHaveAccessibleDescription(/^Local time \d\d:\d\d \(Europe\/Paris\)$/);
  await bob.page.mouse.move(5, 5);
  await expect(tooltip).toBeHidden();
  await who.focus();
  await expect(tooltip).toBeVisible();
  await bob.page.keyboard.press('Escape');
  await expect(tooltip).toBeHidden();
  await expect(membersPanel(bob.page)).toBeVisible();

  // Her picture: shown on her page at once, and live in Bob's messages and member list.
  await uploadPicture(alice.page, { name: 'me.png', mimeType: 'image/png', buffer: picture() });
  await expect(profileStatus(alice.page, 'Picture updated.')).toBeVisible();
  await expect(profileSection(alice.page).locator('.face img')).toHaveAttribute('alt', 'Your picture');
  await expect(alice.page.locator('.topbar .face img')).toHaveAttribute('src', /^\/avatars\//);
  await expectPictureLoaded(hers.locator('.face'));
  await expectSquare(hers.locator('.face'), 40);
  await expectPictureLoaded(aliceRow.locator('.face'));
  await expectSquare(aliceRow.locator('.face'), 32);

  // Mention suggestions find her by her display name and show who she is.
  await composer(bob.page).fill('@lidd');
  const option = bob.page.getByRole('listbox', { name: 'Mention a member' }).getByRole('option');
  await expect(option).toHaveText(`Alice Liddell@${alice.name}`);
  await expect(option.locator('.face img')).toHaveAttribute('src', /^\/avatars\//);
  await bob.page.screenshot({ path: screenshotPath('profiles-mention-desktop') });
  await composer(bob.page).press('Escape');
  await composer(bob.page).fill('');

  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await who.hover();
    await expect(tooltip).toBeVisible();
    await expectNoViolations(bob.page, `a conversation with profiles (${scheme}, desktop)`);
    await bob.page.screenshot({ path: screenshotPath(`profiles-conversation-desktop-${scheme}`) });
    await alice.page.emulateMedia({ colorScheme: scheme });
    await expectNoViolations(alice.page, `the account page's profile (${scheme}, desktop)`);
    await alice.page.screenshot({ path: screenshotPath(`profiles-account-desktop-${scheme}`), fullPage: true });
  }

  // On a phone: the member sheet, the bubbles and the account page fit 390 px.
  await bob.page.setViewportSize({ width: 390, height: 844 });
  await alice.page.setViewportSize({ width: 390, height: 844 });
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await alice.page.emulateMedia({ colorScheme: scheme });
    await expectSquare(hers.locator('.face'), 32);
    await expectNoViolations(bob.page, `a conversation with profiles (${scheme}, phone)`);
    await bob.page.screenshot({ path: screenshotPath(`profiles-conversation-phone-${scheme}`) });
    await bob.page.getByRole('button', { name: 'Members', exact: true }).click();
    await expect(membersPanel(bob.page)).toBeVisible();
    await who.click();
    await expect(tooltip).toBeVisible();
    await expectNoViolations(bob.page, `the member sheet with a local time (${scheme}, phone)`);
    await bob.page.screenshot({ path: screenshotPath(`profiles-members-phone-${scheme}`) });
    await bob.page.getByRole('button', { name: 'Close', exact: true }).click();
    await expectNoViolations(alice.page, `the account page's profile (${scheme}, phone)`);
    await alice.page.screenshot({ path: screenshotPath(`profiles-account-phone-${scheme}`), fullPage: true });
    for (const page of [alice.page, bob.page]) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    }
  }
  for (const p of [alice.page, bob.page]) {
    await p.emulateMedia({ colorScheme: null });
    await p.setViewportSize({ width: 1440, height: 900 });
  }

  // Removing the picture: her initials again, everywhere, and the keyboard stays on the form.
  await removeButton(alice.page).click();
  await expect(profileStatus(alice.page, 'Picture removed.')).toBeVisible();
  await expect(removeButton(alice.page)).toHaveCount(0);
  await expect(uploadButton(alice.page)).toBeFocused();
  await expect(hers.locator('.face img')).toHaveCount(0);
  await expectInitials(hers.locator('.face'), 'AL');
  await expectInitials(aliceRow.locator('.face'), 'AL');
  await expectInitials(alice.page.locator('.topbar .face'), 'AL');

  // A reload draws the same from the server.
  await bob.page.reload();
  await waitHydrated(bob.page);
  await expect(bubble(bob.page, 'Hello from Alice').locator('.meta .author')).toHaveText(`Alice Liddell @${alice.name}`);
  await closeAll(alice, bob);
});

test("the server's reasons are shown: a name with nothing visible, a file that is not a picture", async ({ page }) => {
  await signUp(page, uniqueName('bad'));
  await openAccount(page);
  await displayName(page).fill('\u200B');
  await saveButton(page).click();
  await expect(alertWith(page, 'A display name must contain at least one visible character.')).toBeVisible();
  await expect(profileStatus(page, 'Profile saved.')).toHaveCount(0);

  await uploadPicture(page, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Not a picture at all.\n') });
  await expect(alertWith(page, 'An avatar must be a PNG, JPEG, GIF or WebP picture.')).toBeVisible();
  await expect(profileSection(page).locator('.face img')).toHaveCount(0);
  await expect(removeButton(page)).toHaveCount(0);
  await expectNoViolations(page, 'the profile with errors');
});

test("the profile works from the keyboard alone: name, the device's time zone, picture", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  const name = uniqueName('key');
  await signUp(page, name);
  await page.goto('/account');
  await waitHydrated(page);

  // From the picture's button on: the name, the zone, the device's zone, Save.
  await uploadButton(page).focus();
  await page.keyboard.press('Tab');
  await expect(displayName(page)).toBeFocused();
  await page.keyboard.type('Kay Board');
  await page.keyboard.press('Tab');
  await expect(timeZone(page)).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(timeZone(page)).not.toHaveValue('');
  await page.keyboard.press('Tab');
  const device = page.getByRole('button', { name: "Use this device's time zone (Asia/Tokyo)", exact: true });
  await expect(device).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(timeZone(page)).toHaveValue('Asia/Tokyo');
  await page.keyboard.press('Tab');
  await expect(saveButton(page)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(profileStatus(page, 'Profile saved.')).toBeVisible();

  // The picture from the keyboard: Enter opens the file dialog; Remove is next in the order
  // and gives the keyboard back to Upload. Listening before the focus step: see armChooser.
  const chooser = armChooser(page);
  await uploadButton(page).focus();
  await expect(uploadButton(page)).toBeFocused();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture() });
  await expect(profileStatus(page, 'Picture updated.')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(removeButton(page)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(profileStatus(page, 'Picture removed.')).toBeVisible();
  await expect(uploadButton(page)).toBeFocused();

  // Kept by the server.
  await page.reload();
  await waitHydrated(page);
  await expect(displayName(page)).toHaveValue('Kay Board');
  await expect(timeZone(page)).toHaveValue('Asia/Tokyo');
  await expectInitials(page.locator('.topbar .face'), 'KB');
  await context.close();
});
