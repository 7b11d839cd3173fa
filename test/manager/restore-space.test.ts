// How much a restore will write: the unpacked size Lifeboat recorded, else (a backup made by Home
// Assistant) the compressed member's size, never a value that is not a whole positive number; and
// which restores are refused up front for it: those that include the database.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackedBytes } from '../../src/manager/restore-space.js';
import { DiskFullError } from '../../src/util/errors.js';
import { makeInstallation } from '../helpers/installation.js';
import { withFreeSpace } from '../helpers/free-space.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';

const withExtra = (extra: Record<string, string>) => ({ extra_metadata: extra });
const KEY = 'lifeboat.unpacked_size:homeassistant.tar.gz';

describe('the bytes a restore writes', () => {
  it('are the unpacked size Lifeboat recorded', () => {
    expect(unpackedBytes(withExtra({ [KEY]: '0000000123456789' }), 'homeassistant.tar.gz', 1000)).toBe(123456789);
  });
  it.each([[{}], [{ [KEY]: 'lots' }], [{ [KEY]: '-5' }], [{ [KEY]: '0000000000000000' }], [{ [KEY]: '1e400' }]])(
    'are at least the compressed size when nothing usable was recorded (%j)',
    (extra) => {
      expect(unpackedBytes(withExtra(extra), 'homeassistant.tar.gz', 1000)).toBe(1000);
    },
  );
});

describe('a restore on a disk with little space free', () => {
  it('refuses one with the database before anything is written, and restores the configuration or a chosen path', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst });
    const { backupId } = await manager.create({});
    await writeFile(join(inst, 'configuration.yaml'), 'edited: true\n');
    const free = 32 * 1024 * 1024; // less than the margin a whole restore keeps
    await withFreeSpace({ free }, async () => {
      await expect(manager.restore({ backupId })).rejects.toBeInstanceOf(DiskFullError);
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited: true\n');
      await manager.restore({ backupId, restoreDatabase: false });
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).not.toBe('edited: true\n');
      await writeFile(join(inst, 'configuration.yaml'), 'edited again\n');
      await manager.restore({ backupId, paths: ['configuration.yaml'] });
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).not.toBe('edited again\n');
    });
  });
});
