import { expect, test, type Page } from './fixtures';
import {
  bubble,
  closeAll,
  composer,
  expectNoViolations,
  messageList,
  roomOfTwo,
  screenshotPath,
  sendMany,
  sendMessage,
} from './helpers';

/** Shows a bubble's hover actions and clicks one (they are in the Tab order either way). */
async function bubbleAction(page: Page, text: string, action: 'Reply' | 'React') {
  const b = bubble(page, text).last();
  await b.hover();
  await b.getByRole('button', { name: new RegExp(`^${action} to message`) }).click();
}

const reactionButton = (page: Page, text: string, emoji: string) =>
  bubble(page, text).getByRole('group', { name: 'Reactions' }).getByRole('button', { name: new RegExp(`^${emoji}`) });

test('a reply quotes its original for both people and the quote takes you back to it', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Replies');
  await composer(alice.page).fill('Lunch at **noon** tomorrow?');
  await composer(alice.page).press('Enter');
  await expect(bubble(alice.page, 'Lunch at noon tomorrow?')).toBeVisible();
  // Enough messages after it that the original scrolls out of view.
  await sendMany(alice.page, Array.from({ length: 25 }, (_, i) => `filler ${i}`));
  await expect(bubble(bob.page, 'filler 24')).toBeVisible();

  await bubbleAction(bob.page, 'Lunch at', 'Reply');
  const bar = bob.page.locator('.composer .replying');
  await expect(bar).toContainText('Replying to');
  await expect(bar).toContainText('Lunch at noon tomorrow?');
  await expect(composer(bob.page)).toBeFocused();
  await composer(bob.page).fill('Yes, count me in');
  await composer(bob.page).press('Enter');
  await expect(bar).toHaveCount(0);

  for (const page of [alice.page, bob.page]) {
    const reply = bubble(page, 'Yes, count me in');
    const quote = reply.getByRole('button', { name: /^Reply to .*Lunch at noon tomorrow\?/ });
    await expect(quote).toBeVisible();
  }
  // The quote takes Alice to the original, focused and in view.
  await bubble(alice.page, 'Yes, count me in').getByRole('button', { name: /Show the original message/ }).click();
  const original = bubble(alice.page, 'Lunch at noon tomorrow?').first();
  await expect(original).toBeFocused();
  await expect(original).toBeInViewport();

  // Escape gives up a reply without losing the text.
  await bubbleAction(bob.page, 'filler 3', 'Reply');
  await composer(bob.page).fill('never mind');
  await composer(bob.page).press('Escape');
  await expect(bob.page.locator('.composer .replying')).toHaveCount(0);
  await expect(composer(bob.page)).toHaveValue('never mind');

  // The original deleted: the quote says so for everyone.
  const lunch = bubble(alice.page, 'Lunch at noon tomorrow?').first();
  await lunch.hover();
  await lunch.getByRole('button', { name: /^Delete message/ }).click();
  await lunch.getByRole('button', { name: 'Delete', exact: true }).click();
  for (const page of [alice.page, bob.page]) {
    await expect(bubble(page, 'Yes, count me in').locator('.quote')).toContainText('Message deleted');
  }
  await closeAll(alice, bob);
});

test('reactions are live for both people, toggle, survive a reload and are reachable by keyboard', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Reactions');
  await sendMessage(alice.page, 'Ship it on Friday');

  // Bob reacts through the picker, searching by name.
  await bubbleAction(bob.page, 'Ship it', 'React');
  const picker = bob.page.getByRole('dialog', { name: 'Choose a reaction' });
  await expect(picker.getByRole('searchbox', { name: 'Search emoji' })).toBeFocused();
  await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('party popper');
  await picker.getByRole('searchbox', { name: 'Search emoji' }).press('Enter');
  await expect(picker).toHaveCount(0);
  await expect(bubble(bob.page, 'Ship it').getByRole('button', { name: /^React to message/ })).toBeFocused();

  const aliceTada = reactionButton(alice.page, 'Ship it', '🎉');
  await expect(aliceTada).toHaveAccessibleName(new RegExp(`🎉 party popper: 1, ${bob.name}`));
  await expect(aliceTada).toHaveAttribute('aria-pressed', 'false');
  // Alice adds hers by clicking the counter; Bob sees 2 and his own pressed.
  await aliceTada.click();
  const bobTada = reactionButton(bob.page, 'Ship it', '🎉');
  await expect(bobTada).toHaveAccessibleName(new RegExp(`: 2, (you and ${alice.name}|${alice.name} and you)`));
  await expect(bobTada).toHaveAttribute('aria-pressed', 'true');
  await expect(aliceTada).toHaveAttribute('aria-pressed', 'true');

  // Keyboard only: Alice opens the picker with "+", arrows into the grid, picks with Enter.
  await bubble(alice.page, 'Ship it').getByRole('button', { name: 'Add a reaction' }).focus();
  await alice.page.keyboard.press('Enter');
  const alicePicker = alice.page.getByRole('dialog', { name: 'Choose a reaction' });
  await expect(alicePicker).toBeVisible();
  await alice.page.keyboard.press('ArrowDown');
  await alice.page.keyboard.press('ArrowRight');
  const chosen = await alice.page.evaluate(() => document.activeElement?.textContent ?? '');
  await alice.page.keyboard.press('Enter');
  await expect(alicePicker).toHaveCount(0);
  await expect(reactionButton(bob.page, 'Ship it', chosen)).toBeVisible();

  // Escape closes the picker and focus goes back to where it was opened.
  await bubble(alice.page, 'Ship it').getByRole('button', { name: 'Add a reaction' }).focus();
  await alice.page.keyboard.press('Enter');
  await expect(alicePicker).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(alicePicker).toHaveCount(0);
  await expect(bubble(alice.page, 'Ship it').getByRole('button', { name: 'Add a reaction' })).toBeFocused();

  // Taking one back toggles it off for both; a reload restores what is stored.
  await bobTada.click();
  await expect(aliceTada).toHaveAccessibleName(new RegExp(`: 1, you`));
  await bob.page.reload();
  await expect(reactionButton(bob.page, 'Ship it', '🎉')).toHaveAttribute('aria-pressed', 'false');
  await expect(reactionButton(bob.page, 'Ship it', chosen)).toBeVisible();
  await closeAll(alice, bob);
});

for (const scheme of ['light', 'dark'] as const) {
  for (const [label, size] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`replies, reactions and the picker look right (${label}, ${scheme})`, async ({ browser, baseURL }) => {
      const { alice, bob } = await roomOfTwo(browser, baseURL, `Looks ${label} ${scheme}`);
      for (const p of [alice.page, bob.page]) {
        await p.emulateMedia({ colorScheme: scheme });
        await p.setViewportSize(size);
      }
      await sendMessage(alice.page, 'Who is bringing the cake on Friday? 🎂');
      await bubbleAction(bob.page, 'bringing the cake', 'Reply');
      await composer(bob.page).fill('I will, chocolate as usual');
      await composer(bob.page).press('Enter');
      await expect(bubble(alice.page, 'chocolate as usual')).toBeVisible();
      await bubbleAction(alice.page, 'chocolate as usual', 'React');
      await alice.page.getByRole('searchbox', { name: 'Search emoji' }).fill('red heart');
      await alice.page.getByRole('searchbox', { name: 'Search emoji' }).press('Enter');
      await expect(reactionButton(bob.page, 'chocolate as usual', '❤')).toBeVisible();
      await bubbleAction(bob.page, 'bringing the cake', 'Reply');
      await expect(messageList(alice.page).locator('.reaction:not(.add)')).toHaveCount(1);
      await expectNoViolations(bob.page, `replying, ${label} ${scheme}`);
      await bob.page.screenshot({ path: screenshotPath(`reactions-${label}-${scheme}`) });
      await bubbleAction(alice.page, 'bringing the cake', 'React');
      await expect(alice.page.getByRole('dialog', { name: 'Choose a reaction' })).toBeVisible();
      await expectNoViolations(alice.page, `emoji picker, ${label} ${scheme}`);
      await alice.page.screenshot({ path: screenshotPath(`picker-${label}-${scheme}`) });
      await closeAll(alice, bob);
    });
  }
}
