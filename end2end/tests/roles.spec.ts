import { expect, test, type Browser } from './fixtures';
import {
  bubble,
  composer,
  conversationHeading,
  createConversation,
  headerInviteLink,
  joinWith,
  memberAction,
  membersPanel,
  messageList,
  newPerson,
  openSettings,
  screenshotPath,
  sendMessage,
  settingsPanel,
  sideNav,
  waitConnected,
} from './helpers';

/** Alice owns a conversation that Bob and Carol joined through invite links. */
async function threePeople(browser: Browser, baseURL: string | undefined, title: string) {
  const alice = await newPerson(browser, baseURL, 'ali');
  await createConversation(alice.page, title);
  const path = new URL(alice.page.url()).pathname;
  const link = await headerInviteLink(alice.page);
  const bob = await newPerson(browser, baseURL, 'bob');
  const carol = await newPerson(browser, baseURL, 'car');
  await joinWith(bob.page, link, path, title);
  await joinWith(carol.page, link, path, title);
  await waitConnected(alice.page);
  for (const p of [alice, bob, carol]) {
    await expect(membersPanel(p.page).getByRole('listitem')).toHaveCount(3);
  }
  const close = async () => {
    for (const p of [alice, bob, carol]) await p.context.close();
  };
  return { alice, bob, carol, path, close };
}

const manage = (page: import('@playwright/test').Page, name: string) =>
  membersPanel(page).getByRole('button', { name: `Manage ${name}`, exact: true });

test('a promotion shows admin controls live, and an admin removes a member who is told at once', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const title = `Staff room ${Date.now() % 1e6}`;
  const { alice, bob, carol, close } = await threePeople(browser, baseURL, title);

  // Plain members get no moderation controls.
  for (const member of [bob, carol]) {
    await expect(member.page.getByRole('button', { name: 'Settings', exact: true })).toHaveCount(0);
    await expect(member.page.getByRole('button', { name: 'Invite', exact: true })).toHaveCount(0);
    await expect(membersPanel(member.page).getByRole('button', { name: /^Manage / })).toHaveCount(0);
  }
  // The owner manages both of them, not herself.
  await expect(manage(alice.page, bob.name)).toBeVisible();
  await expect(manage(alice.page, carol.name)).toBeVisible();
  await expect(manage(alice.page, alice.name)).toHaveCount(0);

  await memberAction(alice.page, bob.name, 'Make admin');
  // Bob's page changes without a reload.
  await expect(bob.page.getByRole('button', { name: 'Settings', exact: true })).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Invite', exact: true })).toBeVisible();
  await expect(membersPanel(bob.page).getByRole('listitem').filter({ hasText: bob.name })).toContainText('admin');
  // Admins remove plain members only: Carol yes, Alice (the owner) no.
  await expect(manage(bob.page, carol.name)).toBeVisible();
  await expect(manage(bob.page, alice.name)).toHaveCount(0);
  await bob.page.screenshot({ path: screenshotPath('roles-admin'), fullPage: true });

  await memberAction(bob.page, carol.name, 'Remove');
  await expect(carol.page.getByRole('status').filter({ hasText: 'You were removed from this conversation.' })).toBeVisible();
  await expect(composer(carol.page)).toHaveCount(0);
  await expect(carol.page.getByRole('link', { name: 'Back to your conversations' })).toBeVisible();
  await expect(sideNav(carol.page).getByRole('link', { name: new RegExp(title) })).toHaveCount(0);
  await carol.page.screenshot({ path: screenshotPath('removed'), fullPage: true });
  await expect(messageList(alice.page).getByRole('listitem').filter({ hasText: `${carol.name} was removed` })).toBeVisible();
  await expect(membersPanel(alice.page)).not.toContainText(carol.name);

  // Handing over ownership: Bob owns it now, Alice is an admin who may leave.
  await memberAction(alice.page, bob.name, 'Make owner');
  await expect(membersPanel(alice.page).getByRole('listitem').filter({ hasText: bob.name })).toContainText('owner');
  await expect(alice.page.getByRole('button', { name: 'Leave', exact: true })).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Leave', exact: true })).toHaveCount(0);
  await expect(manage(bob.page, alice.name)).toBeVisible();
  await close();
});

test('owners and admins delete anyone\'s message; members only their own', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { alice, bob, carol, close } = await threePeople(browser, baseURL, 'Moderated');
  await sendMessage(bob.page, 'spam from bob');
  await sendMessage(alice.page, 'house rules');
  await expect(bubble(carol.page, 'spam from bob')).toBeVisible();
  await expect(bubble(carol.page, 'house rules')).toBeVisible();

  // A member sees no delete on someone else's message.
  await bubble(carol.page, 'spam from bob').hover();
  await expect(bubble(carol.page, 'spam from bob').getByRole('button', { name: 'Delete message' })).toHaveCount(0);
  await bubble(bob.page, 'house rules').hover();
  await expect(bubble(bob.page, 'house rules').getByRole('button', { name: 'Delete message' })).toHaveCount(0);

  // The owner deletes Bob's message (and cannot edit it).
  const spam = bubble(alice.page, 'spam from bob');
  await spam.hover();
  await expect(spam.getByRole('button', { name: 'Edit message' })).toHaveCount(0);
  await spam.getByRole('button', { name: /^Delete message/ }).click();
  await expect(spam).toContainText(`Delete this message by ${bob.name}?`);
  await spam.getByRole('button', { name: 'Delete', exact: true }).click();
  for (const p of [alice, bob, carol]) {
    await expect(bubble(p.page, 'spam from bob')).toHaveCount(0);
  }
  await expect(messageList(carol.page).locator('.body.deleted')).toHaveCount(1);
  await close();
});

test('deleting a conversation takes its exact title and removes it for everyone live', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const title = `Old project ${Date.now() % 1e6}`;
  const { alice, bob, carol, close } = await threePeople(browser, baseURL, title);
  await memberAction(alice.page, bob.name, 'Make admin');
  await expect(bob.page.getByRole('button', { name: 'Settings', exact: true })).toBeVisible();

  // An admin's settings have no danger zone and no audit log; the owner's have both.
  await openSettings(bob.page);
  await expect(settingsPanel(bob.page).getByRole('heading', { name: 'Invite links' })).toBeVisible();
  await expect(settingsPanel(bob.page).getByRole('heading', { name: 'Danger zone' })).toHaveCount(0);
  await expect(settingsPanel(bob.page).getByRole('heading', { name: 'Audit log' })).toHaveCount(0);
  await expect(settingsPanel(bob.page).getByLabel('Public room: listed in the directory, anyone can join')).toHaveCount(0);

  await openSettings(alice.page);
  const panel = settingsPanel(alice.page);
  // The audit log shows who promoted whom.
  const audit = panel.getByRole('table', { name: 'Audit log of this conversation' });
  await expect(audit.getByRole('row').filter({ hasText: 'Role changed' })).toContainText(bob.name);
  await expect(audit.getByRole('row').filter({ hasText: 'Role changed' })).toContainText('member -> admin');

  await panel.getByRole('button', { name: 'Delete conversation', exact: true }).click();
  const confirm = panel.getByLabel('Type the title to confirm');
  const remove = panel.getByRole('button', { name: 'Delete forever', exact: true });
  await confirm.fill(title.toUpperCase());
  await expect(remove).toBeDisabled();
  await confirm.fill(title);
  await expect(remove).toBeEnabled();
  await alice.page.screenshot({ path: screenshotPath('settings-delete'), fullPage: true });
  await remove.click();

  await alice.page.waitForURL((url) => url.pathname === '/');
  await expect(sideNav(alice.page).getByRole('link', { name: new RegExp(title) })).toHaveCount(0);
  for (const p of [bob, carol]) {
    await expect(p.page.getByRole('status').filter({ hasText: 'This conversation was deleted.' })).toBeVisible();
    await expect(sideNav(p.page).getByRole('link', { name: new RegExp(title) })).toHaveCount(0);
    await expect(conversationHeading(p.page, title)).toBeVisible();
  }
  // Gone for good: opening it again says so.
  await carol.page.reload();
  await expect(carol.page.getByRole('heading', { name: 'Conversation unavailable' })).toBeVisible();
  await close();
});
