// The shapes the UI reads from Lifeboat's WebSocket and HTTP APIs (Home Assistant's backup API
// plus Lifeboat's `lifeboat/*` commands). Event and settings types come from the server's own
// modules; the rest mirrors the JSON the server sends.

import type { HaManagerEvent, LifeboatProgressEvent, ManagerState, UploadProgressEvent } from '../../../src/manager/events.js';
import type { BackupConfig, ConfigUpdate } from '../../../src/settings/schemas.js';

export type { HaManagerEvent, LifeboatProgressEvent, ManagerState, UploadProgressEvent, ConfigUpdate };

export type StateEvent = Exclude<HaManagerEvent, UploadProgressEvent>;

export interface AgentCopy {
  protected: boolean;
  size: number;
}

export interface Backup {
  addons: { name: string | null; slug: string; version: string | null }[];
  agents: Record<string, AgentCopy>;
  backup_id: string;
  database_included: boolean;
  date: string;
  extra_metadata: Record<string, string | boolean>;
  failed_agent_ids: string[];
  folders: string[];
  homeassistant_included: boolean;
  homeassistant_version: string | null;
  name: string;
  with_automatic_settings: boolean | null;
}

export interface BackupInfo {
  agent_errors: Record<string, string>;
  backups: Backup[];
  last_attempted_automatic_backup: string | null;
  last_completed_automatic_backup: string | null;
  last_action_event: StateEvent | null;
  next_automatic_backup: string | null;
  next_automatic_backup_additional: boolean;
  state: ManagerState;
}

export interface Agent {
  agent_id: string;
  name: string;
}

/** backup/config/info's config: the saved settings with the key redacted, and the next run. */
export type PublicConfig = Omit<BackupConfig, 'create_backup'> & {
  create_backup: Omit<BackupConfig['create_backup'], 'encrypted'> & { password: string | null };
  next_automatic_backup: string | null;
  next_automatic_backup_additional: boolean;
  lifeboat: {
    key_fingerprint: string | null;
    time_zone: string;
    /** The recorder database the next backup includes. */
    recorder_database: { kind: 'sqlite' | 'server' | 'off' | 'unknown'; description: string; source: string | null; error: string | null };
  };
};

export type Generational = NonNullable<BackupConfig['generational']>;
export type Weekday = BackupConfig['schedule']['days'][number];

export interface EntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_changed: string;
  last_updated: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: { code: string; message: string }[];
  members: { name: string; encryption: string; digestMatches: boolean | null; entries: number; bytes: number; error: { code: string; message: string } | null }[];
}

export interface OnboardingInfo {
  backups: Backup[];
  state: ManagerState;
  last_action_event: StateEvent | null;
}

export const LOCAL_AGENT = 'backup.local';
export const KEY_FINGERPRINT = 'lifeboat.key_fingerprint';

/** One entry of lifeboat/backup/files/list. */
export interface BackupFileEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  size: number;
  mode: number;
  mtime: string;
  linkname?: string;
  sha256?: string | null;
}

/** lifeboat/backup/files/read: text as it is, a binary file in base64; `limit` is the largest size read. */
export interface FileContent {
  path: string;
  size: number;
  mode: number;
  mtime: string;
  encoding: 'utf-8' | 'base64';
  content: string;
  limit: number;
}

/** lifeboat/backup/files/diff. */
export interface BackupDiff {
  added: string[];
  removed: string[];
  changed: { path: string; what: string[] }[];
  notCompared: string[];
}

/** lifeboat/backup/files/patch. */
export type FilePatch = { path: string; kind: 'text'; patch: string } | { path: string; kind: 'binary' } | { path: string; kind: 'too-large'; limit: number };
