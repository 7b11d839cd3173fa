// The segment cache behind parallel gzip: large files are compressed as segments that the next
// stream takes from the cache when their bytes are the same — by content, not by size or time —
// the result always inflates to the input, a damaged entry is noticed and compressed afresh, a
// stream that fails leaves the previous cache as it was, and the cache keeps to its byte limit.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SegmentCache } from '../../src/archive/segment-cache.js';
import { MIN_SEGMENTED_SIZE, SEGMENT_SIZE, SegmentPlan } from '../../src/archive/segment-plan.js';
import { RECORD, SegmentRecords } from '../../src/archive/segment-records.js';
import { tmpDir } from '../helpers/tmp.js';
import { backedUpOnce, backup, compress, rows, SEGMENTS, SIZE, streamOf } from '../helpers/segment-streams.js';
import { requireLibdeflate } from '../helpers/libdeflate.js';
import type { WholeDeflater } from '../../src/archive/libdeflate.js';

describe('the segment cache', () => {
  it('compresses every segment the first time and takes every one from the cache the next time, with the same bytes out', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    const first = await backup(dir, file);
    expect(first.stats).toMatchObject({ hits: 0, misses: SEGMENTS });
    const second = await backup(dir, file);
    expect(second.stats).toMatchObject({ hits: SEGMENTS, misses: 0, damaged: 0, reusedBytes: SIZE });
    expect(gunzipSync(second.gz).equals(Buffer.concat(streamOf(file).parts))).toBe(true);
    expect(second.gz.subarray(10).equals(first.gz.subarray(10))).toBe(true); // all but the header's OS byte onwards
  });

  /** Backs a file up, changes one byte near the end of segment 10 (in place, same size), backs it up again. */
  async function changedInPlace(engine: WholeDeflater | null) {
    const dir = await tmpDir();
    const file = rows(SIZE);
    await backup(dir, file, { engine });
    const changed = Buffer.from(file);
    const at = 10 * SEGMENT_SIZE + SEGMENT_SIZE - 100; // in the last 32 KiB of segment 10
    changed[at] = changed[at] === 0x5a ? 0x5b : 0x5a;
    const next = await backup(dir, changed, { engine });
    const out = gunzipSync(next.gz);
    expect(out.equals(Buffer.concat(streamOf(changed).parts))).toBe(true);
    expect(out[512 + at]).toBe(changed[at]);
    return next.stats;
  }

  it('puts a byte changed in place (same size) into the next stream, recompressing only its segment when segments are compressed alone', async () => {
    expect(await changedInPlace(requireLibdeflate())).toMatchObject({ hits: SEGMENTS - 1, misses: 1 });
  });

  it('with zlib, recompresses the changed segment and the one it is the dictionary of', async () => {
    expect(await changedInPlace(null)).toMatchObject({ hits: SEGMENTS - 2, misses: 2 });
  });

  it('never reuses a segment compressed by one engine for the other', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    await backup(dir, file, { engine: requireLibdeflate() });
    const byZlib = await backup(dir, file, { engine: null });
    expect(byZlib.stats).toMatchObject({ hits: 0, misses: SEGMENTS });
    expect(gunzipSync(byZlib.gz).equals(Buffer.concat(streamOf(file).parts))).toBe(true);
  });

  it('with zlib, never reuses a segment whose deflate data refers back to bytes that changed, however far back within the window', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    // Segment 11 opens with a long run of random text that also stands 30 KiB earlier, in segment
    // 10: its deflate data refers that far back.
    const boundary = 11 * SEGMENT_SIZE;
    const source = boundary - 30 * 1024;
    randomBytes(3000).toString('hex').split('').forEach((c, i) => (file[source + i] = c.charCodeAt(0)));
    file.copy(file, boundary, source, source + 6000);
    await backup(dir, file, { engine: null });
    const changed = Buffer.from(file);
    changed[source + 3000] = changed[source + 3000] === 0x30 ? 0x31 : 0x30;
    const next = await backup(dir, changed, { engine: null });
    expect(gunzipSync(next.gz).equals(Buffer.concat(streamOf(changed).parts))).toBe(true);
    expect(next.stats).toMatchObject({ hits: SEGMENTS - 2, misses: 2 });
  });

  it('notices a damaged entry, compresses that segment afresh and still writes the right bytes', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    await backup(dir, file);
    const pack = join(dir, (await readdir(dir)).find((n) => n.endsWith('.pack')) as string);
    const bytes = await readFile(pack);
    const middle = bytes.length >> 1;
    bytes[middle] = (bytes[middle] as number) ^ 0x40; // flips one bit somewhere in the middle of the pack
    await writeFile(pack, bytes);
    const next = await backup(dir, file);
    expect(next.stats.damaged).toBe(1);
    expect(next.stats.misses).toBe(1);
    expect(gunzipSync(next.gz).equals(Buffer.concat(streamOf(file).parts))).toBe(true);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 }); // the new pack holds the fresh one
  });

  it("notices a damaged segment CRC in an entry's header and puts the right CRC into the stream", async () => {
    const { dir, file, pack } = await backedUpOnce();
    const bytes = await readFile(pack);
    bytes[36] = (bytes[36] as number) ^ 0x01; // the first entry's CRC-32 of its segment's bytes
    await writeFile(pack, bytes);
    const next = await backup(dir, file);
    expect(next.stats).toMatchObject({ damaged: 1, misses: 1, hits: SEGMENTS - 1 });
    expect(gunzipSync(next.gz).equals(Buffer.concat(streamOf(file).parts))).toBe(true); // gunzip checks the trailer's CRC
  });

  it('keeps the previous cache when a stream fails, and only the segments of the last stream after one succeeds', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    await backup(dir, file);
    const failing = await SegmentCache.open(dir);
    await compress(failing, rows(SIZE));
    await failing.abandon();
    expect((await readdir(dir)).filter((n) => n.endsWith('.pack'))).toHaveLength(1);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS });

    const other = rows(SIZE);
    await backup(dir, other);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: 0 }); // the segments of `file` were dropped
  });

  it('has the next backup append only the segments it compressed afresh, leaving the reused ones where they are', async () => {
    const dir = await tmpDir();
    const file = rows(SIZE);
    await backup(dir, file);
    const packs = async () => (await readdir(dir)).filter((n) => n.endsWith('.pack'));
    const [pack] = await packs();
    const size = async () => (await stat(join(dir, pack as string))).size;
    const before = await size();
    const changed = Buffer.from(file);
    changed[10 * SEGMENT_SIZE + 100] = (changed[10 * SEGMENT_SIZE + 100] as number) ^ 1;
    expect((await backup(dir, changed)).stats).toMatchObject({ misses: 1 });
    expect(await packs()).toEqual([pack]);
    const grown = (await size()) - before;
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThan(SEGMENT_SIZE); // one compressed segment, not the cache again
    expect((await backup(dir, changed)).stats).toMatchObject({ hits: SEGMENTS, misses: 0 });
    expect((await size()) - before).toBe(grown);
  });

  it('cuts off what a failed backup appended when it gives up', async () => {
    const { dir, file, pack, size: before } = await backedUpOnce();
    const failing = await SegmentCache.open(dir);
    await compress(failing, rows(SIZE));
    await failing.abandon();
    expect((await stat(pack)).size).toBe(before);
    expect((await backup(dir, file)).stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
    expect((await stat(pack)).size).toBe(before);
  });

  it('cuts off what a killed backup appended when it is next opened', async () => {
    const { dir, file, pack, size: before } = await backedUpOnce();
    await writeFile(pack, randomBytes(SEGMENT_SIZE), { flag: 'a' }); // as a backup killed while appending leaves it
    const next = await SegmentCache.open(dir);
    expect((await stat(pack)).size).toBe(before);
    await compress(next, file);
    await next.finish();
    expect(next.stats).toMatchObject({ hits: SEGMENTS, damaged: 0 });
  });

  it('moves the used entries into a new pack once the unused ones are as large', async () => {
    const dir = await tmpDir();
    const a = rows(SIZE);
    const b = rows(20 * SEGMENT_SIZE + 99); // about half of `a`
    await backup(dir, a);
    const [first] = (await readdir(dir)).filter((n) => n.endsWith('.pack'));
    await backup(dir, b); // every entry of `a` is garbage now: more bytes than `b` uses
    const packs = (await readdir(dir)).filter((n) => n.endsWith('.pack'));
    expect(packs).toHaveLength(1);
    expect(packs[0]).not.toBe(first);
    const again = await backup(dir, b);
    expect(again.stats).toMatchObject({ hits: 21, misses: 0, damaged: 0 });
    expect(gunzipSync(again.gz).equals(Buffer.concat(streamOf(b).parts))).toBe(true);
    expect((await backup(dir, a)).stats).toMatchObject({ hits: 0 });
  });

  it('keeps its pack while the unused entries are fewer than the used ones', async () => {
    const dir = await tmpDir();
    const a = rows(SIZE);
    await backup(dir, a);
    const [first] = (await readdir(dir)).filter((n) => n.endsWith('.pack'));
    const changed = Buffer.from(a);
    for (let s = 0; s < 10; s++) changed[s * 4 * SEGMENT_SIZE + 100] = (changed[s * 4 * SEGMENT_SIZE + 100] as number) ^ 1; // a quarter of the segments
    await backup(dir, changed);
    expect((await readdir(dir)).filter((n) => n.endsWith('.pack'))).toEqual([first]);
  });

  it('never grows past its byte limit', async () => {
    const dir = await tmpDir();
    const limit = 5 * SEGMENT_SIZE;
    const file = randomBytes(SIZE); // stored, so each entry is a little more than a segment
    await backup(dir, file, { maxBytes: limit });
    const pack = (await readdir(dir)).find((n) => n.endsWith('.pack')) as string;
    const size = (await stat(join(dir, pack))).size;
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(limit);
    // Four full segments fit (each a little over 64 KiB stored), the fifth does not; the short last one does.
    expect((await backup(dir, file, { maxBytes: limit })).stats.hits).toBe(5);
  });

  it('leaves files below the segment size in ordinary blocks', async () => {
    const plan = new SegmentPlan();
    plan.add(0, MIN_SEGMENTED_SIZE - 1);
    expect(plan.at(0)).toBeNull();
  });
});

describe('the segment records', () => {
  it('find each key by its own record, also keys alike in their first bytes, and refuse a key twice', () => {
    const records = new SegmentRecords();
    const key = randomBytes(32);
    const twin = Buffer.from(key);
    twin[31] = (twin[31] as number) ^ 1; // the same first 31 bytes: the same place in the table
    expect(records.add(key, 100, 52)).toBe(true);
    expect(records.add(twin, 200, 53)).toBe(true);
    expect(records.add(Buffer.from(key), 300, 54)).toBe(false); // a key seen twice keeps its first
    expect(records.find(key)).toEqual({ offset: 100, size: 52 });
    expect(records.find(twin)).toEqual({ offset: 200, size: 53 });
    const stranger = Buffer.from(key);
    stranger[20] = (stranger[20] as number) ^ 1;
    expect(records.find(stranger)).toBeNull();
    const added = Array.from({ length: 5000 }, () => randomBytes(32));
    added.forEach((k, i) => expect(records.add(k, i * 60, 60)).toBe(true)); // past several regrowths
    const again = SegmentRecords.from(Buffer.from(records.encode())); // from() takes its buffer over: a copy
    expect(again.size).toBe(records.size);
    expect(again.size).toBe(5002);
    expect(again.find(key)).toEqual({ offset: 100, size: 52 });
    expect(again.find(twin)).toEqual({ offset: 200, size: 53 });
    added.forEach((k, i) => expect(again.find(k)).toEqual({ offset: i * 60, size: 60 }));
    expect(again.find(stranger)).toBeNull();
    // Offsets 0, 60, 100, 120, 180, 200, 240: the first two records (100, 200) among the 5000 added (60 apart).
    const order = [...records.inPackOrder()];
    expect(order.slice(0, 7)).toEqual([2, 3, 0, 4, 5, 1, 6]);
    expect(order.length).toBe(5002);
    expect(order.at(-1)).toBe(5001);
  });

  it('read from an index file, keep the first record of a key seen twice, in order, and ignore a cut-off record', () => {
    const [a, b, c, d] = Array.from({ length: 4 }, () => randomBytes(32)) as [Buffer, Buffer, Buffer, Buffer];
    const file = [[a, 0], [b, 60], [a, 120], [c, 180], [b, 240], [d, 300]] as const;
    const bytes = Buffer.concat(
      file.map(([key, offset]) => {
        const one = new SegmentRecords();
        one.add(key, offset, 60);
        return Buffer.from(one.encode());
      }),
    );
    const table = SegmentRecords.from(Buffer.concat([bytes, Buffer.alloc(RECORD - 1, 7)]));
    expect(table.size).toBe(4);
    expect([a, b, c, d].map((k) => table.find(k))).toEqual([0, 60, 180, 300].map((offset) => ({ offset, size: 60 })));
    expect([0, 1, 2, 3].map((n) => table.record(n))).toEqual([a, b, c, d].map((key, n) => ({ key, offset: [0, 60, 180, 300][n], size: 60 })));
    expect(table.add(a, 999, 60)).toBe(false);
    const e = randomBytes(32);
    expect(table.add(e, 360, 60)).toBe(true); // room made by growing past the records it took over
    expect(table.find(e)).toEqual({ offset: 360, size: 60 });
    expect(table.find(d)).toEqual({ offset: 300, size: 60 });
    const fromScrap = SegmentRecords.from(Buffer.alloc(RECORD - 1));
    expect(fromScrap.size).toBe(0);
    expect(fromScrap.add(e, 0, 60)).toBe(true);
    expect(fromScrap.find(e)).toEqual({ offset: 0, size: 60 });
  });
});
