import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  sendMessage,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

/** Runs axe-core (WCAG 2.1 A and AA) on what is on screen; every violation fails the test. */
async function expectNoViolations(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(found, `axe-core on ${screen}`).toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  for (const [label, viewport] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`every screen passes axe-core (${scheme}, ${label})`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });

      await page.goto('/login');
      await waitHydrated(page);
      await expectNoViolations(page, 'sign-in');
      await page.goto('/signup');
      await waitHydrated(page);
      await expectNoViolations(page, 'sign-up');

      await signUp(page, uniqueName('axe'));
      await waitHydrated(page);
      await expectNoViolations(page, 'home');

      await createConversation(page, 'Accessible room');
      await waitConnected(page);
      await sendMessage(page, 'A message to check contrast and names');
      await expectNoViolations(page, 'conversation');

      await page.goto('/rooms');
      await waitHydrated(page);
      await expectNoViolations(page, 'room directory');
      await page.goto('/account');
      await waitHydrated(page);
      await expectNoViolations(page, 'account');
    });
  }
}
