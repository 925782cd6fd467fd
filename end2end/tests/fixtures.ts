import { test as base, type Page, type Request } from '@playwright/test';

export { expect } from '@playwright/test';
export type { APIRequestContext, Browser, Locator, Page, Route, WebSocketRoute } from '@playwright/test';

/**
 * `promise`, or `late` when it has not settled within `ms`: a stuck page or a request that
 * never got its response (the very cases worth reporting) must not stall the report.
 */
const within = <T>(ms: number, promise: Promise<T>, late: T): Promise<T> =>
  Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(late), ms))]);

/** A request that failed, was answered 400 or more, or was never answered; else null. */
async function describeRequest(request: Request): Promise<string | null> {
  const what = `  request ${request.method()} ${request.url()}`;
  const failure = request.failure()?.errorText;
  if (failure) return `${what}: ${failure}`;
  const response = await within(1_000, request.response().catch(() => null), undefined);
  if (response === undefined) return `${what}: no response yet`;
  if (!response || response.status() >= 400) return `${what}: ${response?.status() ?? 'no response'}`;
  return null;
}

/** What a page said before a test failed: enough to tell a stuck hydration from a slow one. */
async function describePage(page: Page): Promise<string> {
  if (page.isClosed()) return '';
  const lines = [`page ${page.url()}`];
  const hydrated = page
    .evaluate(() => document.body?.getAttribute('data-hydrated') ?? 'no')
    .then((h) => `  body data-hydrated: ${h}`)
    .catch((e: Error) => `  body unreadable: ${e.message.split('\n')[0]}`);
  lines.push(await within(2_000, hydrated, '  body unreadable: the page did not answer within 2 s'));
  for (const error of await page.pageErrors({ filter: 'all' })) lines.push(`  page error: ${error.stack ?? error.message}`);
  for (const message of await page.consoleMessages({ filter: 'all' })) {
    if (message.type() === 'error' || message.type() === 'warning') {
      lines.push(`  console.${message.type()}: ${message.text()}`);
    }
  }
  const requests = await Promise.all((await page.requests()).map(describeRequest));
  lines.push(...requests.filter((r): r is string => r !== null));
  return lines.join('\n');
}

/**
 * Playwright's `test` with one addition: when a test fails, every page still open in the
 * browser prints its address, whether the app hydrated, its uncaught errors (a WASM panic
 * lands here), its console errors and warnings, and its failed or unanswered requests. CI
 * keeps only what a run prints, so this is what a failure there can be read from.
 */
export const test = base.extend<{ pageDiagnostics: void }>({
  pageDiagnostics: [
    async ({ browser }, use, testInfo) => {
      await use();
      if (testInfo.status === testInfo.expectedStatus) return;
      const pages = browser.contexts().flatMap((context) => context.pages());
      const reports = await Promise.all(pages.map((page) => describePage(page).catch((e) => `page unreadable: ${e}`)));
      const text = reports.filter(Boolean).join('\n');
      if (!text) return;
      console.log(`--- pages open when "${testInfo.title}" failed\n${text}\n---`);
    },
    { auto: true },
  ],
});
