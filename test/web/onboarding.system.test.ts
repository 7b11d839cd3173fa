// Onboarding in Chromium against a real `lifeboat serve` on an empty installation with no token:
// the page opens on "Restore from backup"; a backup found in the local folder is restored with its
// key after a wrong key was refused with nothing written; an uploaded backup is restored too.

import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, ensureWebBuilt, launchBrowser, openPage, serve, snap, treeDigest, watchErrors, type Served } from './web-harness.js';

const KEY = 'K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY-E5JL';
const DB = 'home-assistant_v2.db';

let browser: Browser;
let root: string;
let source: string;
let encryptedBackup: string;
let plainBackup: string;
const servers: Served[] = [];

async function backupOf(name: string, extra: string[]): Promise<string> {
  const r = await runCli(['-c', source, 'backup', 'create', '--name', name, '--json', ...extra]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { path: string }).path;
}

/** Every restored file (but the database, a fresh snapshot) is identical to the source's. */
async function expectRestoredFromSource(dir: string): Promise<void> {
  const restored = await treeDigest(dir);
  const original = await treeDigest(source);
  expect(Object.keys(restored)).toContain('configuration.yaml');
  expect(Object.keys(restored)).toContain(DB);
  for (const [path, digest] of Object.entries(restored)) if (path !== DB) expect([path, digest]).toEqual([path, original[path]]);
}

async function emptyInstallation(name: string, withBackup?: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'backups'), { recursive: true });
  if (withBackup) await copyFile(withBackup, join(dir, 'backups', 'old-home.tar'));
  return dir;
}

async function openOnboarding(dir: string): Promise<{ page: Page; server: Served; errors: string[] }> {
  const server = await serve(dir);
  servers.push(server);
  const { page } = await openPage(browser);
  const errors = watchErrors(page, server.url);
  await page.goto(server.url);
  await page.locator('lb-onboarding h1').waitFor();
  expect(await page.locator('lb-onboarding h1').textContent()).toBe('Restore from backup');
  return { page, server, errors };
}

beforeAll(async () => {
  await ensureWebBuilt();
  root = await tmpDir('lifeboat-web-');
  source = await demoInstallation(join(root, 'source'));
  encryptedBackup = await backupOf('Old home', ['--password', KEY]);
  plainBackup = await backupOf('Old home, unencrypted', []);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

describe('web UI: onboarding', () => {
  it('restores a backup found in the local folder; a wrong key is refused and nothing is written', async () => {
    const dir = await emptyInstallation('found', encryptedBackup);
    const { page, server, errors } = await openOnboarding(dir);
    await snap(page, 'onboarding-choose');
    await page.getByLabel(/Old home/).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('lb-onboarding section.card').textContent()).toMatch(/needs the key with fingerprint [0-9a-f]{4}-[0-9a-f]{4}/);

    await page.getByLabel('Key', { exact: true }).fill('WRNG-WRNG-WRNG-WRNG-WRNG-WRNG-WRNG');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=key-error]').textContent(), { timeout: 60_000 }).toContain('does not open the backup');
    await snap(page, 'onboarding-wrong-key');
    expect(await treeDigest(dir)).toEqual({});

    await page.getByLabel('Key', { exact: true }).fill(KEY);
    await page.getByRole('button', { name: 'Next' }).click();
    await snap(page, 'onboarding-restore');
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.locator('[data-testid=onboarding-done]').waitFor({ timeout: 90_000 });
    await snap(page, 'onboarding-done');
    await expectRestoredFromSource(dir);

    // The installation is no longer empty: onboarding is closed, signing in is next.
    expect((await fetch(`${server.url}/api/onboarding/backup/info`)).status).toBe(401);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('lb-sign-in h1').waitFor();
    expect(errors).toEqual([]);
  });

  it('restores an uploaded backup file', async () => {
    const dir = await emptyInstallation('uploaded');
    const { page, errors } = await openOnboarding(dir);
    expect(await page.getByText('No backups were found in the local backup folder.').count()).toBe(1);
    await page.locator('lb-upload input[type=file]').setInputFiles(plainBackup);
    await expect.poll(() => page.getByLabel(/Old home, unencrypted/).isChecked(), { timeout: 60_000 }).toBe(true);
    await snap(page, 'onboarding-uploaded');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.locator('[data-testid=onboarding-done]').waitFor({ timeout: 90_000 });
    await expectRestoredFromSource(dir);
    expect(errors).toEqual([]);
  });
});
