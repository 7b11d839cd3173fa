// Deflate through libdeflate, the system's libdeflate.so.0 (Debian's libdeflate0, Alpine's libdeflate),
// called through koffi on libuv's thread pool, when both are there: it compresses a whole
// buffer about twice as fast as zlib at the same level, and a little smaller. It takes no
// dictionary and writes only complete streams; deflate-final-block.ts makes those into pieces.
// Where either cannot be loaded, there is no engine and zlib does the work: the output is the
// same format either way. LIFEBOAT_LIBDEFLATE=0 turns it off (a comparison, a suspected fault).

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { poolPriority, threadPoolSize } from '../util/pool-priority.js';

export interface WholeDeflater {
  /**
   * Compresses all of `input` at `level` as one complete raw deflate stream at the start of `out`;
   * resolves its length, or 0 when it would not fit in `out`.
   */
  compress(level: number, input: Uint8Array, out: Uint8Array): Promise<number>;
}

export type Compress = ((c: unknown, input: Uint8Array, inLength: number, out: Uint8Array, outLength: number) => number) & {
  async: (c: unknown, input: Uint8Array, inLength: number, out: Uint8Array, outLength: number, done: (err: unknown, n: number) => void) => void;
};

/**
 * Calls that run at once: two more than there are cores, with two of libuv's threads (as many as
 * UV_THREADPOOL_SIZE says, which bin/lifeboat sets; libuv's default is 4) left free for file reads
 * and writes. A call waiting for a turn is started from the event loop, only once this thread has
 * heard that a call ended and got round to it, which can take longer than a call (a 64 KiB
 * segment, about a third of a millisecond) when it is busy with other blocks' keys, pieces and
 * output. With one call per core, cores sat idle for much of that wait: a first backup took about
 * 7 % longer. More turns gained nothing more there, and crowded this thread out in a next backup,
 * where it has the most to do.
 */
export function compressionTurns(cores = availableParallelism(), threads = threadPoolSize()): number {
  return Math.max(1, Math.min(cores + 2, threads - 2));
}

/** Lowers the pool's threads below the main thread (src/util/pool-priority.ts). */
export interface PoolLowering {
  lowerPool(): void;
}

/**
 * Compressors are not shared between threads: each call takes one of its level's idle ones. Calls
 * beyond the turns (compressionTurns) wait here, so that few compressors (each about 0.4 MiB once
 * used) ever exist. A call that starts while every core already has one would take the core of
 * the main thread, which feeds them all: then the pool's threads are lowered below it (`below`).
 */
export class LibdeflatePool implements WholeDeflater {
  private readonly idle = new Map<number, unknown[]>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(
    private readonly allocate: (level: number) => unknown,
    private readonly run: Compress,
    private readonly limit = compressionTurns(),
    private readonly below: PoolLowering | null = null,
    private readonly cores = availableParallelism(),
  ) {}

  async compress(level: number, input: Uint8Array, out: Uint8Array): Promise<number> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resume) => this.waiting.push(resume)); // a call that ends hands its turn on
    if (this.running > this.cores) this.below?.lowerPool();
    let free = this.idle.get(level);
    if (!free) this.idle.set(level, (free = []));
    let compressor: unknown = null;
    try {
      compressor = free.pop() ?? this.allocate(level);
      if (!compressor) throw new Error(`libdeflate could not allocate a compressor for level ${level}`);
      return await new Promise<number>((resolve, reject) =>
        this.run.async(compressor, input, input.length, out, out.length, (err, n) => (err ? reject(err) : resolve(Number(n)))),
      );
    } finally {
      if (compressor) free.push(compressor);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

function load(): WholeDeflater | null {
  if (process.env.LIFEBOAT_LIBDEFLATE === '0') return null;
  try {
    // Required, not imported: a native module that may fail to load, and only when first needed.
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load('libdeflate.so.0');
    const allocate = lib.func('void *libdeflate_alloc_compressor(int level)') as (level: number) => unknown;
    const run = lib.func(
      'size_t libdeflate_deflate_compress(void *compressor, const uint8_t *input, size_t in_nbytes, _Out_ uint8_t *output, size_t out_nbytes_avail)',
    ) as unknown as Compress;
    return new LibdeflatePool(allocate, run, compressionTurns(), poolPriority());
  } catch {
    return null;
  }
}

let engine: WholeDeflater | null | undefined;

/** The libdeflate engine, or null where it cannot be loaded (then zlib compresses). */
export function libdeflate(): WholeDeflater | null {
  if (engine === undefined) engine = load();
  return engine;
}
