// The worker of ExtractWriter: creates folders, files, hard links and symbolic links with
// synchronous calls, in the order they were asked for, each in the folder Lifeboat made — named
// through that folder's open descriptor (extract-dirs.ts), so a folder swapped for a symbolic link
// by another process never redirects a write. Files are created exclusively and never through a
// symbolic link (O_NOFOLLOW); a folder is never replaced by a file or a link, and an existing
// non-folder where a folder should be is refused. The first failure stops every later operation;
// each reply gives the batch's buffer back with it. A reset closes what is open and readies it for
// the next extraction. In a durable extraction (a tree a restore swaps in) every finished file and
// hard link, and every folder at the end, is fsynced in the background (extract-syncs.ts), a large
// file is written out while it is written (a datasync every SYNC_EVERY bytes, so that its last
// fsync is quick), and a settle request is answered once all of it is on disk.

import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ExtractDirs, UnsafeOp } from './extract-dirs.js';
import type { ExtractAnswer, ExtractFailure, ExtractOp, ExtractRequest } from './extract-ops.js';
import { BackgroundSyncs } from './extract-syncs.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

/** This process's umask, so a file created with its mode needs no chmod when the umask kept it. */
function readUmask(): number | null {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? parseInt(m[1] as string, 8) : null;
  } catch {
    return null;
  }
}
const umask = readUmask();

/** Bytes of a file written between background datasyncs (in a durable extraction). */
const SYNC_EVERY = 16 << 20;

const open = new Map<string, { fd: number; position: number; synced: number }>();
let dirs: ExtractDirs | null = null;
/** The fsyncs of a durable extraction (null otherwise). */
let syncs: BackgroundSyncs | null = null;
let failed = false;

function create(d: ExtractDirs, rel: string, mode: number): number {
  const at = d.at(rel);
  try {
    return openSync(at, CREATE, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (lstatSync(at).isDirectory()) throw new UnsafeOp(`${rel} is a folder in the target; refusing to replace it with a file`);
    unlinkSync(at);
    return openSync(at, CREATE, mode);
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, position + at);
}

function finish(fd: number, mode: number, time: number, createdWithMode: boolean): void {
  if (!createdWithMode || umask === null || (mode & umask) !== 0) fchmodSync(fd, mode);
  futimesSync(fd, time, time);
}

/** A file or folder made: closed, or in a durable extraction synced first (the descriptor is handed over). */
function done(fd: number, rel: string): void {
  if (syncs) syncs.add(fd, rel);
  else closeSync(fd);
}

/** A file given up half-made: closed, in a durable extraction once no datasync of it runs. */
function drop(fd: number): void {
  if (syncs) syncs.close(fd);
  else closeSync(fd);
}

function run(m: ExtractOp, bytes: Uint8Array | undefined): void {
  if (m.op === 'root') {
    closeFolders();
    dirs = new ExtractDirs(m.path);
    syncs = m.durable ? new BackgroundSyncs() : null;
    return;
  }
  const d = dirs;
  if (!d) throw new Error('the extraction was not given its target folder');
  d.trim();
  switch (m.op) {
    case 'mkdir': {
      const at = d.at(m.rel);
      try {
        mkdirSync(at, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const st = lstatSync(at);
        if (st.isDirectory()) return;
        throw new UnsafeOp(st.isSymbolicLink() ? `Refusing to write through the symbolic link ${m.rel}` : `${m.rel} exists and is not a folder`);
      }
      return;
    }
    case 'file': {
      const fd = create(d, m.rel, m.mode);
      try {
        writeAll(fd, bytes as Uint8Array, 0);
        finish(fd, m.mode, m.time, true);
      } catch (err) {
        drop(fd);
        throw err;
      }
      done(fd, m.rel);
      return;
    }
    case 'begin':
      open.set(m.rel, { fd: create(d, m.rel, 0o600), position: 0, synced: 0 });
      return;
    case 'append': {
      const f = open.get(m.rel);
      if (!f) throw new Error(`${m.rel} was not begun`);
      writeAll(f.fd, bytes as Uint8Array, f.position);
      f.position += (bytes as Uint8Array).length;
      if (syncs && f.position - f.synced >= SYNC_EVERY) {
        f.synced = f.position;
        syncs.writeOut(f.fd, m.rel);
      }
      return;
    }
    case 'end': {
      const f = open.get(m.rel);
      if (!f) throw new Error(`${m.rel} was not begun`);
      open.delete(m.rel);
      try {
        finish(f.fd, m.mode, m.time, false);
      } catch (err) {
        drop(f.fd);
        throw err;
      }
      done(f.fd, m.rel);
      return;
    }
    case 'link': {
      const target = d.at(m.target);
      const at = d.at(m.rel);
      const existing = lstatSync(at, { throwIfNoEntry: false });
      if (existing?.isDirectory()) throw new UnsafeOp(`Refusing hard link ${m.name}: a folder of that name exists`);
      if (existing) unlinkSync(at);
      linkSync(target, at);
      // The file's link count changed after it was synced.
      if (syncs) syncs.add(openSync(at, constants.O_RDONLY | O_NOFOLLOW), m.rel);
      return;
    }
    case 'symlink': {
      const at = d.at(m.rel);
      try {
        symlinkSync(m.target, at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (lstatSync(at).isDirectory()) throw new UnsafeOp(`Symbolic link ${m.rel} conflicts with a folder of the same name`);
        unlinkSync(at);
        symlinkSync(m.target, at);
      }
      try {
        lutimesSync(at, m.time, m.time);
      } catch {
        // a link's own time is cosmetic
      }
      return;
    }
    case 'folder': {
      const fd = d.verify(m.rel);
      if (m.mode !== undefined) fchmodSync(fd, m.mode);
      if (m.time !== undefined) futimesSync(fd, m.time, m.time);
      // Asked for last, deepest first: all the folder's entries are made.
      if (syncs) syncs.add(d.duplicate(fd, m.rel), m.rel);
      return;
    }
  }
}

/** The failure of `m`, its message naming the entry by its place in the target (not by /proc). */
function failure(err: unknown, m: ExtractOp): ExtractFailure {
  const e = err as NodeJS.ErrnoException;
  const shown = dirs && 'rel' in m ? dirs.display(m.rel) : e.path;
  const message = e.path && shown ? e.message.split(e.path).join(shown) : e.message;
  return { message, unsafe: err instanceof UnsafeOp, code: e.code, errno: e.errno, syscall: e.syscall, path: shown };
}

function closeOpenFiles(): void {
  for (const f of open.values()) {
    try {
      drop(f.fd);
    } catch {
      // nothing more to do for a file being abandoned
    }
  }
  open.clear();
}

function closeFolders(): void {
  try {
    dirs?.close();
  } catch {
    // descriptors of an extraction that is over
  }
  dirs = null;
  syncs?.abandon();
  syncs = null;
}

/** The first fsync that failed, as the extraction's failure (it stops every later operation). */
function syncFailure(): ExtractFailure | null {
  const f = syncs?.failure;
  if (!f) return null;
  failed = true;
  const shown = f.rel === '' ? 'the extracted files' : dirs ? dirs.display(f.rel) : f.rel;
  const e = f.error;
  return { message: `Could not write ${shown} to disk: ${e.message}`, unsafe: false, code: e.code, errno: e.errno, syscall: e.syscall, path: shown };
}

const port = parentPort;
port?.on('message', (request: ExtractRequest) => {
  if ('reset' in request) {
    closeOpenFiles();
    closeFolders();
    failed = false;
    const answer: ExtractAnswer = { reset: true };
    port.postMessage(answer);
    return;
  }
  if ('settle' in request) {
    const settled = (): void => {
      const answer: ExtractAnswer = { settled: true, error: syncFailure() };
      port.postMessage(answer);
    };
    if (syncs) syncs.settle(settled);
    else settled();
    return;
  }
  // After a failure the rest of the extraction is skipped, and says so (never a silent success).
  let error: ExtractFailure | null = failed ? { message: 'Skipped after an earlier failure', unsafe: false } : syncFailure();
  if (!failed) {
    for (const m of request.ops) {
      try {
        run(m, 'len' in m ? new Uint8Array(request.buffer, m.off, m.len) : undefined);
      } catch (err) {
        failed = true;
        error = failure(err, m);
        closeOpenFiles();
        closeFolders();
        break;
      }
    }
  }
  const answer: ExtractAnswer = { buffer: request.buffer, error };
  port.postMessage(answer, [request.buffer]);
});
