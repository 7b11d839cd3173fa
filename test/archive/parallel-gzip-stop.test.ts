// Parallel gzip that stops before its end — its consumer stops early, or a block fails — ends only
// once every block still in flight has: none of them reaches the segment store after the stream
// is over, so a cache closed after a failed backup is never written to.
import { describe, expect, it } from 'vitest';
import type { CachedSegment, SegmentStore } from '../../src/archive/segment-store.js';
import { eventually } from '../helpers/eventually.js';
import { gzipOf, rows } from '../helpers/segment-streams.js';

/** A store that keeps nothing, holds every lookup until let go, and logs what reaches it. */
class HeldStore implements SegmentStore {
  readonly log: string[] = [];
  /** Segments looked up: each misses, so each is put once compressed. */
  asked = 0;
  puts = 0;
  failNext = false;
  letGo!: () => void;
  private readonly held = new Promise<void>((resolve) => (this.letGo = resolve));

  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the store broke');
    }
    this.asked += keys.length;
    await this.held;
    return keys.map(() => null);
  }

  async put(_key: Buffer, _segment: CachedSegment): Promise<void> {
    this.puts++;
    this.log.push('put');
  }
}

describe('parallel gzip stopping early', () => {
  it('ends only once every block in flight has settled when its consumer stops', async () => {
    const store = new HeldStore();
    const gz = gzipOf(store, rows(8 << 20), { concurrency: 3 });
    await gz.next(); // the gzip header
    await gz.next(); // the stream's head; blocks of segments are held in flight behind it
    expect(store.asked).toBeGreaterThan(0);
    const stopped = gz.return(undefined).then(() => store.log.push('stopped'));
    store.letGo();
    await stopped;
    await eventually(() => store.puts === store.asked, 'every segment looked up put', 5000);
    expect(store.log.at(-1)).toBe('stopped');
  });

  it("throws a failed block's error only once the other blocks in flight have settled", async () => {
    const store = new HeldStore();
    store.failNext = true;
    const gz = gzipOf(store, rows(8 << 20), { concurrency: 3 });
    await gz.next();
    await gz.next();
    const failed = gz.next().then(
      () => 'no error',
      (err: Error) => {
        store.log.push('threw');
        return err.message;
      },
    );
    store.letGo();
    expect(await failed).toBe('the store broke');
    await eventually(() => store.puts === store.asked, 'every segment looked up put', 5000);
    expect(store.puts).toBeGreaterThan(0);
    expect(store.log.at(-1)).toBe('threw');
  });
});
