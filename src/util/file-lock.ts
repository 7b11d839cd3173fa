// A lock shared by processes on one machine: a file created exclusively that holds its owner's
// pid. Another process waits for it (it is held only for a read-modify-write of a few files); a
// lock whose process has died is taken over, as is a lock file left empty for longer than any
// owner needs to write its pid.

import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './process-alive.js';

export interface FileLockOptions {
  /** How long to wait for another holder before giving up (default 15 s). */
  timeoutMs?: number;
  /** What the lock protects, for the error message (default "the lock"). */
  what?: string;
}

/** Age after which a lock file without a readable pid counts as abandoned. */
const UNWRITTEN_MS = 5_000;

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

async function holderOf(path: string): Promise<{ pid: number | null; ageMs: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = Number.parseInt(text, 10);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : null, ageMs: Date.now() - st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 }); // the folder is made on first use
      return open(path, 'wx', 0o600);
    });
    try {
      await fh.writeFile(`${process.pid}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Runs `fn` holding the lock file at `path`; waits for another holder, up to the timeout. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let pause = 2;
  let lastHolder: number | null = null;
  while (!(await tryCreate(path))) {
    const holder = await holderOf(path);
    if (holder) {
      lastHolder = holder.pid;
      const abandoned = holder.pid === null ? holder.ageMs > UNWRITTEN_MS : !processAlive(holder.pid);
      if (abandoned) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      const who = lastHolder === null ? 'another process' : `process ${lastHolder}`;
      throw new LockTimeoutError(`${opts.what ?? 'The lock'} is held by ${who}; try again (lock file ${path})`);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
