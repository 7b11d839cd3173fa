// The restore wizard in Chromium against a real `lifeboat serve`: an encryption key created in
// Settings, an encrypted backup made from the page, a decrypted download (by the server, through a
// one-use signed link with no key in any URL), then files changed on
// disk; a wrong key is refused before anything happens (the tree is unchanged), and the right key
// restores the files as they were.

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { httpRequest } from '../helpers/http-client.js';
import { tmpDir } from '../helpers/tmp.js';
import { stagingFolders } from '../helpers/data-dir.js';
import { demoInstallation, snap, startSession, treeDigest, wsCall, type Session } from './web-harness.js';

let session: Session;
let page: Page;
let installation: string;
let errors: string[];
const original: Record<string, string> = {};

beforeAll(async () => {
  installation = await demoInstallation(join(await tmpDir('lifeboat-web-'), 'home'));
  for (const f of ['configuration.yaml', 'scripts.yaml']) original[f] = await readFile(join(installation, f), 'utf8');
  session = await startSession(installation);
  ({ page, errors } = session);
});

afterAll(() => session?.stop());

describe('web UI: restore', () => {
  it('creates an encryption key in Settings and an encrypted backup from the page', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Create a key' }).click();
    await expect.poll(() => page.locator('[data-testid=key-fingerprint]').textContent()).toMatch(/fingerprint [0-9a-f]{4}-[0-9a-f]{4}/);

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Back up now' }).click();
    const dialog = page.locator('lb-backup-now dialog');
    await dialog.getByLabel('Name').fill('Before the change');
    expect(await dialog.getByLabel('Encrypt with the encryption key').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Create backup' }).click();
    await page.locator('[data-testid=job][data-state=completed]').waitFor({ timeout: 90_000 });
  });

  it('downloads the encrypted backup decrypted by the server, through a one-use link without the key in any URL', async () => {
    await page.getByRole('link', { name: 'Before the change' }).click();
    await page.locator('lb-backup-details h1').waitFor();
    expect(await page.locator('[data-testid=encryption]').textContent()).toMatch(/needs the key with fingerprint [0-9a-f]{4}-[0-9a-f]{4}/);
    const key = (await wsCall<{ key: string }>(session.server.url, session.token, 'lifeboat/key/show')).key;
    // Every URL the page asked for, and the downloads' own URLs (a download is not a page request).
    const requested: string[] = [];
    const downloads: string[] = [];
    const onRequest = (r: Request) => void requested.push(r.url());
    page.on('request', onRequest);
    const dir = await tmpDir('lifeboat-dl-');
    for (const [button, protectedExpected] of [
      ['Download', true],
      ['Download decrypted', false],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
      const file = join(dir, `${protectedExpected ? 'stored' : 'decrypted'}.tar`);
      await download.saveAs(file);
      downloads.push(download.url());
      const reader = await BackupReader.open(file);
      expect(reader.backup.protected).toBe(protectedExpected);
      expect(reader.backup.name).toBe('Before the change');
      await reader.close();
    }
    page.off('request', onRequest);
    expect(downloads).toHaveLength(2);
    expect(downloads[1]).toMatch(/\/api\/backup\/download\/\w+\?.*decrypt=1(&|$)/);
    expect(downloads[1]).toMatch(/[?&]authSig=/);
    for (const url of [...requested, ...downloads]) {
      expect(url).not.toMatch(/[?&]password=/);
      expect(decodeURIComponent(url)).not.toContain(key);
    }
    // The link worked once; the same signed URL again is refused.
    const replay = await httpRequest(downloads[1] as string);
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/already used/) });
  });

  it('refuses a wrong key before anything starts, and changes nothing on disk', async () => {
    await writeFile(join(installation, 'configuration.yaml'), 'homeassistant:\n  name: Broken by an edit\n');
    await writeFile(join(installation, 'broken.yaml'), 'oops: true\n');
    await rm(join(installation, 'scripts.yaml'));
    const changed = await treeDigest(installation);

    await page.getByRole('button', { name: 'Restore…' }).click();
    await page.locator('lb-restore-wizard h1').waitFor();
    await snap(page, 'restore-what');
    await page.getByRole('button', { name: 'Next' }).click();
    const needed = /fingerprint ([0-9a-f]{4}-[0-9a-f]{4})/.exec((await page.locator('lb-restore-wizard section.card p').first().textContent()) ?? '')?.[1];
    expect(needed).toBeTruthy();
    await page.getByLabel('Key', { exact: true }).fill('AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.locator('[data-testid=key-error]').textContent()).toContain('does not open the backup');
    await snap(page, 'restore-wrong-key');
    expect(await treeDigest(installation)).toEqual(changed);
    expect(await stagingFolders(installation)).toEqual([]);

    await page.getByRole('button', { name: 'Use the saved key' }).click();
    await expect.poll(() => page.locator('#key-fp').textContent()).toContain(needed as string);
    await snap(page, 'restore-key');
  });

  it('restores the backup after a confirmation, and the files are back as they were', async () => {
    await page.getByRole('button', { name: 'Next' }).click();
    const replaces = (await page.locator('[data-testid=replaces]').textContent()) ?? '';
    expect(replaces).toContain('all configuration and files');
    expect(replaces).toContain('the history database');
    const restoreButton = page.getByRole('button', { name: 'Restore now' });
    expect(await restoreButton.isDisabled()).toBe(true);
    await page.getByLabel('I understand that these files will be replaced').check();
    await snap(page, 'restore-confirm');
    await restoreButton.click();
    await page.locator('[data-testid=restore-result]').waitFor({ timeout: 90_000 });
    expect(await page.locator('[data-testid=restore-result]').getAttribute('data-ok')).toBe('true');
    await page.locator('[data-testid=job][data-state=completed]').waitFor();
    await snap(page, 'restore-done');

    expect(await readFile(join(installation, 'configuration.yaml'), 'utf8')).toBe(original['configuration.yaml']);
    expect(await readFile(join(installation, 'scripts.yaml'), 'utf8')).toBe(original['scripts.yaml']);
    expect(existsSync(join(installation, 'broken.yaml'))).toBe(false);
    expect(errors).toEqual([]);
  });
});
