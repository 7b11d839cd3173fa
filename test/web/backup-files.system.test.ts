// A backup's Files view in Chromium against a real `lifeboat serve` on a demo installation with a
// backup Lifeboat made: the tree of its files (folders open, sizes), a text file's content, a
// binary file's size, "Compare with now" after a file of the installation was edited (the changed
// file listed, its changed line in the unified and the side-by-side diff), and restoring one
// chosen file through the wizard while the other edits stay.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, snap, startSession, type Session } from './web-harness.js';

let session: Session;
let page: Page;
let installation: string;
let errors: string[];
const original: Record<string, string> = {};

beforeAll(async () => {
  installation = await demoInstallation(join(await tmpDir('lifeboat-web-'), 'home'));
  for (const f of ['configuration.yaml', 'scripts.yaml']) original[f] = await readFile(join(installation, f), 'utf8');
  const made = await runCli(['-c', installation, 'backup', 'create', '--name', 'Before the edit', '--json']);
  expect(made.code).toBe(0);
  session = await startSession(installation);
  ({ page, errors } = session);
});

afterAll(() => session?.stop());

describe('web UI: the files of a backup', () => {
  it('shows the tree of the backup with folders that open and sizes', async () => {
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await page.getByRole('link', { name: 'Before the edit' }).click();
    await page.locator('lb-backup-details h1').waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.locator('lb-backup-files h1').waitFor();
    const tree = page.locator('lb-file-tree');
    const storage = tree.getByRole('button', { name: '.storage/' });
    await storage.waitFor();
    expect(await storage.getAttribute('aria-expanded')).toBe('false');
    expect(await tree.getByRole('button', { name: 'core.config' }).count()).toBe(0);
    await storage.click();
    expect(await storage.getAttribute('aria-expanded')).toBe('true');
    await tree.getByRole('button', { name: 'core.config' }).waitFor();
    // Excluded files are not in the backup; sizes stand beside the entries.
    expect(await tree.getByRole('button', { name: 'home-assistant.log' }).count()).toBe(0);
    const row = tree.locator('.row', { has: page.getByRole('button', { name: 'scripts.yaml' }) });
    expect(await row.locator('.size').textContent()).toMatch(/\d+ B/);
    await snap(page, 'files-tree');
  });

  it('opens a text file and shows its content, and a binary file by its size', async () => {
    const tree = page.locator('lb-file-tree');
    await tree.getByRole('button', { name: 'configuration.yaml' }).click();
    await expect.poll(() => page.locator('[data-testid=file-content]').textContent()).toBe(original['configuration.yaml']);
    await snap(page, 'files-viewer');

    await tree.getByRole('button', { name: 'www/' }).click();
    await tree.getByRole('button', { name: 'images/' }).click();
    await tree.getByRole('button', { name: 'floorplan.png' }).click();
    await expect.poll(() => page.locator('[data-testid=binary]').textContent()).toBe(`Binary file, ${256 * 1024} bytes`);
  });

  it('compares the backup with now: the edited file is listed and its changed line shown', async () => {
    const edited = original['configuration.yaml']!.replace(/^/, '# edited after the backup\n');
    await writeFile(join(installation, 'configuration.yaml'), edited);
    await writeFile(join(installation, 'scripts.yaml'), `${original['scripts.yaml']}# a later script\n`);
    await page.getByRole('button', { name: 'Compare with now' }).click();
    const changed = page.locator('[data-testid=changed]');
    await expect.poll(() => changed.textContent(), { timeout: 60_000 }).toContain('configuration.yaml');
    expect(await changed.textContent()).toContain('scripts.yaml');
    expect(await page.locator('[data-testid=added]').count()).toBe(0);

    await page.getByRole('button', { name: 'Show the changes of configuration.yaml' }).click();
    const unified = page.locator('[data-testid=unified-diff]');
    await expect.poll(() => unified.textContent()).toContain('+# edited after the backup');
    expect(await unified.locator('.add').allTextContents()).toEqual(['+# edited after the backup']);
    await snap(page, 'files-compare');

    await page.getByLabel('Side by side').check();
    const side = page.locator('[data-testid=side-by-side-diff]');
    await side.waitFor();
    expect(await side.locator('td.add').allTextContents()).toEqual(['# edited after the backup']);
    await snap(page, 'files-compare-side-by-side');
    expect(errors).toEqual([]);
  });

  it('restores one chosen file through the wizard and leaves the other edits', async () => {
    const tree = page.locator('lb-file-tree');
    await tree.getByLabel('Select configuration.yaml').check();
    await expect.poll(() => page.locator('[data-testid=selection]').textContent()).toBe('1 item selected');
    await page.getByRole('button', { name: 'Restore these files…' }).click();
    await page.locator('lb-restore-wizard h1').waitFor();
    expect(await page.locator('[data-testid=chosen-paths]').textContent()).toContain('configuration.yaml');
    await snap(page, 'files-restore-what');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.locator('[data-testid=replaces]').textContent()).toContain('configuration.yaml');
    await page.getByLabel('I understand that these files will be replaced').check();
    await page.getByRole('button', { name: 'Restore now' }).click();
    await page.locator('[data-testid=restore-result]').waitFor({ timeout: 90_000 });
    expect(await page.locator('[data-testid=restore-result]').getAttribute('data-ok')).toBe('true');
    await snap(page, 'files-restore-done');

    expect(await readFile(join(installation, 'configuration.yaml'), 'utf8')).toBe(original['configuration.yaml']);
    expect(await readFile(join(installation, 'scripts.yaml'), 'utf8')).toBe(`${original['scripts.yaml']}# a later script\n`);
    expect(errors).toEqual([]);
  });
});
