// The one-go writer of new small files that extraction uses: content, mode and times, and never
// an existing path or a symlink.
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNewFile } from '../../src/util/write-new-file.js';
import { tmpDir } from '../helpers/tmp.js';

describe('writeNewFile', () => {
  it('writes content, mode and times of a new file', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'f');
    await writeNewFile(path, Buffer.from('hello'), 0o640, 1_700_000_000.5);
    expect(await readFile(path, 'utf8')).toBe('hello');
    const st = await lstat(path);
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_700_000_000_500);
  });

  it('refuses a path that exists, and never follows a symlink', async () => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'taken'), 'x');
    await expect(writeNewFile(join(dir, 'taken'), Buffer.from('y'), 0o644, 0)).rejects.toMatchObject({ code: 'EEXIST' });
    await mkdir(join(dir, 'target'));
    await symlink(join(dir, 'target', 'file'), join(dir, 'link'));
    await expect(writeNewFile(join(dir, 'link'), Buffer.from('y'), 0o644, 0)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(lstat(join(dir, 'target', 'file'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
