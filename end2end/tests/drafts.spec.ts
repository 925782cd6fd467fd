import { expect, test } from './fixtures';
import {
  bubble,
  composer,
  conversationHeading,
  createConversation,
  sendMessage,
  sideNav,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

test('a draft is kept per conversation across switching and reload, and sending clears it', async ({ page }) => {
  await signUp(page, uniqueName('drf'));
  await createConversation(page, 'Draft one');
  const first = page.url();
  await createConversation(page, 'Draft two');
  await waitConnected(page);

  await composer(page).fill('half a thought for two');
  await sideNav(page).getByRole('link', { name: /Draft one/ }).click();
  await expect(conversationHeading(page, 'Draft one')).toBeVisible();
  await expect(composer(page)).toHaveValue('');
  await composer(page).fill('something for one');

  await sideNav(page).getByRole('link', { name: /Draft two/ }).click();
  await expect(conversationHeading(page, 'Draft two')).toBeVisible();
  await expect(composer(page)).toHaveValue('half a thought for two');

  await page.reload();
  await waitHydrated(page);
  await expect(composer(page)).toHaveValue('half a thought for two');
  await waitConnected(page);
  await composer(page).press('Enter');
  await expect(bubble(page, 'half a thought for two')).toBeVisible();
  await expect(composer(page)).toHaveValue('');

  await page.goto(first);
  await waitHydrated(page);
  await expect(composer(page)).toHaveValue('something for one');
  await page.goBack();
  await waitHydrated(page);
  await expect(conversationHeading(page, 'Draft two')).toBeVisible();
  await expect(composer(page)).toHaveValue('', { timeout: 2_000 });
});

test('before the app has loaded, Send keeps the text and the page', async ({ page }) => {
  await signUp(page, uniqueName('pre'));
  await createConversation(page, 'Slow phone');
  const url = page.url();

  // Hold the WASM back so the server-rendered page stays as it is, as on a slow phone.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);
  await composer(page).fill('typed before hydration');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await composer(page).press('Enter');
  // Still the same document: nothing was submitted.
  await expect(page).toHaveURL(url);
  await expect(composer(page)).toHaveValue(/typed before hydration/);

  release();
  await waitHydrated(page);
  await expect(composer(page)).toHaveValue(/typed before hydration/);
  await waitConnected(page);
  await composer(page).fill('typed before hydration');
  await sendMessage(page, 'typed before hydration');
});
