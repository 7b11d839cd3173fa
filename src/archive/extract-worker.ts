// The worker of ExtractWriter: creates folders, files and hard links with synchronous calls, in the
// order they were asked for. Files are created exclusively and never through a symbolic link
// (O_NOFOLLOW); a folder is never replaced by a file or a link, and an existing non-folder where a
// folder should be is refused. The first failure stops every later operation; each reply gives the
// batch's buffer back with it. A reset closes what is open and readies it for the next extraction.

import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ExtractAnswer, ExtractFailure, ExtractOp, ExtractRequest } from './extract-ops.js';

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

/** An entry refused for safety (reported as such, not as an I/O error). */
class Unsafe extends Error {}

const open = new Map<string, { fd: number; position: number }>();
let failed = false;

function create(path: string, rel: string, mode: number): number {
  try {
    return openSync(path, CREATE, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (lstatSync(path).isDirectory()) throw new Unsafe(`${rel} is a folder in the target; refusing to replace it with a file`);
    unlinkSync(path);
    return openSync(path, CREATE, mode);
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, position + at);
}

function finish(fd: number, mode: number, time: number, createdWithMode: boolean): void {
  if (!createdWithMode || umask === null || (mode & umask) !== 0) fchmodSync(fd, mode);
  futimesSync(fd, time, time);
}

function run(m: ExtractOp, bytes: Uint8Array | undefined): void {
  switch (m.op) {
    case 'mkdir':
      try {
        mkdirSync(m.path, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const st = lstatSync(m.path);
        if (st.isDirectory()) return;
        throw new Unsafe(st.isSymbolicLink() ? `Refusing to write through the symbolic link ${m.rel}` : `${m.rel} exists and is not a folder`);
      }
      return;
    case 'file': {
      const fd = create(m.path, m.rel, m.mode);
      try {
        writeAll(fd, bytes as Uint8Array, 0);
        finish(fd, m.mode, m.time, true);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'begin':
      open.set(m.rel, { fd: create(m.path, m.rel, 0o600), position: 0 });
      return;
    case 'append': {
      const f = open.get(m.rel);
      if (!f) throw new Error(`${m.rel} was not begun`);
      writeAll(f.fd, bytes as Uint8Array, f.position);
      f.position += (bytes as Uint8Array).length;
      return;
    }
    case 'end': {
      const f = open.get(m.rel);
      if (!f) throw new Error(`${m.rel} was not begun`);
      open.delete(m.rel);
      try {
        finish(f.fd, m.mode, m.time, false);
      } finally {
        closeSync(f.fd);
      }
      return;
    }
    case 'link': {
      const existing = lstatSync(m.path, { throwIfNoEntry: false });
      if (existing?.isDirectory()) throw new Unsafe(`Refusing hard link ${m.name}: a folder of that name exists`);
      if (existing) unlinkSync(m.path);
      linkSync(m.target, m.path);
      return;
    }
  }
}

function failure(err: unknown): ExtractFailure {
  const e = err as NodeJS.ErrnoException;
  return { message: e.message, unsafe: err instanceof Unsafe, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
}

function closeOpenFiles(): void {
  for (const f of open.values()) {
    try {
      closeSync(f.fd);
    } catch {
      // nothing more to do for a file being abandoned
    }
  }
  open.clear();
}

const port = parentPort;
port?.on('message', (request: ExtractRequest) => {
  if ('reset' in request) {
    closeOpenFiles();
    failed = false;
    const answer: ExtractAnswer = { reset: true };
    port.postMessage(answer);
    return;
  }
  // After a failure the rest of the extraction is skipped, and says so (never a silent success).
  let error: ExtractFailure | null = failed ? { message: 'Skipped after an earlier failure', unsafe: false } : null;
  if (!failed) {
    for (const m of request.ops) {
      try {
        run(m, 'len' in m ? new Uint8Array(request.buffer, m.off, m.len) : undefined);
      } catch (err) {
        failed = true;
        error = failure(err);
        closeOpenFiles();
        break;
      }
    }
  }
  const answer: ExtractAnswer = { buffer: request.buffer, error };
  port.postMessage(answer, [request.buffer]);
});
