// The segment cache when things go wrong around it: a backup that stops while segments are still
// being compressed, one killed outright, a disk that fills up, an index that does not describe its
// pack. None of them may write into another file, grow the pack or put a wrong byte into a backup;
// the worst any of them may cost is compressing segments afresh.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { readdir, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SegmentCache } from '../../src/archive/segment-cache.js';
import { SEGMENT_SIZE } from '../../src/archive/segment-plan.js';
import { RECORD } from '../../src/archive/segment-records.js';
import type { CachedSegment, SegmentStore } from '../../src/archive/segment-store.js';
import { eventually } from '../helpers/eventually.js';
import { withFreeSpace } from '../helpers/free-space.js';
import { tmpDir } from '../helpers/tmp.js';
import { backedUpOnce, backup, compress, gzipOf, packOf, rows, SEGMENTS, SIZE, streamOf } from '../helpers/segment-streams.js';

const INDEX = 'segments.index';

/** The records of the index in `dir` after `edit`, with its checksum made to match again unless `reseal` is false. */
async function editIndex(dir: string, edit: (records: Buffer) => void, reseal = true): Promise<void> {
  const bytes = await readFile(join(dir, INDEX));
  const body = bytes.subarray(0, bytes.length - 4);
  edit(body.subarray(8 + 2 + body.readUInt16LE(8)));
  if (reseal) bytes.writeUInt32LE(crc32(body), body.length);
  await writeFile(join(dir, INDEX), bytes);
}

async function sizesIn(dir: string): Promise<number[]> {
  return Promise.all((await readdir(dir)).map(async (n) => (await stat(join(dir, n))).size));
}

/** In front of the cache: holds every lookup until let go, and counts the segments asked for and put. */
class Held implements SegmentStore {
  asked = 0;
  puts = 0;
  letGo!: () => void;
  private readonly held = new Promise<void>((resolve) => (this.letGo = resolve));
  constructor(private readonly cache: SegmentCache) {}
  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    this.asked += keys.length;
    await this.held;
    return this.cache.getAll(keys);
  }
  async put(key: Buffer, segment: CachedSegment): Promise<void> {
    await this.cache.put(key, segment);
    this.puts++;
  }
}

describe('the segment cache, after a backup that stopped', () => {
  it('writes nothing into another file when a stream stopped early leaves segments being compressed', async () => {
    const { dir, pack } = await backedUpOnce();
    const kept = await readFile(pack);
    const cache = await SegmentCache.open(dir);
    const store = new Held(cache);
    const gz = gzipOf(store, rows(8 << 20), { concurrency: 4 });
    await gz.next(); // the gzip header
    await gz.next(); // the stream's head; blocks of segments are in flight behind it
    const stopped = gz.return(undefined); // the backup failed here
    store.letGo();
    await stopped;
    await cache.abandon();
    const victim = openSync(join(await tmpDir(), 'opened-next'), 'w+'); // likely given the number the pack had
    try {
      // Every segment looked up is new, so each is put once compressed.
      await eventually(() => store.puts === store.asked, 'the segments in flight put', 5000);
      expect(fstatSync(victim).size).toBe(0);
    } finally {
      closeSync(victim);
    }
    expect((await readFile(pack)).equals(kept)).toBe(true);
  });

  it('takes and answers nothing once abandoned, and closes its pack only once', async () => {
    const { dir, file, pack } = await backedUpOnce();
    const kept = await readFile(pack);
    const index = await readFile(join(dir, INDEX));
    const cache = await SegmentCache.open(dir);
    await cache.abandon();
    const victim = openSync(join(await tmpDir(), 'opened-next'), 'w+');
    try {
      // Entries larger than half the gathering buffer: the second one writes out the first.
      for (let i = 0; i < 3; i++) await cache.put(randomBytes(32), { crc: 0, length: SEGMENT_SIZE, payload: randomBytes(200_000) });
      expect(await cache.getAll([randomBytes(32)])).toEqual([null]);
      await cache.finish();
      await cache.abandon();
      expect(fstatSync(victim).size).toBe(0); // throws EBADF had its number been closed
    } finally {
      closeSync(victim);
    }
    expect((await readFile(pack)).equals(kept)).toBe(true);
    expect((await readFile(join(dir, INDEX))).equals(index)).toBe(true);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS });
  });

  it('takes no entry once it began finishing', async () => {
    const { dir, file } = await backedUpOnce();
    const cache = await SegmentCache.open(dir);
    await compress(cache, file);
    const finishing = cache.finish();
    await cache.put(randomBytes(32), { crc: 0, length: SEGMENT_SIZE, payload: randomBytes(1000) }); // a block still in flight
    await finishing;
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });

  it('leaves a finished cache and the files opened since alone when abandoned after finishing', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    const cache = await SegmentCache.open(dir);
    await compress(cache, file);
    await cache.finish();
    const victim = openSync(join(await tmpDir(), 'opened-next'), 'w+');
    try {
      await cache.abandon();
      expect(fstatSync(victim).size).toBe(0);
    } finally {
      closeSync(victim);
    }
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });

  it('removes the packs and temporary indexes killed backups left behind when it is opened', async () => {
    const dir = await tmpDir();
    const strays = ['0123456789abcdef.pack', 'fedcba9876543210.pack', `${INDEX}.4242.tmp`];
    for (const name of strays) await writeFile(join(dir, name), randomBytes(SEGMENT_SIZE));
    const first = await SegmentCache.open(dir); // no index yet: as after first backups that were killed
    expect(await readdir(dir)).toHaveLength(1);
    await first.abandon();

    const file = rows(SIZE);
    await backup(dir, file);
    const pack = await packOf(dir);
    for (const name of strays) await writeFile(join(dir, name), randomBytes(SEGMENT_SIZE));
    const next = await SegmentCache.open(dir);
    expect((await readdir(dir)).sort()).toEqual([INDEX, pack.slice(dir.length + 1)].sort());
    await compress(next, file);
    await next.finish();
    expect(next.stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });
});

describe('the segment cache, on a disk filling up', () => {
  it('gives back what this backup appended when a write fails, and keeps the last index', async () => {
    const { dir, file, pack, size: before } = await backedUpOnce();
    const cache = await SegmentCache.open(dir);
    // No full disk without privileges: the cache's pack refuses its third write as a full disk does.
    const handle = (cache as unknown as { handle: FileHandle }).handle;
    const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<unknown>;
    let writes = 0;
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    (handle as unknown as { write: typeof write }).write = (...args) => (++writes === 3 ? Promise.reject(full) : write(...args));
    const other = randomBytes(SIZE); // stored, each entry a little more than a segment: several writes
    const gz = await compress(cache, other);
    expect(gunzipSync(gz).equals(Buffer.concat(streamOf(other).parts))).toBe(true); // the backup itself goes on
    expect(writes).toBeGreaterThanOrEqual(3);
    await eventually(async () => (await stat(pack)).size === before, 'the appended bytes given back', 5000);
    await cache.finish();
    expect((await stat(pack)).size).toBe(before);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });

  it('appends at most half the space free when it is opened', async () => {
    const dir = await tmpDir();
    const free = 10 * SEGMENT_SIZE;
    const file = randomBytes(SIZE); // stored, so each entry is a little more than a segment
    await withFreeSpace({ free }, () => backup(dir, file)); // the file system as the cache sees it: `free` bytes left
    const size = (await stat(await packOf(dir))).size;
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(free / 2);
    expect((await backup(dir, file)).stats.hits).toBe(5); // four full segments and the short last one
  });
});

describe('the segment cache, moving its used entries into a new pack', () => {
  it('leaves the pack as it is when the space free would not hold the new one', async () => {
    const { dir, pack } = await backedUpOnce();
    const other = rows(SIZE); // nothing reused: the old entries are all garbage, as many bytes as the new ones
    const space = { free: 1 << 30 };
    await withFreeSpace(space, async () => {
      const cache = await SegmentCache.open(dir);
      await compress(cache, other);
      space.free = 4 * SEGMENT_SIZE; // the disk filled up meanwhile
      await cache.finish();
    });
    expect(await packOf(dir)).toBe(pack);
    expect((await backup(dir, other)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });

  it('does not count entries a disk short of space kept out as a reason to move', async () => {
    const { dir, file, pack } = await backedUpOnce();
    const changed = Buffer.from(file);
    randomBytes(4 * SEGMENT_SIZE).copy(changed); // a few segments changed (stored: a whole segment each); most are reused where they are
    const space = { free: 2 * SEGMENT_SIZE }; // room for about one new entry
    await withFreeSpace(space, async () => {
      const cache = await SegmentCache.open(dir);
      await compress(cache, changed);
      space.free = 1 << 30;
      await cache.finish();
    });
    expect(await packOf(dir)).toBe(pack);
  });
});

describe('the segment cache, with an index that does not describe its pack', () => {
  it('does not use an index with a record larger than any entry can be', async () => {
    const { dir, file, size: packSize } = await backedUpOnce();
    await editIndex(dir, (records) => records.writeUInt32LE(packSize, 40)); // the first entry "spans" the whole pack
    const next = await backup(dir, file);
    expect(next.stats).toMatchObject({ hits: 0, misses: SEGMENTS, damaged: 0 });
    expect(gunzipSync(next.gz).equals(Buffer.concat(streamOf(file).parts))).toBe(true);
  });

  it('does not use an index whose records lie past the end of its pack, and never lengthens the pack', async () => {
    const { dir, file, size: packSize } = await backedUpOnce();
    await editIndex(dir, (records) => {
      const last = records.length - RECORD;
      records.writeBigUInt64LE(BigInt(packSize) * 4n, last + 32);
    });
    const next = await SegmentCache.open(dir);
    for (const size of await sizesIn(dir)) expect(size).toBeLessThanOrEqual(packSize);
    await compress(next, file);
    await next.finish();
    expect(next.stats).toMatchObject({ hits: 0, misses: SEGMENTS, damaged: 0 });
  });

  it('does not use an index whose checksum does not match', async () => {
    const { dir, file } = await backedUpOnce();
    await editIndex(dir, (records) => (records[32] = (records[32] as number) ^ 0x01), false); // the first entry's offset, one bit off
    const next = await backup(dir, file);
    expect(next.stats).toMatchObject({ hits: 0, misses: SEGMENTS, damaged: 0 });
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 }); // the new pack is used
  });
});
