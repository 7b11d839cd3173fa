// The backup encryption key as a use case: what the keyring holds (fingerprints, never keys), the
// current key and its emergency kit (only where the user asks for them), a new key (`key rotate`;
// earlier keys stay, so older backups still restore), and which key opens a given backup.

import { emergencyKit, emergencyKitFileName, keyFingerprint } from '../settings/encryption-key.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { lockOf } from '../manager/backup-key.js';
import { IncorrectPasswordError } from '../util/errors.js';
import { nowDate } from '../util/clock.js';
import type { CoreParts } from './parts.js';

export interface KeyInfo {
  fingerprint: string | null;
  /** Whether automatic backups are encrypted. */
  encrypted: boolean;
  keyring: { fingerprint: string; added_at: string; retired_at: string | null }[];
}

export interface EmergencyKit {
  kit: string;
  /** The date in the kit, in the installation's time zone. */
  date: string;
  /** Home Assistant's file name for it. */
  fileName: string;
}

export class Keys {
  constructor(private readonly parts: CoreParts) {}

  info(): KeyInfo {
    const { keyring, settings } = this.parts;
    return {
      fingerprint: keyring.currentFingerprint,
      encrypted: settings.config.create_backup.encrypted,
      keyring: keyring.entries.map((k) => ({ fingerprint: k.fingerprint, added_at: k.added_at, retired_at: k.retired_at })),
    };
  }

  /** The current key and its fingerprint, or null when there is none yet. */
  show(): { key: string; fingerprint: string } | null {
    const key = this.parts.keyring.current;
    return key ? { key, fingerprint: keyFingerprint(key) } : null;
  }

  /** Makes a new key for future backups; returns it (once) with its fingerprint. */
  async rotate(): Promise<{ key: string; fingerprint: string }> {
    const key = await this.parts.settings.rotateKey();
    return { key, fingerprint: keyFingerprint(key) };
  }

  /** Home Assistant's emergency kit for the current key, or null when there is none. */
  emergencyKit(place: { locationName: string; instanceUrl: string }): EmergencyKit | null {
    const key = this.parts.keyring.current;
    if (!key) return null;
    const date = nowDate(this.parts.clock).toLocaleString('en-US', { timeZone: this.parts.settings.timeZone });
    return { kit: emergencyKit({ key, date, ...place }), date, fileName: emergencyKitFileName(date) };
  }

  /**
   * Which key opens a backup: its fingerprint when one of the keyring's keys does (null for an
   * unencrypted backup), and whether the keyring can open it at all.
   */
  async forBackup(backupId: string, agentId?: string): Promise<{ protected: boolean; opens: boolean; fingerprint: string | null }> {
    return this.parts.manager.withBackupFile(backupId, agentId, (file) =>
      withBackupReader(file, async (reader) => {
        const lock = await lockOf(reader);
        try {
          const key = await this.parts.keyring.keyFor(lock);
          return { protected: lock.protected, opens: true, fingerprint: key === null ? null : keyFingerprint(key) };
        } catch (err) {
          if (err instanceof IncorrectPasswordError) return { protected: true, opens: false, fingerprint: lock.fingerprint };
          throw err;
        }
      }),
    );
  }
}
