// The web UI in Chromium against a real `lifeboat serve` on a demo installation: sign-in, creating
// a backup from the page with its progress to completion, the backup list (sort, filter), upload
// with progress, download as stored (byte-identical), integrity check, multi-select delete.

import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, focused, sha256File, snap, startSession, type Served, type Session } from './web-harness.js';

let session: Session;
let context: BrowserContext;
let page: Page;
let server: Served;
let token: string;
let installation: string;
let foreignBackup: string;
let errors: string[];

/** A larger, compressible file, so that writing the archive takes long enough to watch. */
async function addCameraLog(dir: string): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < 120_000; i++) lines.push(`${new Date(1_700_000_000_000 + i * 1000).toISOString()} camera.porch motion=${i % 7} frame=${(i * 7919) % 100_003} ok`);
  await writeFile(join(dir, 'www', 'camera.log'), lines.join('\n'));
}

const tars = async (dir: string) => (await readdir(join(dir, 'backups'))).filter((n) => n.endsWith('.tar'));

beforeAll(async () => {
  const root = await tmpDir('lifeboat-web-');
  installation = await demoInstallation(join(root, 'home'));
  await addCameraLog(installation);
  // A backup of another installation, to upload: the list shows it as "Uploaded".
  const other = await demoInstallation(join(root, 'other'));
  const made = await runCli(['-c', other, 'backup', 'create', '--name', 'From the old server', '--no-database', '--json']);
  expect(made.code).toBe(0);
  foreignBackup = (JSON.parse(made.stdout) as { path: string }).path;
  session = await startSession(installation, { signIn: false });
  ({ server, token, context, page, errors } = session);
});

afterAll(() => session?.stop());

describe('web UI: backups', () => {
  it('refuses a wrong token and signs in with a right one, for this tab only', async () => {
    await page.goto(server.url);
    await page.locator('lb-sign-in h1').waitFor();
    await snap(page, 'sign-in');
    // With the keyboard only: type, Enter; the error is announced and the field focused again.
    await page.locator('#token').focus();
    await page.keyboard.type('lbt_not-a-real-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('not accepted');
    expect(await focused(page)).toBe('input#token: ');
    await snap(page, 'sign-in-error');

    await page.locator('#token').fill(token);
    await page.keyboard.press('Tab'); // "remember me"
    await page.keyboard.press('Tab'); // "Sign in"
    expect(await focused(page)).toBe('button: Sign in');
    await page.keyboard.press('Enter');
    await page.locator('lb-overview h1').waitFor();
    await expect.poll(() => focused(page)).toBe('h1: Overview');
    expect(await page.evaluate("[sessionStorage.getItem('lifeboat.token') !== null, localStorage.getItem('lifeboat.token')]")).toEqual([true, null]);
    await expect.poll(() => page.locator('[data-testid=manager-state]').textContent()).toBe('Ready');
    await snap(page, 'overview-empty');
  });

  it('creates a backup from the page and shows its progress to completion', async () => {
    const before = await tars(installation);
    await page.getByRole('button', { name: 'Back up now' }).click();
    const dialog = page.locator('lb-backup-now dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill('Made in the browser');
    await snap(page, 'back-up-now-dialog');
    await dialog.getByRole('button', { name: 'Create backup' }).click();

    const job = page.locator('[data-testid=job]');
    await job.waitFor();
    // Catch it while bytes are being written, if it is still running by then.
    for (let i = 0; i < 40 && Number(await job.getAttribute('data-peak-bytes')) === 0; i++) await page.waitForTimeout(50);
    if ((await job.getAttribute('data-state')) === 'in_progress') await snap(page, 'backup-progress');
    await page.locator('[data-testid=job][data-state=completed]').waitFor({ timeout: 90_000 });
    expect(await job.getAttribute('data-seen')).toBe('start home_assistant upload_to_agents cleaning_up finished');
    expect(Number(await job.getAttribute('data-peak-bytes'))).toBeGreaterThan(1_000_000);
    await expect.poll(() => job.getByRole('status').textContent()).toContain('The backup is complete');
    await expect.poll(async () => (await page.locator('lb-overview ul.recent').textContent()) ?? '').toContain('Made in the browser');
    await snap(page, 'backup-complete');
    expect((await tars(installation)).length).toBe(before.length + 1);
  });

  it('uploads a backup file with progress and lists it as uploaded', async () => {
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await page.locator('lb-backups-page h1').waitFor();
    // Slow the upload down so that its progress can be seen.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200 * 1024 });
    await page.locator('lb-upload input[type=file]').setInputFiles(foreignBackup);
    const progress = page.locator('lb-upload #upload-progress');
    await progress.waitFor({ timeout: 10_000 });
    await snap(page, 'backups-uploading');
    await page.locator('lb-upload #upload-progress').waitFor({ state: 'detached', timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await expect.poll(() => page.locator('[data-testid=backup-count]').textContent()).toBe('2 backups');

    await page.getByLabel('Type').selectOption('uploaded');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr td.name').textContent()).toContain('From the old server');
    await page.getByLabel('Type').selectOption('manual');
    expect(await page.locator('tbody tr td.name').textContent()).toContain('Made in the browser');
    await page.getByLabel('Type').selectOption('all');
    await snap(page, 'backups-list');
  });

  it('sorts by name and size', async () => {
    const names = () => page.locator('tbody td.name').allTextContents();
    await page.getByRole('button', { name: 'Sort by Name' }).click();
    expect((await names()).map((n) => n.trim())).toEqual(['From the old server', 'Made in the browser']);
    expect(await page.locator('th[aria-sort=ascending]').textContent()).toContain('Name');
    await page.getByRole('button', { name: 'Sort by Name' }).click();
    expect((await names()).map((n) => n.trim())).toEqual(['Made in the browser', 'From the old server']);
    await page.getByRole('button', { name: 'Sort by Size' }).click();
    expect((await names()).map((n) => n.trim())[0]).toBe('Made in the browser');
  });

  it('downloads a backup exactly as it is stored', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download From the old server' }).click()]);
    const saved = join(await tmpDir('lifeboat-dl-'), download.suggestedFilename());
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toMatch(/\.tar$/);
    expect(await sha256File(saved)).toBe(await sha256File(foreignBackup));
  });

  it('shows the details of a backup and checks its integrity', async () => {
    await page.getByRole('link', { name: 'Made in the browser' }).click();
    await page.locator('lb-backup-details h1').waitFor();
    expect(await page.locator('lb-backup-details h1').textContent()).toBe('Made in the browser');
    expect(await page.locator('[data-testid=encryption]').textContent()).toContain('Not encrypted');
    await page.getByRole('button', { name: 'Check integrity' }).click();
    await expect.poll(() => page.locator('[data-testid=integrity]').textContent(), { timeout: 60_000 }).toContain('Intact');
    await snap(page, 'backup-details');
    await page.getByRole('link', { name: 'All backups' }).click();
  });

  it('deletes several selected backups from every location', async () => {
    await page.locator('lb-backups-page h1').waitFor();
    await page.getByLabel('Select all shown backups').check();
    await page.getByRole('button', { name: 'Delete 2 selected' }).click();
    await page.locator('#confirm-delete').waitFor();
    await snap(page, 'backups-delete-confirm');
    await page.locator('#confirm-delete').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('[data-testid=backup-count]').textContent()).toBe('0 backups');
    await page.getByText('There are no backups yet').waitFor();
    expect(await tars(installation)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
