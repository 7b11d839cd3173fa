// Worker for the worker-pool tests: echoes jobs after an optional delay, fails or exits on request.

import { serveJobs } from '../../src/util/worker-pool.js';

export interface EchoJob {
  value: number;
  delayMs?: number;
  fail?: boolean;
  exit?: boolean;
  buffer?: ArrayBuffer;
}

export interface EchoResult {
  value: number;
  bytes: number;
  buffer?: ArrayBuffer;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

serveJobs<EchoJob, EchoResult>((job) => {
  if (job.delayMs) sleep(job.delayMs);
  if (job.fail) throw new Error(`job ${job.value} failed`);
  if (job.exit) process.exit(3);
  const bytes = job.buffer?.byteLength ?? 0;
  return { result: { value: job.value, bytes, buffer: job.buffer }, transfer: job.buffer ? [job.buffer] : [] };
});
