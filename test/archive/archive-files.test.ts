// The entries of an inner archive as the installation's files: paths relative to the installation,
// hard links given by their file, a listing below a path, and a search for one file that stops
// reading the backup once the file has gone by.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filePath, findArchiveFile, listArchiveFiles, readArchiveFiles, sha256Of } from '../../src/archive/archive-files.js';
import { BackupReader, withBackupReader } from '../../src/archive/backup-reader.js';
import { FileByteSource } from '../../src/archive/byte-source.js';
import { CountingSource } from '../helpers/counting-source.js';
import { pack } from '../helpers/generated-backup.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/tree.js';

const MiB = 1 << 20;

describe('paths of archive entries', () => {
  it('takes the installation folder `data/` off, in every spelling, and leaves out what lies beside it', () => {
    expect(filePath('data/automations.yaml', 'data')).toBe('automations.yaml');
    expect(filePath('./data/.storage/core.config', 'data')).toBe('.storage/core.config');
    expect(filePath('data/www/', 'data')).toBe('www');
    expect(filePath('data', 'data')).toBeNull();
    expect(filePath('./homeassistant.json', 'data')).toBeNull();
    expect(filePath('database.yaml', 'data')).toBeNull();
    expect(filePath('./addon.json', null)).toBe('addon.json');
    expect(filePath('./', null)).toBeNull();
  });
});

describe('listing an inner archive', () => {
  it('gives a hard link the digest of its file, and lists only what lies at and below a path', async () => {
    await withBackupReader(fixture('third-party/test_unprotected_with_links.tar'), async (reader) => {
      const inner = reader.innerArchives()[0]!;
      const all = [];
      for await (const f of listArchiveFiles(await reader.entries(inner, null), null, { digests: true })) all.push(f);
      const byPath = new Map(all.map((f) => [f.path, f]));
      expect(byPath.get('test2-hard-link.txt')).toMatchObject({ type: 'hardlink', linkname: 'test2.txt', size: 0 });
      expect(byPath.get('test2-hard-link.txt')?.sha256).toBe(byPath.get('test2.txt')?.sha256);
      expect(byPath.get('test1-symbolic-link.txt')).toMatchObject({ type: 'symlink', linkname: 'test1.txt' });

      const one = [];
      for await (const f of listArchiveFiles(await reader.entries(inner, null), null, { under: 'test1.txt' })) one.push(f.path);
      expect(one).toEqual(['test1.txt']);
    });
  });

  it('reads the content of several files in one scan, and a hard link as its file', async () => {
    await withBackupReader(fixture('third-party/test_unprotected_with_links.tar'), async (reader) => {
      const inner = reader.innerArchives()[0]!;
      const got = await readArchiveFiles(() => reader.entries(inner, null), null, ['test1.txt', 'test2-hard-link.txt', 'nothing-here'], MiB);
      expect(got.get('test1.txt')).toMatchObject({ kind: 'file' });
      expect(got.get('test2-hard-link.txt')).toEqual(got.get('test2.txt'));
      expect(got.has('nothing-here')).toBe(false);
    });
  });
});

describe('finding one file', () => {
  it.each([
    ['no password', null, 3],
    ['SecureTar v3', 'hunter2', 3],
  ] as const)('%s: stops reading the backup once the file has gone by', async (_label, password, version) => {
    const dir = await tmpDir();
    const src = join(dir, 'src');
    // Sorted first, then 16 MiB that do not compress.
    await makeTree(src, { 'automations.yaml': '- id: "1"\n', 'www/video.bin': randomBytes(16 * MiB) });
    await pack(src, join(dir, 'b.tar'), password, version);
    const counting = new CountingSource(await FileByteSource.open(join(dir, 'b.tar')));
    const reader = await BackupReader.fromSource(counting);
    try {
      const inner = reader.homeAssistantArchive()!;
      const found = await findArchiveFile(await reader.entries(inner, password), 'data', 'automations.yaml');
      if (found === null || found === 'folder') throw new Error('automations.yaml was not found');
      expect((await sha256Of(found.body)).length).toBe(64);
      await found.close();
      expect(counting.bytesRead).toBeLessThan(4 * MiB);
      expect(counting.size).toBeGreaterThan(16 * MiB);
    } finally {
      await reader.close();
    }
  });

  it('tells a folder known only from the entries below it from a missing path', async () => {
    const dir = await tmpDir();
    await makeTree(join(dir, 'src'), { 'a/b.yaml': 'x: 1\n' });
    await pack(join(dir, 'src'), join(dir, 'b.tar'), null, 3);
    await withBackupReader(join(dir, 'b.tar'), async (reader) => {
      const inner = reader.homeAssistantArchive()!;
      // Lifeboat's archives hold folder entries; a path below one that is not there is missing.
      expect(await findArchiveFile(await reader.entries(inner, null), 'data', 'a/c.yaml')).toBeNull();
      const folder = await findArchiveFile(await reader.entries(inner, null), 'data', 'a');
      expect(folder !== null && folder !== 'folder' && folder.file.type).toBe('directory');
      await (folder as { close(): Promise<void> }).close();
    });
    await withBackupReader(fixture('reference-made/backup_core_plain.tar'), async (reader) => {
      const inner = reader.homeAssistantArchive()!;
      expect(await findArchiveFile(await reader.entries(inner, null), 'data', 'no/such/file')).toBeNull();
    });
  });
});
