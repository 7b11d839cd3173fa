// Which key opens a backup: the one rule every part of Lifeboat asks. A password given by the user
// is the key (and is checked); otherwise the keys of the keyring are tried, the one whose
// fingerprint the backup records first, then the others (a backup made before `key rotate`, or one
// whose record lost its fingerprint). An unprotected backup needs no key.

import { IncorrectPasswordError, PasswordRequiredError } from '../util/errors.js';
import { keyFingerprint } from './encryption-key.js';
import type { KeyEntry, SecretsStore } from './secrets-store.js';

/** What the keyring needs to know about a backup to find its key. */
export interface KeyLock {
  /** Whether the backup is encrypted at all. */
  readonly protected: boolean;
  /** The fingerprint of the key the backup says it was made with, if it says. */
  readonly fingerprint: string | null;
  /** Resolves when `key` opens the backup; rejects with IncorrectPasswordError when it does not. */
  tryKey(key: string): Promise<void>;
}

export class Keyring {
  constructor(private readonly secrets: SecretsStore) {}

  /** The key new backups are made with, or null when there is none. */
  get current(): string | null {
    return this.secrets.currentKey;
  }

  get currentFingerprint(): string | null {
    const key = this.current;
    return key ? keyFingerprint(key) : null;
  }

  /** Every key, the current one first (keys are never shown here; entries carry them). */
  get entries(): readonly KeyEntry[] {
    return this.secrets.keyring;
  }

  /**
   * The key that opens the backup: `given` when the user gave one (rejected when wrong), else the
   * first of the keyring's keys that fits; null for an unprotected backup. Throws
   * IncorrectPasswordError (code `password_incorrect`) when no key fits.
   */
  async keyFor(lock: KeyLock, given: string | null = null): Promise<string | null> {
    if (!lock.protected) return null;
    if (given !== null) {
      await lock.tryKey(given);
      return given;
    }
    const keys = this.secrets.candidateKeys(lock.fingerprint);
    for (const key of keys) {
      try {
        await lock.tryKey(key);
        return key;
      } catch (err) {
        if (!(err instanceof IncorrectPasswordError)) throw err;
      }
    }
    throw new PasswordRequiredError(
      keys.length
        ? "The backup is encrypted with a key that is not in Lifeboat's keyring; give its password (e.g. from its emergency kit)"
        : 'The backup is encrypted and no password was provided.',
    );
  }
}
