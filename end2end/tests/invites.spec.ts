import { expect, test, type Page } from './fixtures';
import {
  conversationHeading,
  createConversation,
  joinWith,
  newPerson,
  openSettings,
  screenshotPath,
  settingsPanel,
  waitConnected,
} from './helpers';

const invalidHeading = (page: Page) => page.getByRole('heading', { name: 'This invite link is invalid' });

/** Creates a link in the settings with the given limits and returns it. */
async function createLink(page: Page, expiry: string, uses: string): Promise<string> {
  const panel = settingsPanel(page);
  await panel.getByLabel('Expires after').selectOption({ label: expiry });
  await panel.getByLabel('Max uses').selectOption({ label: uses });
  const field = panel.getByLabel('New invite link', { exact: true });
  // The field still shows the previous link until the new one is there.
  const before = (await field.count()) > 0 ? await field.inputValue() : '';
  await panel.getByRole('button', { name: 'Create link', exact: true }).click();
  await expect(field).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(field).not.toHaveValue(before);
  return field.inputValue();
}

const inviteRows = (page: Page) =>
  settingsPanel(page).getByRole('table', { name: 'Invite links of this conversation' }).locator('tbody tr');

/** Closes and reopens the settings: the invite list is loaded when they open. */
async function reopenSettings(page: Page) {
  await settingsPanel(page).getByRole('button', { name: 'Back to messages', exact: true }).click();
  await openSettings(page);
}

test('a one-use link lets one person in and then is used up', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const owner = await newPerson(browser, baseURL, 'own');
  const title = `One seat ${Date.now() % 1e6}`;
  await createConversation(owner.page, title);
  const path = new URL(owner.page.url()).pathname;
  await waitConnected(owner.page);
  await openSettings(owner.page);
  const link = await createLink(owner.page, '1 day', '1');
  await expect(settingsPanel(owner.page)).toContainText('one use');

  // Listed, newest first: by the owner, active, none of its one use taken.
  const row = inviteRows(owner.page).first();
  await expect(row).toContainText(owner.name);
  await expect(row).toContainText('0 / 1');
  await expect(row).toContainText('Active');
  await owner.page.screenshot({ path: screenshotPath('settings-invites'), fullPage: true });

  const first = await newPerson(browser, baseURL, 'fst');
  await joinWith(first.page, link, path, title);

  const second = await newPerson(browser, baseURL, 'snd');
  await second.page.goto(link);
  await expect(invalidHeading(second.page)).toBeVisible();
  await expect(second.page.getByText('has expired, has been used up or was revoked')).toBeVisible();
  await expect(conversationHeading(second.page, title)).toHaveCount(0);

  await reopenSettings(owner.page);
  await expect(inviteRows(owner.page).first()).toContainText('1 / 1');
  await expect(inviteRows(owner.page).first()).toContainText('Used up');
  await expect(inviteRows(owner.page).first().getByRole('button', { name: /^Revoke/ })).toHaveCount(0);

  for (const p of [owner, first, second]) await p.context.close();
});

test('a revoked link stops working at once', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const owner = await newPerson(browser, baseURL, 'own');
  const title = `Closed door ${Date.now() % 1e6}`;
  await createConversation(owner.page, title);
  const path = new URL(owner.page.url()).pathname;
  await waitConnected(owner.page);
  await openSettings(owner.page);
  const revoked = await createLink(owner.page, 'Never', 'Unlimited');
  const kept = await createLink(owner.page, '1 hour', '5');

  // Two links, newest first: the 1-hour one, then the one that never expires.
  await expect(inviteRows(owner.page)).toHaveCount(2);
  await expect(inviteRows(owner.page).nth(0)).toContainText('0 / 5');
  await expect(inviteRows(owner.page).nth(1)).toContainText('Never');
  await expect(inviteRows(owner.page).nth(1)).toContainText('0 / unlimited');
  await inviteRows(owner.page).nth(1).getByRole('button', { name: /^Revoke invite/ }).click();
  await expect(inviteRows(owner.page).nth(1)).toContainText('Revoked');
  await expect(inviteRows(owner.page).nth(0)).toContainText('Active');

  const guest = await newPerson(browser, baseURL, 'gst');
  await guest.page.goto(revoked);
  await expect(invalidHeading(guest.page)).toBeVisible();
  // The other link still works.
  await joinWith(guest.page, kept, path, title);
  await reopenSettings(owner.page);
  await expect(inviteRows(owner.page).nth(0)).toContainText('1 / 5');

  await owner.context.close();
  await guest.context.close();
});
