// Verifies a backup end to end without writing anything: backup.json, the single-key-context rule
// Home Assistant's readers depend on, full decryption (authenticated for v3), the recorded SHA-256
// of each inner archive's plaintext, full decompression (CRC-checked) and a tar walk that flags
// entries a restore would refuse.

import { createHash } from 'node:crypto';
import type { AgentBackup } from './backup-json.js';
import { digestExtraKey } from './backup-json.js';
import type { BackupReader, InnerArchive } from './backup-reader.js';
import { BackupError, BackupReaderWriterError, IntegrityError, UnsafeEntryError } from '../util/errors.js';
import { innerTarBytes } from './inner-decompress.js';
import { readTarEntries } from './inner-tar-reader.js';
import { safeComponents } from './safe-extract.js';
import type { Secret } from './securetar/securetar-header.js';
import { tap } from '../util/chunks.js';

export interface MemberReport {
  name: string;
  encryption: 'none' | 'v1' | 'v2' | 'v3';
  /** Bytes of the inner archive's plaintext (gzip stream or tar). */
  plaintextSize: number | null;
  sha256: string | null;
  recordedSha256: string | null;
  /** true / false when a digest was recorded, null when none was. */
  digestMatches: boolean | null;
  entries: number;
  bytes: number;
  error: BackupError | null;
}

export interface VerifyReport {
  backup: AgentBackup | null;
  members: MemberReport[];
  problems: BackupError[];
}

function asBackupError(err: unknown): BackupError {
  if (err instanceof BackupError) return err;
  return new BackupReaderWriterError(err instanceof Error ? err.message : String(err), { cause: err });
}

export interface VerifyOptions {
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

async function verifyMember(
  reader: BackupReader,
  inner: InnerArchive,
  secret: Secret | null,
  recorded: string | null,
  opts: VerifyOptions,
): Promise<MemberReport> {
  const report: MemberReport = {
    name: inner.name,
    encryption: 'none',
    plaintextSize: null,
    sha256: null,
    recordedSha256: recorded,
    digestMatches: null,
    entries: 0,
    bytes: 0,
    error: null,
  };
  try {
    const enc = await reader.encryption(inner);
    report.encryption = enc.kind;
    const hash = createHash('sha256');
    let plainBytes = 0;
    const plain = tap(await reader.plaintext(inner, secret), (c) => {
      hash.update(c);
      plainBytes += c.length;
      opts.onBytes?.(c.length);
    });
    for await (const entry of readTarEntries(innerTarBytes(plain, { lenient: enc.kind === 'v1' }))) {
      opts.signal?.throwIfAborted();
      report.entries++;
      safeComponents(entry.path);
      if (entry.type === 'other') throw new UnsafeEntryError(`${inner.name} contains a ${entry.rawType} entry: ${entry.path}`);
      if (entry.type === 'link') safeComponents(entry.linkname, 'hard link');
      for await (const chunk of entry.body) report.bytes += chunk.length;
    }
    if (enc.kind !== 'v1') {
      report.plaintextSize = plainBytes;
      report.sha256 = hash.digest('hex');
      if (recorded) {
        report.digestMatches = recorded === report.sha256;
        if (!report.digestMatches) {
          throw new IntegrityError(`${inner.name} does not match its recorded SHA-256 digest (the backup is corrupt)`);
        }
      }
    }
  } catch (err) {
    report.error = asBackupError(err);
  }
  return report;
}

/** Checks everything a restore relies on; problems are collected, never thrown. */
export async function verifyBackup(
  reader: BackupReader,
  secret: Secret | null,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const problems: BackupError[] = [];
  let backup: AgentBackup | null = null;
  try {
    backup = reader.backup;
  } catch (err) {
    problems.push(asBackupError(err));
  }
  const inner = reader.innerArchives();
  const kinds = new Set<string>();
  const roots = new Set<string>();
  for (const a of inner) {
    try {
      const enc = await reader.encryption(a);
      if (enc.kind !== 'none') kinds.add(enc.kind);
      if (enc.kind === 'v3') roots.add(`${enc.fields.rootSalt.toString('hex')}${enc.fields.validationKey.toString('hex')}`);
    } catch {
      /* reported per member below */
    }
  }
  if (kinds.size > 1) {
    problems.push(new BackupReaderWriterError(`Inner archives mix SecureTar versions (${[...kinds].join(', ')}); Home Assistant cannot restore this backup`));
  }
  if (roots.size > 1) {
    problems.push(new BackupReaderWriterError('Inner archives use different SecureTar v3 key contexts; Home Assistant cannot restore this backup'));
  }
  if (inner.length === 0) problems.push(new BackupReaderWriterError('The backup contains no inner archives'));

  const members: MemberReport[] = [];
  for (const a of inner) {
    const recordedValue = reader.json?.extra?.[digestExtraKey(a.name)];
    const recorded = typeof recordedValue === 'string' ? recordedValue : null;
    const report = await verifyMember(reader, a, secret, recorded, opts);
    members.push(report);
    if (report.error) problems.push(report.error);
  }
  // Member errors are the most specific; put them first.
  problems.sort((a, b) => Number(members.some((m) => m.error === b)) - Number(members.some((m) => m.error === a)));
  return { backup, members, problems };
}
