import { expect, test, type Page } from './fixtures';
import { grantAdmin, openUsers, userRow } from './admin-helpers';
import {
  LOOKS,
  bubble,
  closeAll,
  expectNoViolations,
  newPerson,
  openSettings,
  roomOfTwo,
  screenshotPath,
  sendMessage,
  settingsPanel,
} from './helpers';

/** Opens the delete form in `name`'s row and fills it; `erase` picks what happens to the messages. */
async function fillDeletion(page: Page, name: string, erase: boolean): Promise<void> {
  const row = userRow(page, name);
  await row.getByRole('button', { name: `Delete the account ${name}`, exact: true }).click();
  const form = row.getByRole('group', { name: `Delete the account ${name}` });
  await expect(form).toBeVisible();
  const keep = form.getByLabel('Keep their messages, shown as “Deleted user”');
  await expect(keep).toBeFocused();
  await expect(keep).toBeChecked();
  if (erase) await form.getByLabel('Erase their messages everywhere').check();
  const confirm = form.getByRole('button', { name: 'Delete account', exact: true });
  await expect(confirm).toBeDisabled();
  await form.getByLabel(`Type ${name} to confirm`).fill(name);
  await expect(confirm).toBeEnabled();
}

test('an admin deletes a chatting account and erases its messages; the other member sees them go live', async ({
  browser,
  baseURL,
}) => {
  const admin = await newPerson(browser, baseURL, 'dad');
  grantAdmin(admin.name);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Erased talk');
  await sendMessage(bob.page, 'please forget this one');
  await expect(bubble(alice.page, 'please forget this one')).toBeVisible();

  await openUsers(admin.page, bob.name);
  await fillDeletion(admin.page, bob.name, true);
  await userRow(admin.page, bob.name).getByRole('button', { name: 'Delete account', exact: true }).click();
  await expect(userRow(admin.page, bob.name).getByText('Account deleted.')).toBeVisible();

  // Bob's page lands on sign-in saying why; Alice's bubble turns into a deletion, live.
  await bob.page.waitForURL((url) => url.pathname === '/login', { timeout: 2_000 });
  await expect(bob.page.getByRole('status').filter({ hasText: 'deleted' })).toBeVisible();
  await expect(bubble(alice.page, 'please forget this one')).toHaveCount(0);
  await expect(bubble(alice.page, 'Message deleted')).toBeVisible();
  await expect(bubble(alice.page, 'Deleted user').first()).toBeVisible();
  await closeAll(admin, alice, bob);
});

test('a deleted account can keep its messages, shown as Deleted user at once', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'dak');
  grantAdmin(admin.name);
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Kept talk');
  await sendMessage(bob.page, 'worth keeping');
  await expect(bubble(alice.page, 'worth keeping')).toContainText(bob.name);

  await openUsers(admin.page, bob.name);
  await fillDeletion(admin.page, bob.name, false);
  await userRow(admin.page, bob.name).getByRole('button', { name: 'Delete account', exact: true }).click();
  await expect(userRow(admin.page, bob.name).getByText('Account deleted.')).toBeVisible();
  await expect(bubble(alice.page, 'worth keeping')).toContainText('Deleted user');
  await expect(bubble(alice.page, 'worth keeping')).not.toContainText(bob.name);
  await alice.page.reload();
  await expect(bubble(alice.page, 'worth keeping')).toContainText('Deleted user');
  await closeAll(admin, alice, bob);
});

test('the delete form and the retention setting look right and pass axe, light, dark and on a phone', async ({
  browser,
  baseURL,
}) => {
  const admin = await newPerson(browser, baseURL, 'dal');
  grantAdmin(admin.name);
  const target = await newPerson(browser, baseURL, 'dtg');
  for (const [scheme, width, height] of LOOKS) {
    await admin.page.setViewportSize({ width, height });
    await admin.page.emulateMedia({ colorScheme: scheme });
    await openUsers(admin.page, target.name);
    await fillDeletion(admin.page, target.name, true);
    await admin.page.screenshot({ path: screenshotPath(`admin-delete-${scheme}-${width}`), fullPage: true });
    await expectNoViolations(admin.page, `delete form ${scheme} ${width}`);
  }
  // Keyboard alone: Escape is not needed, Cancel closes the form and the row's actions return.
  await userRow(admin.page, target.name).getByRole('button', { name: 'Cancel', exact: true }).press('Enter');
  await expect(userRow(admin.page, target.name).getByRole('button', { name: `Delete the account ${target.name}` })).toBeVisible();

  // The owner's retention: within the instance's maximum, saved, said in words.
  await admin.page.setViewportSize({ width: 1440, height: 900 });
  await admin.page.emulateMedia({ colorScheme: 'light' });
  const { alice, bob } = await roomOfTwo(browser, baseURL, 'Short memory');
  await openSettings(alice.page);
  const days = settingsPanel(alice.page).getByLabel('Keep messages for (days)');
  await days.fill('0');
  await days.press('Enter');
  await expect(settingsPanel(alice.page).getByRole('alert')).toContainText('whole number of days');
  await days.fill('7');
  await days.press('Enter');
  await expect(settingsPanel(alice.page).getByRole('status').filter({ hasText: 'older than 7 days' })).toBeVisible();
  for (const [scheme, width, height] of LOOKS) {
    await alice.page.setViewportSize({ width, height });
    await alice.page.emulateMedia({ colorScheme: scheme });
    await days.scrollIntoViewIfNeeded();
    await alice.page.screenshot({ path: screenshotPath(`retention-${scheme}-${width}`) });
    await expectNoViolations(alice.page, `retention ${scheme} ${width}`);
  }
  await alice.page.reload();
  await openSettings(alice.page);
  await expect(settingsPanel(alice.page).getByLabel('Keep messages for (days)')).toHaveValue('7');
  await closeAll(admin, target, alice, bob);
});
