import { test as base, type Page } from '@playwright/test';

export { expect } from '@playwright/test';
export type { APIRequestContext, Browser, Locator, Page, Route, WebSocketRoute } from '@playwright/test';

/** What a page said before a test failed: enough to tell a stuck hydration from a slow one. */
async function describePage(page: Page): Promise<string> {
  if (page.isClosed()) return '';
  const lines = [`page ${page.url()}`];
  try {
    const hydrated = await page.evaluate(() => document.body?.getAttribute('data-hydrated') ?? 'no');
    lines.push(`  body data-hydrated: ${hydrated}`);
  } catch (e) {
    lines.push(`  body unreadable: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const error of await page.pageErrors({ filter: 'all' })) lines.push(`  page error: ${error.stack ?? error.message}`);
  for (const message of await page.consoleMessages({ filter: 'all' })) {
    if (message.type() === 'error' || message.type() === 'warning') {
      lines.push(`  console.${message.type()}: ${message.text()}`);
    }
  }
  for (const request of await page.requests()) {
    const response = await request.response().catch(() => null);
    const failure = request.failure()?.errorText;
    if (failure || !response || response.status() >= 400) {
      lines.push(`  request ${request.method()} ${request.url()}: ${failure ?? response?.status() ?? 'no response yet'}`);
    }
  }
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
