// Creating a backup of the running installation (Home Assistant's `backup.create` semantics by
// default: the local location, no password, the database included): copy the databases
// consistently, write the archive once into the local folder (or a temp file), hand it to every
// other location, record it, and report each stage on the event stream.

import { rm } from 'node:fs/promises';
import { backupName, computeBackupId, KEY_FINGERPRINT_EXTRA, type AgentBackup, type ExtraMetadata } from '../archive/backup-json.js';
import { writeBackupFile, type WrittenBackup } from '../archive/backup-writer.js';
import { createArchiveEncryptor } from '../archive/securetar/member-encryptor.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { ArchiveIndexStore } from './archive-index-store.js';
import { BackupManagerError } from '../util/errors.js';
import { snapshotDatabases, type DatabaseCopy, type DatabaseSnapshots } from '../source/database-snapshots.js';
import { FALLBACK_HA_VERSION } from '../source/installation-info.js';
import { walkInstallation } from '../source/tree-walk.js';
import { formatIsoLocal } from '../util/time.js';
import { nowDate } from '../util/clock.js';
import { backupRules, tmpName } from './data-folder.js';
import { keyFingerprint } from '../settings/encryption-key.js';
import type { CreateBackupEvent, CreateStage, OperationState } from './events.js';
import { failureReason } from './failure-reason.js';
import type { JobContext } from './job-context.js';
import { stepProgress } from './progress.js';
import { uploadProgress, uploadToAgents } from './upload-fanout.js';
import { prepareRecorderDump } from './recorder-dump-step.js';
import { concat } from '../util/streams.js';
import { SegmentCache } from '../archive/segment-cache.js';

export interface CreateOptions {
  /** Locations to store the backup in; default `['backup.local']`. */
  agentIds?: string[];
  name?: string | null;
  /**
   * The backup's password. Each location gets the protection its setting asks for, the local
   * folder included: when the local folder is a target set to unprotected, the file is written
   * unencrypted and the protected locations get it encrypted on the fly (Home Assistant's rule).
   */
  password?: string | null;
  includeDatabase?: boolean;
  /** Extra root-anchored globs to leave out. */
  excludes?: string[];
  withAutomaticSettings?: boolean;
  secureTarVersion?: 2 | 3;
  level?: number;
  extraMetadata?: ExtraMetadata;
  /** Runs after the busy check, before the first event (automatic backups record the attempt). */
  beforeStart?: () => Promise<void>;
  /** Checks of the request that fail it after the first event (Home Assistant's order). */
  validate?: () => void;
  /** Runs once every location has its copy, before `cleaning_up` (automatic backups record success). */
  afterUpload?: (uploadFailedAgentIds: string[], backupId: string) => Promise<void>;
  /** Runs in the `cleaning_up` stage (retention's count rule); its failure is logged, the backup stands. */
  cleanUp?: (result: CreateResult, targets: string[]) => Promise<void>;
}

export interface CreateResult {
  backupId: string;
  backup: AgentBackup;
  /** The file in the local folder, when the local location was a target. */
  path: string | null;
  databases: DatabaseCopy[];
  /** Locations whose upload failed, plus requested locations that were not available. */
  failedAgentIds: string[];
  /** Only the locations whose upload raised an error. */
  uploadFailedAgentIds: string[];
  /** Reason of a degraded success (e.g. `database_copy_failed`), else null. */
  reason: string | null;
}

export interface PreparedCreate {
  backupId: string;
  /** Runs the job to the end; resolves with the result or rejects with the failure. */
  run(): Promise<CreateResult>;
}

function createEvent(stage: CreateStage | null, state: OperationState, reason: string | null = null): CreateBackupEvent {
  return { manager_state: 'create_backup', reason, stage, state };
}

/** Validates the request (first event: in_progress) and returns the job, ready to run. */
export async function prepareCreate(ctx: JobContext, opts: CreateOptions): Promise<PreparedCreate> {
  ctx.emit(createEvent(null, 'in_progress'));
  try {
    opts.validate?.();
  } catch (err) {
    ctx.emit(createEvent(null, 'failed', failureReason(err, 'backup_manager_error')));
    throw err;
  }
  const requested = opts.agentIds ?? [ctx.local.agentId];
  const available = requested.filter((id) => ctx.agents.has(id));
  if (available.length === 0) {
    const err = new BackupManagerError(`At least one available backup agent must be selected, got [${requested.join(', ')}]`);
    ctx.emit(createEvent(null, 'failed', err.code));
    throw err;
  }
  const unavailable = requested.filter((id) => !ctx.agents.has(id));
  const haVersion = (await ctx.haVersion()) ?? FALLBACK_HA_VERSION;
  const automatic = opts.withAutomaticSettings ?? false;
  const name = backupName(opts.name, automatic, haVersion);
  const date = formatIsoLocal(ctx.clock.now(), ctx.timeZone);
  const backupId = computeBackupId(date, name);
  return {
    backupId,
    run: () => runCreate(ctx, opts, { available, unavailable, haVersion, automatic, name, date, backupId }),
  };
}

interface Plan {
  available: string[];
  unavailable: string[];
  haVersion: string;
  automatic: boolean;
  name: string;
  date: string;
  backupId: string;
}

async function runCreate(ctx: JobContext, opts: CreateOptions, plan: Plan): Promise<CreateResult> {
  const includeDatabase = opts.includeDatabase ?? true;
  const toLocal = plan.available.includes(ctx.local.agentId);
  const password = opts.password ?? null;
  const filePassword = toLocal && ctx.protectedFor(ctx.local.agentId) === false ? null : password;
  // The key is derived from the start, beside the database copy, so that it is ready about when the
  // archive's first bytes are: they wait for it in memory meanwhile.
  const encryptor = filePassword !== null ? createArchiveEncryptor(filePassword, opts.secureTarVersion) : undefined;
  encryptor?.catch(() => undefined); // a failure is the archive writer's to report
  const staging = tmpName(ctx.df, `snapshot-${plan.backupId}`);
  let step = 'archive_write_failed';
  const pending = toLocal ? ((await ctx.local.capabilities.reserve?.()) ?? null) : null;
  const tempPath = pending?.tempPath ?? `${tmpName(ctx.df, plan.backupId)}.tar`;
  // Pinned databases hold back their logs' checkpoints: released whatever ends the backup.
  let snapshots: DatabaseSnapshots | undefined;
  try {
    ctx.emit(createEvent('home_assistant', 'in_progress'));
    step = 'database_copy_failed';
    const dbProgress = stepProgress(ctx.emit, 'create_backup', 'copy_databases', null);
    const taken = await snapshotDatabases({
      root: ctx.df.installation,
      rules: backupRules(ctx.df, { includeDatabase, excludes: opts.excludes }),
      stagingDir: staging,
      onDatabase: (copy) => {
        dbProgress.add(copy.bytes);
        if (!copy.ok) ctx.log.warn(`Could not copy the database ${copy.path}; the backup goes on without it`, { error: copy.error });
      },
    });
    snapshots = taken;
    dbProgress.finish();
    ctx.signal.throwIfAborted();
    const recorder = await prepareRecorderDump(ctx, includeDatabase, BigInt(ctx.clock.now().epochMs) * 1_000_000n);
    const dumpFailed = recorder.copy()?.ok === false;
    const excludeDatabase = !includeDatabase || taken.recorderFailed || dumpFailed;
    const notCopied = [...taken.databases, recorder.copy()].filter((d): d is DatabaseCopy => d !== null && !d.ok);

    step = 'archive_write_failed';
    const writeProgress = stepProgress(ctx.emit, 'create_backup', 'write_archive', null);
    const segments = await openSegmentCache(ctx);
    let written;
    try {
      written = await writeBackupFile(tempPath, {
        entries: concat(
          walkInstallation({
            root: ctx.df.installation,
            rules: backupRules(ctx.df, { includeDatabase: !excludeDatabase, excludes: opts.excludes }),
            override: (rel) => taken.override(rel),
            onWarning: (w) => ctx.log.warn(w),
          }),
          recorder.entries,
        ),
        meta: {
          date: plan.date,
          name: plan.name,
          haVersion: plan.haVersion,
          instanceId: ctx.instanceId,
          withAutomaticSettings: plan.automatic,
          excludeDatabase,
          extra: {
            ...opts.extraMetadata,
            ...recorder.extra,
            ...(filePassword !== null ? { [KEY_FINGERPRINT_EXTRA]: keyFingerprint(filePassword) } : {}),
            ...(notCopied.length ? { 'lifeboat.databases_not_copied': notCopied.map((d) => d.path).join(', ') } : {}),
          },
        },
        password: filePassword,
        encryptor,
        clock: ctx.clock,
        signal: ctx.signal,
        secureTarVersion: opts.secureTarVersion,
        level: opts.level,
        onProgress: (p) => writeProgress.set(p.inputBytes),
        finalExtra: recorder.finalExtra,
        segments: segments ?? undefined,
      });
    } catch (err) {
      await segments?.abandon();
      throw err;
    } finally {
      await taken.cleanup();
    }
    writeProgress.finish();
    const dumped = recorder.copy();
    const databases = dumped ? [...taken.databases, dumped] : taken.databases;
    const failedDbs = databases.filter((d) => !d.ok);
    let path: string | null;
    try {
      path = pending ? await pending.commit(written.backup) : null;
      await keepIndex(ctx, path ?? tempPath, written);
    } catch (err) {
      await segments?.abandon();
      throw err;
    }
    // The backup is in place before the cache takes its segments (which may mean tidying the cache).
    if (segments) await keepSegments(ctx, segments);

    step = 'upload_failed';
    ctx.emit(createEvent('upload_to_agents', 'in_progress'));
    if (path) ctx.emit(uploadProgress('create_backup', ctx.local.agentId, written.backup.size, written.backup.size));
    const others = plan.available.filter((id) => id !== ctx.local.agentId);
    const failedUploads = await uploadToAgents(ctx, others, written.backup, path ?? tempPath, { password });
    const failedAgentIds = [...failedUploads, ...plan.unavailable];
    const nowhere = path === null && failedUploads.length === others.length && !ctx.signal.aborted;
    const keptLocally = nowhere && (await keepForRetry(ctx, written.backup, tempPath, password));
    if (keptLocally) path = (await ctx.local.capabilities.localPath?.(written.backup.backup_id)) ?? null;
    await ctx.catalogue.put({
      backup_id: written.backup.backup_id,
      failed_agent_ids: failedAgentIds,
      database_warnings: failedDbs.map((d) => ({ path: d.path, error: d.error ?? 'copy failed' })),
      created_at: nowDate(ctx.clock).toISOString(),
      ...(keptLocally ? { kept_locally_for_retry: true } : {}),
    });

    await opts.afterUpload?.(failedUploads, written.backup.backup_id);
    step = 'cleaning_up';
    ctx.emit(createEvent('cleaning_up', 'in_progress'));
    const reason = failedUploads.length ? 'upload_failed' : failedDbs.length ? 'database_copy_failed' : null;
    const result: CreateResult = {
      backupId: written.backup.backup_id,
      backup: written.backup,
      path,
      databases,
      failedAgentIds,
      uploadFailedAgentIds: failedUploads,
      reason,
    };
    try {
      await opts.cleanUp?.(result, plan.available);
    } catch (err) {
      ctx.log.warn('Clean-up after the backup failed', { error: (err as Error).message });
    }
    ctx.emit(createEvent(null, failedUploads.length ? 'failed' : 'completed', reason));
    return result;
  } catch (err) {
    await pending?.abort();
    ctx.emit(createEvent(null, 'failed', failureReason(err, step)));
    throw err;
  } finally {
    await snapshots?.cleanup();
    if (!pending) await rm(tempPath, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * No location took the backup, and its copies are queued for a retry: rather than removing the
 * only file there is, the local folder keeps it (with its protection rule) until they land. False
 * when the local folder cannot take it either.
 */
async function keepForRetry(ctx: JobContext, backup: AgentBackup, file: string, password: string | null): Promise<boolean> {
  const id = backup.backup_id;
  if (!ctx.agents.has(ctx.local.agentId)) return false;
  const failed = await uploadToAgents(ctx, [ctx.local.agentId], backup, file, { password });
  if (failed.length) {
    await ctx.uploadQueue.remove(id, ctx.local.agentId).catch(() => undefined);
    ctx.log.error(`No location took backup ${id}, and the local folder could not keep it either: it is not stored anywhere`);
    return false;
  }
  ctx.log.warn(`No location took backup ${id}; the local folder keeps it until the queued copies land, then it is removed from there`);
  return true;
}

/** The segment cache of the data folder; without one (it cannot be made) the backup compresses everything. */
async function openSegmentCache(ctx: Pick<JobContext, 'df' | 'log'>): Promise<SegmentCache | null> {
  try {
    return await SegmentCache.open(ctx.df.segmentCache);
  } catch (err) {
    ctx.log.warn('The segment cache cannot be used; this backup compresses every file', { error: (err as Error).message });
    return null;
  }
}

/** Keeps the segments this backup used, and says how much it reused; a failure here costs the next backup time, not this one. */
async function keepSegments(ctx: Pick<JobContext, 'log'>, cache: SegmentCache): Promise<void> {
  try {
    await cache.finish();
  } catch (err) {
    await cache.abandon().catch(() => undefined);
    ctx.log.warn('The segment cache could not keep this backup\'s segments; the next backup compresses them again', { error: (err as Error).message });
    return;
  }
  const { hits, misses, reusedBytes, damaged } = cache.stats;
  ctx.log.info('Segments of large files reused from the last backup', { reused: hits, compressed: misses, reused_bytes: reusedBytes, damaged });
}

/** Keeps the index the writer gathered, tied to the file as written; a failure costs only speed later. */
async function keepIndex(ctx: Pick<JobContext, 'df' | 'log'>, path: string, written: WrittenBackup): Promise<void> {
  try {
    await withBackupReader(path, async (reader) => {
      const inner = reader.homeAssistantArchive();
      if (inner) await new ArchiveIndexStore(ctx.df.index).save(written.backup.backup_id, reader, inner, written.index);
    });
  } catch (err) {
    ctx.log.warn(`Could not keep the index of backup ${written.backup.backup_id}`, { error: String(err) });
  }
}
