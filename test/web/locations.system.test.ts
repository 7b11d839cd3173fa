// The web UI with a second location (a folder added with `lifeboat location add`), in Chromium
// against a real `lifeboat serve`: the overview lists both, "Back up now" copies to both with the
// folder's upload progress, the list filters by location, an upload can go to the folder, and
// the settings choose the locations of automatic backups and their encryption.

import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, snap, startSession, wsCall, type Served, type Session } from './web-harness.js';

let session: Session;
let page: Page;
let server: Served;
let token: string;
let nas: string;
let foreignBackup: string;
let errors: string[];

beforeAll(async () => {
  const root = await tmpDir('lifeboat-web-');
  const installation = await demoInstallation(join(root, 'home'));
  nas = join(root, 'nas');
  await mkdir(nas);
  const added = await runCli(['-c', installation, 'location', 'add', 'folder', 'nas', '--path', nas]);
  expect(added.code, added.stderr).toBe(0);
  const other = await demoInstallation(join(root, 'other'));
  const made = await runCli(['-c', other, 'backup', 'create', '--name', 'From the old server', '--no-database', '--json']);
  foreignBackup = (JSON.parse(made.stdout) as { path: string }).path;
  session = await startSession(installation);
  ({ server, token, page, errors } = session);
});

afterAll(() => session?.stop());

const tarsIn = async (dir: string) => (await readdir(dir, { recursive: true })).filter((n) => String(n).endsWith('.tar'));

describe('web UI: two locations', () => {
  it('lists both locations and backs up to both, with the folder’s upload progress', async () => {
    await expect.poll(() => page.locator('[data-agent="folder.nas"]').textContent()).toContain('Working');
    await page.getByRole('button', { name: 'Back up now' }).click();
    const dialog = page.locator('lb-backup-now dialog');
    await dialog.getByLabel('Name').fill('In two places');
    await dialog.getByLabel('nas (folder.nas)').check();
    await dialog.getByRole('button', { name: 'Create backup' }).click();
    const job = page.locator('[data-testid=job][data-state=completed]');
    await job.waitFor({ timeout: 90_000 });
    const uploads = (await job.getAttribute('data-uploads')) ?? '';
    const m = /folder\.nas:(\d+)\/(\d+)/.exec(uploads);
    expect(m, uploads).not.toBeNull();
    expect(m?.[1]).toBe(m?.[2]);
    await expect.poll(() => page.locator('[data-agent="folder.nas"]').textContent()).toContain('1 backup');
    await snap(page, 'overview-two-locations');
    expect((await tarsIn(nas)).length).toBe(1);
  });

  it('filters the list by location and uploads a backup to the folder only', async () => {
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    const upload = page.locator('lb-upload');
    await upload.getByLabel('local').uncheck();
    await upload.getByLabel('nas').check();
    await upload.locator('input[type=file]').setInputFiles(foreignBackup);
    await expect.poll(() => page.locator('[data-testid=backup-count]').textContent(), { timeout: 60_000 }).toBe('2 backups');
    await page.getByLabel('Location').selectOption('folder.nas');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Location').selectOption('backup.local');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody td.name').textContent()).toContain('In two places');
    await page.getByLabel('Location').selectOption('all');
    expect(await page.locator('tr', { hasText: 'From the old server' }).locator('td[data-label=Locations]').textContent()).toBe('nas');
    await snap(page, 'backups-two-locations');
  });

  it('chooses the locations of automatic backups and their encryption', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const card = page.locator('lb-settings-automatic [data-agent="folder.nas"]');
    await card.getByLabel('Use nas').check();
    await card.getByLabel('Encrypted').uncheck();
    const config = async () => (await wsCall<{ config: { create_backup: { agent_ids: string[] }; agents: Record<string, { protected: boolean }> } }>(server.url, token, 'backup/config/info')).config;
    await expect.poll(async () => (await config()).create_backup.agent_ids).toEqual(['folder.nas']);
    await expect.poll(async () => (await config()).agents['folder.nas']?.protected).toBe(false);
    await snap(page, 'settings-two-locations');
    expect(errors).toEqual([]);
  });
});
