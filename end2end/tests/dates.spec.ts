import { expect, test } from './fixtures';
import { bubble, createConversation, sendMessage, signUp, uniqueName, waitConnected } from './helpers';

// A reader in New York whose "today" falls in the other season than the day a message was
// sent: the message must be shown with the offset of its own day, not of today (issue 10.5).
test.use({ timezoneId: 'America/New_York' });

/** New York's offset from UTC in minutes at `at`, by the runner's own time-zone data. */
function newYorkOffset(at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')!.value; // "GMT-05:00"
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(parts)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

test('a message time uses the offset of its own date, not of today', async ({ page }) => {
  // The browser's "today" is put in the other season than the real now (when the server
  // stamps the message), so the two offsets differ and the old behaviour would be an hour off.
  const real = new Date();
  const year = real.getUTCFullYear() + 1;
  const candidates = [new Date(`${year}-01-15T16:00:00Z`), new Date(`${year}-07-15T16:00:00Z`)];
  const today = candidates.find((d) => newYorkOffset(d) !== newYorkOffset(real))!;
  await page.clock.setFixedTime(today);

  await signUp(page, uniqueName('tz'));
  await createConversation(page, 'Time zones');
  await waitConnected(page);
  await sendMessage(page, 'what time is it');

  const time = bubble(page, 'what time is it').locator('time').first();
  const iso = await time.getAttribute('datetime');
  expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const sent = new Date(iso!);
  expect(newYorkOffset(sent)).not.toBe(newYorkOffset(today));
  const expected = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(sent);
  await expect(time).toHaveText(expected);

  // The day divider above it names that day (it is not "Today" on the reader's clock).
  const part = (type: string) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    })
      .formatToParts(sent)
      .find((p) => p.type === type)!.value;
  const label = `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}`;
  await expect(page.locator('li.day').last()).toHaveText(label);
});

test('messages of today sit under a "Today" divider', async ({ page }) => {
  await signUp(page, uniqueName('day'));
  await createConversation(page, 'Days');
  await waitConnected(page);
  await sendMessage(page, 'first of the day');
  await sendMessage(page, 'second of the day');
  await expect(page.locator('li.day')).toHaveCount(1);
  await expect(page.locator('li.day')).toHaveText('Today');
});
