// Compression runs on libuv's thread pool and is fed by the main thread: it cuts the input into
// blocks, keys the segments, walks each libdeflate stream and writes the output — on a first backup
// about as much CPU as all the compressions together. With more compressions at once than cores
// (libdeflate.ts), each one that wakes can take the main thread's core, and the cores then wait for
// that thread: on two cores a first backup took 3–4 % longer. So the pool's threads are run
// POOL_NICE_STEP nice levels below the main thread (at most 19): they still get every core it
// leaves free, and yield the main thread's to it. A pool thread's id can only be learnt on that
// thread: a readlink of /proc/thread-self done by the pool names the thread that did it. lowerPool()
// asks the pool for a round of such readlinks, until every thread of the pool has answered. The
// threads stay lowered for the rest of the process, as nothing but a privileged one could raise
// them again: all of Lifeboat's work is background work. Linux only; where /proc or per-thread
// priorities are missing, nothing changes.

import { readlink } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { lowerThread } from './background-priority.js';

/** Nice levels between the main thread and the pool's threads. */
export const POOL_NICE_STEP = 9;
const MAX_NICE = 19;
/** Rounds of readlinks, one per thread of the pool each, before the search gives up. */
export const ROUNDS = 16;

/** Threads in libuv's pool, read from UV_THREADPOOL_SIZE as libuv reads it: 4 unless set, at least 1, at most 1024. */
export function threadPoolSize(value = process.env.UV_THREADPOOL_SIZE): number {
  if (value === undefined) return 4;
  const n = Number.parseInt(value, 10) || 0; // atoi: 0 for what is not a number
  if (n === 0) return 1;
  return n < 0 || n > 1024 ? 1024 : n; // a negative number read as unsigned
}

export interface PoolPriorityDeps {
  /** Threads in the pool: the search ends when it has found as many. */
  poolSize: number;
  /** Runs on a pool thread and names it: `/proc/thread-self`'s target, `<pid>/task/<tid>`. */
  whoAmI: () => Promise<string>;
  /** The main thread's nice value. */
  mainNice: () => number;
  /** Lowers a thread to a nice value; never raises one (lowerThread). */
  lower: (tid: number, nice: number) => void;
  /** This process's id, which is also its main thread's. */
  pid: number;
}

export class PoolPriority {
  private readonly found = new Set<number>();
  private rounds = 0;
  private asking = false;
  private done = false;

  constructor(
    private readonly deps: PoolPriorityDeps,
    private readonly maxRounds = ROUNDS,
  ) {}

  /**
   * Unless a round is under way, asks the pool to name its threads (as many readlinks at once as it
   * has threads: each is done by a thread that is free then) and lowers those not lowered yet. A
   * no-op once all are found, after `maxRounds` rounds, or once a readlink has failed.
   */
  lowerPool(): void {
    if (this.done || this.asking) return;
    if (this.found.size >= this.deps.poolSize || this.rounds >= this.maxRounds) {
      this.done = true;
      return;
    }
    this.rounds++;
    this.asking = true;
    Promise.all(Array.from({ length: this.deps.poolSize }, () => this.deps.whoAmI())).then(
      (names) => {
        this.asking = false;
        for (const name of names) this.take(name);
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

  private take(name: string): void {
    // Only a thread of this process: a /proc mounted for another pid namespace names others.
    const thread = /^(\d+)\/task\/(\d+)$/.exec(name);
    if (!thread || Number(thread[1]) !== this.deps.pid) {
      this.done = true;
      return;
    }
    const tid = Number(thread[2]);
    if (tid === this.deps.pid || this.found.has(tid)) return;
    this.found.add(tid);
    let main: number;
    try {
      main = this.deps.mainNice();
    } catch {
      return; // no priorities on this platform
    }
    this.deps.lower(tid, Math.min(MAX_NICE, main + POOL_NICE_STEP));
  }
}

/** What poolPriority() works with: this process's pool, priorities and /proc (Linux). */
export function linuxPool(): PoolPriorityDeps {
  return {
    poolSize: threadPoolSize(),
    whoAmI: () => readlink('/proc/thread-self'),
    mainNice: () => getPriority(),
    lower: (tid, nice) => lowerThread(tid, nice),
    pid: process.pid,
  };
}

let shared: PoolPriority | null = null;

/** This process's pool threads' priority keeper (Linux), or null where there is none to keep. */
export function poolPriority(): PoolPriority | null {
  if (process.platform !== 'linux') return null;
  shared ??= new PoolPriority(linuxPool());
  return shared;
}
