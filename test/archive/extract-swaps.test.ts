// Extraction never writes through a symbolic link it did not create: another process swapping a
// folder of the target (or the target itself) for a link to an outside folder between two entries
// gets nothing written there, and the extraction fails with a clear error. The swap happens at the
// pause point before an entry, once everything before it is on disk.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { PAUSE_BEFORE_ENTRY, extractEntries } from '../../src/archive/safe-extract.js';
import { fromBuffers } from '../../src/util/chunks.js';
import { UnsafeEntryError } from '../../src/util/errors.js';
import { onPausePoint } from '../../src/util/pause-point.js';
import { TYPE, craftTar, type CraftEntry } from '../helpers/craft-archive.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';

let unhook: (() => void) | null = null;
afterEach(() => {
  unhook?.();
  unhook = null;
});

interface Sandbox {
  base: string;
  target: string;
  outside: string;
  before: Awaited<ReturnType<typeof describeTree>>;
}

async function sandbox(): Promise<Sandbox> {
  const base = await tmpDir('lifeboat-extract-swap-');
  const outside = join(base, 'outside');
  await makeTree(outside, { 'secret.txt': 'secret\n', 'keep/me.txt': 'keep\n' });
  const target = join(base, 'out');
  await mkdir(target);
  return { base, target, outside, before: await describeTree(base, { ignore: ['out/', 'out.moved/'], mtimes: true }) };
}

async function expectNothingOutside(sb: Sandbox): Promise<void> {
  expect(await describeTree(sb.base, { ignore: ['out/', 'out.moved/'], mtimes: true })).toEqual(sb.before);
}

/** Swaps the folder `rel` of the target for a link to the outside folder when `entry` is next. */
function swapBefore(sb: Sandbox, entry: string, rel: string): void {
  unhook = onPausePoint(PAUSE_BEFORE_ENTRY, async (path) => {
    if (path !== entry) return;
    const folder = join(sb.target, rel);
    await rename(folder, `${folder}.moved`);
    await symlink(sb.outside, folder);
  });
}

async function extract(sb: Sandbox, entries: CraftEntry[]): Promise<unknown> {
  return extractEntries(readTarEntries(fromBuffers(craftTar(entries))), { target: sb.target }).then(
    () => null,
    (err: unknown) => err,
  );
}

describe('a folder swapped for a symbolic link during extraction', () => {
  it('writes the next file into the real folder, never the outside one, and fails clearly', async () => {
    const sb = await sandbox();
    swapBefore(sb, 'data/a/f2', 'data/a');
    const err = await extract(sb, [
      { name: 'data/', type: TYPE.directory },
      { name: 'data/a/', type: TYPE.directory, mode: 0o700 },
      { name: 'data/a/f1', data: 'one' },
      { name: 'data/a/f2', data: 'two' },
      { name: 'data/a/big', data: Buffer.alloc((1 << 20) + 1, 3) },
    ]);
    expect(err).toBeInstanceOf(UnsafeEntryError);
    expect((err as Error).message).toMatch(/The folder data\/a was replaced .* while the backup was being extracted; refusing to write through it/);
    await expectNothingOutside(sb);
    expect(await readFile(join(sb.target, 'data/a.moved/f2'), 'utf8')).toBe('two');
  });

  it('refuses at once when the swapped folder is entered again', async () => {
    const sb = await sandbox();
    swapBefore(sb, 'data/b/f', 'data/b');
    const err = await extract(sb, [
      { name: 'data/', type: TYPE.directory },
      { name: 'data/b/', type: TYPE.directory },
      { name: 'data/b/f', data: 'x' },
      { name: 'data/later', data: 'never' },
    ]);
    expect(err).toBeInstanceOf(UnsafeEntryError);
    expect((err as Error).message).toMatch(/data\/b was replaced/);
    await expectNothingOutside(sb);
    expect(existsSync(join(sb.target, 'data/later')), 'entries after the refusal were written').toBe(false);
  });

  it('creates hard links and symbolic links in the real folder, never the outside one', async () => {
    const sb = await sandbox();
    swapBefore(sb, 'data/z', 'data/c');
    const err = await extract(sb, [
      { name: 'data/c/', type: TYPE.directory },
      { name: 'data/c/f', data: 'f' },
      { name: 'data/z', data: 'z' },
      { name: 'data/c/hard', type: TYPE.hardLink, linkname: 'data/c/f' },
      { name: 'data/c/soft', type: TYPE.symlink, linkname: 'f' },
    ]);
    expect(err).toBeInstanceOf(UnsafeEntryError);
    await expectNothingOutside(sb);
  });

  it('fails clearly, writing nothing outside, when the target folder itself is swapped', async () => {
    const sb = await sandbox();
    unhook = onPausePoint(PAUSE_BEFORE_ENTRY, async (path) => {
      if (path !== 'data/x') return;
      await rename(sb.target, `${sb.target}.moved`);
      await symlink(sb.outside, sb.target);
    });
    const err = await extract(sb, [
      { name: 'data/', type: TYPE.directory, mode: 0o700 },
      { name: 'data/w', data: 'w' },
      { name: 'data/x', data: 'x' },
    ]);
    expect(err).toBeInstanceOf(UnsafeEntryError);
    expect((err as Error).message).toMatch(/The folder \(the target\) was replaced/);
    await expectNothingOutside(sb);
    expect(existsSync(join(sb.outside, 'data')), 'an entry was written into the outside folder').toBe(false);
  });
});
