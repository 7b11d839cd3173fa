// Walks an installation folder into archive entries under `data/`: directories as entries,
// symlinks as links (never followed), excluded paths and their subtrees skipped. Entries are
// looked at and small files read with synchronous calls, paced so the event loop turns every few
// milliseconds (cheaper than a thread-pool round trip per call), and read ahead of the archive
// writer (bounded in count and bytes); large files are streamed in 1 MiB reads through the
// thread pool when the archive needs them.

import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { InnerEntry } from '../archive/inner-tar-writer.js';
import { BackupReaderWriterError, SourceReadError } from '../util/errors.js';
import { mapOrdered } from '../util/concurrency.js';
import { Pacer } from '../util/sync-slices.js';
import { handOver } from '../util/owned-chunks.js';
import type { ExcludeRules } from './exclude-rules.js';

export const ARCHIVE_ROOT = 'data';
const SMALL_FILE = 1 << 20;
const READ_AHEAD = 16;
const READ_AHEAD_BYTES = 4 << 20;
const CHUNK = 1 << 20;

/** Lets a caller substitute or drop individual files (e.g. a live database and its WAL). */
export type EntryOverride = { kind: 'skip' } | { kind: 'replace'; path: string };

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
}

interface Stub {
  rel: string;
  abs: string;
  st: FileStat;
}

function readError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new SourceReadError(`Cannot read ${path}: ${e.code ?? e.message}`, { cause: err });
}

function statOf(abs: string): FileStat | null {
  try {
    const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    if (!st) return null;
    return {
      kind: st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other',
      mode: Number(st.mode & 0o7777n),
      size: Number(st.size),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw readError(abs, err);
  }
}

async function* walkDir(opts: WalkOptions, pacer: Pacer, absDir: string, relDir: string): AsyncGenerator<Stub> {
  let names: string[];
  try {
    names = (await readdir(absDir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw readError(absDir, err);
  }
  const candidates = names
    .map((name) => ({ name, rel: relDir ? `${relDir}/${name}` : name }))
    .filter((c) => !opts.rules.excludes(c.rel));
  for (const c of candidates) {
    await pacer.pace();
    const abs = join(absDir, c.name);
    const s = statOf(abs);
    if (!s) continue; // vanished meanwhile
    yield { rel: c.rel, abs, st: s };
    if (s.kind === 'directory') yield* walkDir(opts, pacer, abs, c.rel);
  }
}

async function* streamFile(abs: string, size: number, rel: string, opts: WalkOptions): AsyncGenerator<Buffer> {
  let fh;
  try {
    fh = await open(abs, 'r');
  } catch (err) {
    throw readError(abs, err);
  }
  try {
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) {
        opts.onWarning?.(`${rel} shrank while it was being read; the rest is filled with zeros`);
        const zeros = Buffer.alloc(size - pos);
        pos = size;
        yield zeros;
        break;
      }
      pos += bytesRead;
      opts.onFileBytes?.(bytesRead);
      // A fresh buffer per read, handed over to the compressor, which releases it once copied.
      yield bytesRead === buf.length ? handOver(buf) : buf.subarray(0, bytesRead);
    }
  } catch (err) {
    throw err instanceof BackupReaderWriterError ? err : readError(abs, err);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a whole file that lstat saw as `expected` bytes: open, one read of one byte more (a short
 * read is the end of the file), close — and more reads only if the file has grown meanwhile.
 */
function readSmallFile(abs: string, expected: number): Buffer {
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let buf = Buffer.allocUnsafe(expected + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, length, buf.length - length, length);
      length += bytesRead;
      if (bytesRead === 0 || length < buf.length) break;
      const grown = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(grown, 0, 0, length);
      buf = grown;
    }
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

async function toEntry(stub: Stub, opts: WalkOptions, pacer: Pacer): Promise<InnerEntry | null> {
  const { st } = stub;
  const path = stub.rel === '' ? ARCHIVE_ROOT : `${ARCHIVE_ROOT}/${stub.rel}`;
  const base = { path, mode: st.mode, mtimeNs: st.mtimeNs, uid: st.uid, gid: st.gid };
  if (st.kind === 'directory') return { ...base, type: 'directory' };
  if (st.kind === 'symlink') {
    try {
      return { ...base, type: 'symlink', linkname: await readlink(stub.abs) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw readError(stub.abs, err);
    }
  }
  if (st.kind !== 'file') {
    opts.onWarning?.(`${stub.rel} is not a regular file, folder or link; it is left out`);
    return null;
  }
  if (st.size <= SMALL_FILE) {
    let data: Buffer;
    try {
      await pacer.pace();
      data = readSmallFile(stub.abs, st.size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        opts.onWarning?.(`${stub.rel} disappeared before it could be read; it is left out`);
        return null;
      }
      throw readError(stub.abs, err);
    }
    opts.onFileBytes?.(data.length);
    return { ...base, type: 'file', size: data.length, data };
  }
  const size = st.size;
  return { ...base, type: 'file', size, data: () => streamFile(stub.abs, size, stub.rel, opts) };
}

async function* stubs(opts: WalkOptions, pacer: Pacer): AsyncGenerator<Stub> {
  const root = statOf(opts.root);
  if (!root || root.kind !== 'directory') {
    throw new BackupReaderWriterError(`The installation folder ${opts.root} does not exist or is not a folder`);
  }
  yield { rel: '', abs: opts.root, st: root };
  for await (const stub of walkDir(opts, pacer, opts.root, '')) {
    const override = opts.override?.(stub.rel);
    if (override?.kind === 'skip') continue;
    if (override?.kind === 'replace') {
      const s = statOf(override.path);
      if (!s) throw new BackupReaderWriterError(`Replacement for ${stub.rel} is missing: ${override.path}`);
      yield { rel: stub.rel, abs: override.path, st: s };
      continue;
    }
    yield stub;
  }
}

/** The archive entries of an installation folder, in a stable (sorted) order. */
export async function* walkInstallation(opts: WalkOptions): AsyncGenerator<InnerEntry> {
  const weigh = (s: Stub) => (s.st.kind === 'file' && s.st.size <= SMALL_FILE ? s.st.size : 0);
  const pacer = new Pacer();
  const entries = mapOrdered(stubs(opts, pacer), (s) => toEntry(s, opts, pacer), READ_AHEAD, { weigh, budget: READ_AHEAD_BYTES });
  for await (const entry of entries) {
    if (entry) yield entry;
  }
}
