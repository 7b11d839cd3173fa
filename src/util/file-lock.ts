// A lock shared by processes on one machine: a file created exclusively holding a small JSON record
// (owner's pid, the owner's start in clock ticks since boot and the boot id, a token of the
// acquisition, since when, and what the caller adds). A waiter waits up to its timeout. A lock left
// behind is taken over: its process has died; or it carries this process's pid but none of its
// tokens (a pid reused after a crash, as a restarted container's pid 1); or its pid now belongs to
// another process (a different start in the same boot: no wall clock involved); or, where the
// caller says so, it has been held far longer than the work takes; or the file stayed empty longer
// than an owner needs to write it. A takeover happens under a second lock file and re-checks that
// the lock is still the one judged abandoned, so two waiters never both take it; a holder removes
// only its own lock.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './process-alive.js';

/**
 * maxHoldMs for a lock around a small file's read–change–write, which takes milliseconds: one held
 * for longer than this was left behind.
 */
export const QUICK_CHANGE_MAX_HOLD_MS = 60_000;

export interface FileLockOptions {
  /** How long to wait for another holder before giving up (default 15 s; 0: do not wait). */
  timeoutMs?: number;
  /** What the lock protects, for the error message (default "The lock"). */
  what?: string;
  /** Age after which a lock counts as abandoned whoever holds it (default: none). */
  maxHoldMs?: number;
  /** More fields for the lock's record (e.g. what the holder is doing). */
  extra?: Record<string, string>;
}

export interface LockRecord {
  pid: number;
  token: string;
  since: string;
  [field: string]: unknown;
}

/** Age after which a lock file without a readable record (or a takeover guard) counts as abandoned. */
const UNWRITTEN_MS = 5_000;
/** How long a waiter that found an abandoned lock keeps trying to take it over, whatever its timeout. */
const TAKEOVER_GRACE_MS = 1_000;

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(
    message: string,
    /** The holder's record, when it could be read. */
    readonly holder: LockRecord | null,
  ) {
    super(message);
  }
}

/** Tokens of the locks this process holds (or is taking) now. */
const heldHere = new Set<string>();

interface Holder {
  record: LockRecord | null;
  ageMs: number;
  ino: number;
}

function parseRecord(text: string): LockRecord | null {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (typeof r.pid !== 'number') return null;
    return { ...r, pid: r.pid, token: typeof r.token === 'string' ? r.token : '', since: typeof r.since === 'string' ? r.since : '' };
  } catch {
    return null;
  }
}

async function holderOf(path: string): Promise<Holder | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { record: parseRecord(text), ageMs: Date.now() - st.mtimeMs, ino: st.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** When the process `pid` started, in clock ticks since boot, where /proc tells; else null. */
export function processStartTicks(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // field 22; these start at field 3
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** This boot's id and this process's start, read once when a lock first needs them. */
let self: { boot: string; startTicks: number } | null | undefined;
function selfStart(): { boot: string; startTicks: number } | null {
  if (self === undefined) {
    const boot = readBootId();
    const startTicks = processStartTicks('self');
    self = boot !== null && startTicks !== null ? { boot, startTicks } : null;
  }
  return self;
}

function abandoned(h: Holder, maxHoldMs: number | undefined): boolean {
  const r = h.record;
  if (!r) return Math.abs(h.ageMs) > UNWRITTEN_MS;
  if (maxHoldMs !== undefined && h.ageMs > maxHoldMs) return true;
  if (r.pid === process.pid) return !heldHere.has(r.token);
  if (!processAlive(r.pid)) return true;
  // Alive: the same process only if it started when the holder did (comparable within one boot).
  const own = selfStart();
  if (own === null || r.boot !== own.boot || typeof r.startTicks !== 'number') return false;
  const started = processStartTicks(r.pid);
  return started !== null && started !== r.startTicks;
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
    const st = await stat(guard).catch(() => null);
    if (st && Math.abs(Date.now() - st.mtimeMs) > UNWRITTEN_MS) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await holderOf(path);
    if (now && now.ino === seen.ino && now.record?.token === seen.record?.token) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** The record of the lock at `path` and whether it is abandoned, or null when there is none. */
export async function inspectLock(path: string, maxHoldMs?: number): Promise<{ record: LockRecord | null; abandoned: boolean } | null> {
  const h = await holderOf(path);
  return h && { record: h.record, abandoned: abandoned(h, maxHoldMs) };
}

/** Takes the lock file at `path`, waiting for another holder up to the timeout; returns the release. */
export async function acquireFileLock(path: string, opts: FileLockOptions = {}): Promise<() => Promise<void>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const token = randomBytes(8).toString('hex');
  const record: LockRecord = {
    ...opts.extra,
    pid: process.pid,
    token,
    since: new Date().toISOString(),
    ...selfStart(),
  };
  let pause = 2;
  let graceUntil = 0;
  heldHere.add(token); // before the file exists, so no waiter here takes a just-made lock for a stale one
  try {
    while (!(await tryCreate(path, JSON.stringify(record)))) {
      const holder = await holderOf(path);
      if (holder && abandoned(holder, opts.maxHoldMs)) {
        if (await takeOver(path, holder)) continue;
        graceUntil ||= Date.now() + TAKEOVER_GRACE_MS; // another waiter is taking it over: give it a moment
      }
      if (Date.now() >= Math.max(deadline, graceUntil)) {
        const pid = holder?.record?.pid;
        const who = pid === undefined ? 'another process' : pid === process.pid ? 'this process' : `process ${pid}`;
        throw new LockTimeoutError(`${opts.what ?? 'The lock'} is held by ${who}; try again (lock file ${path})`, holder?.record ?? null);
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 50);
    }
  } catch (err) {
    heldHere.delete(token);
    throw err;
  }
  return async () => {
    try {
      const holder = await holderOf(path).catch(() => null);
      if (holder?.record?.token === token) await unlink(path).catch(() => undefined);
    } finally {
      heldHere.delete(token);
    }
  };
}

/** Runs `fn` holding the lock file at `path` (see acquireFileLock). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const release = await acquireFileLock(path, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
