import { expect, test, type Browser } from './fixtures';
import {
  bubble,
  composer,
  conversationHeading,
  createConversation,
  headerInviteLink,
  joinWith,
  newPerson,
  screenshotPath,
  sendMany,
  sideNav,
  waitConnected,
} from './helpers';

/** Alice's conversation `title`, which Bob has joined and then left for the room directory. */
async function bobAwayFrom(browser: Browser, baseURL: string | undefined, title: string) {
  const alice = await newPerson(browser, baseURL, 'ali');
  const bob = await newPerson(browser, baseURL, 'bob');
  await createConversation(alice.page, title);
  const path = new URL(alice.page.url()).pathname;
  await waitConnected(alice.page);
  const link = await headerInviteLink(alice.page);
  await joinWith(bob.page, link, path, title);
  await bob.page.goto('/rooms');
  return { alice, bob };
}

test('unread messages open at the divider; load older keeps the place; new ones raise a pill', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  // Bob reads what is there, then goes to another page while Alice writes a lot.
  const { alice, bob } = await bobAwayFrom(browser, baseURL, 'Long read');

  const box = composer(alice.page);
  await sendMany(alice.page, Array.from({ length: 70 }, (_, i) => `line ${i + 1}`));

  // Unread messages put a dot on the favicon and a count in the title, on every page.
  await expect(bob.page.locator('link#favicon')).toHaveAttribute('href', /^data:image\/svg\+xml,/);
  await expect(bob.page).toHaveTitle(/^\(\d+\) Browse rooms/);
  await sideNav(bob.page).getByRole('link', { name: /Long read/ }).click();
  await expect(conversationHeading(bob.page, 'Long read')).toBeVisible();
  const history = bob.page.getByRole('region', { name: 'Message history', exact: true });
  const divider = bob.page.locator('li.divider');
  // The newest 50 are loaded; the divider is above them all, so it opens at the top of them.
  await expect(divider).toBeInViewport();
  await expect(bubble(bob.page, 'line 70')).not.toBeInViewport();
  const jump = bob.page.getByRole('button', { name: /Jump to latest/ });
  await expect(jump).toBeVisible();
  await bob.page.screenshot({ path: screenshotPath('reading-divider') });

  // "Load older messages" keeps the message at the top where it is.
  await history.evaluate((el) => (el.scrollTop = 0));
  const first = bob.page.locator('[data-seq]').first();
  const seq = await first.getAttribute('data-seq');
  const before = (await first.boundingBox())!.y;
  await bob.page.getByRole('button', { name: 'Load older messages', exact: true }).click();
  await expect(bob.page.locator('[data-seq]').first()).not.toHaveAttribute('data-seq', seq!);
  const same = bob.page.locator(`[data-seq="${seq}"]`);
  await expect.poll(async () => Math.abs((await same.boundingBox())!.y - before)).toBeLessThan(4);

  // Scrolled up, a new message raises a pill instead of moving the view.
  await box.fill('something new');
  await box.press('Enter');
  const pill = bob.page.getByRole('button', { name: /1 new message/ });
  await expect(pill).toBeVisible();
  await expect(same).toBeInViewport();
  await pill.click();
  await expect(bubble(bob.page, 'something new')).toBeInViewport();
  await expect(pill).toBeHidden();
  await expect(jump).toBeHidden();
  await expect(bob.page.locator('link#favicon')).toHaveAttribute('href', '/favicon.svg');

  await alice.context.close();
  await bob.context.close();
});

test('the side nav follows edits and deletions live', async ({ browser, baseURL }) => {
  const { alice, bob } = await bobAwayFrom(browser, baseURL, 'Previews');
  await waitConnected(bob.page);

  const box = composer(alice.page);
  for (const text of ['first words', 'second thoughts']) {
    await box.fill(text);
    await box.press('Enter');
    await expect(bubble(alice.page, text)).toBeVisible();
  }
  const row = sideNav(bob.page).getByRole('link', { name: /Previews/ });
  await expect(row).toHaveAccessibleName(/2 unread/);
  await expect(row).toContainText('second thoughts');

  const last = bubble(alice.page, 'second thoughts');
  await last.hover();
  await last.getByRole('button', { name: /^Delete message/ }).click();
  await last.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(bubble(alice.page, 'Message deleted')).toBeVisible();

  await expect(row).toHaveAccessibleName(/1 unread/);
  await expect(row).toContainText('first words');
  await expect(row).not.toContainText('second thoughts');

  await alice.context.close();
  await bob.context.close();
});
