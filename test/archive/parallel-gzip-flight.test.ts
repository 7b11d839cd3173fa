// How much parallel gzip keeps in flight: enough compressions for the pool's turns, but no more
// blocks (about 2 MiB each) than that takes — two blocks of segments, and up to its concurrency of
// ordinary blocks, each a single compression.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compressionTurns, type WholeDeflater } from '../../src/archive/libdeflate.js';
import { parallelGzip } from '../../src/archive/parallel-gzip.js';
import type { CachedSegment, SegmentStore } from '../../src/archive/segment-store.js';
import { chunks, gzipOf, rows } from '../helpers/segment-streams.js';

/** Lets everything that can run without I/O run (the stream here does none). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A store that finds nothing and holds every lookup: each block of segments stays in flight. */
class HeldStore implements SegmentStore {
  lookups = 0;
  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    this.lookups++;
    return new Promise(() => keys.map(() => null));
  }
  async put(): Promise<void> {}
}

/** An engine whose calls never end: each ordinary block stays in flight. */
class HeldEngine implements WholeDeflater {
  calls = 0;
  compress(): Promise<number> {
    this.calls++;
    return new Promise(() => undefined);
  }
}

describe('parallel gzip in flight', () => {
  beforeEach(() => vi.stubEnv('UV_THREADPOOL_SIZE', '8'));
  afterEach(() => vi.unstubAllEnvs());

  it('begins no third block of segments while the second holds a compression for every turn', async () => {
    expect(compressionTurns()).toBeLessThanOrEqual(16);
    const store = new HeldStore();
    const gz = gzipOf(store, rows(8 << 20), { concurrency: 3 });
    await gz.next(); // the gzip header
    await gz.next(); // the stream's head, an ordinary block
    void gz.next(); // waits for the first block of segments, held
    await settle();
    expect(store.lookups).toBe(2);
  });

  it('keeps up to its concurrency of ordinary blocks in flight, each one compression', async () => {
    const engine = new HeldEngine();
    const gz = parallelGzip(chunks([rows(8 << 20)]), { engine, concurrency: 3 });
    await gz.next(); // the gzip header
    void gz.next(); // waits for the first block, held
    await settle();
    expect(engine.calls).toBe(3);
  });

  it('takes two more turns than there are cores, leaving two of the threads for file reads and writes', () => {
    expect(compressionTurns(2, 8)).toBe(4);
    expect(compressionTurns(8, 8)).toBe(6);
    expect(compressionTurns(2, 4)).toBe(2);
    expect(compressionTurns(1, 1)).toBe(1);
  });
});
