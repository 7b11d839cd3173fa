// The entries of an inner archive as the files they stand for: the Home Assistant archive's paths
// relative to the installation (its `data/` prefix taken off, its metadata beside `data/` left
// out), another archive's (an add-on, a folder) as stored. One pass over the tar, nothing written
// to disk: a listing, with the SHA-256 of each file's content on request (computed as it streams
// by), and the search for one entry whose body the caller reads before the scan stops.

import { createHash } from 'node:crypto';
import type { InnerArchive } from './backup-reader.js';
import type { TarEntry, TarEntryType } from './inner-tar-reader.js';

/** The folder of the Home Assistant archive that holds the installation. */
export const INSTALLATION_ROOT = 'data';

export type ArchiveFileType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One entry of an inner archive, by the path of the file it stands for. */
export interface ArchiveFile {
  path: string;
  type: ArchiveFileType;
  /** Bytes of content (0 for anything but a file). */
  size: number;
  /** Permission bits. */
  mode: number;
  mtimeNs: bigint;
  /** A symbolic link's target as stored; a hard link's file, by its path as here. */
  linkname?: string;
  /** With digests: SHA-256 of the content of a file (a hard link: of its file, when that came first). */
  sha256?: string | null;
}

/** The root an inner archive's paths are taken relative to: `data` for Home Assistant's, none for others. */
export function archiveRoot(inner: InnerArchive): string | null {
  return inner.prefix === 'homeassistant' ? INSTALLATION_ROOT : null;
}

/** A path's components without empty and `.` ones (`./data//a/` is `data/a`). */
export function normalisePath(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** The file an archive path stands for, relative to `root`; null for the root itself and anything outside it. */
export function filePath(archivePath: string, root: string | null): string | null {
  const path = normalisePath(archivePath);
  if (root === null) return path === '' ? null : path;
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : null;
}

/** True when `path` is `under` or lies below it ('' is the whole tree). */
export function isUnder(path: string, under: string): boolean {
  return under === '' || path === under || path.startsWith(`${under}/`);
}

const TYPES: Record<TarEntryType, ArchiveFileType> = {
  file: 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  other: 'other',
};

/** An entry (its metadata) as the file at `path` it stands for. */
export function toFile(entry: Omit<TarEntry, 'body'>, path: string, root: string | null): ArchiveFile {
  const type = TYPES[entry.type];
  const file: ArchiveFile = { path, type, size: type === 'file' ? entry.size : 0, mode: entry.mode & 0o7777, mtimeNs: entry.mtimeNs };
  if (type === 'symlink') file.linkname = entry.linkname;
  if (type === 'hardlink') file.linkname = filePath(entry.linkname, root) ?? normalisePath(entry.linkname);
  return file;
}

/** An archive entry as its file, with its body (read it, or leave it: the scan skips what is not read). */
export interface ArchiveFileWithBody {
  file: ArchiveFile;
  body: AsyncIterable<Buffer>;
}

/** The entries that stand for files below `root` (all of them without one), in archive order. */
export async function* archiveFiles(entries: AsyncIterable<TarEntry>, root: string | null): AsyncGenerator<ArchiveFileWithBody> {
  for await (const entry of entries) {
    const path = filePath(entry.path, root);
    if (path !== null) yield { file: toFile(entry, path, root), body: entry.body };
  }
}

export async function sha256Of(body: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of body) hash.update(piece);
  return hash.digest('hex');
}

export interface ListOptions {
  /** Only this path and what lies below it ('' or none: everything). */
  under?: string;
  /** Compute each file's SHA-256 while it streams by (a hard link gets its file's). */
  digests?: boolean;
}

/**
 * The files of an archive in archive order. With digests, every file's content is read through
 * once; a hard link's file came before it in the archive, so its digest is remembered by path.
 */
export async function* listArchiveFiles(entries: AsyncIterable<TarEntry>, root: string | null, opts: ListOptions = {}): AsyncGenerator<ArchiveFile> {
  const under = normalisePath(opts.under ?? '');
  const digestsOf = new Map<string, string>();
  for await (const { file, body } of archiveFiles(entries, root)) {
    if (opts.digests) {
      if (file.type === 'file') {
        file.sha256 = await sha256Of(body);
        digestsOf.set(file.path, file.sha256);
      } else if (file.type === 'hardlink') {
        file.sha256 = digestsOf.get(file.linkname as string) ?? null;
      }
    }
    if (isUnder(file.path, under)) yield file;
  }
}

/** An entry found by its path, its body not yet read. */
export interface FoundArchiveFile extends ArchiveFileWithBody {
  /** Stops the scan: the rest of the archive is neither decrypted nor inflated (idempotent). */
  close(): Promise<void>;
}

/**
 * Scans for the entry of `path`; resolves with it, the scan held just there until `close`. When
 * the archive has no such entry (the scan is over then): 'folder' when entries lie below the path
 * (an archive need not hold its folders' own entries), else null. The first entry of a path is
 * taken: archives Lifeboat and Home Assistant write hold each path once.
 */
export async function findArchiveFile(entries: AsyncIterable<TarEntry>, root: string | null, path: string): Promise<FoundArchiveFile | 'folder' | null> {
  const wanted = normalisePath(path);
  const it = archiveFiles(entries, root);
  const close = async () => {
    await it.return(undefined);
  };
  let below = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return below ? 'folder' : null;
      if (r.value.file.path === wanted) return { ...r.value, close };
      if (!below && isUnder(r.value.file.path, wanted)) below = true;
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** What a scan found of a wanted path: its bytes, or why there are none. */
export type FileContent =
  | { kind: 'file'; bytes: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'not-a-file'; file: ArchiveFile };

/**
 * The content of each wanted file of at most `limit` bytes, in one scan that stops once all were
 * seen; a wanted path that is absent is missing from the result. A hard link is given as its
 * file's content (read in a second scan when its file was not wanted too).
 */
export async function readArchiveFiles(
  open: () => Promise<AsyncIterable<TarEntry>>,
  root: string | null,
  paths: readonly string[],
  limit: number,
): Promise<Map<string, FileContent>> {
  const found = new Map<string, FileContent>();
  const links = new Map<string, string>();
  async function scan(wanted: Set<string>): Promise<void> {
    if (wanted.size === 0) return;
    for await (const { file, body } of archiveFiles(await open(), root)) {
      if (!wanted.delete(file.path)) continue;
      if (file.type === 'hardlink') links.set(file.path, file.linkname as string);
      else if (file.type !== 'file') found.set(file.path, { kind: 'not-a-file', file });
      else if (file.size > limit) found.set(file.path, { kind: 'too-large', size: file.size });
      else {
        const pieces: Buffer[] = [];
        for await (const piece of body) pieces.push(Buffer.from(piece));
        found.set(file.path, { kind: 'file', bytes: Buffer.concat(pieces) });
      }
      if (wanted.size === 0) return; // the rest of the archive is not read
    }
  }
  await scan(new Set(paths.map(normalisePath)));
  await scan(new Set([...links.values()].filter((target) => !found.has(target))));
  for (const [link, target] of links) {
    const content = found.get(target);
    if (content) found.set(link, content);
  }
  return found;
}
