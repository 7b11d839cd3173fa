// An archive index gathered while Lifeboat writes a backup: the listing it gives equals the
// archive's entries as a scan reads them, and a file read from the checkpoint before it equals the
// scan's bytes — at the start, in the middle and at the end of an archive of many checkpoints,
// plain, SecureTar v2 and v3, compressed by libdeflate (checkpoints without windows) and by zlib
// (each with the 32 KiB before it) — while reading only a small part of the file.

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_SPACING, decodeIndex, encodeIndex, INDEX_FORMAT, indexEntries, indexTarEntries, type ArchiveIndex } from '../../src/archive/archive-index.js';
import { archiveFiles, findArchiveFile, listArchiveFiles, sha256Of } from '../../src/archive/archive-files.js';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { FileByteSource } from '../../src/archive/byte-source.js';
import { openIndexedEntry } from '../../src/archive/indexed-read.js';
import { CountingSource } from '../helpers/counting-source.js';
import { requireLibdeflate } from '../helpers/libdeflate.js';
import { pack, variants } from '../helpers/generated-backup.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree, type TreeSpec } from '../helpers/tree.js';

const MiB = 1 << 20;

/** Compressible text that differs from line to line (so the deflater has work to do). */
function text(lines: number, seed: string): string {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${seed} line ${i}: value=${(i * 7919) % 1000003} state=${i % 3 === 0 ? 'on' : 'off'}\n`;
  return out;
}

/** ~44 MiB of tar: small files first, big incompressible and compressible files, small files last. */
function bigTree(): TreeSpec {
  const spec: TreeSpec = { 'automations.yaml': '- id: "1"\n  alias: first\n' };
  for (let i = 0; i < 200; i++) spec[`custom_components/a/f${String(i).padStart(3, '0')}.py`] = text(20, `a${i}`);
  spec['media/video1.bin'] = randomBytes(12 * MiB);
  spec['media/log.txt'] = text(300_000, 'log'); // past the second checkpoint: video1.bin is read from one in the text
  spec['media/video2.bin'] = randomBytes(10 * MiB);
  for (let i = 0; i < 300; i++) spec[`zz/small/s${String(i).padStart(3, '0')}.json`] = JSON.stringify({ i, name: `n${i}` });
  spec['zz/z-last.yaml'] = 'last: true\n';
  return spec;
}

async function scanRead(reader: BackupReader, password: string | null, path: string): Promise<string> {
  const inner = reader.homeAssistantArchive()!;
  const found = await findArchiveFile(await reader.entries(inner, password), 'data', path);
  if (found === null || found === 'folder') throw new Error(`${path} not found`);
  const digest = await sha256Of(found.body);
  await found.close();
  return digest;
}

const cases = [
  ...variants.map(([label, password, version]) => [`${label}, libdeflate`, password, version, requireLibdeflate] as const),
  ['SecureTar v3, zlib', 'hunter2', 3, () => null] as const,
];

describe.each(cases)('the archive index of a backup Lifeboat writes (%s)', (label, password, version, engine) => {
  let file = '';
  let index: ArchiveIndex;

  beforeAll(async () => {
    const dir = await tmpDir();
    await makeTree(join(dir, 'src'), bigTree());
    file = join(dir, 'b.tar');
    const written = await pack(join(dir, 'src'), file, password, version, engine());
    index = { format: INDEX_FORMAT, version: 2, key: '0'.repeat(64), archive: 'homeassistant.tar.gz', ...written.index };
  }, 60_000);

  it('comes back whole from its file form, and a file whose windows are cut short is refused', () => {
    const bytes = Buffer.concat(encodeIndex(index));
    const back = decodeIndex(bytes);
    expect(back?.entries).toEqual(index.entries);
    expect(back?.checkpoints).toEqual(index.checkpoints);
    expect(back?.windows.equals(index.windows)).toBe(true);
    expect(decodeIndex(bytes.subarray(0, bytes.length - 1))).toBeNull();
    expect(decodeIndex(Buffer.from('{"format":"lifeboat-archive-index"'))).toBeNull();
  });

  it('has checkpoints through the archive, at most the spacing apart', () => {
    expect(index.compression).toBe('gzip');
    expect(index.checkpoints.length).toBeGreaterThanOrEqual(4);
    const tarOffsets = index.checkpoints.map((c) => c[1]);
    expect(tarOffsets[0]).toBe(0);
    for (let i = 1; i < tarOffsets.length; i++) expect(tarOffsets[i]! - tarOffsets[i - 1]!).toBeLessThanOrEqual(CHECKPOINT_SPACING + MiB);
    expect(index.tarSize - tarOffsets.at(-1)!).toBeLessThanOrEqual(CHECKPOINT_SPACING + MiB);
  });

  it('keeps a window only for blocks compressed after one (zlib)', () => {
    const windowLengths = index.checkpoints.map((c) => c[3]);
    if (label.endsWith('zlib')) {
      expect(windowLengths[0]).toBe(0); // the first block has nothing before it
      expect(windowLengths.slice(1)).toEqual(windowLengths.slice(1).map(() => 32 * 1024));
    } else {
      expect(windowLengths).toEqual(windowLengths.map(() => 0));
      expect(index.windows.length).toBe(0);
    }
  });

  it('lists what a scan of the archive lists', async () => {
    const reader = await BackupReader.open(file);
    try {
      const scanned = [];
      for await (const f of listArchiveFiles(await reader.entries(reader.homeAssistantArchive()!, password), 'data')) scanned.push(f);
      const indexed = [];
      for await (const f of listArchiveFiles(indexTarEntries(indexEntries(index)), 'data')) indexed.push(f);
      expect(indexed).toEqual(scanned);
      expect(indexed.length).toBeGreaterThan(500);
    } finally {
      await reader.close();
    }
  });

  it.each(['automations.yaml', 'custom_components/a/f100.py', 'media/log.txt', 'media/video1.bin', 'media/video2.bin', 'zz/small/s150.json', 'zz/z-last.yaml'])(
    'reads %s from the checkpoint before it, as a scan reads it',
    async (path) => {
      const counting = new CountingSource(await FileByteSource.open(file));
      const reader = await BackupReader.fromSource(counting);
      try {
        const inner = reader.homeAssistantArchive()!;
        const entry = indexEntries(index).find((e) => e.path === `data/${path}`)!;
        const body = await openIndexedEntry(reader, inner, password, index, entry);
        if (!body) throw new Error('no way in');
        const hash = createHash('sha256');
        for await (const piece of body) hash.update(piece);
        const read = counting.bytesRead;
        expect(hash.digest('hex')).toBe(await scanRead(reader, password, path));
        // Only from the checkpoint before the file (plus the file itself) was read.
        if (entry.size < MiB) expect(read).toBeLessThan(CHECKPOINT_SPACING + 2 * MiB);
      } finally {
        await reader.close();
      }
    },
    30_000,
  );

  it('finds every entry of the index at its offset (entry types and sizes as a scan gives them)', async () => {
    const reader = await BackupReader.open(file);
    try {
      const scanned = new Map<string, number>();
      for await (const { file: f } of archiveFiles(await reader.entries(reader.homeAssistantArchive()!, password), null)) scanned.set(f.path, f.size);
      for (const e of indexEntries(index)) expect(e.type === 'file' ? e.size : 0).toBe(scanned.get(e.path.replace(/^\.\//, '').replace(/\/$/, '')) ?? 0);
    } finally {
      await reader.close();
    }
  });
});
