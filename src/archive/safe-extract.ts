// Extracts tar entries into a folder without ever writing outside it: absolute paths, `..`
// components, hard links that leave the archive, device files and FIFOs are refused; no write
// goes through a symlink (parents are checked, symlinks are created last); files are created
// exclusively and never followed. Modes and mtimes are restored. Folders and small files are
// created with synchronous calls, paced so the event loop still turns every few milliseconds
// (a thread-pool round trip per call cost more than the call itself); large files are written
// through the thread pool while the next piece is decrypted and inflated.

import { constants, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { link, lstat, lutimes, mkdir, open, symlink, unlink, utimes, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsafeEntryError } from './errors.js';
import { Pacer } from '../util/sync-slices.js';
import { writeNewFileSync } from '../util/write-new-file.js';
import type { TarEntry } from './inner-tar-reader.js';

const SMALL = 1 << 20;
const MODE_MASK = 0o1777; // permissions and sticky; never setuid/setgid

export interface ExtractOptions {
  target: string;
  /** Only entries under this top-level folder are extracted, with the folder removed (e.g. `data`). */
  stripPrefix?: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

export interface ExtractResult {
  files: number;
  directories: number;
  symlinks: number;
  hardLinks: number;
  bytes: number;
}

/** Splits an archive path into safe components, or throws for absolute paths and `..`. */
export function safeComponents(path: string, what = 'entry'): string[] {
  if (path.startsWith('/')) throw new UnsafeEntryError(`Refusing ${what} with an absolute path: ${path}`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeEntryError(`Refusing ${what} that leaves the target folder: ${path}`);
  if (parts.some((p) => p.includes('\0'))) throw new UnsafeEntryError(`Refusing ${what} with a NUL in its name`);
  return parts;
}

/**
 * Collects a small file's body into `scratch` (grown when needed), copied piece by piece as the
 * pieces arrive (they may be views of buffers their producer reuses once the next piece is
 * requested). The view returned is valid until `scratch` is used again.
 */
async function readBody(body: AsyncIterable<Buffer>, size: number, scratch: { buf: Buffer }): Promise<Buffer> {
  if (scratch.buf.length < size) scratch.buf = Buffer.allocUnsafe(size);
  let length = 0;
  for await (const piece of body) {
    if (length + piece.length > scratch.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(length + piece.length, scratch.buf.length * 2));
      scratch.buf.copy(grown, 0, 0, length);
      scratch.buf = grown;
    }
    piece.copy(scratch.buf, length);
    length += piece.length;
  }
  return scratch.buf.subarray(0, length);
}

/** Seconds for utimes, exact to the microsecond (a double cannot hold epoch nanoseconds). */
function toSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

export async function extractEntries(entries: AsyncIterable<TarEntry>, opts: ExtractOptions): Promise<ExtractResult> {
  const root = opts.target;
  await mkdir(root, { recursive: true });
  const result: ExtractResult = { files: 0, directories: 0, symlinks: 0, hardLinks: 0, bytes: 0 };
  const verifiedDirs = new Set<string>(['']);
  const dirMeta: { rel: string; mode: number; mtimeNs: bigint }[] = [];
  const symlinks: { rel: string; target: string; mtimeNs: bigint }[] = [];
  const files = new Set<string>();
  const pacer = new Pacer();
  const scratch = { buf: Buffer.allocUnsafe(64 * 1024) };

  const relOf = (path: string, what: string): string | null => {
    let parts = safeComponents(path, what);
    if (opts.stripPrefix) {
      if (parts[0] !== opts.stripPrefix) return null;
      parts = parts.slice(1);
    }
    return parts.join('/');
  };

  /**
   * Makes sure `rel` is a real folder (created if missing), its parents first. mkdir never follows
   * a symlink in the last component, and the parents have been checked already.
   */
  const ensureDir = (rel: string): void => {
    if (verifiedDirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    ensureDir(slash === -1 ? '' : rel.slice(0, slash));
    const abs = join(root, rel);
    try {
      mkdirSync(abs, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = lstatSync(abs);
      if (!st.isDirectory()) {
        throw new UnsafeEntryError(
          st.isSymbolicLink()
            ? `Refusing to write through the symbolic link ${rel}`
            : `${rel} exists and is not a folder`,
        );
      }
    }
    verifiedDirs.add(rel);
  };

  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

  /**
   * Runs `create`; when something that is not a folder is in the way, removes it (never following
   * it) and runs `create` again.
   */
  const replacing = async <T>(rel: string, create: () => Promise<T>): Promise<T> => {
    try {
      return await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const abs = join(root, rel);
      const st = await lstat(abs);
      if (st.isDirectory()) throw new UnsafeEntryError(`${rel} is a folder in the target; refusing to replace it with a file`);
      await unlink(abs);
      return create();
    }
  };

  /** Opens a new file exclusively (never following a symlink). */
  const createFile = (rel: string) => {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return replacing(rel, () => open(join(root, rel), flags, 0o600));
  };

  /** Creates and writes a small file in one go; replaces a file or link in the way, never a folder. */
  const writeSmall = (rel: string, data: Buffer, mode: number, mtimeNs: bigint): void => {
    const abs = join(root, rel);
    const write = () => writeNewFileSync(abs, data, mode & MODE_MASK, toSeconds(mtimeNs));
    try {
      write();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lstatSync(abs).isDirectory()) throw new UnsafeEntryError(`${rel} is a folder in the target; refusing to replace it with a file`);
      unlinkSync(abs);
      write();
    }
  };

  for await (const entry of entries) {
    opts.signal?.throwIfAborted();
    const rel = relOf(entry.path, 'entry');
    if (rel === null) continue;
    if (entry.type === 'other') {
      throw new UnsafeEntryError(`Refusing ${entry.rawType} entry ${entry.path}: device files and FIFOs are not restored`);
    }
    if (rel === '') {
      if (entry.type === 'directory') dirMeta.push({ rel, mode: entry.mode, mtimeNs: entry.mtimeNs });
      else throw new UnsafeEntryError(`Refusing ${entry.type} entry that would replace the target folder itself`);
      continue;
    }
    switch (entry.type) {
      case 'directory': {
        ensureDir(rel);
        dirMeta.push({ rel, mode: entry.mode, mtimeNs: entry.mtimeNs });
        result.directories++;
        break;
      }
      case 'symlink': {
        if (entry.linkname === '' || entry.linkname.includes('\0')) {
          throw new UnsafeEntryError(`Refusing symbolic link ${entry.path} with an empty or invalid target`);
        }
        ensureDir(parentOf(rel));
        symlinks.push({ rel, target: entry.linkname, mtimeNs: entry.mtimeNs });
        break;
      }
      case 'link': {
        const targetRel = relOf(entry.linkname, 'hard link');
        if (targetRel === null || targetRel === rel || !files.has(targetRel)) {
          throw new UnsafeEntryError(`Refusing hard link ${entry.path} to ${entry.linkname}: not a file extracted from this archive`);
        }
        ensureDir(parentOf(rel));
        const abs = join(root, rel);
        const existing = await lstat(abs).catch(() => null);
        if (existing?.isDirectory()) throw new UnsafeEntryError(`Refusing hard link ${entry.path}: a folder of that name exists`);
        if (existing) await unlink(abs);
        await link(join(root, targetRel), abs);
        files.add(rel);
        result.hardLinks++;
        break;
      }
      case 'file': {
        ensureDir(parentOf(rel));
        result.files++;
        if (entry.size <= SMALL) {
          const data = await readBody(entry.body, entry.size, scratch);
          result.bytes += data.length;
          opts.onBytes?.(data.length);
          await pacer.pace();
          writeSmall(rel, data, entry.mode, entry.mtimeNs);
        } else {
          const fh = await createFile(rel);
          try {
            let pos = 0;
            for await (const chunk of entry.body) {
              await fh.write(chunk, 0, chunk.length, pos);
              pos += chunk.length;
              result.bytes += chunk.length;
              opts.onBytes?.(chunk.length);
            }
            await fh.chmod(entry.mode & MODE_MASK);
            const t = toSeconds(entry.mtimeNs);
            await fh.utimes(t, t);
          } finally {
            await fh.close();
          }
        }
        files.add(rel);
        break;
      }
    }
  }
  for (const s of symlinks) {
    const abs = join(root, s.rel);
    ensureDir(parentOf(s.rel));
    try {
      await symlink(s.target, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await lstat(abs);
      if (st.isDirectory()) throw new UnsafeEntryError(`Symbolic link ${s.rel} conflicts with a folder of the same name`);
      await unlink(abs);
      await symlink(s.target, abs);
    }
    const t = toSeconds(s.mtimeNs);
    await lutimes(abs, t, t).catch(() => undefined);
    result.symlinks++;
  }
  // Deepest folders first, so setting a parent's mtime is not undone by its children.
  dirMeta.sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
  for (const d of dirMeta) {
    const abs = join(root, d.rel);
    await chmod(abs, d.mode & MODE_MASK);
    const t = toSeconds(d.mtimeNs);
    await utimes(abs, t, t);
  }
  return result;
}
