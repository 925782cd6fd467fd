import { expect, test } from './fixtures';
import {
  acceptInvite,
  bubble,
  composer,
  conversationHeading,
  createConversation,
  screenshotPath,
  signUp,
  submitSignUp,
  uniqueName,
  waitConnected,
  timelineItems,
  waitHydrated,
} from './helpers';

const TITLE = 'Launch plan';

test('two people chat live through an invite link', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const alice = uniqueName('a');
  const bob = uniqueName('b');

  const contextA = await browser.newContext({ baseURL, permissions: ['clipboard-read', 'clipboard-write'] });
  const contextB = await browser.newContext({ baseURL });
  const pageA = await contextA.newPage();
  const pageB = await contextB.newPage();

  // A signs up and starts a conversation.
  await pageA.goto('/signup');
  await waitHydrated(pageA);
  await pageA.screenshot({ path: screenshotPath('signup'), fullPage: true });
  await signUp(pageA, alice);
  await createConversation(pageA, TITLE);
  const conversationPath = new URL(pageA.url()).pathname;
  await expect(
    pageA.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: TITLE }),
  ).toBeVisible();
  await pageA.screenshot({ path: screenshotPath('conversation-list'), fullPage: true });

  // A copies an invite link.
  await pageA.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(pageA.getByRole('status').filter({ hasText: 'Invite link copied to clipboard' })).toBeVisible();
  const inviteInput = pageA.getByLabel('Invite link', { exact: true });
  await expect(inviteInput).toHaveValue(new RegExp(`^http://127\\.0\\.0\\.1:${process.env.PALAVER_E2E_PORT ?? 3100}/invite/[A-Za-z0-9_-]+$`));
  const inviteLink = await inviteInput.inputValue();
  expect(await pageA.evaluate(() => navigator.clipboard.readText())).toBe(inviteLink);

  // B, signed out, opens it and creates an account to join.
  await pageB.goto(inviteLink);
  await expect(pageB.getByRole('heading', { name: `Join ${TITLE}` })).toBeVisible();
  await expect(pageB.getByText(`invited by ${alice}`)).toBeVisible();
  await expect(pageB.getByRole('link', { name: 'Sign in to join', exact: true })).toBeVisible();
  await waitHydrated(pageB);
  await pageB.screenshot({ path: screenshotPath('invite'), fullPage: true });
  await pageB.getByRole('link', { name: 'Create an account to join', exact: true }).click();
  await pageB.waitForURL((url) => url.pathname === '/signup');
  await submitSignUp(pageB, bob);
  // Back on the invite, now signed in: joining still takes a click.
  await pageB.waitForURL((url) => url.pathname.startsWith('/invite/'));
  await acceptInvite(pageB, conversationPath);
  await expect(conversationHeading(pageB, TITLE)).toBeVisible();
  await waitHydrated(pageB);
  await waitConnected(pageA);
  await waitConnected(pageB);

  // Each message shows up live on the other side.
  await composer(pageA).fill('Hello from A');
  await pageA.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(bubble(pageA, 'Hello from A')).toBeVisible();
  await expect(bubble(pageB, 'Hello from A')).toBeVisible();

  await composer(pageB).fill('Hi A, B here');
  await pageB.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(bubble(pageB, 'Hi A, B here')).toBeVisible();
  await expect(bubble(pageA, 'Hi A, B here')).toBeVisible();

  // Own messages on the right, the other person's on the left, in both views.
  for (const [page, mine, theirs, author] of [
    [pageA, 'Hello from A', 'Hi A, B here', bob],
    [pageB, 'Hi A, B here', 'Hello from A', alice],
  ] as const) {
    await expect(bubble(page, mine)).toHaveAttribute('data-mine', 'true');
    await expect(bubble(page, theirs)).toHaveAttribute('data-mine', 'false');
    await expect(bubble(page, mine)).toHaveClass(/(^|\s)bubble(\s|$)/);
    await expect(bubble(page, theirs)).toHaveClass(/(^|\s)bubble(\s|$)/);
    await expect(bubble(page, theirs)).toContainText(author);
    await expect(bubble(page, theirs).locator('time')).toHaveCount(1);
  }
  const ownBox = await bubble(pageA, 'Hello from A').boundingBox();
  const otherBox = await bubble(pageA, 'Hi A, B here').boundingBox();
  expect(ownBox).not.toBeNull();
  expect(otherBox).not.toBeNull();
  expect(ownBox!.x).toBeGreaterThan(otherBox!.x);

  await pageA.screenshot({ path: screenshotPath('chat-a'), fullPage: true });
  await pageB.screenshot({ path: screenshotPath('chat-b'), fullPage: true });

  // History survives a reload, in order, and both people are listed as members.
  for (const page of [pageB, pageA]) {
    await page.reload();
    await waitHydrated(page);
    // B's joining is a line in the history, then the two messages, in order.
    await expect(timelineItems(page)).toHaveCount(3);
    await expect(timelineItems(page).nth(0)).toHaveText(`${bob} joined`);
    await expect(timelineItems(page).nth(1)).toContainText('Hello from A');
    await expect(timelineItems(page).nth(2)).toContainText('Hi A, B here');
    const members = page.getByRole('complementary', { name: 'Members' });
    await expect(members).toContainText(alice);
    await expect(members).toContainText(bob);
  }

  // The conversation list previews the last message.
  const listed = pageA.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: TITLE });
  await expect(listed).toHaveAccessibleName(/Hi A, B here/);

  await contextA.close();
  await contextB.close();
});
