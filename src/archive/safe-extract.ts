// Extracts tar entries into a folder without ever writing outside it: absolute paths, `..`
// components, hard links that leave the archive, device files and FIFOs are refused; no write
// goes through a symlink — not one from the archive (symlinks are created last), nor one another
// process swaps in for a folder meanwhile (entries are created through the open folder, and every
// folder is checked to be in its place at the end: extract-dirs.ts); files are created exclusively
// and never followed. Modes and mtimes are restored. Everything is created in order on a worker
// thread (ExtractWriter) while this thread reads the archive.

import { mkdir } from 'node:fs/promises';
import { HardLinkTargetMissing, UnsafeEntryError } from '../util/errors.js';
import { pauseArmed, pausePoint } from '../util/pause-point.js';
import { ExtractWriter } from './extract-writer.js';
import type { TarEntry } from './inner-tar-reader.js';

const SMALL = 1 << 20;
const MODE_MASK = 0o1777; // permissions and sticky; never setuid/setgid
/** Pause point before each entry (race tests swap folders there; see util/pause-point.ts). */
export const PAUSE_BEFORE_ENTRY = 'extract:before-entry';

const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);

export interface ExtractOptions {
  target: string;
  /** Only entries under this top-level folder are extracted, with the folder removed (e.g. `data`). */
  stripPrefix?: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  /** Everything extracted, files and folders (the target included), is on disk when this resolves. */
  durable?: boolean;
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

/**
 * Seconds for utimes that set exactly the microsecond of `ns`. A double cannot hold epoch
 * nanoseconds, and libuv truncates the seconds it is given to whole microseconds: the nearest
 * double to a microsecond may lie just below it, which would lose one. Half a microsecond more is
 * truncated to exactly the intended one (a double here is off by at most about 0.12 µs).
 */
export function utimeSeconds(ns: bigint): number {
  const us = ns / 1000n;
  let seconds = us / 1_000_000n;
  let rest = us % 1_000_000n;
  if (rest < 0n) {
    seconds -= 1n;
    rest += 1_000_000n;
  }
  return Number(seconds) + (Number(rest) + 0.5) / 1e6;
}

export async function extractEntries(entries: AsyncIterable<TarEntry>, opts: ExtractOptions): Promise<ExtractResult> {
  const root = opts.target;
  await mkdir(root, { recursive: true });
  const result: ExtractResult = { files: 0, directories: 0, symlinks: 0, hardLinks: 0, bytes: 0 };
  const verifiedDirs = new Set<string>(['']);
  const dirMeta: { rel: string; mode: number; mtimeNs: bigint }[] = [];
  const symlinks: { rel: string; target: string; mtimeNs: bigint }[] = [];
  const files = new Set<string>();
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
  const ensureDir = async (rel: string): Promise<void> => {
    if (verifiedDirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    await ensureDir(slash === -1 ? '' : rel.slice(0, slash));
    await writer.mkdir(rel);
    verifiedDirs.add(rel);
  };

  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

  const writer = new ExtractWriter();
  try {
    await writer.root(root, opts.durable === true);
    for await (const entry of entries) {
      opts.signal?.throwIfAborted();
      if (pauseArmed(PAUSE_BEFORE_ENTRY)) {
        await writer.drain(); // what came before is on disk when the test looks
        await pausePoint(PAUSE_BEFORE_ENTRY, entry.path);
      }
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
          await ensureDir(rel);
          dirMeta.push({ rel, mode: entry.mode, mtimeNs: entry.mtimeNs });
          result.directories++;
          break;
        }
        case 'symlink': {
          if (entry.linkname === '' || entry.linkname.includes('\0')) {
            throw new UnsafeEntryError(`Refusing symbolic link ${entry.path} with an empty or invalid target`);
          }
          await ensureDir(parentOf(rel));
          symlinks.push({ rel, target: entry.linkname, mtimeNs: entry.mtimeNs });
          break;
        }
        case 'link': {
          const targetRel = relOf(entry.linkname, 'hard link');
          const refused = `Refusing hard link ${entry.path} to ${entry.linkname}: not a file extracted from this archive`;
          if (targetRel === null || targetRel === rel) throw new UnsafeEntryError(refused);
          if (!files.has(targetRel)) throw new HardLinkTargetMissing(refused, rel, targetRel);
          await ensureDir(parentOf(rel));
          await writer.link(rel, targetRel, entry.path);
          files.add(rel);
          result.hardLinks++;
          break;
        }
        case 'file': {
          await ensureDir(parentOf(rel));
          result.files++;
          const mode = entry.mode & MODE_MASK;
          const time = utimeSeconds(entry.mtimeNs);
          if (entry.size <= SMALL) {
            const data = await readBody(entry.body, entry.size, scratch);
            result.bytes += data.length;
            opts.onBytes?.(data.length);
            await writer.file(rel, data, mode, time);
          } else {
            await writer.begin(rel);
            for await (const chunk of entry.body) {
              await writer.append(rel, chunk);
              result.bytes += chunk.length;
              opts.onBytes?.(chunk.length);
            }
            await writer.end(rel, mode, time);
          }
          files.add(rel);
          break;
        }
      }
    }
    for (const s of symlinks) {
      await writer.symlink(s.rel, s.target, utimeSeconds(s.mtimeNs));
      result.symlinks++;
    }
    // Every folder made or used, deepest first (a parent's mtime is not undone by its children):
    // each is checked to be in its place, and given its mode and time when the archive has them.
    const meta = new Map(dirMeta.map((d) => [d.rel, d] as const));
    const folders = [...new Set([...verifiedDirs, ...meta.keys()])].sort((a, b) => depth(b) - depth(a));
    for (const rel of folders) {
      const d = meta.get(rel);
      await writer.folder(rel, d ? d.mode & MODE_MASK : undefined, d ? utimeSeconds(d.mtimeNs) : undefined);
    }
    await writer.drain();
  } finally {
    await writer.close();
  }
  return result;
}
