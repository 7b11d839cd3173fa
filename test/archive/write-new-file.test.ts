// The one-go writer of new small files that extraction uses: content, mode and times, modes the
// umask would strip, and never an existing path or a symlink.
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentUmask } from '../../src/util/sync-slices.js';
import { writeNewFileSync } from '../../src/util/write-new-file.js';
import { tmpDir } from '../helpers/tmp.js';

describe('writeNewFileSync', () => {
  it('writes content, mode and times of a new file', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'f');
    writeNewFileSync(path, Buffer.from('hello'), 0o640, 1_700_000_000.5);
    expect(await readFile(path, 'utf8')).toBe('hello');
    const st = await lstat(path);
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_700_000_000_500);
  });

  it('gives a file the bits the umask strips on creation (group and world write, read-only too)', async () => {
    expect(currentUmask()).toBe(process.umask());
    const dir = await tmpDir();
    for (const mode of [0o777, 0o666, 0o444, 0o1755]) {
      const path = join(dir, `m${mode.toString(8)}`);
      writeNewFileSync(path, Buffer.from('x'), mode, 0);
      expect(((await lstat(path)).mode & 0o7777).toString(8)).toBe(mode.toString(8));
    }
  });

  it('refuses a path that exists, and never follows a symlink', async () => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'taken'), 'x');
    expect(() => writeNewFileSync(join(dir, 'taken'), Buffer.from('y'), 0o644, 0)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    await mkdir(join(dir, 'target'));
    await symlink(join(dir, 'target', 'file'), join(dir, 'link'));
    expect(() => writeNewFileSync(join(dir, 'link'), Buffer.from('y'), 0o644, 0)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    await expect(lstat(join(dir, 'target', 'file'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
