// The background retry of failed copies: for each queued copy that is due, find the backup on a
// location that holds it (the local folder first, else a remote copy fetched into tmp), send it
// again with the same rules as the first time (per-location protection, or as is for a received
// backup), and on success drop the location from the backup's failed ids in the catalogue. A
// backup that the local folder kept only because no location took it leaves it once all have a copy.

import { BackupManagerError, BackupNotFound, errorMessage } from '../util/errors.js';
import { nowDate } from '../util/clock.js';
import { withBackupReader } from '../archive/backup-reader.js';
import type { BackupAgent } from '../agents/agent.js';
import { lockOf } from './backup-key.js';
import { backupFileFrom, findHolder } from './backup-fetch.js';
import type { JobContext } from './job-context.js';
import type { ManagerState } from './events.js';
import { uploadToAgents } from './upload-fanout.js';

export interface RetryRun {
  attempted: { backupId: string; agentId: string; ok: boolean }[];
}

/**
 * The key for copying a backup again with per-location protection: the one that opens it (the
 * keyring's rule), or for an unencrypted backup the current key, which an encrypted location gets
 * it encrypted with.
 */
async function copyKey(ctx: JobContext, file: string): Promise<string | null> {
  return withBackupReader(file, async (reader) => {
    const lock = await lockOf(reader);
    return lock.protected ? ctx.keys.keyFor(lock) : ctx.keys.current;
  });
}

/**
 * A backup that no location took when it was made is kept in the local folder; once every location
 * it was meant for holds a copy, that one goes (the local folder was not among them).
 */
async function releaseLocalCopy(ctx: JobContext, backupId: string): Promise<void> {
  const record = ctx.catalogue.get(backupId);
  if (!record?.kept_locally_for_retry || record.failed_agent_ids.length) return;
  try {
    await ctx.local.delete(backupId);
  } catch (err) {
    if (!(err instanceof BackupNotFound)) {
      ctx.log.warn(`Could not remove backup ${backupId} from the local folder, which kept it until its copies landed`, { error: errorMessage(err) });
      return;
    }
  }
  await ctx.catalogue.update(backupId, (saved) => ({ ...saved, kept_locally_for_retry: undefined }));
  ctx.log.info(`Every copy of backup ${backupId} landed; the local folder no longer keeps it`);
}

export async function retryQueuedUploads(ctx: JobContext, agents: readonly BackupAgent[], managerState: ManagerState): Promise<RetryRun> {
  const queue = ctx.uploadQueue;
  const run: RetryRun = { attempted: [] };
  await queue.reload();
  const now = nowDate(ctx.clock);
  for (const entry of queue.due(now)) {
    ctx.signal.throwIfAborted();
    const { backup_id: backupId, agent_id: agentId } = entry;
    if (!ctx.agents.has(agentId)) {
      await queue.failed(backupId, agentId, entry.as_is, `location ${agentId} is not available`, now);
      continue;
    }
    let ok = false;
    try {
      // A location that could not answer fails this try: only "stored nowhere" drops the copy.
      const holder = await findHolder(agents, backupId, agentId);
      if (!holder) {
        ctx.log.warn(`Backup ${backupId} is no longer stored anywhere; not copying it to ${agentId}`);
        await queue.remove(backupId, agentId);
        continue;
      }
      const backup = await holder.get(backupId);
      const source = await backupFileFrom({ df: ctx.df, copies: ctx.copies, localAgentId: ctx.local.agentId, emit: ctx.emit, managerState, signal: ctx.signal }, holder, backupId);
      try {
        const password = entry.as_is ? null : await copyKey(ctx, source.file);
        // Without a key the file would go as it is: never plaintext where encryption is wanted.
        if (password === null && !entry.as_is && !backup.protected && (ctx.protectedFor(agentId) ?? true)) {
          throw new BackupManagerError(
            `Backup ${backupId} is stored only unencrypted, ${agentId} takes encrypted backups, and Lifeboat holds no key to encrypt it with: it is not sent there unencrypted. Set up the encryption key (lifeboat key rotate), and the next try encrypts it with that key`,
          );
        }
        const failed = await uploadToAgents(ctx, [agentId], backup, source.file, { managerState, asIs: entry.as_is, password });
        ok = failed.length === 0;
      } finally {
        await source.cleanup();
      }
    } catch (err) {
      ctx.log.warn(`Could not retry the copy of ${backupId} to ${agentId}`, { error: errorMessage(err) });
      await queue.failed(backupId, agentId, entry.as_is, errorMessage(err), now);
    }
    if (ok) {
      const record = ctx.catalogue.get(backupId);
      if (record?.failed_agent_ids.includes(agentId)) {
        await ctx.catalogue.update(backupId, (saved) => ({ ...saved, failed_agent_ids: saved.failed_agent_ids.filter((id) => id !== agentId) }));
      }
      ctx.log.info(`The copy of backup ${backupId} to ${agentId} succeeded on a later try`);
      await releaseLocalCopy(ctx, backupId);
    }
    run.attempted.push({ backupId, agentId, ok });
  }
  return run;
}
