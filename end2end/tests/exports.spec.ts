import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import {
  closeAll,
  expectNoViolations,
  openSettings,
  roomOfTwo,
  screenshotPath,
  sendMessage,
  settingsPanel,
  waitHydrated,
} from './helpers';

test('the owner downloads the conversation and a member their own data', async ({ browser, baseURL }) => {
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Archived room');
  await sendMessage(alice.page, 'from alice');
  await sendMessage(bob.page, 'from bob');

  // The owner's settings offer the conversation's export: NDJSON, a header then every event.
  await openSettings(alice.page);
  const link = settingsPanel(alice.page).getByRole('link', { name: 'Download the conversation' });
  const [conversationFile] = await Promise.all([alice.page.waitForEvent('download'), link.click()]);
  expect(conversationFile.suggestedFilename()).toMatch(/^palaver-conversation-\d+\.ndjson$/);
  const lines = readFileSync((await conversationFile.path())!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: 'conversation', title: 'Archived room' });
  const bodies = lines.slice(1).map((l) => l.event.body);
  expect(bodies).toEqual(expect.arrayContaining(['from alice', 'from bob']));

  // A member's account page has their own data, and only theirs.
  await bob.page.goto('/account');
  await waitHydrated(bob.page);
  const own = bob.page.getByRole('link', { name: 'Download your data' });
  const [accountFile] = await Promise.all([bob.page.waitForEvent('download'), own.click()]);
  const data = JSON.parse(readFileSync((await accountFile.path())!, 'utf8'));
  expect(data.account.username).toBe(bob.name);
  expect(data.messages.map((m: { body: string }) => m.body)).toEqual(['from bob']);
  expect(data.memberships.map((m: { title: string }) => m.title)).toContain('Archived room');

  for (const [scheme, width, height] of [
    ['light', 1440, 900],
    ['dark', 390, 844],
  ] as const) {
    await bob.page.setViewportSize({ width, height });
    await bob.page.emulateMedia({ colorScheme: scheme });
    await bob.page.goto('/account');
    await expect(own).toBeVisible();
    await own.scrollIntoViewIfNeeded();
    await bob.page.screenshot({ path: screenshotPath(`account-data-${scheme}-${width}`) });
    await expectNoViolations(bob.page, `/account ${scheme} ${width}`);
  }
  // Keyboard alone: the download link takes focus and Enter starts it.
  await own.focus();
  const [byKeyboard] = await Promise.all([bob.page.waitForEvent('download'), bob.page.keyboard.press('Enter')]);
  expect(byKeyboard.suggestedFilename()).toBe(`palaver-account-${bob.name}.json`);
  await closeAll(alice, bob);
});
