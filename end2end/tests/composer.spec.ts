import { expect, test } from './fixtures';
import { alertWith, composer, createConversation, signUp, timelineItems, uniqueName, waitConnected } from './helpers';

test.beforeEach(async ({ page }) => {
  await signUp(page, uniqueName('cmp'));
  await createConversation(page, 'Composer check');
  await waitConnected(page);
});

test('Shift+Enter starts a new line and Enter sends', async ({ page }) => {
  const box = composer(page);
  const messages = timelineItems(page);

  await box.fill('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await expect(box).toHaveValue('first line\nsecond line');
  await expect(messages).toHaveCount(0);

  await box.press('Enter');
  await expect(messages.filter({ hasText: 'second line' })).toBeVisible();
  await expect(box).toHaveValue('');
  // One message holding both lines: Shift+Enter did not send the first line on its own.
  await expect(messages).toHaveCount(1);
  await expect(messages.first()).toContainText('first line');
});

test('a message over 4000 characters is refused and kept in the composer', async ({ page }) => {
  const box = composer(page);
  const messages = timelineItems(page);
  const tooLong = 'x'.repeat(4001);

  await box.fill(tooLong);
  await box.press('Enter');
  await expect(alertWith(page, /at most 4000 characters/)).toBeVisible();
  await expect(box).toHaveValue(tooLong);
  await expect(messages).toHaveCount(0);

  // Exactly at the limit goes through.
  await box.press('Control+End');
  await box.press('Backspace');
  await expect(box).toHaveValue('x'.repeat(4000));
  await box.press('Enter');
  await expect(messages).toHaveCount(1);
  await expect(box).toHaveValue('');
});
