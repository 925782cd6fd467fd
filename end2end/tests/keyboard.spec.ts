import { expect, test } from './fixtures';
import {
  bubble,
  composer,
  createConversation,
  openSettings,
  sendMessage,
  settingsPanel,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

test.beforeEach(async ({ page }) => {
  await signUp(page, uniqueName('kbd'));
  await createConversation(page, 'Keyboard only');
  await waitConnected(page);
});

test('a skip link leads to the messages, which the keyboard can scroll', async ({ page }) => {
  // A page as loaded (opening it from the side nav puts focus in the composer instead).
  await page.reload();
  await waitHydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to messages', exact: true });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'Message history', exact: true })).toBeFocused();
});

test('Escape closes the invite popover and the settings panel', async ({ page }) => {
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const field = page.getByLabel('Invite link', { exact: true });
  await expect(field).toBeVisible();
  await field.focus();
  await page.keyboard.press('Escape');
  await expect(field).toBeHidden();

  await openSettings(page);
  await page.keyboard.press('Escape');
  await expect(settingsPanel(page)).toBeHidden();
});

test('Up in the empty composer edits my last message; message actions are reachable by keyboard', async ({ page }) => {
  await sendMessage(page, 'first draft of it');
  await sendMessage(page, 'helo wrld');
  await composer(page).focus();
  await page.keyboard.press('ArrowUp');
  const editor = page.getByLabel('Edit your message', { exact: true });
  await expect(editor).toBeFocused();
  await expect(editor).toHaveValue('helo wrld');
  await editor.fill('hello world');
  await editor.press('Enter');
  await expect(bubble(page, 'hello world')).toContainText('(edited)');
  await expect(composer(page)).toBeFocused();

  // Each message's buttons are in the Tab order, say which message they act on, and show
  // when focused (not only on hover).
  const del = page.getByRole('button', { name: 'Delete message: first draft of it', exact: true });
  await del.focus();
  await expect(del).toBeFocused();
  await expect(del).toBeVisible();
  const box = await del.boundingBox();
  expect(box!.width).toBeGreaterThan(10);
});
