import { expect, test } from './fixtures';
import {
  bubble,
  composer,
  createConversation,
  expectNoViolations,
  screenshotPath,
  signUp,
  uniqueName,
  waitConnected,
} from './helpers';

const FORMATTED = [
  '**Plan** for *today*, ~~not~~ `cargo test`: see https://example.com/docs and [this](javascript:alert(1))',
  '',
  '```rust',
  'fn main() { println!("<b>not bold</b>, a very long line that has to scroll sideways in a narrow bubble"); }',
  '```',
  '',
  '> quoted <img src=x onerror=alert(1)>',
  '',
  '1. first',
  '2. second',
].join('\n');

for (const scheme of ['light', 'dark'] as const) {
  test(`messages are formatted safely, the same from the server and live (${scheme})`, async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.emulateMedia({ colorScheme: scheme });
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs += 1;
      await d.dismiss();
    });
    await signUp(page, uniqueName('fmt'));
    await createConversation(page, 'Formatting');
    await waitConnected(page);
    await composer(page).fill(FORMATTED);
    await composer(page).press('Enter');

    const check = async (where: string) => {
      const body = bubble(page, 'Plan').locator('.body');
      await expect(body.locator('strong'), where).toHaveText('Plan');
      await expect(body.locator('em'), where).toHaveText('today');
      await expect(body.locator('del'), where).toHaveText('not');
      await expect(body.locator('p code'), where).toHaveText('cargo test');
      const link = body.getByRole('link', { name: 'https://example.com/docs' });
      await expect(link, where).toHaveAttribute('href', 'https://example.com/docs');
      await expect(link, where).toHaveAttribute('target', '_blank');
      await expect(link, where).toHaveAttribute('rel', 'noopener noreferrer nofollow');
      // The javascript: link is text, the raw HTML is text.
      await expect(body.locator('a'), where).toHaveCount(1);
      await expect(body, where).toContainText('this');
      await expect(body.locator('blockquote'), where).toHaveText('quoted <img src=x onerror=alert(1)>');
      await expect(body.locator('img, script, [onerror]'), where).toHaveCount(0);
      await expect(body.locator('pre code'), where).toContainText('println!("<b>not bold</b>');
      await expect(body.locator('ol > li'), where).toHaveText(['first', 'second']);
    };
    await check('live');
    await page.screenshot({ path: screenshotPath(`formatting-desktop-${scheme}`) });

    // The server's own HTML holds the same structure.
    const html = await (await page.request.get(new URL(page.url()).pathname)).text();
    const server = await page.evaluate((html) => {
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const body = [...doc.querySelectorAll('.bubble .body')].find((b) => b.textContent?.includes('Plan'));
      return {
        strong: body?.querySelector('strong')?.textContent,
        links: [...(body?.querySelectorAll('a') ?? [])].map((a) => a.getAttribute('href')),
        pre: body?.querySelector('pre code')?.textContent?.slice(0, 30),
        injected: body?.querySelectorAll('img, script, [onerror]').length,
      };
    }, html);
    expect(server).toEqual({
      strong: 'Plan',
      links: ['https://example.com/docs'],
      pre: 'fn main() { println!("<b>not b',
      injected: 0,
    });
    await page.reload();
    await check('after reload');

    // The code block scrolls sideways instead of widening the page, and copies its text.
    const pre = bubble(page, 'Plan').locator('pre');
    expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await bubble(page, 'Plan').getByRole('button', { name: 'Copy', exact: true }).click();
    await expect(bubble(page, 'Plan').getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('fn main()');
    await expectNoViolations(page, 'formatted message');

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath(`formatting-phone-${scheme}`) });
    expect(dialogs).toBe(0);
  });
}
