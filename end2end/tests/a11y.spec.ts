import { test } from './fixtures';
import {
  createConversation,
  expectNoViolations,
  screenshotPath,
  sendMessage,
  signUp,
  uniqueName,
  waitConnected,
  waitHydrated,
} from './helpers';

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
      await page.getByRole('button', { name: /^Notifications: / }).click();
      await expectNoViolations(page, 'notification menu');
      await page.screenshot({ path: screenshotPath(`notify-menu-${scheme}-${label}`) });
      await page.keyboard.press('Escape');

      await page.goto('/rooms');
      await waitHydrated(page);
      await expectNoViolations(page, 'room directory');
      await page.goto('/account');
      await waitHydrated(page);
      await expectNoViolations(page, 'account');
    });
  }
}
