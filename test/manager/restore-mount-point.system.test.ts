// A restore never replaces a folder that has a file system mounted below it: it would move the mount
// along and then delete what the mounted file system holds. A real tmpfs is mounted inside the
// installation (this needs root, as the test machines run; elsewhere the test is skipped), and the
// restore is refused before anything is touched, the mounted files intact.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
const SOURCE = 'lifeboat-test';
// Every mount this test made, wherever it is now (a restore that went wrong could have moved it).
afterEach(() => {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [source, point] = line.split(' ');
    if (source === SOURCE && point) spawnSync('umount', [point.replace(/\\040/g, ' ')]);
  }
});

describe('a restore over a mount point', () => {
  it.skipIf(!canMount)('is refused before anything is touched, the mounted files intact', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst });
    const created = await manager.create({});
    const share = join(inst, 'www', 'nas');
    await mkdir(share, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', SOURCE, share], { encoding: 'utf8' });
    expect(mount.status, mount.stderr).toBe(0);
    await writeFile(join(share, 'photo.jpg'), 'on the share');
    const before = await describeTree(inst);

    await expect(manager.restore({ backupId: created.backupId })).rejects.toThrow(
      `A file system is mounted where the restore would replace files (${share})`,
    );
    expect(await describeTree(inst)).toEqual(before);
    expect(await readFile(join(share, 'photo.jpg'), 'utf8')).toBe('on the share');
  });
});
