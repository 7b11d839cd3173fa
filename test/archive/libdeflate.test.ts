// The libdeflate engine: loaded here (the test set-up installs the library), its output a complete
// deflate stream, and its pool of compressors taking two more turns than there are cores, lowering
// the thread pool once they outnumber the cores, and giving every turn back, whatever a call does.
import { inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compressionTurns, LibdeflatePool, type Compress } from '../../src/archive/libdeflate.js';
import { eventually } from '../helpers/eventually.js';
import { requireLibdeflate } from '../helpers/libdeflate.js';

/** A stand-in for the native call: answers `n` on the next turn, or fails. */
function fakeRun(fail: () => boolean): Compress {
  const run = (() => 0) as unknown as Compress;
  run.async = (_c, _in, _inLength, _out, _outLength, done) => setImmediate(() => (fail() ? done(new Error('native failure'), 0) : done(null, 7)));
  return run;
}

describe('the libdeflate engine', () => {
  it('compresses a buffer into a complete deflate stream, and answers 0 when it does not fit', async () => {
    const engine = requireLibdeflate();
    const input = Buffer.from('automation: !include automations.yaml\n'.repeat(1000));
    const out = Buffer.alloc(input.length);
    const length = await engine.compress(6, input, out);
    expect(length).toBeGreaterThan(0);
    expect(inflateRawSync(out.subarray(0, length)).equals(input)).toBe(true);
    expect(await engine.compress(6, input, Buffer.alloc(10))).toBe(0);
  });

  it('gives a turn back when a compressor cannot be allocated or a call fails, so later calls still run', async () => {
    let allocations = 0;
    const pool = new LibdeflatePool(
      () => {
        allocations++;
        if (allocations <= 4) throw new Error('out of memory');
        return {};
      },
      fakeRun(() => false),
      2,
    );
    for (let i = 0; i < 4; i++) await expect(pool.compress(6, new Uint8Array(1), new Uint8Array(8))).rejects.toThrow(/out of memory/);
    await expect(pool.compress(6, new Uint8Array(1), new Uint8Array(8))).resolves.toBe(7);

    let calls = 0;
    const failing = new LibdeflatePool(() => ({}), fakeRun(() => ++calls <= 4), 2);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => failing.compress(6, new Uint8Array(1), new Uint8Array(8))));
    expect(results.map((r) => r.status)).toEqual([...Array(4).fill('rejected'), ...Array(4).fill('fulfilled')]);
  });

  it('keeps at most as many calls running as it has turns, and reuses compressors', async () => {
    let running = 0;
    let most = 0;
    let allocated = 0;
    const run = (() => 0) as unknown as Compress;
    run.async = (_c, _in, _inLength, _out, _outLength, done) => {
      running++;
      most = Math.max(most, running);
      setTimeout(() => {
        running--;
        done(null, 1);
      }, 5);
    };
    const pool = new LibdeflatePool(() => ({ n: ++allocated }), run, 2);
    await Promise.all(Array.from({ length: 20 }, () => pool.compress(6, new Uint8Array(1), new Uint8Array(8))));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(allocated).toBe(most);
  });

  it('lowers the thread pool below the main thread once more calls run than there are cores, not before', async () => {
    const waiting: (() => void)[] = [];
    const run = (() => 0) as unknown as Compress;
    run.async = (_c, _in, _inLength, _out, _outLength, done) => waiting.push(() => done(null, 1));
    let lowered = 0;
    const pool = new LibdeflatePool(() => ({}), run, 4, { lowerPool: () => lowered++ }, 2);
    const call = () => pool.compress(6, new Uint8Array(1), new Uint8Array(8));
    const first = [call(), call()];
    await eventually(() => waiting.length === 2, 'two calls running');
    expect(lowered).toBe(0); // one call per core: the main thread keeps a core
    const more = [call(), call(), call()];
    await eventually(() => waiting.length === 4, 'four calls running');
    expect(lowered).toBe(2); // the third and the fourth
    (waiting.shift() as () => void)();
    await eventually(() => waiting.length === 4, 'the fifth call let in');
    expect(lowered).toBe(3);
    while (waiting.length) (waiting.shift() as () => void)();
    await Promise.all([...first, ...more]);
    expect(lowered).toBe(3);
  });

  it('takes two more turns than there are cores, leaving two of the thread pool for file reads and writes', () => {
    expect(compressionTurns(2, 8)).toBe(4);
    expect(compressionTurns(8, 8)).toBe(6);
    expect(compressionTurns(2, 4)).toBe(2);
    expect(compressionTurns(1, 1)).toBe(1);
  });

  describe('with the thread pool bin/lifeboat sets up', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('runs as many calls at once as it has turns', async () => {
      vi.stubEnv('UV_THREADPOOL_SIZE', '8');
      const turns = compressionTurns();
      const waiting: (() => void)[] = [];
      const run = (() => 0) as unknown as Compress;
      run.async = (_c, _in, _inLength, _out, _outLength, done) => waiting.push(() => done(null, 1));
      const pool = new LibdeflatePool(() => ({}), run);
      const calls = Promise.all(Array.from({ length: 20 }, () => pool.compress(6, new Uint8Array(1), new Uint8Array(8))));
      await eventually(() => waiting.length === turns, `${turns} calls running`);
      // The first ones ending let the next ones in, never more than the turns at once.
      for (let ended = 0; ended < 20; ended++) {
        expect(waiting.length).toBeLessThanOrEqual(turns);
        await eventually(() => waiting.length > 0, 'a call running');
        (waiting.shift() as () => void)();
      }
      await calls;
    });
  });
});
