// A description of a backup file for people and scripts: members, backup.json, the derived record
// and each inner archive's SecureTar header — read without a password.

import type { AgentBackup, BackupJson } from './backup-json.js';
import type { BackupReader } from './backup-reader.js';
import { recordedDigest } from './unpack.js';

export interface InnerInspection {
  name: string;
  size: number;
  encryption: 'none' | 'v1' | 'v2' | 'v3' | 'unreadable';
  compressed: boolean | null;
  plaintextSize: number | null;
  recordedSha256: string | null;
  v3?: { rootSalt: string; validationSalt: string; derivationSalt: string };
  error?: string;
}

export interface Inspection {
  size: number;
  members: { name: string; offset: number; size: number; mtime: number }[];
  backupJson: BackupJson | null;
  backup: AgentBackup | null;
  backupError: string | null;
  /** backup.json stored as `./backup.json` (Home Assistant requires it). */
  homeAssistantReadable: boolean;
  inner: InnerInspection[];
}

export async function inspectBackup(reader: BackupReader): Promise<Inspection> {
  let backup: AgentBackup | null = null;
  let backupError: string | null = null;
  try {
    backup = reader.backup;
  } catch (err) {
    backupError = (err as Error).message;
  }
  const inner: InnerInspection[] = [];
  for (const a of reader.innerArchives()) {
    const item: InnerInspection = {
      name: a.name,
      size: a.member.size,
      encryption: 'unreadable',
      compressed: null,
      plaintextSize: null,
      recordedSha256: recordedDigest(reader, a),
    };
    try {
      const enc = await reader.encryption(a);
      item.encryption = enc.kind;
      if (enc.kind === 'none') {
        item.compressed = enc.compressed;
        item.plaintextSize = enc.plaintextSize;
      } else if (enc.kind !== 'v1') {
        item.plaintextSize = enc.plaintextSize;
      }
      if (enc.kind === 'v3') {
        item.v3 = {
          rootSalt: enc.fields.rootSalt.toString('hex'),
          validationSalt: enc.fields.validationSalt.toString('hex'),
          derivationSalt: enc.fields.derivationSalt.toString('hex'),
        };
      }
    } catch (err) {
      item.error = (err as Error).message;
    }
    inner.push(item);
  }
  return {
    size: reader.source.size,
    members: reader.members.map((m) => ({ name: m.name, offset: m.dataOffset, size: m.size, mtime: m.mtime })),
    backupJson: reader.json,
    backup,
    backupError,
    homeAssistantReadable: reader.strictLayout && backup !== null,
    inner,
  };
}
