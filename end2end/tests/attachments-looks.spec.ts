import { expect, test } from './fixtures';
import { closeAll, composer, expectNoViolations, roomOfTwo, screenshotPath } from './helpers';
import {
  PASTED_PNG,
  PDF,
  SUNSET_PNG,
  TALL_PNG,
  ZIP,
  attachByButton,
  dragFiles,
  expectThumbnailLoaded,
  fileBubble,
  noise,
  png,
  throttleUploads,
  trayItem,
  unthrottle,
  uploaded,
} from './files';

for (const scheme of ['light', 'dark'] as const) {
  for (const [label, size] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`pictures, download cards, the tray and the drop overlay look right (${label}, ${scheme})`, async ({
      browser,
      baseURL,
    }) => {
      test.setTimeout(120_000);
      const { alice, bob } = await roomOfTwo(browser, baseURL, `Trip photos ${label} ${scheme}`);
      for (const p of [alice.page, bob.page]) {
        await p.emulateMedia({ colorScheme: scheme });
        await p.setViewportSize(size);
      }
      const send = async (page: typeof alice.page, files: Parameters<typeof attachByButton>[1], text: string) => {
        await attachByButton(page, files);
        for (const f of files) await uploaded(page, f.name);
        await composer(page).fill(text);
        await composer(page).press('Enter');
      };
      await send(alice.page, [png('sunset.png', SUNSET_PNG)], 'Sunset from the pier last night');
      await send(
        bob.page,
        [png('sunset.png', SUNSET_PNG), png('hills.png', TALL_PNG), png('tiles.png', PASTED_PNG)],
        'Three from the hike',
      );
      await send(
        alice.page,
        [
          { name: 'Itinerary and bookings.pdf', mimeType: 'application/pdf', buffer: PDF },
          { name: 'receipts.zip', mimeType: 'application/zip', buffer: ZIP },
        ],
        '',
      );
      await send(bob.page, [{ name: 'budget.ods', mimeType: 'application/octet-stream', buffer: Buffer.from('x') }], 'Thanks! Here is the budget');
      for (const img of await fileBubble(bob.page, 'Three from the hike').getByRole('img').all()) {
        await expectThumbnailLoaded(img);
      }
      await expectThumbnailLoaded(fileBubble(bob.page, 'Sunset from the pier').getByRole('img'));
      await expect(fileBubble(bob.page, 'receipts.zip')).toBeVisible();
      // Checking the pictures scrolled Bob up; the newest message goes back to the bottom.
      await bob.page.locator('#messages').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect(fileBubble(bob.page, 'Here is the budget')).toBeInViewport({ ratio: 1 });
      await expectNoViolations(bob.page, `messages with files, ${label} ${scheme}`);
      await bob.page.screenshot({ path: screenshotPath(`attachments-${label}-${scheme}`) });

      // Alice's tray: one stored, one refused by the server, one on its way.
      await attachByButton(alice.page, [png('sunset.png', SUNSET_PNG)]);
      await uploaded(alice.page, 'sunset.png');
      await alice.page.route(
        '**/api/attachments?*',
        (route) =>
          route.fulfill({
            status: 400,
            contentType: 'application/json',
            body: JSON.stringify({ message: 'panorama.png is 90000 × 4000 pixels; images can be at most 16384 pixels on a side and 50 megapixels.' }),
          }),
        { times: 1 },
      );
      await attachByButton(alice.page, [png('panorama.png', TALL_PNG)]);
      await expect(trayItem(alice.page, 'panorama.png')).toHaveAttribute('data-state', 'failed');
      const cdp = await throttleUploads(alice.page, 200_000);
      await attachByButton(alice.page, [{ name: 'video-notes.bin', mimeType: 'application/octet-stream', buffer: noise(2_000_000) }]);
      const bar = alice.page.getByRole('progressbar', { name: 'Uploading video-notes.bin' });
      await expect.poll(() => bar.evaluate((p: HTMLProgressElement) => p.value), { timeout: 20_000 }).toBeGreaterThan(5);
      // The newest file is in view, even in a tray wider than a phone.
      await expect(trayItem(alice.page, 'video-notes.bin')).toBeInViewport();
      await composer(alice.page).fill('And the notes');
      // The tray took room from the list, which kept its newest message in view.
      await expect(fileBubble(alice.page, 'Here is the budget')).toBeInViewport({ ratio: 1 });
      await expectNoViolations(alice.page, `composer tray, ${label} ${scheme}`);
      await alice.page.screenshot({ path: screenshotPath(`attachments-tray-${label}-${scheme}`) });
      await alice.page.getByRole('button', { name: 'Remove video-notes.bin' }).click();
      await unthrottle(cdp);

      // Files dragged over the conversation.
      const drag = await dragFiles(alice.page, alice.page.locator('#messages'), [png('more.png', PASTED_PNG)]);
      await expect(alice.page.locator('.drop-overlay')).toBeVisible();
      await alice.page.screenshot({ path: screenshotPath(`attachments-drop-${label}-${scheme}`) });
      await drag.drop();
      await uploaded(alice.page, 'more.png');
      await closeAll(alice, bob);
    });
  }
}
