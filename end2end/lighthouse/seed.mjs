// Seeds a running Palaver for scripts/lighthouse.sh: signs a new user up, creates a
// conversation and posts a few messages through the UI (the way a person would, so the page
// Lighthouse loads has a real timeline), then prints one JSON line:
//   {"url": "<origin>/c/<id>", "cookie": "name=value; ..."}
//
//   node end2end/lighthouse/seed.mjs http://127.0.0.1:3200
import { chromium } from '@playwright/test';

const origin = process.argv[2];
if (!origin) {
  console.error('usage: seed.mjs ORIGIN');
  process.exit(2);
}
const MESSAGES = [
  'Morning! Is the release still on for Thursday?',
  'Yes: the last blocker was merged last night.',
  'Great. I will write the notes this afternoon.',
  'Could you add the new phone layout to them? People asked about it.',
  'Will do 👍',
];
const PASSWORD = 'correct-horse-battery-9';

const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  // As in playwright.config.ts: root needs --no-sandbox; the rest keep chromium off the
  // (closed) network.
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
try {
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const hydrated = () => page.waitForSelector('body[data-hydrated="true"]');

  await page.goto('/signup');
  await hydrated();
  await page.getByLabel('Username', { exact: true }).fill(`lh${Date.now() % 1e8}`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signup'));

  await hydrated();
  await page.getByLabel('New conversation title', { exact: true }).fill('Release planning');
  await page.getByRole('button', { name: 'Create conversation', exact: true }).click();
  await page.waitForURL(/\/c\/[^/]+$/);
  await hydrated();

  const list = page.getByRole('list', { name: 'Messages', exact: true });
  const composer = page.getByLabel('Message', { exact: true });
  for (const text of MESSAGES) {
    await composer.fill(text);
    await composer.press('Enter');
    await list.getByRole('listitem').filter({ hasText: text }).waitFor();
  }
  // Stored, not merely shown: no bubble is still pending.
  await list.locator('[data-pending="true"]').first().waitFor({ state: 'detached' });

  const cookie = (await context.cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ');
  console.log(JSON.stringify({ url: page.url(), cookie }));
} finally {
  await browser.close();
}
