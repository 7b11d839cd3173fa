// Looking inside a backup without restoring it: its files (a listing, optionally with digests), one
// file's bytes, and what differs between two backups or between a backup and the live
// installation — with a unified diff of a text file on request. A request streams through the
// archive once (a read stops as soon as its file has gone by), decrypting with the password given
// or the key the keyring finds for the backup; nothing is extracted to disk. With the backup's
// archive index (archive-index-store.ts; gathered by the writer, or by the first listing's pass) a
// listing reads no archive data and a read decrypts and inflates only from the checkpoint before
// its file. Works for Lifeboat's
// and Home Assistant's backups (Core and Supervisor layouts, SecureTar v1–v3), from any location.
// Reading a file's content is an administrator's right: a front end offering it must check that.

import type { BackupReader, InnerArchive } from '../archive/backup-reader.js';
import { indexEntries, indexTarEntries, type ArchiveIndex, type IndexedEntry } from '../archive/archive-index.js';
import { IndexMismatch, openIndexedEntry } from '../archive/indexed-read.js';
import { readTarEntries } from '../archive/inner-tar-reader.js';
import { ArchiveIndexStore } from '../manager/archive-index-store.js';
import {
  archiveRoot,
  filePath,
  findArchiveFile,
  toFile,
  isUnder,
  listArchiveFiles,
  normalisePath,
  readArchiveFiles,
  type ArchiveFile,
  type FoundArchiveFile,
} from '../archive/archive-files.js';
import type { Secret } from '../archive/securetar/securetar-header.js';
import { lockOf } from '../manager/backup-key.js';
import { liveFiles, readLiveFile } from '../manager/live-tree.js';
import { backupRules } from '../manager/data-folder.js';
import { RECORDER_DB } from '../source/database-snapshots.js';
import { DUMP_FOLDER } from '../source/external-db/dump-entries.js';
import { onceAsync } from '../util/once.js';
import { InvalidBackupArchive, InvalidRequestError, NotAFileInBackup, PathNotInBackup } from '../util/errors.js';
import {
  DiffSchema,
  DiffSideSchema,
  LIVE,
  ListSchema,
  OpenSchema,
  BackupPathSchema,
  parseRequest,
  type BackupDiff,
  type BackupFileEntry,
  type DiffRequest,
  type ListRequest,
  type OpenRequest,
  type OpenedBackupFile,
} from './backup-file-schemas.js';
import { BackupIdSchema } from './api-schemas.js';
import type { CoreParts } from './parts.js';
import { fileContent, MAX_CONTENT_BYTES, type BackupFileContent } from './file-content.js';
import { makePatch, MAX_PATCH_BYTES, type FilePatch, type PatchSide } from './text-patch.js';
import { diffTrees, type FileFacts } from './tree-diff.js';

/** An inner archive opened for reading, with its key; `close` releases the file (idempotent). */
interface OpenedArchive {
  id: string;
  reader: BackupReader;
  inner: InnerArchive;
  secret: Secret | null;
  /** The folder its paths are relative to (`data` in Home Assistant's archive). */
  root: string | null;
  /** Whether the backup says it holds the recorder database. */
  databaseIncluded: boolean;
  close(): Promise<void>;
}

const DUMP_PREFIX = `${DUMP_FOLDER}/`;
/** Files whose texts are loaded in one read of each side (each at most MAX_PATCH_BYTES). */
const PATCH_BATCH = 32;

/** The recorder database and its dump: compared by size and digest only, never as text. */
function isDatabasePath(path: string): boolean {
  return path === RECORDER_DB || path === `${RECORDER_DB}-wal` || isUnder(path, DUMP_FOLDER);
}

function isoTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

function toEntry(file: ArchiveFile): BackupFileEntry {
  const entry: BackupFileEntry = { path: file.path, type: file.type, size: file.size, mode: file.mode, mtime: isoTime(file.mtimeNs) };
  if (file.linkname !== undefined) entry.linkname = file.linkname;
  if (file.sha256 !== undefined) entry.sha256 = file.sha256;
  return entry;
}

/** What a comparison looks at; a hard link is its file (same content, same inode). */
function factsOf(file: ArchiveFile, seen: ReadonlyMap<string, FileFacts>): FileFacts {
  if (file.type === 'hardlink') return seen.get(file.linkname as string) ?? { type: 'file', mode: file.mode, size: 0, sha256: null };
  const facts: FileFacts = { type: file.type, mode: file.mode, size: file.size };
  if (file.linkname !== undefined) facts.linkname = file.linkname;
  if (file.type === 'file') facts.sha256 = file.sha256 ?? null;
  return facts;
}

export class BackupFiles {
  private readonly indexes: ArchiveIndexStore;

  constructor(private readonly parts: CoreParts) {
    this.indexes = new ArchiveIndexStore(parts.df.index);
  }

  /** The files of a backup (those at and below `path`, when given), in archive order. */
  async list(backupId: string, request: ListRequest = {}): Promise<BackupFileEntry[]> {
    const out: BackupFileEntry[] = [];
    for await (const entry of this.entries(backupId, request)) out.push(entry);
    return out;
  }

  /**
   * The same as a stream, one entry at a time (memory stays flat however many files the backup
   * holds). A path that matches nothing is a PathNotInBackup once the scan is through.
   */
  async *entries(backupId: string, request: ListRequest = {}): AsyncGenerator<BackupFileEntry> {
    const req = parseRequest(ListSchema, request);
    const under = normalisePath(req.path ?? '');
    const opened = await this.open(backupId, req);
    let count = 0;
    try {
      const index = req.digests ? null : await this.loadIndex(opened);
      // Without an index, the pass a listing makes anyway gathers one (kept once it is complete).
      const indexing = index ? null : await this.indexes.indexingTar(opened.id, opened.reader, opened.inner, opened.secret);
      const entries = index ? indexTarEntries(indexEntries(index)) : readTarEntries((indexing as { tar: AsyncIterable<Buffer> }).tar);
      for await (const file of listArchiveFiles(entries, opened.root, { under, digests: req.digests })) {
        count++;
        yield toEntry(file);
      }
      await indexing?.finish().catch((err: unknown) => this.parts.log.warn(`Could not keep the index of backup ${opened.id}`, { error: String(err) }));
    } finally {
      await opened.close();
    }
    if (under !== '' && count === 0) throw new PathNotInBackup(`${under} not found in backup ${backupId}`);
  }

  /**
   * One file's bytes, streamed: the archive is read up to the file and no further. A folder, a
   * symbolic link or a missing path is refused with a typed error before anything is streamed.
   */
  async read(backupId: string, path: string, request: OpenRequest = {}): Promise<OpenedBackupFile> {
    const wanted = normalisePath(parseRequest(BackupPathSchema, path));
    if (wanted === '') throw new NotAFileInBackup(`The top of backup ${backupId} is a directory, not a file`);
    const opened = await this.open(backupId, parseRequest(OpenSchema, request));
    let found: FoundArchiveFile;
    try {
      found = (await this.findIndexed(opened, backupId, wanted)) ?? (await findFile(opened, backupId, wanted));
    } catch (err) {
      await opened.close();
      throw err;
    }
    const close = onceAsync(async () => {
      await found.close();
      await opened.close();
    });
    const body = found.body;
    async function* stream(): AsyncGenerator<Buffer> {
      try {
        // The tar reader's pieces are valid only until the next is asked for: each is copied.
        for await (const piece of body) yield Buffer.from(piece);
      } finally {
        await close();
      }
    }
    const { file } = found;
    return { path: wanted, size: file.size, mode: file.mode, mtime: isoTime(file.mtimeNs), stream: stream(), close };
  }

  /** One file's content in one piece (text, else base64); a file over `limit` bytes is refused unread. */
  async content(backupId: string, path: string, request: OpenRequest = {}, limit = MAX_CONTENT_BYTES): Promise<BackupFileContent> {
    return fileContent(await this.read(backupId, path, request), limit);
  }

  /**
   * What differs from backup `a` to backup `b`, or to the live installation (`'live'`: as a backup
   * made now would hold it — the same exclude rules, the databases as consistent snapshots). Compared:
   * type, permission bits, a symbolic link's target, size and SHA-256 of content; never times. The
   * recorder database and a recorder dump are compared by size and digest only; the live
   * installation has no recorder dump, so a backup's is not compared with it.
   */
  async diff(a: string, b: string, request: DiffRequest = {}): Promise<BackupDiff> {
    const req = parseRequest(DiffSchema, request);
    const [idA, idB] = this.sides(a, b);
    if (idB === LIVE && req.archive !== undefined && req.archive !== 'homeassistant') {
      throw new InvalidRequestError('invalid_request', 'Only the Home Assistant archive can be compared with the live installation');
    }
    const under = normalisePath(req.path ?? '');
    const before = await this.backupFacts(idA, { agentId: req.agentId, password: req.password, archive: req.archive }, under);
    const includeDatabase = req.includeDatabase ?? (idB === LIVE ? before.databaseIncluded : true);
    const after =
      idB === LIVE
        ? await this.liveFacts(includeDatabase, under)
        : await this.backupFacts(idB, { agentId: req.otherAgentId ?? req.agentId, password: req.otherPassword ?? req.password, archive: req.archive }, under);
    const notCompared = new Set<string>();
    const leaveOut = (facts: Map<string, FileFacts>, skip: (path: string) => boolean) => {
      for (const path of facts.keys()) {
        if (!skip(path)) continue;
        facts.delete(path);
        notCompared.add(isUnder(path, DUMP_FOLDER) ? DUMP_PREFIX : path);
      }
    };
    if (!includeDatabase) {
      leaveOut(before.facts, isDatabasePath);
      leaveOut(after.facts, isDatabasePath);
    } else if (idB === LIVE) {
      leaveOut(before.facts, (path) => isUnder(path, DUMP_FOLDER));
    }
    const diff = diffTrees(before.facts, after.facts, { digestOnly: isDatabasePath });
    return { ...diff, notCompared: [...notCompared].sort() };
  }

  /** The unified diff of one file from backup `a` to backup `b` or the live installation. */
  async patch(a: string, b: string, path: string, request: DiffRequest = {}): Promise<FilePatch> {
    for await (const p of this.patches(a, b, [path], request)) return p;
    throw new Error('no patch was made'); // unreachable: one path gives one patch
  }

  /**
   * Unified diffs of several files, in the order asked. Each backup is read once for a batch of
   * PATCH_BATCH files (so at most that many texts are held at a time). A file on one side only is
   * compared with nothing (/dev/null); binary files and databases are "binary files differ",
   * files over MAX_PATCH_BYTES are not loaded.
   */
  async *patches(a: string, b: string, paths: readonly string[], request: DiffRequest = {}): AsyncGenerator<FilePatch> {
    const req = parseRequest(DiffSchema, request);
    const [idA, idB] = this.sides(a, b);
    const wanted = paths.map((p) => normalisePath(parseRequest(BackupPathSchema, p)));
    const labels = { a: `backup ${idA}`, b: idB === LIVE ? 'live installation' : `backup ${idB}` };
    for (let i = 0; i < wanted.length; i += PATCH_BATCH) {
      const batch = wanted.slice(i, i + PATCH_BATCH);
      const texts = batch.filter((p) => !isDatabasePath(p));
      const before = await this.backupTexts(idA, { agentId: req.agentId, password: req.password, archive: req.archive }, texts);
      const after =
        idB === LIVE
          ? await this.liveTexts(texts)
          : await this.backupTexts(idB, { agentId: req.otherAgentId ?? req.agentId, password: req.otherPassword ?? req.password, archive: req.archive }, texts);
      for (const path of batch) {
        if (isDatabasePath(path)) yield { path, kind: 'binary' };
        else yield await makePatch(path, before.get(path) ?? null, after.get(path) ?? null, labels);
      }
    }
  }

  /** The backup's archive index, or null (none kept, or unusable: then ignored). */
  private async loadIndex(opened: OpenedArchive): Promise<ArchiveIndex | null> {
    return this.indexes.load(opened.id, opened.reader, opened.inner).catch(() => null);
  }

  /**
   * The file at `wanted` through the archive index: found in the index (refused there when it is
   * not a file), its bytes decrypted and inflated from the checkpoint before it. Null when there is
   * no index or it gives no way in (the caller scans); an index that proves wrong is dropped.
   */
  private async findIndexed(opened: OpenedArchive, backupId: string, wanted: string): Promise<FoundArchiveFile | null> {
    const index = await this.loadIndex(opened);
    if (!index) return null;
    const entries = indexEntries(index);
    const lookup = (path: string): { entry: IndexedEntry; file: ArchiveFile } | 'folder' | null => {
      let below = false;
      for (const entry of entries) {
        const p = filePath(entry.path, opened.root);
        if (p === null) continue;
        if (p === path) return { entry, file: toFile(entry, p, opened.root) };
        if (!below && isUnder(p, path)) below = true;
      }
      return below ? 'folder' : null;
    };
    let hit = lookup(wanted);
    if (hit !== null && hit !== 'folder' && hit.file.type === 'hardlink') {
      const target = hit.file.linkname as string;
      hit = lookup(target);
      if (hit === null || hit === 'folder') throw new PathNotInBackup(`${wanted} is a hard link to ${target}, which is not in backup ${backupId}`);
    }
    refuseNonFile(hit === null || hit === 'folder' ? hit : hit.file, backupId, wanted);
    const { entry, file } = hit as { entry: IndexedEntry; file: ArchiveFile };
    let body: AsyncGenerator<Buffer> | null;
    try {
      body = await openIndexedEntry(opened.reader, opened.inner, opened.secret, index, entry);
    } catch (err) {
      if (!(err instanceof IndexMismatch)) throw err;
      this.parts.log.warn(`The index of backup ${backupId} does not match its archive; it is dropped and the archive scanned`);
      await this.indexes.remove(opened.id).catch(() => undefined);
      return null;
    }
    if (!body) return null;
    const it = body;
    return { file, body: it, close: async () => void (await it.return(undefined)) };
  }

  private sides(a: string, b: string): [string, string] {
    return [parseRequest(BackupIdSchema, a), parseRequest(DiffSideSchema, b)];
  }

  /** Opens a backup's inner archive with the key that opens it (the keyring's rule). */
  private async open(backupId: string, request: OpenRequest): Promise<OpenedArchive> {
    const id = parseRequest(BackupIdSchema, backupId);
    const { reader, close } = await this.parts.manager.openBackup(id, request.agentId);
    try {
      const inner = chooseArchive(reader, id, request.archive);
      const secret = await this.parts.keyring.keyFor(await lockOf(reader, inner), request.password ?? null);
      const databaseIncluded = reader.json ? reader.backup.database_included : false;
      return { id, reader, inner, secret, root: archiveRoot(inner), databaseIncluded, close };
    } catch (err) {
      await close();
      throw err;
    }
  }

  /** Every path's facts in one pass, each file's content hashed as it streams by. */
  private async backupFacts(backupId: string, request: OpenRequest, under: string): Promise<{ facts: Map<string, FileFacts>; databaseIncluded: boolean }> {
    const opened = await this.open(backupId, request);
    try {
      const facts = new Map<string, FileFacts>();
      const seen = new Map<string, FileFacts>();
      const entries = await opened.reader.entries(opened.inner, opened.secret);
      // Hard links need their file's facts, which may lie outside `under`: all are listed, then filtered.
      for await (const file of listArchiveFiles(entries, opened.root, { digests: true })) {
        const f = factsOf(file, seen);
        if (file.type === 'file') seen.set(file.path, f);
        if (isUnder(file.path, under)) facts.set(file.path, f);
      }
      return { facts, databaseIncluded: opened.databaseIncluded };
    } finally {
      await opened.close();
    }
  }

  private async liveFacts(includeDatabase: boolean, under: string): Promise<{ facts: Map<string, FileFacts> }> {
    const { df, settings, log } = this.parts;
    const facts = new Map<string, FileFacts>();
    for await (const file of liveFiles(df, { includeDatabase, excludes: settings.config.excludes, under, log })) facts.set(file.path, factsOf(file, facts));
    return { facts };
  }

  private async backupTexts(backupId: string, request: OpenRequest, paths: readonly string[]): Promise<Map<string, PatchSide>> {
    const out = new Map<string, PatchSide>();
    if (paths.length === 0) return out;
    const opened = await this.open(backupId, request);
    try {
      const { reader, inner, secret, root } = opened;
      const found = await readArchiveFiles(() => reader.entries(inner, secret), root, paths, MAX_PATCH_BYTES);
      for (const path of paths) {
        const content = found.get(path);
        if (content?.kind === 'file') out.set(path, content.bytes);
        else if (content?.kind === 'too-large') out.set(path, 'too-large');
      }
      return out;
    } finally {
      await opened.close();
    }
  }

  private async liveTexts(paths: readonly string[]): Promise<Map<string, PatchSide>> {
    const { df, settings } = this.parts;
    const rules = backupRules(df, { includeDatabase: true, excludes: settings.config.excludes });
    const out = new Map<string, PatchSide>();
    for (const path of paths) {
      const content = await readLiveFile(df, rules, path, MAX_PATCH_BYTES);
      if (content.kind === 'file') out.set(path, content.bytes);
      else if (content.kind === 'too-large') out.set(path, 'too-large');
    }
    return out;
  }
}

/**
 * The entry of the file at `wanted`, its scan held there; a hard link is followed to its file (in
 * a second scan: its file comes earlier in the archive). Anything but a file is refused, the scan
 * closed.
 */
async function findFile(opened: OpenedArchive, backupId: string, wanted: string): Promise<FoundArchiveFile> {
  const { reader, inner, secret, root } = opened;
  const scan = async (path: string) => findArchiveFile(await reader.entries(inner, secret), root, path);
  let found = await scan(wanted);
  if (found !== null && found !== 'folder' && found.file.type === 'hardlink') {
    const target = found.file.linkname as string;
    await found.close();
    found = await scan(target);
    if (found === null || found === 'folder') throw new PathNotInBackup(`${wanted} is a hard link to ${target}, which is not in backup ${backupId}`);
  }
  try {
    refuseNonFile(found === null || found === 'folder' ? found : found.file, backupId, wanted);
  } catch (err) {
    if (found !== null && found !== 'folder') await found.close();
    throw err;
  }
  return found as FoundArchiveFile;
}

/** Throws unless what was found at `wanted` is a file: a typed error for a missing path, a folder, a link. */
function refuseNonFile(found: ArchiveFile | 'folder' | null, backupId: string, wanted: string): void {
  if (found === null) throw new PathNotInBackup(`${wanted} not found in backup ${backupId}`);
  const refuse = (what: string) => new NotAFileInBackup(`${wanted} is ${what} in backup ${backupId}, not a file`);
  if (found === 'folder') throw refuse('a directory');
  const { type, linkname } = found;
  if (type === 'directory') throw refuse('a directory');
  if (type === 'symlink') throw refuse(`a symbolic link (to ${linkname ?? ''})`);
  if (type !== 'file') throw refuse('a special file');
}

/** The inner archive asked for by name, else Home Assistant's; a backup without it is refused. */
function chooseArchive(reader: BackupReader, backupId: string, name: string | undefined): InnerArchive {
  const all = reader.innerArchives();
  const inner = name === undefined ? reader.homeAssistantArchive() : (all.find((a) => a.prefix === name) ?? null);
  if (inner) return inner;
  const names = all.map((a) => a.prefix).join(', ') || 'none';
  throw new InvalidBackupArchive(
    name === undefined
      ? `Backup ${backupId} holds no Home Assistant archive (homeassistant.tar.gz); its archives: ${names}`
      : `Backup ${backupId} holds no archive ${name}; its archives: ${names}`,
  );
}
