// Upload verification: a copy counts only once the location holds exactly the bytes that were
// sent. The SHA-256 and size of the stream are taken while it is uploaded (by the location itself,
// when it records digests), or come from the caller when it knows them; afterwards the stored
// record's size is checked and the stored archive is read back and hashed. A mismatch removes the
// bad copy and fails with VerificationError, which the retry wrapper treats as passing.

import { createHash } from 'node:crypto';
import type { AgentBackup } from '../archive/backup-json.js';
import type { BackupAgent, OpenStream, UploadOptions } from './agent.js';
import { VerificationError } from './agent-errors.js';
import { AgentWrapper } from './agent-wrapper.js';

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

  /** Uploads, and says what was sent: the digest the location recorded, the caller's, or one taken here. */
  private async send(backup: AgentBackup, open: OpenStream, opts: UploadOptions): Promise<VerifyReport | null> {
    const recorded = this.inner.capabilities.recordedDigest;
    if (recorded || opts.sha256) {
      await this.inner.upload(backup, open, opts);
      const sha256 = recorded ? await recorded(backup.backup_id, opts) : await (opts.sha256 as () => Promise<string>)();
      if (sha256 === null) throw new VerificationError(`${this.agentId}: the location recorded no digest to verify the copy against`);
      return { size: backup.size, sha256 };
    }
    let sent: VerifyReport | null = null;
    const hashing = () =>
      (async function* () {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of open()) {
          size += chunk.length;
          hash.update(chunk);
          yield chunk;
        }
        sent = { size, sha256: hash.digest('hex') };
      })();
    await this.inner.upload(backup, hashing, opts);
    return sent;
  }

  override async upload(backup: AgentBackup, open: OpenStream, opts: UploadOptions = {}): Promise<void> {
    const expected = await this.send(backup, open, opts);
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
