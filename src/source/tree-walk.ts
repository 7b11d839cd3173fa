// Walks an installation folder into archive entries under `data/`: directories as entries,
// symlinks as links (never followed), excluded paths and their subtrees skipped. Entries are
// looked at and small files read with synchronous calls, paced so the event loop turns every few
// milliseconds (cheaper than a thread-pool round trip per call), and read ahead of the archive
// writer (bounded in count and bytes); large files are streamed in 1 MiB reads through the
// thread pool when the archive needs them. Folders are looked into through an open descriptor and
// files opened without following links (source-open.ts): a file or folder that another process
// swaps for a link meanwhile is never read through; it is stored as the link, or left out, with a
// warning.

import { closeSync, lstatSync, read, readlinkSync, realpathSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InnerEntry } from '../archive/inner-tar-writer.js';
import { BackupReaderWriterError, SourceReadError } from '../util/errors.js';
import { mapOrdered } from '../util/concurrency.js';
import { Pacer } from '../util/sync-slices.js';
import { handOver } from '../util/owned-chunks.js';
import { pausePoint } from '../util/pause-point.js';
import type { ExcludeRules } from './exclude-rules.js';
import { inOpenDir } from '../util/proc-fd.js';
import {
  SourceSwapped,
  openDirNoFollow,
  openFileNoFollow,
  openSeenFile,
  readNotSwapped,
  realPathOf,
  swappedWarning,
  type SeenFile,
} from './source-open.js';

export const ARCHIVE_ROOT = 'data';
const SMALL_FILE = 1 << 20;
const READ_AHEAD = 16;
const READ_AHEAD_BYTES = 4 << 20;
const CHUNK = 1 << 20;
/** Folders deeper than this are looked into by path (each of their files' paths is then checked). */
const MAX_PINNED_DEPTH = 64;
const readFd = promisify(read);

/**
 * Lets a caller substitute or drop individual files (e.g. a live database and its WAL): nothing is
 * archived in the path's place, another file (a database's copy), or bytes the caller streams (a
 * database's image: `size` bytes, read once). `readOnce` says the replacement is read once and of
 * no use afterwards, so it goes as soon as it has been read.
 */
export type EntryOverride =
  | { kind: 'skip' }
  | { kind: 'replace'; path: string; readOnce?: boolean }
  | { kind: 'stream'; size: number; open: () => AsyncIterable<Buffer> };

export interface WalkOptions {
  root: string;
  rules: ExcludeRules;
  /** Called with each relative path that is about to be archived. */
  override?: (relativePath: string) => EntryOverride | undefined;
  onWarning?: (message: string) => void;
  /** Counts bytes read from files, for progress. */
  onFileBytes?: (bytes: number) => void;
}

interface FileStat {
  kind: 'directory' | 'symlink' | 'file' | 'other';
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  dev: bigint;
  ino: bigint;
}

interface Stub {
  rel: string;
  abs: string;
  st: FileStat;
  /** A symlink's target, read when the walk looked at it. */
  linkname?: string;
  /** Seen through an open folder (its name in it, not a path, was looked at). */
  pinned: boolean;
  /** The real path the kernel should name the file by, when not the installation's real path + rel. */
  real?: string | null;
  /** A small file's content, read while its folder was held open — or why there is none. */
  small?: Buffer | SourceSwapped | 'vanished';
  /** A replacement that is removed once it has been read in full. */
  readOnce?: boolean;
  /** The content the caller streams in the file's place (its size is st.size). */
  stream?: () => AsyncIterable<Buffer>;
}

/** The walk's state: its options, its pacing, and the installation's real path. */
interface Walk {
  opts: WalkOptions;
  pacer: Pacer;
  realRoot: string | null;
}

function readError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new SourceReadError(`Cannot read ${path}: ${e.code ?? e.message}`, { cause: err });
}

/** lstat of `at` (a path, or a name in an open folder); errors name `abs`. */
function statOf(abs: string, at = abs): FileStat | null {
  try {
    const st = lstatSync(at, { bigint: true, throwIfNoEntry: false });
    if (!st) return null;
    return {
      kind: st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other',
      mode: Number(st.mode & 0o7777n),
      size: Number(st.size),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
      dev: st.dev,
      ino: st.ino,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw readError(abs, err);
  }
}

/** Opens a folder met by the walk; null when it cannot be pinned, 'gone' when it is no folder any more. */
function openFolder(at: string, abs: string): number | null | 'gone' {
  try {
    return openDirNoFollow(at);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return 'gone';
    throw readError(abs, err);
  }
}

/**
 * A folder's names as text. A name that is not UTF-8 has no faithful place in the archive's names
 * (nor a way back to its file once decoded): it is left out, and said so, never skipped in silence.
 */
function readableNames(walk: Walk, relDir: string, raw: Buffer[]): string[] {
  const names: string[] = [];
  for (const bytes of raw) {
    const name = bytes.toString('utf8');
    if (Buffer.from(name).equals(bytes)) names.push(name);
    else walk.opts.onWarning?.(`${relDir ? `${relDir}/` : ''}${name} is left out: its name is not valid UTF-8 (rename it to back it up)`);
  }
  return names;
}

/**
 * The entries below a folder, sorted. `dirFd` is the folder held open (null: not pinned, looked
 * into by path); subfolders are opened through it, so a folder swapped for a link is not entered.
 */
async function* walkDir(walk: Walk, absDir: string, relDir: string, dirFd: number | null, depth: number): AsyncGenerator<Stub> {
  const { opts, pacer } = walk;
  let names: string[];
  try {
    names = readableNames(walk, relDir, await readdir(dirFd === null ? absDir : inOpenDir(dirFd, '.'), { encoding: 'buffer' })).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw readError(absDir, err);
  }
  const candidates = names
    .map((name) => ({ name, rel: relDir ? `${relDir}/${name}` : name }))
    .filter((c) => !opts.rules.excludes(c.rel));
  for (const c of candidates) {
    await pacer.pace();
    const paused = pausePoint('walk:before-look', c.rel);
    if (paused) await paused;
    const abs = join(absDir, c.name);
    const at = dirFd === null ? abs : inOpenDir(dirFd, c.name);
    const s = statOf(abs, at);
    if (!s) continue; // vanished meanwhile
    const stub = await lookAt(walk, c.rel, abs, at, s, dirFd !== null);
    if (stub) yield stub;
    if (s.kind !== 'directory') continue;
    const child = dirFd !== null && depth < MAX_PINNED_DEPTH ? openFolder(at, abs) : null;
    if (child === 'gone') {
      opts.onWarning?.(`${c.rel} stopped being a folder while the backup ran; its content is left out`);
      continue;
    }
    try {
      yield* walkDir(walk, abs, c.rel, child, depth + 1);
    } finally {
      if (child !== null) closeSync(child);
    }
  }
}

/**
 * The stub of an entry the walk found at `at` (a name in an open folder when `pinned`), after the
 * caller's override: a symlink's target and a small file's content are read right away, while the
 * folder is held open. Null when the entry is left out.
 */
async function lookAt(walk: Walk, rel: string, abs: string, at: string, st: FileStat, pinned: boolean): Promise<Stub | null> {
  const override = walk.opts.override?.(rel);
  if (override?.kind === 'skip') return null;
  if (override?.kind === 'replace') {
    const replacement = statOf(override.path);
    if (!replacement) throw new BackupReaderWriterError(`Replacement for ${rel} is missing: ${override.path}`);
    return withContent(walk, { rel, abs: override.path, st: replacement, real: realPathOf(override.path), pinned: false, readOnce: override.readOnce }, null);
  }
  // The live file's mode, owner and time; the caller's bytes.
  if (override?.kind === 'stream') return { rel, abs, st: { ...st, kind: 'file', size: override.size }, pinned, stream: override.open };
  const stub: Stub = { rel, abs, st, pinned };
  if (st.kind === 'symlink') {
    try {
      stub.linkname = readlinkSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EINVAL') return null; // gone, or no longer a link
      throw readError(abs, err);
    }
  }
  return withContent(walk, stub, pinned ? at : null);
}

/** Reads a small regular file into its stub (through its open folder when `pinnedAt` names it there). */
async function withContent(walk: Walk, stub: Stub, pinnedAt: string | null): Promise<Stub> {
  if (stub.st.kind !== 'file' || stub.st.size > SMALL_FILE) return stub;
  const paused = pausePoint('walk:before-open', stub.rel);
  if (paused) await paused;
  try {
    stub.small = readSmallFile(walk, stub, pinnedAt);
  } catch (err) {
    if (err instanceof SourceSwapped) {
      stub.small = err;
      if (err.now === 'symlink') stub.linkname = readLinkNow(pinnedAt ?? stub.abs);
    } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') stub.small = 'vanished';
    else throw readError(stub.abs, err);
  }
  return stub;
}

function seenFile(walk: Walk, stub: Stub): SeenFile {
  const real = stub.real !== undefined ? stub.real : walk.realRoot === null ? null : join(walk.realRoot, stub.rel);
  return { abs: stub.abs, dev: stub.st.dev, ino: stub.st.ino, real, pinned: stub.pinned };
}

async function* streamFile(walk: Walk, stub: Stub, size: number): AsyncGenerator<Buffer> {
  const { opts } = walk;
  const { abs, rel } = stub;
  const paused = pausePoint('walk:before-open', rel);
  if (paused) await paused;
  let fd: number;
  try {
    ({ fd } = openSeenFile(seenFile(walk, stub)));
  } catch (err) {
    if (!(err instanceof SourceSwapped)) throw readError(abs, err);
    // Its header, with its size, is written already: the content is left out as zeros.
    opts.onWarning?.(swappedWarning(rel, err, 'its content is left out (zeros in the backup)'));
    yield Buffer.alloc(size);
    return;
  }
  try {
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await readFd(fd, buf, 0, want, pos);
      if (bytesRead === 0) {
        opts.onWarning?.(`${rel} shrank while it was being read; the rest is filled with zeros`);
        const zeros = Buffer.alloc(size - pos);
        pos = size;
        yield zeros;
        break;
      }
      pos += bytesRead;
      opts.onFileBytes?.(bytesRead);
      // Read in full: a read-once replacement goes now (in the background), not after the backup.
      if (pos >= size && stub.readOnce) void unlink(abs).catch(() => undefined);
      // A fresh buffer per read, handed over to the compressor, which releases it once copied.
      yield bytesRead === buf.length ? handOver(buf) : buf.subarray(0, bytesRead);
    }
  } catch (err) {
    throw err instanceof BackupReaderWriterError ? err : readError(abs, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a whole file that lstat saw: open (never through a link; by its name in its open folder
 * when `pinnedAt` is given), one read of one byte more than lstat saw (a short read is the end of
 * the file), close — and more reads only if the file has grown meanwhile.
 */
function readSmallFile(walk: Walk, stub: Stub, pinnedAt: string | null): Buffer {
  const fd = pinnedAt === null ? openSeenFile(seenFile(walk, stub)).fd : openFileNoFollow(pinnedAt);
  try {
    let buf = Buffer.allocUnsafe(stub.st.size + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readNotSwapped(fd, buf, length);
      length += bytesRead;
      if (bytesRead === 0 || length < buf.length) break;
      const grown = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(grown, 0, 0, length);
      buf = grown;
    }
    // Handed over like a large file's reads: the compressor frees it once copied, not the collector later.
    return handOver(buf.subarray(0, length));
  } finally {
    closeSync(fd);
  }
}

/** The target of what is now a link where a file was; undefined when it changed once more. */
function readLinkNow(at: string): string | undefined {
  try {
    return readlinkSync(at);
  } catch {
    return undefined;
  }
}

/** A symlink entry for what a swapped file now is, or null when it is not a link (left out). */
function asLinkNow(stub: Stub, err: SourceSwapped, base: Omit<InnerEntry, 'type'>, opts: WalkOptions): InnerEntry | null {
  if (stub.linkname !== undefined) {
    opts.onWarning?.(swappedWarning(stub.rel, err, 'it is stored as that link'));
    return { ...base, type: 'symlink', linkname: stub.linkname };
  }
  opts.onWarning?.(swappedWarning(stub.rel, err, 'it is left out'));
  return null;
}

async function toEntry(walk: Walk, stub: Stub): Promise<InnerEntry | null> {
  const { opts } = walk;
  const { st, small } = stub;
  const path = stub.rel === '' ? ARCHIVE_ROOT : `${ARCHIVE_ROOT}/${stub.rel}`;
  const base = { path, mode: st.mode, mtimeNs: st.mtimeNs, uid: st.uid, gid: st.gid };
  if (st.kind === 'directory') return { ...base, type: 'directory' };
  if (st.kind === 'symlink') return { ...base, type: 'symlink', linkname: stub.linkname };
  if (st.kind !== 'file') {
    opts.onWarning?.(`${stub.rel} is not a regular file, folder or link; it is left out`);
    return null;
  }
  if (small instanceof SourceSwapped) return asLinkNow(stub, small, base, opts);
  if (small === 'vanished') {
    opts.onWarning?.(`${stub.rel} disappeared before it could be read; it is left out`);
    return null;
  }
  if (small) {
    opts.onFileBytes?.(small.length);
    return { ...base, type: 'file', size: small.length, data: small };
  }
  if (stub.stream) return { ...base, type: 'file', size: st.size, data: () => counted(stub.stream as () => AsyncIterable<Buffer>, opts) };
  const size = st.size;
  return { ...base, type: 'file', size, data: () => streamFile(walk, stub, size) };
}

/** A caller's stream, counted for progress. */
async function* counted(open: () => AsyncIterable<Buffer>, opts: WalkOptions): AsyncGenerator<Buffer> {
  for await (const chunk of open()) {
    opts.onFileBytes?.(chunk.length);
    yield chunk;
  }
}

async function* stubs(walk: Walk): AsyncGenerator<Stub> {
  const { opts } = walk;
  const root = statOf(opts.root);
  if (!root || root.kind !== 'directory') {
    throw new BackupReaderWriterError(`The installation folder ${opts.root} does not exist or is not a folder`);
  }
  const rootFd = openFolder(opts.root, opts.root);
  if (rootFd === 'gone') throw new BackupReaderWriterError(`The installation folder ${opts.root} stopped being a folder`);
  try {
    walk.realRoot = rootFd === null ? null : realpathSync(opts.root);
    yield { rel: '', abs: opts.root, st: root, pinned: rootFd !== null };
    yield* walkDir(walk, opts.root, '', rootFd, 0);
  } finally {
    if (typeof rootFd === 'number') closeSync(rootFd);
  }
}

/** The archive entries of an installation folder, in a stable (sorted) order. */
export async function* walkInstallation(opts: WalkOptions): AsyncGenerator<InnerEntry> {
  const weigh = (s: Stub) => (s.st.kind === 'file' && s.st.size <= SMALL_FILE ? s.st.size : 0);
  const walk: Walk = { opts, pacer: new Pacer(), realRoot: null };
  const entries = mapOrdered(stubs(walk), (s) => toEntry(walk, s), READ_AHEAD, { weigh, budget: READ_AHEAD_BYTES });
  for await (const entry of entries) {
    if (entry) yield entry;
  }
}
