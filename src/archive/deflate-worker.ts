// Worker thread of parallel gzip: takes blocks as they arrive, samples, checksums and stores them
// here and has zlib compress them on the libuv thread pool, several at once, then hands both
// buffers of each job back with the result, so they can be reused. zlib's own output buffers are
// garbage after every block; they are collected every few MiB instead of piling up.

import { availableParallelism } from 'node:os';
import { deflateBlock, storedSize, type BlockJob, type BlockResult } from './block-deflate.js';
import { Semaphore } from '../util/concurrency.js';
import { serveJobs } from '../util/worker-pool.js';
import { GarbageBudget } from '../util/gc.js';

// One compression per core and one more keeps every core busy between blocks, and leaves the
// rest of the thread pool to file I/O.
const compressing = new Semaphore(availableParallelism() + 1);
const garbage = new GarbageBudget(8 << 20);
const SAMPLE_GARBAGE = 64 * 1024;

serveJobs<BlockJob, BlockResult>(async (job) => {
  const result = await compressing.run(() => deflateBlock(job));
  // The sample's buffers, and for a deflated block zlib's chunks and joined result.
  const deflated = result.outputLength !== storedSize(job.length);
  setImmediate(() => garbage.add(SAMPLE_GARBAGE + (deflated ? 2 * result.outputLength : 0)));
  return { result, transfer: [result.input, result.output] };
});
