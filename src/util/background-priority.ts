// Lifeboat is background work beside Home Assistant and its database: the `lifeboat` command
// lowers its own CPU priority (nice 10) when it starts, so compressing and encrypting a backup never
// takes the processor from a recorder that is committing, and the database tools it starts run at
// the same priority. On Linux the nice value belongs to each thread, so every thread of the process
// is lowered (the thread pool's and workers' threads made later inherit it). A process that already
// runs at a lower priority (systemd's Nice=, `nice`) keeps it.

import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export const BACKGROUND_NICE = 10;

/** Lowers every thread of this process to `nice` (never raises one); best effort, never throws. */
export function runInBackground(nice = BACKGROUND_NICE): void {
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    threads = [0]; // no /proc: this thread only
  }
  for (const tid of threads) lowerThread(tid, nice);
}

/** The calls lowerThread makes (for tests). */
export interface Priorities {
  getPriority: (id: number) => number;
  setPriority: (id: number, nice: number) => void;
}

/**
 * Lowers thread `tid` (on Linux a process's threads have nice values of their own) to `nice`, or
 * leaves it where it is when it is already there or lower; best effort, never throws.
 */
export function lowerThread(tid: number, nice: number, os: Priorities = { getPriority, setPriority }): void {
  try {
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {
    // a thread that ended meanwhile, or a platform without per-thread priorities
  }
}

/** Lowers a child process (a database's dump or load tool) to `nice`; best effort. */
export function childInBackground(pid: number | undefined, nice = BACKGROUND_NICE): void {
  if (pid === undefined) return;
  try {
    if (getPriority(pid) < nice) setPriority(pid, nice);
  } catch {
    // it has already exited
  }
}
