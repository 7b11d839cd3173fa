// Getting a backup from any location as a file Lifeboat can read in place: a local location's own
// file, or a remote copy streamed into the data folder's tmp (with download progress), checked
// against the size and SHA-256 the location recorded, and removed again when done.

import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { BackupNotFound, IntegrityError } from '../util/errors.js';
import type { BackupAgent } from '../agents/agent.js';
import { FileWriter } from '../util/file-writer.js';
import { tmpName, type DataFolder } from './data-folder.js';
import type { ManagerEvent, ManagerState } from './events.js';
import { stepProgress } from './progress.js';

export interface BackupFile {
  file: string;
  /** True when the file is a remote copy in tmp. */
  fetched: boolean;
  /** Removes a fetched copy (nothing for a local file). */
  cleanup(): Promise<void>;
}

export interface FetchContext {
  df: DataFolder;
  emit: (e: ManagerEvent) => void;
  managerState: ManagerState;
  signal?: AbortSignal;
}

/** The backup's file: in place for local locations, else downloaded into tmp and verified. */
export async function backupFileFrom(ctx: FetchContext, agent: BackupAgent, backupId: string): Promise<BackupFile> {
  const { localPath, recordedDigest } = agent.capabilities;
  if (localPath) return { file: await localPath(backupId), fetched: false, cleanup: async () => undefined };
  const record = await agent.get(backupId, { signal: ctx.signal });
  const recorded = recordedDigest ? await recordedDigest(backupId, { signal: ctx.signal }) : null;
  const file = `${tmpName(ctx.df, `download-${backupId}`)}.tar`;
  const cleanup = () => rm(file, { force: true });
  const progress = stepProgress(ctx.emit, ctx.managerState, 'download', record.size);
  try {
    const out = await FileWriter.create(file, 0o600);
    const hash = createHash('sha256');
    try {
      for await (const chunk of await agent.download(backupId, { signal: ctx.signal })) {
        ctx.signal?.throwIfAborted();
        hash.update(chunk);
        await out.write(chunk);
        progress.set(out.position);
      }
      await out.finish();
    } catch (err) {
      await out.abandon().catch(() => undefined);
      throw err;
    }
    progress.finish();
    if (out.position !== record.size) {
      throw new IntegrityError(`The copy of backup ${backupId} on ${agent.agentId} has ${out.position} bytes, but ${record.size} were stored`);
    }
    if (recorded && hash.digest('hex') !== recorded) {
      throw new IntegrityError(`The copy of backup ${backupId} on ${agent.agentId} differs from what was stored (SHA-256)`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { file, fetched: true, cleanup };
}

/** Runs `fn` with the backup's file; a fetched copy is removed afterwards. */
export async function withBackupFileFrom<T>(ctx: FetchContext, agent: BackupAgent, backupId: string, fn: (file: string) => Promise<T>): Promise<T> {
  const source = await backupFileFrom(ctx, agent, backupId);
  try {
    return await fn(source.file);
  } finally {
    await source.cleanup();
  }
}

/** The first location (local ones first) that holds the backup, other than `except`. */
export async function findHolder(agents: readonly BackupAgent[], backupId: string, except?: string): Promise<BackupAgent | null> {
  const onThisMachine = (a: BackupAgent) => a.capabilities.localPath !== undefined;
  const ordered = [...agents.filter(onThisMachine), ...agents.filter((a) => !onThisMachine(a))].filter((a) => a.agentId !== except);
  for (const agent of ordered) {
    try {
      await agent.get(backupId);
      return agent;
    } catch (err) {
      if (!(err instanceof BackupNotFound)) continue;
    }
  }
  return null;
}
