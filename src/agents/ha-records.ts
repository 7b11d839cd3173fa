// The small record files that Home Assistant's storage integrations keep beside each backup, in
// every shape they write, and Lifeboat's older one: one parser for all of them, so a location
// shared with Home Assistant lists both sides' backups, and one writer per shape, so Home
// Assistant's own listing (which parses every `*.metadata.json` and, in several integrations,
// shows nothing at all when one fails) accepts what Lifeboat stores. Lifeboat's own fact about a
// copy — the SHA-256 of the stored bytes — travels as a string in `extra_metadata`, the one place
// Home Assistant's parser accepts extra values.

import { posix } from 'node:path';
import { z } from 'zod';
import { AgentBackupSchema, LIFEBOAT_EXTRA_PREFIX, suggestedFileName, type AgentBackup } from '../archive/backup-json.js';

/** `extra_metadata` key with the SHA-256 of the stored archive (when the location verifies its copies). */
export const COPY_SHA256_EXTRA = `${LIFEBOAT_EXTRA_PREFIX}copy_sha256`;
/** `extra_metadata` key with the version of Lifeboat's record conventions. */
export const RECORD_VERSION_EXTRA = `${LIFEBOAT_EXTRA_PREFIX}record_version`;
const RECORD_VERSION = '2';

export const RECORD_SUFFIX = '.metadata.json';
export const ARCHIVE_SUFFIX = '.tar';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** Lifeboat's first layout: `<id>.metadata.json` beside `<id>.tar` (migrated to Home Assistant's). */
const LegacyRecordSchema = z.object({ format: z.literal(1), backup: AgentBackupSchema, sha256: Sha256.nullable() });
/** backblaze_b2: a versioned wrapper. */
const B2RecordSchema = z.object({ metadata_version: z.string(), backup_id: z.string(), backup_metadata: AgentBackupSchema });
/** sftp_storage: the remote path of the archive and the backup. */
const SftpRecordSchema = z.object({ file_path: z.string(), metadata: AgentBackupSchema });

/** How Lifeboat writes records on a kind of location: the shape of Home Assistant's integration for it. */
export type RecordStyle = 'bare' | 'sftp';

/** One record as read: the backup (Lifeboat's extras taken out), where its archive is, and how it was stored. */
export interface ParsedRecord {
  backup: AgentBackup;
  /** The archive's blob name in the same folder. */
  archive: string;
  sha256: string | null;
  /** Written by Lifeboat's first layout: to be moved to Home Assistant's. */
  legacy: boolean;
}

/** The archive name Home Assistant's integrations give a backup (its suggested file name). */
export function haArchiveName(backup: Pick<AgentBackup, 'name' | 'date'>): string {
  return suggestedFileName(backup.name, backup.date);
}

/** The record's blob name for a backup stored as `archive`. */
export function recordName(style: RecordStyle, backup: AgentBackup, archive: string): string {
  return style === 'sftp' ? `.${backup.backup_id}${RECORD_SUFFIX}` : `${archive.slice(0, -ARCHIVE_SUFFIX.length)}${RECORD_SUFFIX}`;
}

/** Home Assistant's `AgentBackup.as_dict()`, keys in its order, with Lifeboat's copy facts added. */
function asDict(backup: AgentBackup, sha256: string | null): AgentBackup {
  const extra = { ...backup.extra_metadata, [RECORD_VERSION_EXTRA]: RECORD_VERSION, ...(sha256 ? { [COPY_SHA256_EXTRA]: sha256 } : {}) };
  return {
    addons: backup.addons,
    backup_id: backup.backup_id,
    date: backup.date,
    database_included: backup.database_included,
    extra_metadata: extra,
    folders: backup.folders,
    homeassistant_included: backup.homeassistant_included,
    homeassistant_version: backup.homeassistant_version,
    name: backup.name,
    protected: backup.protected,
    size: backup.size,
  };
}

/** The record's content. `archivePath` is the archive's full remote path (sftp_storage records it). */
export function encodeRecord(style: RecordStyle, backup: AgentBackup, sha256: string | null, archivePath: string): Buffer {
  const dict = asDict(backup, sha256);
  const doc = style === 'sftp' ? { file_path: archivePath, metadata: dict } : dict;
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
}

/** The backup as its archive describes it: Lifeboat's copy facts taken back out of `extra_metadata`. */
function withoutCopyFacts(backup: AgentBackup): { backup: AgentBackup; sha256: string | null } {
  const { [COPY_SHA256_EXTRA]: sha, [RECORD_VERSION_EXTRA]: _version, ...extra } = backup.extra_metadata;
  const sha256 = typeof sha === 'string' && Sha256.safeParse(sha).success ? sha : null;
  return { backup: { ...backup, extra_metadata: extra }, sha256 };
}

/**
 * Reads a record in any shape Home Assistant or Lifeboat writes. The archive is found as Home
 * Assistant finds it: by the suggested file name, or (sftp_storage) by the file name of the path
 * recorded — only ever a name in the same folder. Throws on anything else.
 */
export function parseRecord(text: string): ParsedRecord {
  const doc: unknown = JSON.parse(text);
  const legacy = LegacyRecordSchema.safeParse(doc);
  if (legacy.success) return { backup: legacy.data.backup, archive: `${legacy.data.backup.backup_id}${ARCHIVE_SUFFIX}`, sha256: legacy.data.sha256, legacy: true };
  const sftp = SftpRecordSchema.safeParse(doc);
  if (sftp.success) {
    const { backup, sha256 } = withoutCopyFacts(sftp.data.metadata);
    const archive = posix.basename(sftp.data.file_path);
    if (!archive.endsWith(ARCHIVE_SUFFIX) || archive.startsWith('.')) throw new Error(`the record names ${JSON.stringify(sftp.data.file_path)}, not a backup file`);
    return { backup, archive, sha256, legacy: false };
  }
  const b2 = B2RecordSchema.safeParse(doc);
  const bare = b2.success ? b2.data.backup_metadata : AgentBackupSchema.parse(doc);
  const { backup, sha256 } = withoutCopyFacts(bare);
  return { backup, archive: haArchiveName(backup), sha256, legacy: false };
}
