import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { grantAdmin, openUsers, userRow } from './admin-helpers';
import {
  LOOKS,
  PASSWORD,
  createConversation,
  expectNoViolations,
  newPerson,
  roomOfTwo,
  screenshotPath,
  sideNav,
  sendMessage,
  submitSignIn,
  waitConnected,
  waitHydrated,
} from './helpers';

test('an admin disables a chatting user, whose page lands on sign-in within a second', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'adm');
  expect(grantAdmin(admin.name)).toContain(admin.name);
  const chatter = await newPerson(browser, baseURL, 'cht');
  await createConversation(chatter.page, 'Before the ban');
  await waitConnected(chatter.page);
  await sendMessage(chatter.page, 'still here');

  await openUsers(admin.page, chatter.name);
  const row = userRow(admin.page, chatter.name);
  await expect(row.getByRole('cell').filter({ hasText: 'Active' })).toBeVisible();
  await row.getByRole('button', { name: `Disable ${chatter.name}`, exact: true }).click();
  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  const disabledAt = Date.now();
  await expect(row.getByText('Disabled', { exact: true })).toBeVisible();

  // The chatting page is sent to sign-in and says why, within a second of the click's answer.
  await chatter.page.waitForURL((url) => url.pathname === '/login', { timeout: 1_000 + (Date.now() - disabledAt) });
  await expect(chatter.page.getByRole('status').filter({ hasText: 'disabled' })).toBeVisible();
  // Signing in again is refused with the reason, the right password notwithstanding.
  await submitSignIn(chatter.page, chatter.name, PASSWORD);
  await expect(chatter.page.getByRole('alert').filter({ hasText: 'disabled' })).toBeVisible();

  // Enabled again, the account signs in.
  await row.getByRole('button', { name: `Enable ${chatter.name}`, exact: true }).click();
  await expect(row.getByText('Active', { exact: true })).toBeVisible();
  await submitSignIn(chatter.page, chatter.name, PASSWORD);
  await chatter.page.waitForURL((url) => url.pathname === '/');
  await admin.context.close();
  await chatter.context.close();
});

test('a non-admin is shown no admin link and gets no accounts from the page', async ({ browser, baseURL }) => {
  const someone = await newPerson(browser, baseURL, 'non');
  await expect(someone.page.getByRole('link', { name: 'Administration' })).toHaveCount(0);
  await someone.page.goto('/admin/users');
  await expect(someone.page.getByText('This page is for the administrators of this Palaver.')).toBeVisible();
  await expect(someone.page.getByRole('table')).toHaveCount(0);
  await someone.context.close();
});

test('the users page looks right in light, dark and on a phone, with no axe violations', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'ads');
  grantAdmin(admin.name);
  await admin.page.reload();
  await expect(admin.page.getByRole('link', { name: 'Administration' })).toBeVisible();
  for (const [scheme, width, height] of LOOKS) {
    await admin.page.setViewportSize({ width, height });
    await admin.page.emulateMedia({ colorScheme: scheme });
    await openUsers(admin.page, admin.name);
    await admin.page.screenshot({ path: screenshotPath(`admin-users-${scheme}-${width}`), fullPage: true });
    await expectNoViolations(admin.page, `/admin/users ${scheme} ${width}`);
  }
  // Keyboard alone: from the search field, Tab reaches the row's actions.
  await admin.page.getByLabel('Find an account', { exact: true }).focus();
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await admin.page.keyboard.press('Tab');
    reached = await admin.page.evaluate(() => document.activeElement?.textContent === 'Sign out everywhere');
  }
  expect(reached, 'Tab reaches "Sign out everywhere"').toBe(true);
  await admin.context.close();
});

test('an admin hands over a reset link; its owner sets a new password with it, once', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'adr');
  grantAdmin(admin.name);
  const forgetful = await newPerson(browser, baseURL, 'fgt');
  await openUsers(admin.page, forgetful.name);
  const row = userRow(admin.page, forgetful.name);
  await row.getByRole('button', { name: `Reset the password of ${forgetful.name}`, exact: true }).click();
  const field = row.getByLabel(`Reset link for ${forgetful.name} (works once, for 24 hours)`);
  await expect(field).toHaveValue(/\/reset\//);
  const link = await field.inputValue();

  const stranger = await browser.newContext({ baseURL });
  const page = await stranger.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
  await expect(page.getByText(forgetful.name, { exact: true })).toBeVisible();
  await waitHydrated(page);
  await page.getByLabel('New password', { exact: true }).fill('a-fresh-passphrase-42');
  await page.getByRole('button', { name: 'Set password and sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  // The old session's page is sent to sign-in; the link is spent.
  await forgetful.page.waitForURL((url) => url.pathname === '/login', { timeout: 5_000 });
  await page.goto(link);
  await expect(page.getByRole('alert').filter({ hasText: 'invalid, has expired or has been used' })).toBeVisible();
  await stranger.close();
  await admin.context.close();
  await forgetful.context.close();
});

test('the instance audit log shows what an admin did, narrowed by action, actor and day', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'aud');
  grantAdmin(admin.name);
  const target = await newPerson(browser, baseURL, 'tgt');
  await createConversation(target.page, 'Audited room');
  await openUsers(admin.page, target.name);
  const row = userRow(admin.page, target.name);
  const answered = admin.page.waitForResponse((r) => r.url().includes('/api/admin_account') && r.ok());
  await row.getByRole('button', { name: `Sign ${target.name} out everywhere`, exact: true }).click();
  await answered;

  // From the users page to the log by the admin section's own links.
  await admin.page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(admin.page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await waitHydrated(admin.page);
  const table = admin.page.getByRole('table', { name: 'Audit log of this Palaver' });
  const revoked = table.getByRole('row').filter({ hasText: 'Sessions revoked' }).filter({ hasText: target.name });
  await expect(revoked).toBeVisible();
  await expect(revoked).toContainText(admin.name);

  // By action: only that action's rows remain.
  await admin.page.getByLabel('Action', { exact: true }).selectOption('sessions_revoked');
  await expect(revoked).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: 'Sign up' })).toHaveCount(0);
  await admin.page.getByLabel('Action', { exact: true }).selectOption('');
  // By who did it: the target's own sign-up, not what the admin did to it.
  await admin.page.getByLabel('Done by', { exact: true }).fill(target.name);
  await admin.page.getByRole('button', { name: 'Filter', exact: true }).click();
  // The table keeps the previous answer until the new one arrives: wait for it to go first.
  await expect(table.getByRole('row').filter({ hasText: 'Sessions revoked' })).toHaveCount(0);
  await expect(table.getByRole('row').filter({ hasText: 'Sign up' })).toHaveCount(1);
  await admin.page.getByLabel('Done by', { exact: true }).fill('');
  await admin.page.getByRole('button', { name: 'Filter', exact: true }).click();
  // By day: tomorrow has nothing yet.
  const tomorrow = new Date(Date.now() + 86_400_000);
  const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
  await admin.page.getByLabel('From', { exact: true }).fill(day);
  await expect(admin.page.getByRole('status').filter({ hasText: 'No entries match these filters.' })).toBeVisible();
  await admin.page.getByLabel('From', { exact: true }).fill('');
  await expect(table).toBeVisible();

  for (const [scheme, width, height] of LOOKS) {
    await admin.page.setViewportSize({ width, height });
    await admin.page.emulateMedia({ colorScheme: scheme });
    await admin.page.goto('/admin/audit');
    await expect(table).toBeVisible();
    await admin.page.screenshot({ path: screenshotPath(`admin-audit-${scheme}-${width}`), fullPage: true });
    await expectNoViolations(admin.page, `/admin/audit ${scheme} ${width}`);
  }
  // Keyboard alone: from the Users link, Tab reaches the action menu.
  await admin.page.getByRole('link', { name: 'Users', exact: true }).focus();
  let reached = false;
  for (let i = 0; i < 8 && !reached; i++) {
    await admin.page.keyboard.press('Tab');
    reached = await admin.page.evaluate(() => document.activeElement?.id === 'audit-action');
  }
  expect(reached, 'Tab reaches the action filter').toBe(true);

  // Not for a non-admin (the target was signed out everywhere above: someone else looks).
  const someone = await newPerson(browser, baseURL, 'nad');
  await someone.page.goto('/admin/audit');
  await expect(someone.page.getByText('This page is for the administrators of this Palaver.')).toBeVisible();
  await expect(someone.page.getByRole('table')).toHaveCount(0);
  await admin.context.close();
  await target.context.close();
  await someone.context.close();
});

test('the dashboard shows the instance figures and a chart with a table behind it', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'dsh');
  grantAdmin(admin.name);
  await createConversation(admin.page, 'Counted room');
  await waitConnected(admin.page);
  await sendMessage(admin.page, 'one for the chart');

  // The side nav's Administration opens the dashboard.
  await admin.page.reload();
  await admin.page.getByRole('link', { name: 'Administration' }).click();
  await admin.page.waitForURL((url) => url.pathname === '/admin');
  await expect(admin.page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const stat = (term: string) => admin.page.locator('.stats .stat').filter({ has: admin.page.getByRole('term').filter({ hasText: term }) });
  for (const term of ['Accounts', 'Active today', 'Active this month', 'Conversations', 'Open sockets', 'Failed sign-ins', 'Database']) {
    await expect(stat(term)).toBeVisible();
  }
  // This admin's own page has a socket open; today has at least the message just sent.
  expect(Number((await stat('Open sockets').locator('.value').textContent())!.replaceAll(',', ''))).toBeGreaterThanOrEqual(1);
  const table = admin.page.getByRole('table', { name: 'Messages per day, newest first' });
  await expect(table.getByRole('row')).toHaveCount(31);
  const today = new Date().toISOString().slice(0, 10);
  const todayRow = table.getByRole('row').filter({ has: admin.page.getByRole('rowheader', { name: today }) });
  expect(Number((await todayRow.getByRole('cell').textContent())!.replaceAll(',', ''))).toBeGreaterThanOrEqual(1);
  await expect(admin.page.locator('.chart svg rect.bar')).toHaveCount(30);
  // The instance export: NDJSON, the instance first, this admin among the accounts.
  const [everything] = await Promise.all([
    admin.page.waitForEvent('download'),
    admin.page.getByRole('link', { name: 'Download everything' }).click(),
  ]);
  expect(everything.suggestedFilename()).toBe('palaver-instance.ndjson');
  const lines = readFileSync((await everything.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0].type).toBe('instance');
  expect(lines.some((l) => l.type === 'account' && l.account.username === admin.name)).toBe(true);
  expect(lines.some((l) => l.type === 'event' && l.event.body === 'one for the chart')).toBe(true);

  for (const [scheme, width, height] of LOOKS) {
    await admin.page.setViewportSize({ width, height });
    await admin.page.emulateMedia({ colorScheme: scheme });
    await admin.page.goto('/admin');
    await expect(admin.page.getByRole('heading', { level: 2, name: 'Messages per day' })).toBeVisible();
    await admin.page.screenshot({ path: screenshotPath(`admin-dashboard-${scheme}-${width}`), fullPage: true });
    await expectNoViolations(admin.page, `/admin ${scheme} ${width}`);
  }
  // Keyboard alone: the admin section's links are reachable and marked.
  await admin.page.getByRole('link', { name: 'Dashboard', exact: true }).focus();
  await expect(admin.page.getByRole('link', { name: 'Dashboard', exact: true })).toHaveAttribute('aria-current', 'page');
  await admin.page.keyboard.press('Tab');
  await expect(admin.page.getByRole('link', { name: 'Users', exact: true })).toBeFocused();
  await admin.page.keyboard.press('Enter');
  await admin.page.waitForURL((url) => url.pathname === '/admin/users');
  await expect(admin.page.getByRole('link', { name: 'Dashboard', exact: true })).not.toHaveAttribute('aria-current', 'page');
  await admin.context.close();
});

test('an admin takes over an abandoned room and deletes another; its member sees it go', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'adc');
  grantAdmin(admin.name);
  // Alice owns two rooms with Bob in them; her account is then disabled.
  const left = `Left behind ${Date.now()}`;
  const doomed = `Goes away ${Date.now()}`;
  const { alice, bob } = await roomOfTwo(browser, baseURL, left);
  await createConversation(alice.page, doomed);
  await waitConnected(alice.page);
  const invite = await alice.page.request.post('/api/create_invite', {
    form: { id: new URL(alice.page.url()).pathname.split('/').pop()! },
    headers: { origin: baseURL! },
  });
  const code = (await invite.json()).code as string;
  await bob.page.request.post('/api/accept_invite', { form: { code }, headers: { origin: baseURL! } });
  await bob.page.reload();
  await expect(sideNav(bob.page).getByRole('link', { name: new RegExp(doomed) })).toBeVisible();
  await openUsers(admin.page, alice.name);
  const aliceRow = userRow(admin.page, alice.name);
  await aliceRow.getByRole('button', { name: `Disable ${alice.name}`, exact: true }).click();
  await aliceRow.getByRole('button', { name: 'Disable', exact: true }).click();
  await expect(aliceRow.getByText('Disabled', { exact: true })).toBeVisible();

  await admin.page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Conversations' }).click();
  await expect(admin.page.getByRole('heading', { level: 1, name: 'Conversations' })).toBeVisible();
  await waitHydrated(admin.page);
  const find = async (title: string) => {
    await admin.page.getByLabel('Find a conversation', { exact: true }).fill(title);
    await admin.page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = admin.page.getByRole('row').filter({ has: admin.page.getByRole('rowheader').filter({ hasText: title }) });
    await expect(row).toBeVisible();
    return row;
  };
  const leftRow = await find(left);
  await expect(leftRow.getByRole('cell').filter({ hasText: alice.name })).toContainText('Disabled');
  await leftRow.getByRole('button', { name: `Take ownership of ${left}`, exact: true }).click();
  await expect(leftRow.getByRole('cell').filter({ hasText: admin.name })).toBeVisible();
  // The room is the admin's now: it opens, and Bob sees the admin join it.
  await expect(bob.page.getByText(`${admin.name} joined`).first()).toBeVisible();
  await leftRow.getByRole('link', { name: 'Open', exact: true }).click();
  await expect(admin.page.getByRole('heading', { level: 1, name: left })).toBeVisible();

  for (const [scheme, width, height] of LOOKS) {
    await admin.page.setViewportSize({ width, height });
    await admin.page.emulateMedia({ colorScheme: scheme });
    await admin.page.goto('/admin/conversations');
    await waitHydrated(admin.page);
    await find(doomed);
    await admin.page.screenshot({ path: screenshotPath(`admin-conversations-${scheme}-${width}`), fullPage: true });
    await expectNoViolations(admin.page, `/admin/conversations ${scheme} ${width}`);
  }
  await admin.page.setViewportSize({ width: 1440, height: 900 });

  // Delete, asked once more in the row, with the keyboard alone.
  const doomedRow = await find(doomed);
  await doomedRow.getByRole('button', { name: `Delete ${doomed}`, exact: true }).focus();
  await admin.page.keyboard.press('Enter');
  await expect(doomedRow.getByRole('group', { name: `Delete ${doomed}?` })).toBeVisible();
  await doomedRow.getByRole('button', { name: 'Delete', exact: true }).focus();
  await admin.page.keyboard.press('Enter');
  await expect(doomedRow.getByText('Deleted', { exact: true })).toBeVisible();
  // Bob's side nav loses it live.
  await expect(sideNav(bob.page).getByRole('link', { name: new RegExp(doomed) })).toHaveCount(0);
  await admin.context.close();
  await alice.context.close();
  await bob.context.close();
});

test('Show more continues the search it belongs to', async ({ browser, baseURL }) => {
  const admin = await newPerson(browser, baseURL, 'adp');
  grantAdmin(admin.name);
  // 51 accounts whose names share a prefix: one more than a page.
  const prefix = `pg${Date.now() % 1_000_000}x`;
  const signer = await browser.newContext({ baseURL });
  for (let i = 0; i < 51; i++) {
    const r = await signer.request.post('/api/sign_up', {
      form: { username: `${prefix}${String(i).padStart(2, '0')}`, password: PASSWORD },
      headers: { origin: baseURL! },
    });
    expect(r.ok()).toBe(true);
  }
  await signer.close();
  await openUsers(admin.page, `${prefix}00`);
  await admin.page.getByLabel('Find an account', { exact: true }).fill(prefix);
  await admin.page.getByRole('button', { name: 'Search', exact: true }).click();
  const rows = admin.page.locator('table.admin-users tbody tr');
  await expect(rows).toHaveCount(50);
  await admin.page.getByRole('button', { name: 'Show more', exact: true }).click();
  await expect(rows).toHaveCount(51);
  await expect(admin.page.getByRole('button', { name: 'Show more', exact: true })).toHaveCount(0);
  for (const name of await rows.locator('th .username').allTextContents()) expect(name).toContain(prefix);
  await admin.context.close();
});
