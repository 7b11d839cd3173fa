// The live installation as a backup made now would hold it, to compare a backup with: the same
// exclude rules (Home Assistant's, Lifeboat's own folders, the configured extras), the same walk,
// and every SQLite database as the consistent snapshot a backup takes (what it stages goes into the
// data folder's tmp and is removed afterwards), so a fresh backup compares equal to the
// installation it was made of.
// Each file's SHA-256 is computed as it is read; nothing is written to the installation.

import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { INSTALLATION_ROOT, filePath, isUnder, normalisePath, type ArchiveFile } from '../archive/archive-files.js';
import { snapshotDatabases } from '../source/database-snapshots.js';
import type { ExcludeRules } from '../source/exclude-rules.js';
import { walkInstallation } from '../source/tree-walk.js';
import { release } from '../util/owned-chunks.js';
import type { Logger } from '../util/logger.js';
import { backupRules, tmpName, type DataFolder } from './data-folder.js';

export interface LiveTreeOptions {
  /** Whether the databases are part of it (their snapshots cost what a backup's do). */
  includeDatabase: boolean;
  /** The configured extra exclude globs. */
  excludes: readonly string[];
  /** Only this path and what lies below it ('' or none: everything). */
  under?: string;
  log: Logger;
}

/** The live files with their digests, in walk order (sorted by name within each folder). */
export async function* liveFiles(df: DataFolder, opts: LiveTreeOptions): AsyncGenerator<ArchiveFile> {
  const rules = backupRules(df, { includeDatabase: opts.includeDatabase, excludes: opts.excludes });
  const under = normalisePath(opts.under ?? '');
  const snapshots = await snapshotDatabases({
    root: df.installation,
    rules,
    stagingDir: tmpName(df, 'compare'),
    onDatabase: (copy) => {
      if (!copy.ok) opts.log.warn(`Could not copy the database ${copy.path} to compare it; it counts as missing`, { error: copy.error });
    },
  });
  try {
    const walk = walkInstallation({ root: df.installation, rules, override: (rel) => snapshots.override(rel), onWarning: (w) => opts.log.warn(w) });
    for await (const entry of walk) {
      const path = filePath(entry.path, INSTALLATION_ROOT);
      if (path === null || !isUnder(path, under)) continue;
      const file: ArchiveFile = { path, type: entry.type, size: entry.size ?? 0, mode: entry.mode & 0o7777, mtimeNs: entry.mtimeNs };
      if (entry.type === 'symlink') file.linkname = entry.linkname;
      if (entry.type === 'file') {
        const hash = createHash('sha256');
        if (Buffer.isBuffer(entry.data)) {
          hash.update(entry.data);
          release(entry.data);
        } else if (entry.data) {
          for await (const chunk of entry.data()) {
            hash.update(chunk);
            release(chunk);
          }
        }
        file.sha256 = hash.digest('hex');
      }
      yield file;
    }
  } finally {
    await snapshots.cleanup();
  }
}

/** The bytes of one live file, as a backup made now would hold it. */
export type LiveContent = { kind: 'absent' } | { kind: 'not-a-file' } | { kind: 'too-large'; size: number } | { kind: 'file'; bytes: Buffer };

/**
 * Reads one file of the live installation, up to `limit` bytes, as a backup would see it: absent
 * when the rules leave it (or a folder above it) out or a link stands on its way, never read
 * through a link.
 */
export async function readLiveFile(df: DataFolder, rules: ExcludeRules, path: string, limit: number): Promise<LiveContent> {
  const parts = normalisePath(path).split('/').filter(Boolean);
  if (parts.length === 0) return { kind: 'not-a-file' };
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    if (rules.excludes(rel)) return { kind: 'absent' };
    const st = await lstat(join(df.installation, rel)).catch(() => null);
    if (!st) return { kind: 'absent' };
    if (i < parts.length && !st.isDirectory()) return { kind: 'absent' };
    if (i === parts.length && !st.isFile()) return { kind: 'not-a-file' };
  }
  let fh;
  try {
    fh = await open(join(df.installation, ...parts), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return { kind: 'absent' };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'not-a-file' };
    if (st.size > limit) return { kind: 'too-large', size: st.size };
    // One byte more than the file has (at most the limit), to see a file that grew meanwhile.
    let buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length < buf.length) continue;
      if (length > limit) return { kind: 'too-large', size: length };
      const grown = Buffer.alloc(limit + 1);
      buf.copy(grown, 0, 0, length);
      buf = grown;
    }
    return { kind: 'file', bytes: buf.subarray(0, length) };
  } finally {
    await fh.close();
  }
}
