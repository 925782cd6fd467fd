import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { waitHydrated } from './helpers';

// The server under test (playwright.config.ts): `palaver admin grant` runs against its database.
const root = path.resolve(__dirname, '..', '..');
const server = process.env.PALAVER_E2E_SERVER ?? path.join(root, 'target', 'release', 'palaver');

/** Makes `name` an instance admin with the command line, as an operator would. */
export function grantAdmin(name: string): string {
  return execFileSync(server, ['admin', 'grant', name, '--data-dir', process.env.PALAVER_E2E_DATA_DIR!], {
    encoding: 'utf8',
  });
}

export const userRow = (page: Page, name: string) =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader').filter({ hasText: name }) });

export async function openUsers(page: Page, find: string): Promise<void> {
  await page.goto('/admin/users');
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await waitHydrated(page);
  await page.getByLabel('Find an account', { exact: true }).fill(find);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(userRow(page, find)).toBeVisible();
}

