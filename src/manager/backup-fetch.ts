// Getting a backup from any location as a file Lifeboat can read in place: a local location's own
// file, or a remote copy streamed into the data folder's tmp (with download progress), checked
// against the size and SHA-256 Lifeboat recorded when it sent the copy (else, for a copy someone
// else made, the digest the location stores), and removed again when done — also opened for
// reading in one step.

import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { BackupReader } from '../archive/backup-reader.js';
import { fileSha256 } from '../util/file-sha256.js';
import { onceAsync } from '../util/once.js';
import { BackupNotFound, IntegrityError } from '../util/errors.js';
import type { BackupAgent } from '../agents/agent.js';
import { FileWriter } from '../util/file-writer.js';
import type { CopyDigests } from './copy-digests.js';
import { tmpName, type DataFolder } from './data-folder.js';
import type { ManagerEvent, ManagerState } from './events.js';
import { stepProgress } from './progress.js';

export interface BackupFile {
  file: string;
  /** True when the file is a remote copy in tmp. */
  fetched: boolean;
  /** True when the file is on this machine, or is a remote copy that matches what Lifeboat sent there. */
  known: boolean;
  /** Removes a fetched copy (nothing for a local file). */
  cleanup(): Promise<void>;
}

export interface FetchContext {
  df: DataFolder;
  copies: CopyDigests;
  /** The local backup folder's agent: the only location whose files are trusted as they are. */
  localAgentId: string;
  emit: (e: ManagerEvent) => void;
  managerState: ManagerState;
  signal?: AbortSignal;
}

function notSent(backupId: string, agentId: string): IntegrityError {
  return new IntegrityError(
    `The copy of backup ${backupId} on ${agentId} is not the one Lifeboat sent there (its SHA-256 differs from the one recorded at upload); it may have been replaced, so it is not used`,
  );
}

/** The backup's file: in place for local locations, else downloaded into tmp and verified. */
export async function backupFileFrom(ctx: FetchContext, agent: BackupAgent, backupId: string): Promise<BackupFile> {
  const { localPath, recordedDigest } = agent.capabilities;
  const sent = agent.agentId === ctx.localAgentId ? null : ctx.copies.get(agent.agentId, backupId);
  if (localPath) {
    // Read in place; a shared folder's copy must still be the one Lifeboat put there.
    const file = await localPath(backupId);
    if (sent) {
      const [size, sha256] = [(await stat(file)).size, await fileSha256(file)];
      if (size !== sent.size || sha256 !== sent.sha256) throw notSent(backupId, agent.agentId);
    }
    return { file, fetched: false, known: agent.agentId === ctx.localAgentId || sent !== null, cleanup: async () => undefined };
  }
  const record = await agent.get(backupId, { signal: ctx.signal });
  const recorded = sent ? null : recordedDigest ? await recordedDigest(backupId, { signal: ctx.signal }) : null;
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
    const digest = hash.digest('hex');
    if (sent && (sent.size !== out.position || sent.sha256 !== digest)) throw notSent(backupId, agent.agentId);
    if (recorded && digest !== recorded) {
      throw new IntegrityError(`The copy of backup ${backupId} on ${agent.agentId} differs from what was stored (SHA-256)`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { file, fetched: true, known: sent !== null, cleanup };
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

/** A backup opened for reading; `close` closes it and removes a fetched copy (idempotent, never rejects). */
export interface OpenedBackup {
  reader: BackupReader;
  close(): Promise<void>;
}

/** The backup's file (as backupFileFrom gets it), opened for reading. */
export async function openBackupFrom(ctx: FetchContext, agent: BackupAgent, backupId: string): Promise<OpenedBackup> {
  const source = await backupFileFrom(ctx, agent, backupId);
  let reader: BackupReader | null = null;
  const close = onceAsync(async () => {
    await reader?.close();
    await source.cleanup();
  });
  try {
    reader = await BackupReader.open(source.file);
    return { reader, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The first location (local ones first) that holds the backup, other than `except`; null only when
 * every one of them says it does not. When none holds it but one could not answer, its error is
 * thrown: the backup may well be there.
 */
export async function findHolder(agents: readonly BackupAgent[], backupId: string, except?: string): Promise<BackupAgent | null> {
  const onThisMachine = (a: BackupAgent) => a.capabilities.localPath !== undefined;
  const ordered = [...agents.filter(onThisMachine), ...agents.filter((a) => !onThisMachine(a))].filter((a) => a.agentId !== except);
  let unanswered: unknown = null;
  for (const agent of ordered) {
    try {
      await agent.get(backupId);
      return agent;
    } catch (err) {
      if (!(err instanceof BackupNotFound)) unanswered ??= err;
    }
  }
  if (unanswered !== null) throw unanswered;
  return null;
}
