// The readers' limits: a huge backup.json, endless or oversized extended headers and too many
// entries are refused with ArchiveLimitExceeded after a few small reads, never read into memory.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { FileByteSource, type ByteSource } from '../../src/archive/byte-source.js';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { INNER_EXTENDED_LIMITS, MAX_BACKUP_JSON_BYTES, MAX_OUTER_MEMBERS, type ExtendedHeaderLimits } from '../../src/archive/archive-limits.js';
import { BLOCK, TarHeaders, encodePaxRecords, encodeUstarHeader } from '../../src/archive/tar-header.js';
import { fromBuffers } from '../../src/util/chunks.js';
import { ArchiveLimitExceeded } from '../../src/util/errors.js';
import { TYPE, backupJsonBytes, craftTar, entryBlocks, paxHeaderBlocks, stackedPaxHeaders, writeHugeBackupJson } from '../helpers/craft-archive.js';
import { CountingSource } from '../helpers/counting-source.js';
import { tmpDir } from '../helpers/tmp.js';

const MiB = 1 << 20;

/** A source of `size` bytes that repeats `pattern` (from `start`), never held in memory. */
class RepeatingSource implements ByteSource {
  constructor(
    private readonly pattern: Buffer,
    readonly size: number,
    private readonly tail: Buffer = Buffer.alloc(0),
  ) {}
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, position + length);
    const out = Buffer.alloc(Math.max(0, end - position));
    const body = this.size - this.tail.length;
    for (let i = 0; i < out.length; i++) {
      const at = position + i;
      out[i] = at < body ? (this.pattern[at % this.pattern.length] as number) : (this.tail[at - body] as number);
    }
    return out;
  }
  async close(): Promise<void> {}
}

async function refusal(fn: () => Promise<unknown>): Promise<ArchiveLimitExceeded> {
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the archive should be refused').toBeInstanceOf(ArchiveLimitExceeded);
  return err as ArchiveLimitExceeded;
}

describe('backup.json size', () => {
  it('refuses a 100 MiB backup.json without reading it', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'huge-json.tar');
    await writeHugeBackupJson(path, 100 * MiB);
    const src = new CountingSource(await FileByteSource.open(path));
    const started = Date.now();
    const reader = await BackupReader.fromSource(src);
    try {
      const err = await refusal(async () => reader.backup);
      expect(err.message).toMatch(/backup\.json/);
      expect(err.code).toBe('archive_limit_exceeded');
      const out = join(dir, 'out');
      await refusal(() => unpackBackup(reader, out, null));
      expect(existsSync(join(out, 'backup.json'))).toBe(false);
    } finally {
      await reader.close();
    }
    expect(src.largestRead).toBeLessThanOrEqual(64 * 1024);
    expect(src.bytesRead).toBeLessThan(MiB);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still reads a backup.json just under the limit', async () => {
    const json = JSON.parse(backupJsonBytes().toString('utf8')) as Record<string, unknown>;
    const base = Buffer.byteLength(JSON.stringify({ ...json, padding: '' }));
    const bytes = Buffer.from(JSON.stringify({ ...json, padding: 'p'.repeat(MAX_BACKUP_JSON_BYTES - base) }));
    expect(bytes.length).toBe(MAX_BACKUP_JSON_BYTES);
    const reader = await BackupReader.fromSource(bufferSource(craftTar([{ name: './backup.json', data: bytes }])));
    expect(reader.backup.name).toBe('t');
  });
});

function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, read: async (p, l) => bytes.subarray(p, p + l), close: async () => undefined };
}

describe('extended headers of the outer tar', () => {
  it('refuses 100 000 PAX headers before one member after reading a few of them', async () => {
    const one = paxHeaderBlocks({ comment: 'x' });
    const tail = craftTar([{ name: './backup.json', data: backupJsonBytes() }]);
    const src = new CountingSource(new RepeatingSource(one, 100_000 * one.length + tail.length, tail));
    const started = Date.now();
    const err = await refusal(() => BackupReader.fromSource(src));
    expect(err.message).toMatch(/extended headers before one member is 65, over .* limit of 64/);
    expect(src.reads).toBeLessThan(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses 100 000 members, each with its own PAX header, at the member limit', async () => {
    const member = entryBlocks({ name: 'member', data: '', pax: { mtime: '1.5' } });
    const src = new CountingSource(new RepeatingSource(member, 100_000 * member.length));
    const err = await refusal(() => BackupReader.fromSource(src));
    expect(err.message).toMatch(new RegExp(`number of members is ${MAX_OUTER_MEMBERS + 1}`));
    expect(src.bytesRead).toBeLessThan((MAX_OUTER_MEMBERS + 1) * member.length);
  });
});

describe('extended headers of the inner tar', () => {
  it('refuses 100 000 PAX headers before one entry after pulling a few chunks', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of stackedPaxHeaders(100_000, craftTar([{ name: 'data/a', data: 'x' }]))) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    const err = await refusal(async () => {
      for await (const entry of readTarEntries(counted())) for await (const _ of entry.body);
    });
    expect(err.message).toMatch(/inner tar archive: the number of extended headers before one member/);
    expect(pulled).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('refuses extended headers before one entry that add up to more than 2 MiB', async () => {
    const big = paxHeaderBlocks({ comment: 'x'.repeat(900 * 1024) });
    const tar = Buffer.concat([big, big, big, craftTar([{ name: 'data/a', data: 'x' }])]);
    const err = await refusal(async () => {
      for await (const entry of readTarEntries(fromBuffers(tar))) for await (const _ of entry.body);
    });
    expect(err.message).toMatch(/bytes of extended headers before one member/);
  });

  it('refuses one extended header larger than 1 MiB before reading its data', async () => {
    const header = encodeUstarHeader({ name: 'PaxHeaders/a', size: MiB + 1, mtime: 0, type: TYPE.pax });
    const err = await refusal(async () => {
      for await (const _ of readTarEntries(fromBuffers(header))) expect.fail('no entry expected');
    });
    expect(err.message).toMatch(/size of one extended header/);
  });

  it('refuses global PAX headers that add up to more than 1 MiB', async () => {
    const entries = [0, 1].map((i) => Buffer.concat([paxHeaderBlocks({ [`k${i}`]: 'g'.repeat(600 * 1024) }, 'g'), entryBlocks({ name: `data/${i}`, data: 'x' })]));
    const err = await refusal(async () => {
      for await (const entry of readTarEntries(fromBuffers(...entries))) for await (const _ of entry.body);
    });
    expect(err.message).toMatch(/global PAX headers/);
  });

  it('counts extended headers over the whole archive, not only per entry', () => {
    const limits: ExtendedHeaderLimits = { ...INNER_EXTENDED_LIMITS, maxPerArchive: 3, maxBytesPerArchive: 10 * BLOCK };
    const headers = new TarHeaders({ where: 'a test tar', limits });
    const member = entryBlocks({ name: 'a', data: '', pax: { mtime: '1.5' } });
    const records = encodePaxRecords({ mtime: '1.5' });
    const feed = () => {
      headers.block(member.subarray(0, BLOCK));
      headers.extended(records);
      return headers.block(member.subarray(2 * BLOCK, 3 * BLOCK));
    };
    for (let i = 0; i < 3; i++) expect(feed().kind).toBe('member');
    expect(feed).toThrow(ArchiveLimitExceeded);
  });
});

describe('entries of the inner tar', () => {
  const tar = craftTar([0, 1, 2, 3].map((i) => ({ name: `data/${i}`, data: 'x' })));

  it('refuses an inner tar with more entries than the limit', async () => {
    const seen: string[] = [];
    const err = await refusal(async () => {
      for await (const entry of readTarEntries(fromBuffers(tar), { maxEntries: 3 })) {
        seen.push(entry.path);
        for await (const _ of entry.body);
      }
    });
    expect(err.message).toMatch(/number of entries is 4, over .* limit of 3/);
    expect(seen).toEqual(['data/0', 'data/1', 'data/2']);
  });

  it('reads an inner tar with exactly as many entries as the limit', async () => {
    const seen: string[] = [];
    for await (const entry of readTarEntries(fromBuffers(tar), { maxEntries: 4 })) {
      seen.push(entry.path);
      for await (const _ of entry.body);
    }
    expect(seen).toHaveLength(4);
  });
});
