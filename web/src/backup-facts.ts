// Facts about one backup that several pages show: its type (automatic, manual or uploaded), its
// size, whether its copies are encrypted, and the key fingerprint it needs.

import { KEY_FINGERPRINT, type Backup } from './api/types.js';

export type BackupType = 'automatic' | 'manual' | 'uploaded';

/** Uploaded: not made here with known settings (with_automatic_settings is null, e.g. another installation's). */
export function backupType(b: Backup): BackupType {
  if (b.with_automatic_settings === true) return 'automatic';
  if (b.with_automatic_settings === false) return 'manual';
  return 'uploaded';
}

export function backupSize(b: Backup): number {
  return Math.max(0, ...Object.values(b.agents).map((a) => a.size));
}

export type Encryption = 'encrypted' | 'plain' | 'mixed';

export function encryption(b: Backup): Encryption {
  const flags = Object.values(b.agents).map((a) => a.protected);
  if (flags.length && flags.every(Boolean)) return 'encrypted';
  if (flags.some(Boolean)) return 'mixed';
  return 'plain';
}

export function isProtected(b: Backup, agentId?: string): boolean {
  if (agentId) return b.agents[agentId]?.protected ?? false;
  return Object.values(b.agents).some((a) => a.protected);
}

export function neededFingerprint(b: Backup): string | null {
  const fp = b.extra_metadata[KEY_FINGERPRINT];
  return typeof fp === 'string' ? fp : null;
}

/** The location to restore or download from: the local one when it holds a copy. */
export function preferredAgent(b: Backup): string {
  const ids = Object.keys(b.agents);
  return ids.includes('backup.local') ? 'backup.local' : (ids[0] ?? 'backup.local');
}
