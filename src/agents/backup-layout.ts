// How backups are laid out as blobs in a store: which blob holds a backup's archive, whether a
// small record beside it describes the backup (so listing never reads an archive), and how to read
// the listing back. A location is a blob store plus a layout; StoredBackupAgent does the rest.

import type { AgentBackup } from '../archive/backup-json.js';
import type { BlobStore } from './blob-store.js';

/** One stored backup as the layout finds it. */
export interface StoredCopy {
  backup: AgentBackup;
  /** The blob that holds the archive. */
  archive: string;
  /** The SHA-256 of the archive recorded when it was stored; null when none was taken. */
  sha256: string | null;
  /** The blob of the record that describes it, for layouts that keep records. */
  record?: string;
}

export interface BackupLayout {
  /** Every backup the store holds (a record without its archive, or a broken one, is not one). */
  list(store: BlobStore, signal?: AbortSignal): Promise<StoredCopy[]>;
  /** One backup by id, or null. */
  find(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy | null>;
  /** The blob name for the archive of a backup about to be stored. */
  archiveName(store: BlobStore, backup: AgentBackup, signal?: AbortSignal): Promise<string>;
  /** Writes the record of a stored archive, when the layout keeps records (after the archive). */
  writeRecord?(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void>;
  /** Removes the record, when the layout keeps records (after the archive). */
  removeRecord?(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void>;
  /** The records of a backup whose archive is gone (a delete that stopped between the two), when the layout keeps records. */
  strandedRecords?(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy[]>;
}
