import { expect, test, type Page } from './fixtures';
import {
  bubble,
  closeAll,
  composer,
  expectNoViolations,
  roomOfTwo,
  screenshotPath,
  sendMessage,
} from './helpers';

const emojiList = (page: Page) => page.getByRole('listbox', { name: 'Emoji' });

/** Types `text` key by key, as a person does (the composer reacts to each input). */
async function typeKeys(page: Page, text: string) {
  await composer(page).pressSequentially(text);
}

test(':shortcodes become emoji as you type, by suggestion or by the closing colon, and reach the other person', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Shortcodes');
  const page = alice.page;
  await composer(page).click();

  // A colon and two letters list the matching emoji; the textarea points at the first.
  await typeKeys(page, 'Ship it :tad');
  await expect(emojiList(page)).toBeVisible();
  await expect(emojiList(page).getByRole('option').first()).toContainText(':tada:');
  await expect(composer(page)).toHaveAttribute('aria-controls', 'emoji-options');
  await expect(composer(page)).toHaveAttribute('aria-activedescendant', 'emoji-option-0');
  // Enter picks it (and does not send): the partial shortcode becomes the emoji and a space.
  await page.keyboard.press('Enter');
  await expect(emojiList(page)).toHaveCount(0);
  await expect(composer(page)).toHaveValue('Ship it 🎉 ');

  // The closing colon of a known shortcode converts it at once, caret after the emoji.
  await typeKeys(page, 'now :rocket: go');
  await expect(composer(page)).toHaveValue('Ship it 🎉 now 🚀 go');

  // Not a shortcode: a time, a URL, an unknown name, inline code.
  await typeKeys(page, ' at 10:30: http://x :nosuchemoji: `:tada:`');
  await expect(composer(page)).toHaveValue('Ship it 🎉 now 🚀 go at 10:30: http://x :nosuchemoji: `:tada:`');
  await expect(emojiList(page)).toHaveCount(0);

  // Escape closes the list and keeps what was typed.
  await typeKeys(page, ' :smi');
  await expect(emojiList(page)).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(emojiList(page)).toHaveCount(0);
  await expect(composer(page)).toHaveValue(/:smi$/);
  await page.keyboard.press('Enter');

  await expect(bubble(bob.page, 'Ship it 🎉 now 🚀 go')).toBeVisible();
  await expect(bubble(bob.page, 'Ship it').locator('code')).toHaveText(':tada:');

  // The mouse picks too (the textarea keeps focus).
  await typeKeys(page, 'thanks :+1');
  await emojiList(page).getByRole('option').first().click();
  await expect(composer(page)).toBeFocused();
  await expect(composer(page)).toHaveValue('thanks 👍 ');
  await closeAll(alice, bob);
});

test('the skin tone chosen in the picker is kept and used for reactions and shortcodes', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Skin tones');
  await sendMessage(alice.page, 'Good morning');
  const page = bob.page;
  const b = bubble(page, 'Good morning');
  await b.hover();
  await b.getByRole('button', { name: /^React to message/ }).click();
  const picker = page.getByRole('dialog', { name: 'Choose a reaction' });

  // Keyboard only: Tab from the search field to the hand, Enter opens the tones.
  await page.keyboard.press('Tab');
  const hand = picker.getByRole('button', { name: 'Skin tone: Default skin tone' });
  await expect(hand).toBeFocused();
  await expect(hand).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('Enter');
  await expect(hand).toHaveAttribute('aria-expanded', 'true');
  const tones = picker.getByRole('group', { name: 'Skin tone' });
  await expect(tones.getByRole('button')).toHaveCount(6);
  await expect(tones.getByRole('button', { name: 'Default skin tone' })).toHaveAttribute('aria-pressed', 'true');
  await expectNoViolations(page, 'skin tones open');
  await page.screenshot({ path: screenshotPath('skin-tones') });
  // Escape closes the tones, not the picker; focus goes back to the hand.
  await page.keyboard.press('Escape');
  await expect(tones).toHaveCount(0);
  await expect(picker).toBeVisible();
  await expect(hand).toBeFocused();

  await hand.click();
  await tones.getByRole('button', { name: 'Medium-dark skin tone' }).click();
  await expect(picker.getByRole('button', { name: 'Skin tone: Medium-dark skin tone' })).toBeFocused();
  // The grid and the search draw people in that tone; faces stay as they are.
  await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('thumbs up');
  await expect(picker.locator('.cell').first()).toHaveText('👍🏾');
  await picker.getByRole('searchbox', { name: 'Search emoji' }).press('Enter');
  await expect(bubble(alice.page, 'Good morning').getByRole('button', { name: /^👍🏾/ })).toBeVisible();

  // Kept across a reload, and the composer's shortcodes use it too.
  await page.reload();
  await composer(page).click();
  await typeKeys(page, ':wave:');
  await expect(composer(page)).toHaveValue('👋🏾');
  await typeKeys(page, ' :smile:');
  await expect(composer(page)).toHaveValue('👋🏾 😄');
  await closeAll(alice, bob);
});

for (const scheme of ['light', 'dark'] as const) {
  for (const [label, size] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`the emoji suggestions look right (${label}, ${scheme})`, async ({ browser, baseURL }) => {
      const { alice, bob } = await roomOfTwo(browser, baseURL, `Emoji ${label} ${scheme}`);
      await alice.page.emulateMedia({ colorScheme: scheme });
      await alice.page.setViewportSize(size);
      await composer(alice.page).click();
      await typeKeys(alice.page, 'Well done :hea');
      await expect(emojiList(alice.page)).toBeVisible();
      await expect(emojiList(alice.page).getByRole('option')).toHaveCount(8);
      await highlightNext(alice.page);
      await expect(alice.page.getByRole('status').filter({ hasText: 'emoji match' })).toHaveText(/8 emoji match/);
      await expectNoViolations(alice.page, `emoji suggestions, ${label} ${scheme}`);
      await alice.page.screenshot({ path: screenshotPath(`emoji-suggestions-${label}-${scheme}`) });
      await closeAll(alice, bob);
    });
  }
}

/** Moves the highlight down one option, checking the textarea follows it. */
async function highlightNext(page: Page) {
  await page.keyboard.press('ArrowDown');
  await expect(composer(page)).toHaveAttribute('aria-activedescendant', 'emoji-option-1');
}
