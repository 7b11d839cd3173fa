// Compression runs on libuv's thread pool and is fed by the main thread: it cuts the input into
// blocks, keys the segments, walks each libdeflate stream and writes the output — on a first backup
// about as much CPU as all the compressions together. With more compressions at once than cores
// (libdeflate.ts), each one that wakes can take the main thread's core, and the cores then wait for
// that thread: on two cores a first backup took about 3 % longer. So the pool's threads are run
// POOL_NICE_STEP nice levels below the main thread (at most 19): they still get every core it
// leaves free. A pool thread's id can only be learnt on that thread: a readlink of
// /proc/thread-self done by the pool names the thread that did it. lowerOne() asks for one such
// readlink, until every thread of the pool has answered. Linux only; where /proc or per-thread
// priorities are missing nothing changes, and a thread is never raised.

import { readlink } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** Nice levels between the main thread and the pool's threads. */
export const POOL_NICE_STEP = 9;
const MAX_NICE = 19;
/** Readlinks asked for, per thread of the pool, before the search gives up. */
const TRIES_PER_THREAD = 16;

export interface PoolPriorityDeps {
  /** Threads in the pool (UV_THREADPOOL_SIZE): the search ends when it has found as many. */
  poolSize: number;
  /** Runs on a pool thread and names it: `/proc/thread-self`'s target, `<pid>/task/<tid>`. */
  whoAmI: () => Promise<string>;
  /** The main thread's nice value. */
  mainNice: () => number;
  getNice: (tid: number) => number;
  setNice: (tid: number, nice: number) => void;
  mainTid: number;
}

export class PoolPriority {
  private readonly found = new Set<number>();
  private tries = 0;
  private asking = false;
  private done: boolean;

  constructor(private readonly deps: PoolPriorityDeps) {
    this.done = deps.poolSize < 1;
  }

  /** Asks the pool to name one of its threads and lowers it; a no-op once all are found. */
  lowerOne(): void {
    if (this.done || this.asking) return;
    if (this.found.size >= this.deps.poolSize || this.tries >= this.deps.poolSize * TRIES_PER_THREAD) {
      this.done = true;
      return;
    }
    this.tries++;
    this.asking = true;
    this.deps.whoAmI().then(
      (self) => {
        this.asking = false;
        const tid = Number(/\/task\/(\d+)$/.exec(self)?.[1]);
        if (!Number.isInteger(tid) || tid === this.deps.mainTid || this.found.has(tid)) return;
        this.found.add(tid);
        this.lower(tid);
      },
      () => {
        this.asking = false;
        this.done = true; // no /proc/thread-self: not Linux, or /proc not mounted
      },
    );
  }

  /** The threads found so far. */
  threads(): number[] {
    return [...this.found];
  }

  private lower(tid: number): void {
    try {
      const target = Math.min(MAX_NICE, this.deps.mainNice() + POOL_NICE_STEP);
      if (this.deps.getNice(tid) < target) this.deps.setNice(tid, target);
    } catch {
      // a platform without per-thread priorities: leave it
    }
  }
}

let shared: PoolPriority | null = null;

/** This process's pool threads' priority keeper (Linux), or null where there is none to keep. */
export function poolPriority(): PoolPriority | null {
  if (process.platform !== 'linux') return null;
  shared ??= new PoolPriority({
    poolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4, // libuv's default
    whoAmI: () => readlink('/proc/thread-self'),
    mainNice: () => getPriority(),
    getNice: (tid) => getPriority(tid),
    setNice: (tid, nice) => setPriority(tid, nice),
    mainTid: process.pid,
  });
  return shared;
}
