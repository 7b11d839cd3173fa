// Streams for the segment cache tests: a large file between a small header and trailer with its
// region planned, compressed through parallel gzip and a segment cache, one "backup" at a time.

import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parallelGzip } from '../../src/archive/parallel-gzip.js';
import { SegmentCache } from '../../src/archive/segment-cache.js';
import { SEGMENT_SIZE, SegmentPlan } from '../../src/archive/segment-plan.js';
import type { SegmentStore } from '../../src/archive/segment-store.js';
import type { WholeDeflater } from '../../src/archive/libdeflate.js';
import { tmpDir } from './tmp.js';

export const SIZE = 40 * SEGMENT_SIZE + 1234;
export const SEGMENTS = Math.ceil(SIZE / SEGMENT_SIZE);

/** A database-like file: repetitive rows with random ids, so it compresses but not to nothing. */
export function rows(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += 64) {
    Buffer.from(`row ${at} state=on attrs={"unit":"°C"} ${randomBytes(6).toString('hex')}\n`).copy(out, at);
  }
  return out;
}

/** A stream of a small "header", a large file's bytes and a small trailer, with the file's region planned. */
export function streamOf(file: Buffer): { parts: Buffer[]; plan: SegmentPlan } {
  const head = Buffer.from('h'.repeat(512));
  const plan = new SegmentPlan();
  plan.add(head.length, file.length);
  return { parts: [head, file, Buffer.alloc(1024)], plan };
}

export async function* chunks(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) for (let at = 0; at < part.length; at += 100_000) yield Buffer.from(part.subarray(at, at + 100_000));
}

/** `file`'s stream compressed with `store` (the cache itself, or something in front of it). */
export function gzipOf(store: SegmentStore, file: Buffer, options: { concurrency?: number; engine?: WholeDeflater | null } = {}): AsyncGenerator<Buffer> {
  const { parts, plan } = streamOf(file);
  return parallelGzip(chunks(parts), { plan, segments: store, ...options });
}

export async function compress(store: SegmentStore, file: Buffer, engine?: WholeDeflater | null): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of gzipOf(store, file, { engine })) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

/** One backup's worth: compress through a freshly opened cache and keep it (`engine`: see parallelGzip). */
export async function backup(dir: string, file: Buffer, options: { maxBytes?: number; engine?: WholeDeflater | null } = {}) {
  const { engine, ...cacheOptions } = options;
  const cache = await SegmentCache.open(dir, cacheOptions);
  const gz = await compress(cache, file, engine);
  await cache.finish();
  return { gz, stats: cache.stats };
}

export async function packsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.pack'));
}

/** The path of the cache's one pack. */
export async function packOf(dir: string): Promise<string> {
  const [pack, ...more] = await packsIn(dir);
  if (!pack || more.length) throw new Error(`expected one pack in ${dir}`);
  return join(dir, pack);
}

/** A new cache folder after one backup of a fresh file: the folder, the file, its pack and the pack's size. */
export async function backedUpOnce(): Promise<{ dir: string; file: Buffer; pack: string; size: number }> {
  const dir = await tmpDir();
  const file = rows(SIZE);
  await backup(dir, file);
  const pack = await packOf(dir);
  return { dir, file, pack, size: (await stat(pack)).size };
}
