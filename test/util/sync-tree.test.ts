// Flushing an extracted tree before it is swapped in: every file and folder is opened and synced,
// and links are neither followed nor fatal.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncTree } from '../../src/util/durable-fs.js';
import { tmpDir } from '../helpers/tmp.js';

describe('syncTree', () => {
  it('syncs a tree with nested folders, leaving links alone (dangling ones included)', async () => {
    const root = await tmpDir();
    await mkdir(join(root, 'a/b'), { recursive: true });
    await writeFile(join(root, 'a/b/file.yaml'), 'x: 1\n');
    await writeFile(join(root, 'top.db'), Buffer.alloc(100_000, 1));
    await symlink('/nonexistent/target', join(root, 'dangling'));
    await symlink('/etc', join(root, 'to-a-folder'));
    await expect(syncTree(root)).resolves.toBeUndefined();
  });

});
