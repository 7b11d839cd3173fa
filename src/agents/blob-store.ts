// What a location must be able to do, whatever its protocol: store a named blob from a stream
// (visible under its name only once complete), read one back as a stream, list the names under
// the location's prefix, remove one, and say whether it is usable. Each kind (folder, s3, sftp,
// webdav) implements this in its own file; `StoredBackupAgent` turns it into a BackupAgent. A
// store on this machine also offers its files in place (`local`).
//
// Unfinished uploads of every store follow one scheme: a hidden temp name that says which
// machine and process writes it, renamed over the final name when complete. A temp blob is
// abandoned when its writer is known to be gone (this machine, a process that no longer runs) or
// when it is older than a day.

import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { processAlive } from '../util/process-alive.js';

export interface BlobInfo {
  name: string;
  size: number;
  /** Last modification, where the store knows it (ms since the epoch). */
  mtimeMs?: number;
  /** The entity tag, where the protocol gives one (S3, WebDAV): it changes when the content does. */
  etag?: string;
}

/** What tells two versions of a blob apart in listings: its size, modification time and entity tag. */
export function blobVersion(blob: BlobInfo): string {
  return `${blob.size}:${blob.mtimeMs ?? ''}:${blob.etag ?? ''}`;
}

export interface ListOptions {
  signal?: AbortSignal;
  /** Also list hidden names (a leading dot), e.g. the records of Home Assistant's SFTP layout. */
  hidden?: boolean;
}

export interface PutOptions {
  /** The number of bytes the stream will yield, when known. */
  size?: number;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

/** What `location test` finds out; null where it could not be known. */
export interface ProbeReport {
  reachable: boolean;
  credentials: boolean;
  writable: boolean;
  freeBytes: number | null;
  detail: string[];
}

/** A blob file being written in place; it gets its name only when committed. */
export interface ReservedBlob {
  readonly tempPath: string;
  /** Renames the finished file to `name` (durably) and returns its path. */
  commit(name: string): Promise<string>;
  /** Removes the temp file. */
  abort(): Promise<void>;
}

/** A store whose blobs are files on this machine. */
export interface LocalBlobs {
  /** The path of a blob's file (it may not exist). */
  path(name: string): string;
  /** A temp file in the store for a blob that is written in place. */
  reserve(): Promise<ReservedBlob>;
}

export interface BlobStore {
  /** Where this is, for messages (no credentials). */
  readonly where: string;
  /** Present when the blobs are files on this machine that readers may open in place. */
  readonly local?: LocalBlobs;
  /**
   * Stores `data` under `name`, replacing an existing blob. Atomic where the protocol allows:
   * readers see the old blob or the new one, never a part. An aborted or failed put leaves no
   * blob under `name` that was not there before.
   */
  put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void>;
  /** Streams a blob; throws BlobNotFound. */
  get(name: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>>;
  /**
   * Blob names and sizes directly under the prefix, with modification times and entity tags where
   * the protocol gives them. Temp and probe blobs are always left out;
   * other hidden names (a leading dot) only unless `hidden` is set.
   */
  list(opts?: ListOptions): Promise<BlobInfo[]>;
  /**
   * Renames a blob, replacing `to`, where the protocol can do it without copying the bytes
   * through this machine (a file rename, WebDAV MOVE, an S3 server-side copy). Throws BlobNotFound.
   */
  move?(from: string, to: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** The absolute path of a blob on the server, for stores whose records name it (SFTP). */
  remotePath?(name: string): Promise<string>;
  /** Removes a blob; throws BlobNotFound when there is none. */
  remove(name: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Reachability, credentials, write permission, free space. Writes and removes a small test blob. */
  probe(): Promise<ProbeReport>;
  /** Removes temp blobs of uploads whose writer is gone (see isAbandonedTemp); returns their names. */
  removeAbandoned?(nowMs: number): Promise<string[]>;
  /** Releases connections. */
  close(): Promise<void>;
}

const TEMP_RE = /^\.lifeboat-(?:([0-9a-f]{8})-)?(\d+)-[0-9a-f]+\.partial$/;
/** Temp blobs older than this are leftovers of uploads that died, not uploads still running. */
export const STALE_TEMP_MS = 24 * 3600_000;

/** This machine, as temp names record it: a short digest of its host name. */
const MACHINE = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** A fresh temp name for an upload by this process: `.lifeboat-<machine>-<pid>-<random>.partial`. */
export function tempBlobName(): string {
  return `.lifeboat-${MACHINE}-${process.pid}-${randomBytes(6).toString('hex')}.partial`;
}

export const isTempName = (name: string): boolean => TEMP_RE.test(name);

const PROBE_RE = /^\.lifeboat-probe-[0-9a-f]+$/;

/** Whether a store lists a name: never temp or probe blobs, hidden names only when asked. */
export function listedName(name: string, opts: ListOptions = {}): boolean {
  if (name === '' || name.includes('/')) return false;
  if (!name.startsWith('.')) return true;
  return opts.hidden === true && !TEMP_RE.test(name) && !PROBE_RE.test(name) && name !== '.' && name !== '..';
}

/** The name of the small blob a probe writes and removes again (hidden, never listed). */
export function probeBlobName(): string {
  return `.lifeboat-probe-${randomBytes(4).toString('hex')}`;
}

/**
 * Whether a temp blob was left by an upload that will never finish: its writer ran on this machine
 * and is gone, or it has not changed for a day (writers elsewhere, and names without a machine).
 */
export function isAbandonedTemp(name: string, mtimeMs: number, nowMs: number): boolean {
  const m = TEMP_RE.exec(name);
  if (!m) return false;
  if (nowMs - mtimeMs > STALE_TEMP_MS) return true;
  return m[1] === MACHINE && !processAlive(Number(m[2]));
}

/** Thrown by `move` when this blob cannot be moved in place; the caller copies it instead. */
export class MoveUnsupported extends Error {
  override readonly name = 'MoveUnsupported';
}

export class BlobNotFound extends Error {
  constructor(readonly blob: string) {
    super(`${blob} does not exist`);
    this.name = 'BlobNotFound';
  }
}

/** Runs a probe step and records its outcome. */
export async function probeStep(report: ProbeReport, label: string, step: () => Promise<string | void>): Promise<boolean> {
  try {
    const note = await step();
    report.detail.push(`${label}: ok${note ? ` (${note})` : ''}`);
    return true;
  } catch (err) {
    report.detail.push(`${label}: ${String((err as Error).message ?? err).split('\n')[0]}`);
    return false;
  }
}
