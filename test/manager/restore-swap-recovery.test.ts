// Recovery of an interrupted swap from its journal: a version 2 journal (top-level names, written
// by earlier releases) is still rolled back; a version 3 one rolls back nested paths and removes
// the folders the swap made on their way; a journal whose folders to make no restored path needs,
// or whose paths overlap, is refused without a rename.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecorderSwapPendingError, recoverSwap, RestoreJournalError } from '../../src/manager/restore-swap.js';
import { tmpDir } from '../helpers/tmp.js';
import { settleRecorderSwap } from '../../src/manager/recorder-restore-step.js';
import type { DataFolder } from '../../src/manager/data-folder.js';
import { describeTree, makeTree } from '../helpers/tree.js';

const STAGING = '.lifeboat-restore-abc123';
const RECORDER = { kind: 'mysql', host: '127.0.0.1', port: 3306, socket: null, database: 'homeassistant' } as const;

/** An installation with a staging folder, and a private folder for the journal. */
async function place() {
  const dir = await tmpDir();
  const root = join(dir, 'config');
  await mkdir(join(root, STAGING, 'old'), { recursive: true, mode: 0o700 });
  await mkdir(join(root, STAGING, 'new'), { mode: 0o700 });
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  const journal = join(dir, 'data', 'restore-journal.json');
  const plant = (j: Record<string, unknown>) => writeFile(journal, JSON.stringify({ phase: 'swapping', root, staging: STAGING, ...j }), { mode: 0o600 });
  return { root, journal, plant };
}

describe('recovery of an interrupted swap', () => {
  it('rolls back a version 2 journal of top-level names', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { [`${STAGING}/old/a.yaml`]: 'old a', 'b.yaml': 'new b', 'untouched.yaml': 'same' });
    await plant({ version: 2, moveOut: ['a.yaml'], moveIn: ['b.yaml'] });
    expect(await recoverSwap({ root, journal })).toBe('rolled_back');
    expect(Object.keys(await describeTree(root))).toEqual(['a.yaml', 'untouched.yaml']);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('old a');
    expect(existsSync(journal)).toBe(false);
  });

  it('rolls back nested paths of a version 3 journal and removes the folders the swap made', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, {
      [`${STAGING}/old/.storage/core.config`]: 'old config',
      '.storage/core.config': 'new config',
      '.storage/other': 'same',
      'custom_components/foo/__init__.py': 'new foo',
    });
    await plant({ version: 3, moveOut: ['.storage/core.config'], moveIn: ['.storage/core.config', 'custom_components/foo'], madeDirs: ['custom_components'] });
    expect(await recoverSwap({ root, journal })).toBe('rolled_back');
    expect(Object.keys(await describeTree(root))).toEqual(['.storage', '.storage/core.config', '.storage/other']);
    expect(await readFile(join(root, '.storage/core.config'), 'utf8')).toBe('old config');
  });

  it('ends a committed swap whose staging folder is already gone, touching nothing', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { 'a.yaml': 'new a' });
    await rm(join(root, STAGING), { recursive: true });
    await plant({ version: 3, phase: 'swapped', moveOut: ['a.yaml'], moveIn: ['a.yaml'], madeDirs: [] });
    expect(await recoverSwap({ root, journal })).toBe('completed');
    expect(await describeTree(root)).toEqual({ 'a.yaml': expect.anything() });
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('new a');
    expect(existsSync(journal)).toBe(false);
  });

  it('still refuses an uncommitted journal whose staging folder is gone, renaming nothing', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { 'a.yaml': 'a' });
    await rm(join(root, STAGING), { recursive: true });
    await plant({ version: 3, moveOut: ['a.yaml'], moveIn: ['a.yaml'], madeDirs: [] });
    await expect(recoverSwap({ root, journal })).rejects.toThrow(RestoreJournalError);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('a');
  });

  it('settles a rolled-back swap\'s recorder database before the journal goes; until it can, the journal stays, marked rolled back, and so do the files', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { [`${STAGING}/old/a.yaml`]: 'old a', 'a.yaml': 'new a', [`${STAGING}/new/b.yaml`]: 'new b' });
    await plant({ version: 3, moveOut: ['a.yaml'], moveIn: ['a.yaml', 'b.yaml'], madeDirs: [], recorder: RECORDER });
    const down = { root, journal, settleRecorder: async () => Promise.reject(new Error('the server is down')) };
    const pending = await recoverSwap(down).catch((e: unknown) => e);
    expect(pending).toBeInstanceOf(RecorderSwapPendingError);
    expect((pending as RecorderSwapPendingError).outcome).toBe('rolled_back');
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('old a');
    expect((JSON.parse(await readFile(journal, 'utf8')) as { phase: string }).phase).toBe('rolled_back');

    const settled: unknown[] = [];
    const up = { root, journal, settleRecorder: async (named: unknown, keep: string) => void settled.push([named, keep, existsSync(journal)]) };
    expect(await recoverSwap(up)).toBe('rolled_back');
    expect(settled).toEqual([[RECORDER, 'old', true]]);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('old a');
    expect(existsSync(join(root, 'b.yaml'))).toBe(false);
    expect(existsSync(journal)).toBe(false);
  });

  it('completes a committed swap\'s recorder database (the data from before dropped) before the journal goes', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { [`${STAGING}/old/a.yaml`]: 'old a', 'a.yaml': 'new a' });
    await plant({ version: 3, phase: 'swapped', moveOut: ['a.yaml'], moveIn: ['a.yaml'], madeDirs: [], recorder: RECORDER });
    const settled: unknown[] = [];
    expect(await recoverSwap({ root, journal, settleRecorder: async (_n, keep) => void settled.push([keep, existsSync(journal)]) })).toBe('completed');
    expect(settled).toEqual([['new', true]]);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('new a');
    expect(existsSync(journal)).toBe(false);
  });

  it('ends a journal whose recorder database no configuration names any more, saying what to do by hand', async () => {
    const { root, journal, plant } = await place();
    await makeTree(root, { [`${STAGING}/old/a.yaml`]: 'old a', 'a.yaml': 'new a' });
    await plant({ version: 3, moveOut: ['a.yaml'], moveIn: ['a.yaml'], madeDirs: [], recorder: RECORDER });
    const asked: string[] = [];
    const ctx = {
      df: { installation: root } as DataFolder,
      recorder: async (at: string) => {
        asked.push(at);
        return { kind: 'sqlite', description: 'SQLite', source: 'default' } as const;
      },
    };
    const warnings: string[] = [];
    const outcome = await recoverSwap({ root, journal, warn: (w) => void warnings.push(w), settleRecorder: (named, keep, staging) => settleRecorderSwap(ctx, named, keep, null, staging) });
    expect(outcome).toBe('rolled_back');
    // The installation's configuration, then the backup's (back in new/), then the one from before (old/).
    expect(asked).toEqual([root, join(root, STAGING, 'new'), join(root, STAGING, 'old')]);
    expect(warnings).toEqual([expect.stringMatching(/cannot be finished by Lifeboat \(no configuration here names the MariaDB\/MySQL database homeassistant .*the database homeassistant__lifeboat_old the data from before: put that back in place by hand/)]);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('old a');
    expect(existsSync(journal)).toBe(false);
  });

  it.each([
    ['a folder to make that no restored path needs', { moveIn: ['a.yaml'], madeDirs: ['www'] }],
    ['paths below one another', { moveIn: ['www', 'www/x'], madeDirs: [] }],
    ['a path inside a staging folder', { moveIn: [`${STAGING}/new`], madeDirs: [] }],
  ])('refuses a version 3 journal with %s, renaming nothing', async (_what, paths) => {
    const { root, journal, plant } = await place();
    await makeTree(root, { 'a.yaml': 'a', 'www/x': 'x' });
    const before = await describeTree(root);
    await plant({ version: 3, moveOut: [], ...paths });
    await expect(recoverSwap({ root, journal })).rejects.toThrow(RestoreJournalError);
    expect(await describeTree(root)).toEqual(before);
  });
});
