// A restore run as root into an installation that Home Assistant writes as another user is refused
// before anything is extracted: every restored file would be root's, and Home Assistant could not
// change them. Into a folder another user made for a Home Assistant that runs as root, as any other
// user, or into a folder that does not exist yet, it goes ahead.

import { chown, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkRestoreOwner, RestoreOwnerError } from '../../src/manager/restore-owner.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';

const asRoot = process.getuid?.() === 0;

describe('whose the restored files will be', () => {
  it.skipIf(!asRoot)('refuses a restore as root into an installation Home Assistant writes as another user, extracting nothing, and not into one it writes as root', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst });
    const created = await manager.create({});
    await writeFile(join(inst, 'configuration.yaml'), 'edited: true\n');
    await chown(inst, 1000, 1000);
    await chown(join(inst, '.storage'), 1000, 1000);
    const err = await manager.restore({ backupId: created.backupId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreOwnerError);
    expect((err as Error).message).toContain(`The installation ${inst} is written by user 1000, and Lifeboat runs as root`);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited: true\n');
    expect((await readdir(inst)).filter((n) => n.startsWith('.lifeboat-restore-'))).toEqual([]);
    // A folder made by a user and handed to a Home Assistant that runs as root: its files are root's.
    await chown(join(inst, '.storage'), 0, 0);
    await manager.restore({ backupId: created.backupId });
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).not.toBe('edited: true\n');
  });

  it('lets any other user restore, and root into a folder that is root\'s or not there yet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-owner-'));
    await expect(checkRestoreOwner(dir, 1000)).resolves.toBeUndefined();
    await expect(checkRestoreOwner(join(dir, 'missing'), 0)).resolves.toBeUndefined();
    if (asRoot) await expect(checkRestoreOwner(dir, 0)).resolves.toBeUndefined();
  });
});
