// Upload verification: a copy counts only once the location holds exactly the bytes that were
// sent. The SHA-256 and size of the stream are taken while it is uploaded (by the stored agent
// itself, which records them), or come from the caller when it knows them; afterwards the stored
// record's size is checked and the stored archive is read back and hashed. A mismatch removes the
// bad copy and fails with VerificationError, which the retry wrapper treats as passing.

import { createHash } from 'node:crypto';
import type { AgentBackup } from '../archive/backup-json.js';
import type { BackupAgent, OpenOptions, OpenStream, UploadOptions } from './agent.js';
import { VerificationError } from './agent-errors.js';
import { AgentWrapper, unwrapAgent } from './agent-wrapper.js';
import { StoredBackupAgent } from './stored-backup-agent.js';

export interface VerifyReport {
  size: number;
  sha256: string;
}

/** Size and SHA-256 of a stream. */
export async function digestOf(source: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<VerifyReport> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export class VerifiedAgent extends AgentWrapper {
  /** The last verified upload per backup id (for callers that record it). */
  readonly verified = new Map<string, VerifyReport>();

  constructor(inner: BackupAgent) {
    super(inner);
  }

  override async upload(backup: AgentBackup, open: OpenStream, opts: UploadOptions = {}): Promise<void> {
    // A stored agent records the SHA-256 of the bytes it was given; other agents' streams are hashed here.
    const stored = unwrapAgent(this.inner);
    let sent: VerifyReport | null = null;
    const hashing = (openOpts?: OpenOptions) =>
      (async function* () {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of open(openOpts)) {
          size += chunk.length;
          hash.update(chunk);
          yield chunk;
        }
        sent = { size, sha256: hash.digest('hex') };
      })();
    if (stored instanceof StoredBackupAgent) {
      await this.inner.upload(backup, open, opts);
      const recorded = (await stored.metadata(backup.backup_id, opts)).sha256;
      if (recorded === null) throw new VerificationError(`${this.agentId}: the location recorded no digest to verify the copy against`);
      sent = { size: backup.size, sha256: recorded };
    } else if (opts.sha256) {
      await this.inner.upload(backup, open, opts);
      sent = { size: backup.size, sha256: await opts.sha256() };
    } else {
      await this.inner.upload(backup, hashing, opts);
    }
    const expected = sent as VerifyReport | null;
    if (!expected) throw new VerificationError(`${this.agentId}: the upload finished without reading the whole backup`);
    const record = await this.inner.get(backup.backup_id, opts);
    let problem: string | null = null;
    if (record.size !== expected.size) problem = `stored size ${record.size}, sent ${expected.size}`;
    else {
      const readBack = await digestOf(await this.inner.download(backup.backup_id, opts), opts.signal);
      if (readBack.size !== expected.size) problem = `read back ${readBack.size} bytes, sent ${expected.size}`;
      else if (readBack.sha256 !== expected.sha256) problem = 'the SHA-256 of the stored copy differs from the bytes sent';
    }
    if (problem) {
      await this.inner.delete(backup.backup_id).catch(() => undefined);
      throw new VerificationError(`${this.agentId}: verification of backup ${backup.backup_id} failed: ${problem}`);
    }
    this.verified.set(backup.backup_id, expected);
  }
}
