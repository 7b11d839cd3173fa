// Receiving an uploaded backup file: the bytes are streamed to disk as they arrive (never held in
// memory), checked to be a readable Home Assistant backup, and stored on every target location
// exactly as received — no re-encryption, no rewritten backup.json — verified by the SHA-256 of the
// received bytes.

import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { withBackupReader } from '../archive/backup-reader.js';
import type { AgentBackup } from '../archive/backup-json.js';
import { BackupManagerError, BackupReaderWriterError, IntegrityError } from '../util/errors.js';
import { fileSha256 } from '../util/file-sha256.js';
import { FileWriter } from '../util/file-writer.js';
import { tmpName } from './data-folder.js';
import type { OperationState, ReceiveBackupEvent, ReceiveStage } from './events.js';
import { failureReason } from './failure-reason.js';
import type { JobContext } from './job-context.js';
import { stepProgress } from './progress.js';
import { uploadProgress, uploadToAgents } from './upload-fanout.js';

export class UploadTooLarge extends BackupManagerError {
  override readonly code: string = 'upload_too_large';
}

export interface ReceiveOptions {
  /** The uploaded file name (already checked to be a bare name). */
  fileName: string;
  agentIds: string[];
  body: AsyncIterable<Buffer>;
  /** Refuse uploads larger than this (bytes). */
  maxBytes?: number;
}

export interface ReceiveResult {
  backupId: string;
  backup: AgentBackup;
  sha256: string;
  failedAgentIds: string[];
}

function receiveEvent(stage: ReceiveStage | null, state: OperationState, reason: string | null = null): ReceiveBackupEvent {
  return { manager_state: 'receive_backup', reason, stage, state };
}

export async function runReceive(ctx: JobContext, opts: ReceiveOptions): Promise<ReceiveResult> {
  ctx.emit(receiveEvent(null, 'in_progress'));
  const toLocal = opts.agentIds.includes(ctx.local.agentId);
  const pending = toLocal ? ((await ctx.local.capabilities.reserve?.()) ?? null) : null;
  const temp = pending?.tempPath ?? `${tmpName(ctx.df, 'upload')}.tar`;
  let step = 'receive_failed';
  try {
    ctx.emit(receiveEvent('receive_file', 'in_progress'));
    const hash = createHash('sha256');
    const out = await FileWriter.create(temp);
    const progress = stepProgress(ctx.emit, 'receive_backup', 'receive_file', null);
    try {
      for await (const chunk of opts.body) {
        ctx.signal.throwIfAborted();
        if (opts.maxBytes !== undefined && out.position + chunk.length > opts.maxBytes) {
          throw new UploadTooLarge(`The upload is larger than the limit of ${opts.maxBytes} bytes`);
        }
        hash.update(chunk);
        await out.write(chunk);
        progress.set(out.position);
      }
      await out.finish();
    } catch (err) {
      await out.abandon();
      throw err;
    }
    progress.finish();
    const sha256 = hash.digest('hex');
    step = 'invalid_backup';
    const backup = await withBackupReader(temp, async (r) => r.backup);
    if ((await fileSha256(temp)) !== sha256) throw new IntegrityError('The stored upload differs from the bytes received');

    step = 'upload_failed';
    ctx.emit(receiveEvent('upload_to_agents', 'in_progress'));
    const path = pending ? await pending.commit(backup) : null;
    if (path) ctx.emit(uploadProgress('receive_backup', ctx.local.agentId, backup.size, backup.size));
    const others = opts.agentIds.filter((id) => id !== ctx.local.agentId);
    const failed = await uploadToAgents(ctx, others, backup, path ?? temp, { managerState: 'receive_backup', asIs: true, sha256 });
    const unavailable = others.filter((id) => !ctx.agents.has(id));
    const existing = ctx.catalogue.get(backup.backup_id);
    await ctx.catalogue.put({
      backup_id: backup.backup_id,
      failed_agent_ids: [...new Set([...failed, ...unavailable])],
      database_warnings: existing?.database_warnings ?? [],
      created_at: existing?.created_at,
    });
    if (failed.length) {
      ctx.emit(receiveEvent(null, 'failed', 'upload_failed'));
    } else {
      ctx.emit(receiveEvent(null, 'completed'));
    }
    return { backupId: backup.backup_id, backup, sha256, failedAgentIds: failed };
  } catch (err) {
    await pending?.abort();
    ctx.emit(receiveEvent(null, 'failed', failureReason(err, step)));
    throw err instanceof Error ? err : new BackupReaderWriterError(String(err));
  } finally {
    if (!pending) await rm(temp, { force: true });
  }
}
