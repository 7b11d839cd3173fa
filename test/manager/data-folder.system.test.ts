// Lifeboat's data folder lives outside the installation: a fresh run leaves nothing of Lifeboat's
// in the config folder but backups/, an old <installation>/.lifeboat is moved out once (tokens, keys
// and settings still work), and --data / LIFEBOAT_DATA choose another place.

import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataRoot } from '../../src/manager/data-folder.js';
import { runCli, runCliOk } from '../helpers/cli.js';
import { dataDir } from '../helpers/data-dir.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';

describe("Lifeboat's data folder", () => {
  it('is outside the installation by default: a fresh run adds only backups/ to the config folder', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    await runCliOk(['-c', inst, 'backup', 'create']); // makeInstallation already has backups/readme.txt
    const before = (await readdir(inst)).sort();
    await runCliOk(['-c', inst, 'key', 'rotate']);
    await runCliOk(['-c', inst, 'token', 'create', 'owner']);
    await runCliOk(['-c', inst, 'backup', 'create']);
    expect((await readdir(inst)).sort()).toEqual(before);
    expect(before).not.toContain('.lifeboat');
    expect(dataDir(inst).startsWith(join(process.env.XDG_STATE_HOME as string, 'lifeboat'))).toBe(true);
    expect((await readdir(dataDir(inst))).sort()).toEqual(expect.arrayContaining(['secrets.json', 'tokens.json', 'settings.json']));
  });

  it('is one folder per installation path, named after it', () => {
    const a = defaultDataRoot('/srv/ha/config', { XDG_STATE_HOME: '/state' });
    const b = defaultDataRoot('/srv/other/config', { XDG_STATE_HOME: '/state' });
    expect(a).toMatch(/^\/state\/lifeboat\/config-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
    expect(defaultDataRoot('/srv/ha/config', { HOME: '/home/ha' })).toMatch(/^\/home\/ha\/\.local\/state\/lifeboat\/config-/);
  });

  it('moves an old <installation>/.lifeboat out once, with a message, keeping its tokens and keys', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const legacy = join(await tmpDir(), 'legacy-data');
    // Made the way older releases kept it, then put where they put it.
    await runCliOk(['-c', inst, '--data', legacy, 'key', 'rotate']);
    const token = (await runCliOk(['-c', inst, '--data', legacy, 'token', 'create', 'owner'])).trim();
    const key = (await runCliOk(['-c', inst, '--data', legacy, 'key', 'show'])).split('\n')[0];
    await promisify(execFile)('cp', ['-a', legacy, join(inst, '.lifeboat')]);

    const first = await runCli(['-c', inst, 'key', 'show']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`Moved Lifeboat's data folder out of the installation, from ${join(inst, '.lifeboat')} to ${dataDir(inst)}`);
    expect(first.stdout.split('\n')[0]).toBe(key);
    expect(existsSync(join(inst, '.lifeboat'))).toBe(false);
    expect((await stat(dataDir(inst))).mode & 0o777).toBe(0o700);
    const { openTokens } = await import('../../src/core/tokens.js');
    expect(await (await openTokens(inst)).verify(token)).not.toBeNull();

    const second = await runCli(['-c', inst, 'key', 'show']);
    expect(second.stderr).not.toContain('Moved');
  });

  it('goes where --data or LIFEBOAT_DATA says', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const chosen = join(await tmpDir(), 'chosen');
    await runCliOk(['-c', inst, 'key', 'rotate'], { env: { LIFEBOAT_DATA: chosen } });
    expect(existsSync(join(chosen, 'secrets.json'))).toBe(true);
    expect(existsSync(dataDir(inst))).toBe(false);
  });
});
