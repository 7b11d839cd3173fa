// The backup location ("agent") interface, in Home Assistant's semantics: an agent id is
// `<domain>.<unique_id>`; upload takes a re-openable stream (every opening yields the same bytes)
// and reports progress; download streams; list/get/delete; unknown ids raise BackupNotFound.
// Every operation accepts an AbortSignal. What a location can do beyond that is declared in its
// capabilities, which wrappers pass through unchanged.

import type { AgentBackup } from '../archive/backup-json.js';

/** Opens the upload's byte stream (again, for a retry); every opening yields the same bytes. */
export type OpenStream = () => AsyncIterable<Buffer>;

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

/** A backup file being written in place in a location; it becomes the stored backup on commit. */
export interface PendingBackupFile {
  readonly tempPath: string;
  /** Gives the finished file its name in the location and returns its path. */
  commit(backup: AgentBackup): Promise<string>;
  /** Removes the temp file. */
  abort(): Promise<void>;
}

/** What a location offers beyond storing and reading streams; each is absent where it cannot. */
export interface AgentCapabilities {
  /** The path of a stored backup's file on this machine, which readers may open in place. */
  localPath?(backupId: string): Promise<string>;
  /** A temp file in the location for a backup written in place (no copy afterwards). */
  reserve?(): Promise<PendingBackupFile>;
  /** The SHA-256 recorded when the copy was stored; null when none was taken. */
  recordedDigest?(backupId: string, opts?: { signal?: AbortSignal }): Promise<string | null>;
}

export interface BackupAgent {
  readonly domain: string;
  readonly uniqueId: string;
  /** `<domain>.<unique_id>` */
  readonly agentId: string;
  /** Display name. */
  readonly name: string;
  readonly capabilities: AgentCapabilities;
  upload(backup: AgentBackup, open: OpenStream, opts?: UploadOptions): Promise<void>;
  download(backupId: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>>;
  list(opts?: { signal?: AbortSignal }): Promise<AgentBackup[]>;
  /** Throws BackupNotFound for an unknown id. */
  get(backupId: string, opts?: { signal?: AbortSignal }): Promise<AgentBackup>;
  /** Throws BackupNotFound for an unknown id. */
  delete(backupId: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** The id of the local backup folder, as in Home Assistant. */
export const LOCAL_AGENT_ID = 'backup.local';

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
