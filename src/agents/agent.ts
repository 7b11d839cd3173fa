// The backup location ("agent") interface, in Home Assistant's semantics: an agent id is
// `<domain>.<unique_id>`; upload takes a re-openable stream (every opening yields the same bytes)
// and reports progress; download streams; list/get/delete; unknown ids raise BackupNotFound.
// Every operation accepts an AbortSignal.

import type { AgentBackup } from '../archive/backup-json.js';

export interface OpenOptions {
  /**
   * The reader is done with each chunk before it asks for the one after the next, so the source
   * may read into a few reused buffers instead of a fresh one per chunk.
   */
  reuseChunks?: boolean;
}

/** Opens the upload's byte stream (again, for a retry); every opening yields the same bytes. */
export type OpenStream = (opts?: OpenOptions) => AsyncIterable<Buffer>;

export interface UploadOptions {
  onProgress?: (uploadedBytes: number) => void;
  signal?: AbortSignal;
  /**
   * The SHA-256 (hex) of the bytes every opening of the stream yields, when the caller can give it
   * (a received upload's, or one digest shared by several locations): an agent that records
   * digests asks for it instead of hashing the stream again. Verification, when on, still reads
   * the stored copy back.
   */
  sha256?: () => Promise<string>;
}

export interface BackupAgent {
  readonly domain: string;
  readonly uniqueId: string;
  /** `<domain>.<unique_id>` */
  readonly agentId: string;
  /** Display name. */
  readonly name: string;
  upload(backup: AgentBackup, open: OpenStream, opts?: UploadOptions): Promise<void>;
  download(backupId: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>>;
  list(opts?: { signal?: AbortSignal }): Promise<AgentBackup[]>;
  /** Throws BackupNotFound for an unknown id. */
  get(backupId: string, opts?: { signal?: AbortSignal }): Promise<AgentBackup>;
  /** Throws BackupNotFound for an unknown id. */
  delete(backupId: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** A location on this machine: backups are plain files that readers can open in place. */
export interface LocalBackupAgent extends BackupAgent {
  /** Path of a stored backup; throws BackupNotFound. */
  pathFor(backupId: string): Promise<string>;
}

export function isLocalAgent(agent: BackupAgent): agent is LocalBackupAgent {
  return typeof (agent as Partial<LocalBackupAgent>).pathFor === 'function';
}

const AGENT_ID_RE = /^[a-z0-9_]+\.[A-Za-z0-9_-]+$/;

/** Agent ids are `<domain>.<unique_id>` with no path characters. */
export function isValidAgentId(id: string): boolean {
  return AGENT_ID_RE.test(id) && id.length <= 128;
}

const BACKUP_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Backup ids are short hashes; anything path-like is refused before it reaches an agent. */
export function isValidBackupId(id: string): boolean {
  return BACKUP_ID_RE.test(id);
}
