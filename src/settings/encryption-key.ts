// The backup encryption key in Home Assistant's format — 7 groups of 4 symbols from A–Z and 0–9,
// joined by dashes (34 characters; the whole string is the password) — generated without modulo
// bias, a non-secret fingerprint that identifies a key without revealing it, and the emergency kit.

import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A new key; each symbol is drawn uniformly (bytes ≥ 252 are rejected, 252 = 7 × 36). */
export function generateKey(random: (n: number) => Buffer = randomBytes): string {
  const symbols: string[] = [];
  while (symbols.length < 28) {
    for (const b of random(32)) {
      if (b < 252 && symbols.length < 28) symbols.push(ALPHABET[b % 36] as string);
    }
  }
  return Array.from({ length: 7 }, (_, i) => symbols.slice(i * 4, i * 4 + 4).join('')).join('-');
}

/** A short, non-secret identifier of a key: `ab12-cd34`. */
export function keyFingerprint(key: string): string {
  const hex = createHash('sha256').update(`lifeboat-key-fingerprint\u0000${key}`, 'utf8').digest('hex');
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}`;
}

export interface EmergencyKitInput {
  key: string;
  /** Local date and time as shown to the user. */
  date: string;
  locationName: string;
  instanceUrl: string;
}

/** Home Assistant's emergency kit text, plus the key's fingerprint and how to use it with Lifeboat. */
export function emergencyKit(input: EmergencyKitInput): string {
  return [
    'Home Assistant backup emergency kit',
    'You need this encryption key to restore your Home Assistant backups. Keep it somewhere safe, away from the system it protects.',
    '',
    `Date: ${input.date}`,
    '',
    'Instance:',
    input.locationName,
    '',
    'URL:',
    input.instanceUrl,
    '',
    'Encryption key:',
    input.key,
    '',
    `Key fingerprint: ${keyFingerprint(input.key)}`,
    '',
    'To unpack a backup with this kit: lifeboat archive unpack <backup.tar> <folder> --password-file <this file>',
    '',
    'For more information visit: https://www.home-assistant.io/more-info/backup-emergency-kit',
    '',
  ].join('\n');
}

/** Home Assistant's kit file name: `home_assistant_backup_emergency_kit_<date>_<time>.txt`. */
export function emergencyKitFileName(localDateTime: string): string {
  const stamp = localDateTime.replace(',', '').replace(' ', '_').replace(/[^0-9A-Za-z_.-]/g, '-');
  return `home_assistant_backup_emergency_kit_${stamp}.txt`;
}
