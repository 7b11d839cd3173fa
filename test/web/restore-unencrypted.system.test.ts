// The restore wizard in Chromium for an unencrypted copy that someone put on a shared folder while
// the installation's backups are encrypted: the wizard warns that the copy could have been swapped
// and restores it only after its own confirmation (without it, the server refuses).

import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER_FILE } from '../../src/agents/folder-location.js';
import { runCliOk } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, snap, startSession, type Session } from './web-harness.js';

let session: Session;
let page: Page;
let installation: string;

beforeAll(async () => {
  const dir = await tmpDir('lifeboat-web-');
  installation = await demoInstallation(join(dir, 'home'));
  const share = join(dir, 'share');
  await runCliOk(['-c', installation, 'key', 'rotate']);
  await runCliOk(['-c', installation, 'location', 'add', 'folder', 'NAS', '--path', share, '--create']);
  // An unencrypted backup made by another installation, dropped into the share.
  const other = await demoInstallation(join(dir, 'other'));
  const otherShare = join(dir, 'other-share');
  await runCliOk(['-c', other, 'location', 'add', 'folder', 'NAS', '--path', otherShare, '--create']);
  await runCliOk(['-c', other, 'backup', 'create', '--name', 'Dropped in', '--location', 'folder.nas', '--json']);
  // Its archive and record, named as Home Assistant names them (the share holds nothing else but its marker).
  for (const name of (await readdir(otherShare)).filter((n) => n !== MARKER_FILE)) await copyFile(join(otherShare, name), join(share, name));
  session = await startSession(installation);
  ({ page } = session);
}, 120_000);

afterAll(() => session?.stop());

describe('web UI: restoring an unencrypted copy from another location', () => {
  it('warns that the copy could have been swapped and restores it only after that is confirmed too', async () => {
    await page.getByRole('link', { name: 'Dropped in' }).click();
    await page.locator('lb-backup-details h1').waitFor();
    await page.getByRole('button', { name: 'Restore…' }).click();
    await page.locator('lb-restore-wizard h1').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    const warning = page.locator('[data-testid=unencrypted-remote]');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('is not encrypted, although your backups are');
    const restoreButton = page.getByRole('button', { name: 'Restore now' });
    await page.getByLabel('I understand that these files will be replaced').check();
    expect(await restoreButton.isDisabled()).toBe(true);
    await page.getByLabel('I trust this unencrypted copy').check();
    await snap(page, 'restore-unencrypted-remote');
    await restoreButton.click();
    await page.locator('[data-testid=restore-result]').waitFor({ timeout: 90_000 });
    expect(await page.locator('[data-testid=restore-result]').getAttribute('data-ok')).toBe('true');
    expect(await readFile(join(installation, 'configuration.yaml'), 'utf8')).toContain('homeassistant');
  });
});
