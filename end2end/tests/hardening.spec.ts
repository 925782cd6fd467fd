import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type Locator, type Page } from './fixtures';
import {
  PASSWORD,
  acceptInvite,
  alertWith,
  conversationHeading,
  createConversation,
  headerInviteLink,
  joinButton,
  joinWith,
  memberAction,
  membersPanel,
  newPerson,
  openSettings,
  settingsPanel,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
  type Person,
} from './helpers';

const BANNED =
  'You were removed from this conversation. An owner or admin must lift the ban before you can join again.';

// Screenshots for a person to look at (light and dark, desktop and phone); not committed.
const shotDir = path.join(__dirname, '..', '..', 'target', 'screenshots');
const SIZES = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
] as const;

/** Screenshots `page` at both sizes in both schemes, with `target` scrolled into view. */
async function shoot(page: Page, name: string, target?: Locator): Promise<void> {
  fs.mkdirSync(shotDir, { recursive: true });
  for (const size of SIZES) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme });
      if (target) await target.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shotDir, `${name}-${size.width}-${colorScheme}.png`) });
      // Nothing may stick out sideways, at any width.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} at ${size.width}px is wider than the screen`).toBeLessThanOrEqual(0);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: null });
}

/** The conversations the signed-in user of `page` belongs to, asked of the server. */
async function memberOf(page: Page, baseURL: string | undefined): Promise<number[]> {
  const res = await page.request.post('/api/conversations', { headers: { Origin: baseURL ?? '' } });
  expect(res.status()).toBe(200);
  const list = (await res.json()) as { id: number }[];
  return list.map((c) => c.id);
}

const idOf = (path: string) => Number(path.split('/').pop());

/** `person`'s session in a browser without JavaScript: the page as served, before hydration. */
async function withoutScript(browser: Browser, baseURL: string | undefined, person: Person) {
  const storageState = await person.context.storageState();
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false, storageState });
  return { context, page: await context.newPage() };
}

/** An owner with a fresh conversation and an invite link to it. */
async function ownerWithLink(browser: Browser, baseURL: string | undefined, title: string) {
  const owner = await newPerson(browser, baseURL, 'own');
  await createConversation(owner.page, title);
  const path = new URL(owner.page.url()).pathname;
  await waitConnected(owner.page);
  const link = await headerInviteLink(owner.page);
  await owner.page.locator('.chat-header').getByRole('button', { name: 'Done', exact: true }).click();
  await expect(owner.page.getByLabel('Invite link', { exact: true })).toBeHidden();
  return { owner, path, link };
}

const bansSection = (page: Page) =>
  settingsPanel(page).getByRole('region', { name: 'Removed members', exact: true });
const auditSection = (page: Page) => settingsPanel(page).getByRole('region', { name: 'Audit log', exact: true });
const auditRows = (page: Page) =>
  auditSection(page).getByRole('table', { name: 'Audit log of this conversation' }).locator('tbody tr');

/** The owner removes `member`, who sees it happen. */
async function removeMember(owner: Person, member: Person) {
  await memberAction(owner.page, member.name, 'Remove');
  const notice = member.page.getByRole('status').filter({ hasText: 'You were removed from this conversation.' });
  await expect(notice).toBeVisible();
  await expect(membersPanel(owner.page)).not.toContainText(member.name);
}

test('a page that sends a signed-in person to an invite link does not make them join', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const title = `Lured ${Date.now() % 1e6}`;
  const { owner, path, link } = await ownerWithLink(browser, baseURL, title);
  const id = idOf(path);
  const victim = await newPerson(browser, baseURL, 'vic');

  // A foreign site navigates the victim's tab to the link (top-level, cross-site).
  await victim.page.route('http://evil.example/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>Free prizes</title><script>location.href = ${JSON.stringify(link)};</script>`,
    }),
  );
  await victim.page.goto('http://evil.example/');
  await victim.page.waitForURL((url) => url.href === link);
  await expect(victim.page.getByRole('heading', { name: `Join ${title}`, exact: true })).toBeVisible();
  await waitHydrated(victim.page);
  // The app used to join as soon as it started: give it time to do anything on its own.
  await victim.page.waitForTimeout(1_000);
  expect(new URL(victim.page.url()).pathname).toMatch(/^\/invite\//);
  expect(await memberOf(victim.page, baseURL)).not.toContain(id);
  await expect(membersPanel(owner.page).getByRole('listitem')).toHaveCount(1);
  await expect(victim.page.getByText(`Signed in as ${victim.name}.`)).toBeVisible();
  await shoot(victim.page, 'invite-join');

  // Joining is the person's own click.
  await acceptInvite(victim.page, path);
  await expect(conversationHeading(victim.page, title)).toBeVisible();
  expect(await memberOf(victim.page, baseURL)).toContain(id);
  await expect(membersPanel(owner.page)).toContainText(victim.name);

  // A member opening the link again goes straight to the conversation.
  await victim.page.goto(link);
  await victim.page.waitForURL((url) => url.pathname === path);
  await expect(conversationHeading(victim.page, title)).toBeVisible();
  await waitHydrated(victim.page);

  // Before (or without) the WASM app: same rules, through the plain form and a server redirect.
  const plain = await withoutScript(browser, baseURL, victim);
  const response = await plain.page.goto(link);
  expect(response?.status()).toBe(200);
  expect(new URL(plain.page.url()).pathname).toBe(path);
  await expect(conversationHeading(plain.page, title)).toBeVisible();

  const other = await newPerson(browser, baseURL, 'nojs');
  const otherPlain = await withoutScript(browser, baseURL, other);
  const otherPage = otherPlain.page;
  await otherPage.goto(link);
  await expect(joinButton(otherPage)).toBeVisible();
  await otherPage.waitForTimeout(1_000);
  expect(await memberOf(otherPage, baseURL)).not.toContain(id);
  await joinButton(otherPage).click();
  await otherPage.waitForURL((url) => url.pathname === path);
  await expect(conversationHeading(otherPage, title)).toBeVisible();
  expect(await memberOf(otherPage, baseURL)).toContain(id);

  for (const c of [owner.context, victim.context, plain.context, other.context, otherPlain.context]) await c.close();
});

test('after signing in, only a path on this site is followed', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const origin = new URL(baseURL!).origin;
  const name = uniqueName('nxt');
  const setup = await browser.newContext({ baseURL });
  await signUp(await setup.newPage(), name);
  await setup.close();

  const attempts: [next: string, path: string | null][] = [
    ['/\t/evil.example/', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/'],
    // A percent-encoded tab is only text in a path: it stays on this site, wherever it lands.
    ['/%09/evil.example', null],
    ['/rooms', '/rooms'],
  ];
  // With the app running (it follows the redirect itself) and as a plain form (the server's
  // `Location`). Correct passwords only: failures are throttled per address for the suite.
  for (const javaScriptEnabled of [true, false]) {
    for (const [next, expected] of attempts) {
      const context = await browser.newContext({ baseURL, javaScriptEnabled });
      const page = await context.newPage();
      // Anything leaving for another host is stopped before it reaches the network.
      await page.route(
        (url) => url.hostname !== '127.0.0.1',
        (route) => route.fulfill({ status: 418, body: 'left the site' }),
      );
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await expect(page.getByRole('heading', { name: 'Sign in to Palaver' })).toBeVisible();
      if (javaScriptEnabled) await waitHydrated(page);
      await page.getByLabel('Username', { exact: true }).fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((url) => url.pathname !== '/login', { waitUntil: 'commit' });
      const landed = new URL(page.url());
      const script = javaScriptEnabled ? 'on' : 'off';
      const what = `next=${JSON.stringify(next)} (JavaScript ${script}) landed on ${landed.href}`;
      expect(landed.origin, what).toBe(origin);
      if (expected) expect(landed.pathname, what).toBe(expected);
      await context.close();
    }
  }
});

test('a removed member stays out until an owner lifts the ban', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const title = `Moderated ${Date.now() % 1e6}`;
  const { owner, path, link } = await ownerWithLink(browser, baseURL, title);
  const member = await newPerson(browser, baseURL, 'ban');
  await joinWith(member.page, link, path, title);
  await expect(membersPanel(owner.page).getByRole('listitem')).toHaveCount(2);

  await openSettings(owner.page);
  await expect(bansSection(owner.page)).toContainText('Nobody is banned.');
  await removeMember(owner, member);
  // The open settings follow the member list: the removal shows without a reload.
  const row = bansSection(owner.page).getByRole('listitem').filter({ hasText: member.name });
  await expect(row).toBeVisible();
  await expect(row).toContainText(`Removed by ${owner.name}`);
  await expect(row).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  await shoot(owner.page, 'settings-bans', bansSection(owner.page));

  // The link still works for others, but not for the removed member.
  await member.page.goto(link);
  await waitHydrated(member.page);
  await joinButton(member.page).click();
  await expect(alertWith(member.page, BANNED)).toBeVisible();
  expect(new URL(member.page.url()).pathname).toMatch(/^\/invite\//);
  expect(await memberOf(member.page, baseURL)).not.toContain(idOf(path));
  await shoot(member.page, 'invite-banned');

  await row.getByRole('button', { name: `Lift ban for ${member.name}`, exact: true }).click();
  await expect(bansSection(owner.page).getByRole('status')).toContainText(`Ban lifted: ${member.name}`);
  await expect(bansSection(owner.page)).toContainText('Nobody is banned.');
  // The keyboard stays in the section whose row went away.
  await expect(bansSection(owner.page).getByRole('heading', { name: 'Removed members' })).toBeFocused();

  await joinButton(member.page).click();
  await member.page.waitForURL((url) => url.pathname === path);
  await expect(conversationHeading(member.page, title)).toBeVisible();
  await expect(membersPanel(owner.page)).toContainText(member.name);
  for (const p of [owner, member]) await p.context.close();
});

test('the owner filters the audit log and pages back through it', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const title = `Audited ${Date.now() % 1e6}`;
  const { owner, path, link } = await ownerWithLink(browser, baseURL, title);
  const first = await newPerson(browser, baseURL, 'fst');
  const second = await newPerson(browser, baseURL, 'snd');
  await joinWith(first.page, link, path, title);
  await joinWith(second.page, link, path, title);
  await expect(membersPanel(owner.page).getByRole('listitem')).toHaveCount(3);
  await memberAction(owner.page, first.name, 'Make admin');
  await removeMember(owner, first);
  await removeMember(owner, second);

  await openSettings(owner.page);
  // Everything: the invite, the promotion and the two removals, newest first.
  await expect(auditRows(owner.page)).toHaveCount(4);
  await expect(auditSection(owner.page).getByRole('status')).toHaveText('Showing all 4 entries.');
  await expect(auditRows(owner.page).first()).toContainText('Member removed');

  const action = auditSection(owner.page).getByLabel('Action', { exact: true });
  await action.selectOption({ label: 'Member removed' });
  await expect(auditRows(owner.page)).toHaveCount(2);
  for (const row of await auditRows(owner.page).all()) {
    await expect(row.locator('td').nth(1)).toHaveText('Member removed');
  }
  await expect(auditRows(owner.page).nth(0)).toContainText(second.name);
  await expect(auditRows(owner.page).nth(1)).toContainText(first.name);
  await shoot(owner.page, 'settings-audit', auditSection(owner.page));

  // By someone who did nothing here: said so, not an empty table.
  const actor = auditSection(owner.page).getByLabel('Done by', { exact: true });
  await actor.fill(second.name.toUpperCase());
  await actor.press('Enter');
  await expect(auditSection(owner.page)).toContainText('No entries match these filters.');
  await expect(auditRows(owner.page)).toHaveCount(0);
  // Usernames match in any case; the action menu goes back to everything.
  await actor.fill(owner.name.toUpperCase());
  await auditSection(owner.page).getByRole('button', { name: 'Filter', exact: true }).click();
  await expect(auditRows(owner.page)).toHaveCount(2);
  await action.selectOption({ label: 'All actions' });
  await expect(auditRows(owner.page)).toHaveCount(4);

  // Paging: the server hands out 200 at a time. Cut the first page to two entries (as if
  // there were more), then let the real server answer "before" the second.
  let requests: string[] = [];
  await owner.page.route('**/api/audit_log', async (route) => {
    const body = route.request().postData() ?? '';
    requests.push(body);
    const response = await route.fetch();
    if (/(^|&)before=/.test(body)) return route.fulfill({ response });
    const page = (await response.json()) as { entries: { id: number }[]; older: number | null };
    page.entries = page.entries.slice(0, 2);
    page.older = page.entries[1].id;
    await route.fulfill({ response, json: page });
  });
  requests = [];
  await auditSection(owner.page).getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(auditRows(owner.page)).toHaveCount(2);
  await expect(auditSection(owner.page).getByRole('status')).toHaveText('Showing the newest 2 entries.');
  const more = auditSection(owner.page).getByRole('button', { name: 'Show older entries', exact: true });
  await more.focus();
  await owner.page.keyboard.press('Enter');
  await expect(auditRows(owner.page)).toHaveCount(4);
  await expect(auditSection(owner.page).getByRole('status')).toHaveText('Showing all 4 entries.');
  await expect(more).toHaveCount(0);
  // Oldest last, each once; the filters travel with the next page's request.
  const actions = await auditRows(owner.page).locator('td:nth-child(2)').allTextContents();
  expect(actions).toEqual(['Member removed', 'Member removed', 'Role changed', 'Invite created']);
  expect(requests).toHaveLength(2);
  expect(requests[1]).toMatch(/before=\d+/);
  expect(decodeURIComponent(requests[1])).toContain(`actor=${owner.name.toUpperCase()}`);

  for (const p of [owner, first, second]) await p.context.close();
});

test('without the app, a refused join is explained on the invite page', async ({ browser, baseURL }) => {
  // A plain form post that fails is sent back to the page with the error in its query (Leptos
  // "form redirects"); the error's own status must not replace that redirect.
  test.setTimeout(120_000);
  const title = `No script ${Date.now() % 1e6}`;
  const { owner, path, link } = await ownerWithLink(browser, baseURL, title);
  const member = await newPerson(browser, baseURL, 'nsb');
  await joinWith(member.page, link, path, title);
  await removeMember(owner, member);

  const plain = await withoutScript(browser, baseURL, member);
  await plain.page.goto(link);
  await joinButton(plain.page).click();
  await expect(alertWith(plain.page, BANNED)).toBeVisible({ timeout: 5_000 });
  expect(new URL(plain.page.url()).pathname).toMatch(/^\/invite\//);
  for (const c of [owner.context, member.context, plain.context]) await c.close();
});
