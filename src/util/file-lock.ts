// A lock shared by processes on one machine: a file created exclusively that holds its owner's pid
// and a token of the acquisition. Another process waits for it (it is held only for a
// read-modify-write of a few files). A lock left behind is taken over: its process has died, or
// it carries this process's pid but none of its tokens (a pid reused after a crash, as a restarted
// container's pid 1), or it has been held far longer than any change takes, or it stayed empty
// longer than an owner needs to write its pid. A takeover happens under a second lock file and
// re-checks that the lock is still the one judged abandoned, so two waiters never both take it.

import { randomBytes } from 'node:crypto';
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
/** Age after which a lock counts as abandoned whoever holds it: changes take milliseconds. */
const MAX_HOLD_MS = 120_000;

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

/** Tokens of the locks this process holds now. */
const heldHere = new Set<string>();

interface Holder {
  pid: number | null;
  token: string;
  ageMs: number;
  ino: number;
}

async function holderOf(path: string): Promise<Holder | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const [pidText = '', token = ''] = text.trim().split(/\s+/);
    const pid = Number.parseInt(pidText, 10);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : null, token, ageMs: Date.now() - st.mtimeMs, ino: st.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function abandoned(h: Holder): boolean {
  if (h.pid === null) return h.ageMs > UNWRITTEN_MS;
  if (h.ageMs > MAX_HOLD_MS) return true;
  if (h.pid === process.pid) return !heldHere.has(h.token);
  return !processAlive(h.pid);
}

/** Creates the lock file holding `content`; false when it exists. */
async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 }); // the folder is made on first use
      return open(path, 'wx', 0o600);
    });
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes the lock at `path` if it is still the abandoned one seen, one takeover at a time; true
 * when the caller should try again at once.
 */
async function takeOver(path: string, seen: Holder): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await tryCreate(guard, `${process.pid}\n`))) {
    // Another waiter is taking over (or died doing so, which a stale guard's age shows).
    const other = await holderOf(guard);
    if (other && other.ageMs > UNWRITTEN_MS) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await holderOf(path);
    if (now && now.ino === seen.ino && now.token === seen.token && now.pid === seen.pid) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Runs `fn` holding the lock file at `path`; waits for another holder, up to the timeout. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const token = randomBytes(8).toString('hex');
  let pause = 2;
  let lastHolder: number | null = null;
  heldHere.add(token); // before the file exists, so no waiter here takes a just-made lock for a stale one
  try {
    while (!(await tryCreate(path, `${process.pid} ${token}\n`))) {
      const holder = await holderOf(path);
      if (holder) {
        lastHolder = holder.pid;
        if (abandoned(holder) && (await takeOver(path, holder))) continue;
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
      const holder = await holderOf(path).catch(() => null);
      if (holder?.token === token) await unlink(path).catch(() => undefined);
    }
  } finally {
    heldHere.delete(token);
  }
}
