// The backup manager: Home Assistant's state machine (blocked → idle → create/receive/restore →
// idle) and event bookkeeping (last event, last action event), the locations, and the entry
// points for jobs. One operation at a time, also across processes (an operation lock). Everything
// it depends on — the data folder, the local location, the clock, the keys, each location's
// protection — is given when it is opened.

import { ArchiveIndexStore } from './archive-index-store.js';
import type { BackupAgent } from '../agents/agent.js';
import type { StoredBackupAgent } from '../agents/stored-backup-agent.js';
import { BackupManagerError, BackupNotFound, OperationAborted } from '../util/errors.js';
import type { Clock } from '../util/clock.js';
import type { Zone } from '../util/time.js';
import type { Logger } from '../util/logger.js';
import { Catalogue } from './catalogue.js';
import { prepareCreate, type CreateOptions, type CreateResult } from './create-job.js';
import { cleanTmp, instanceIdFor, type DataFolder } from './data-folder.js';
import { ensureDataFolder } from './data-folder-guard.js';
import { EventBus, isStateEvent, type HaManagerEvent, type ManagerEvent, type ManagerState } from './events.js';
import type { JobContext, KeyRules } from './job-context.js';
import { acquireLock, readLock } from './operation-lock.js';
import { listAll, type BackupListing, type ManagerBackup } from './backup-records.js';
import { runRestore, type RestoreOptions, type RestoreResult } from './restore-job.js';
import { recoverSwap, RecorderSwapPendingError, type RecoveryOutcome, type SwapPlace } from './restore-swap.js';
import { settleRecorderSwap } from './recorder-restore-step.js';
import { startIfLeftStopped, type ControlFor } from './ha-left-stopped.js';
import { runReceive, type ReceiveOptions, type ReceiveResult } from './receive-job.js';
import { backupFileFrom, openBackupFrom, withBackupFileFrom, type BackupFile, type OpenedBackup } from './backup-fetch.js';
import { CopyDigests } from './copy-digests.js';
import { UploadQueue } from './upload-queue.js';
import { retryQueuedUploads, type RetryRun } from './upload-retry.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readHaVersion } from '../source/installation-info.js';
import { chooseRecorder, type RecorderChoice, type RecorderSetting } from '../source/external-db/recorder-choice.js';

export interface ManagerOptions {
  df: DataFolder;
  /** The local backup folder (`backup.local`). */
  local: StoredBackupAgent;
  /** The zone of backup dates, an IANA name or null for this machine's own (settings may change it). */
  timeZone: () => Zone;
  clock: Clock;
  keys: KeyRules;
  /** A location's `protected` setting, undefined when it has none. */
  protectedFor: (agentId: string) => boolean | undefined;
  log: Logger;
  random?: () => number;
  /** Where the Home Assistant version comes from; the installation's `.HA_VERSION` when it knows none. */
  haVersion?: () => Promise<string | null>;
  /** Lifeboat's recorder database setting (default: follow Home Assistant's configuration). */
  recorderSetting?: () => Promise<RecorderSetting>;
  /** Makes the control that starts Home Assistant when an interrupted restore left it stopped (default: none). */
  controlFor?: ControlFor;
}

export type RestoreRequest = Omit<RestoreOptions, 'file'> & ({ backupId: string; agentId?: string } | { file: string });

export class BackupManager {
  readonly events = new EventBus<ManagerEvent>();
  private currentState: ManagerState = 'blocked';
  private last: HaManagerEvent = { manager_state: 'blocked' };
  private lastAction: HaManagerEvent | null = null;
  private readonly agentMap = new Map<string, BackupAgent>();
  private abortController = new AbortController();
  private running: Promise<unknown> | null = null;
  private retrying: Promise<RetryRun> | null = null;
  /** An interrupted restore's recorder database could not be settled yet (its server not reached). */
  private recorderPending = false;
  private lastRecoveryWarning: string | null = null;

  private constructor(
    private readonly opts: ManagerOptions,
    readonly catalogue: Catalogue,
    readonly uploadQueue: UploadQueue,
    readonly copies: CopyDigests,
    readonly instanceId: string,
  ) {
    this.agentMap.set(opts.local.agentId, opts.local);
  }

  /** Opens the data folder, settles an interrupted restore, and becomes idle. */
  static async open(opts: ManagerOptions): Promise<BackupManager> {
    const { df, log } = opts;
    await ensureDataFolder(df);
    const manager = new BackupManager(
      opts,
      await Catalogue.load(df.catalogue),
      await UploadQueue.load(join(df.root, 'upload-queue.json'), opts.random),
      await CopyDigests.load(join(df.root, 'copy-digests.json')),
      await instanceIdFor(df),
    );
    // A restore running in another process owns the staging folder; only one left behind is settled.
    const holder = await readLock(df.lock);
    const busyElsewhere = holder !== null && holder.pid !== process.pid;
    // A recorder database that cannot be settled yet leaves Home Assistant as it is (stopped, if a
    // restore stopped it): its files and its database would not belong together.
    const outcome = busyElsewhere ? 'none' : await manager.recoverInterrupted();
    if (outcome === 'rolled_back') {
      log.warn('An interrupted restore was rolled back; the installation is as it was before it');
      manager.emit({ manager_state: 'restore_backup', reason: 'restore_interrupted', stage: null, state: 'failed' });
    } else if (outcome === 'completed') {
      log.info('An interrupted restore had already swapped the installation; it has been completed');
      manager.emit({ manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' });
    }
    // Only once the installation is whole again, and never under a restore running elsewhere.
    if (!busyElsewhere && !manager.recorderPending) await startIfLeftStopped(df.homeAssistantStopped, opts.controlFor ?? (() => null), log);
    await opts.local.tidy();
    for (const name of await cleanTmp(df)) log.info(`Removed ${name}, left in the tmp folder by an interrupted run`);
    manager.emit({ manager_state: 'idle' });
    return manager;
  }

  get df(): DataFolder {
    return this.opts.df;
  }

  get local(): BackupAgent {
    return this.opts.local;
  }

  get state(): ManagerState {
    return this.currentState;
  }

  get lastEvent(): HaManagerEvent {
    return this.last;
  }

  get lastActionEvent(): HaManagerEvent | null {
    return this.lastAction;
  }

  get agents(): BackupAgent[] {
    return [...this.agentMap.values()];
  }

  agent(agentId: string): BackupAgent | undefined {
    return this.agentMap.get(agentId);
  }

  registerAgent(agent: BackupAgent): void {
    this.agentMap.set(agent.agentId, agent);
  }

  unregisterAgent(agentId: string): void {
    if (agentId !== this.opts.local.agentId) this.agentMap.delete(agentId);
  }

  private emit(event: ManagerEvent): void {
    if (isStateEvent(event)) {
      this.last = event;
      this.currentState = event.manager_state;
      if (event.manager_state !== 'idle' && event.manager_state !== 'blocked') this.lastAction = event;
    }
    this.events.emit(event);
  }

  private context(): JobContext {
    const zoneOf = this.opts.timeZone;
    return {
      df: this.opts.df,
      agents: this.agentMap,
      local: this.opts.local,
      catalogue: this.catalogue,
      uploadQueue: this.uploadQueue,
      copies: this.copies,
      instanceId: this.instanceId,
      // Resolved when a job reads it: settings may have changed it since.
      get timeZone() {
        return zoneOf();
      },
      clock: this.opts.clock,
      keys: this.opts.keys,
      protectedFor: this.opts.protectedFor,
      emit: (e) => this.emit(e),
      log: this.opts.log,
      signal: this.abortController.signal,
      haVersion: async () => (await this.opts.haVersion?.()) ?? readHaVersion(this.opts.df.installation),
      recorder: async (root) => chooseRecorder(root, (await this.opts.recorderSetting?.()) ?? { mode: 'auto', customUrl: null }),
    };
  }

  private async begin(operation: ManagerState): Promise<() => Promise<void>> {
    if (this.currentState !== 'idle' || this.running) throw new BackupManagerError(`Backup manager busy: ${this.currentState}`);
    if (this.abortController.signal.aborted) throw new BackupManagerError('Lifeboat is stopping');
    return acquireLock(this.opts.df.lock, operation);
  }

  /** Asks the running job to abandon its current step cleanly; resolves when it has settled. */
  /** The recorder database the next backup includes (Home Assistant's configuration with the setting applied). */
  recorder(): Promise<RecorderChoice> {
    return this.context().recorder(this.opts.df.installation);
  }

  async abort(reason = 'Lifeboat is stopping'): Promise<void> {
    this.abortController.abort(new OperationAborted(reason));
    await this.running?.catch(() => undefined);
  }

  private async finish(release: () => Promise<void>): Promise<void> {
    await release();
    this.emit({ manager_state: 'idle' });
  }

  /**
   * Starts a backup and returns its id once the request is validated (Home Assistant's
   * `backup/generate`); `done` settles when the whole job has finished.
   */
  async beginCreate(opts: CreateOptions = {}): Promise<{ backupId: string; done: Promise<CreateResult> }> {
    const release = await this.begin('create_backup');
    let prepared;
    try {
      await opts.beforeStart?.();
      prepared = await prepareCreate(this.context(), opts);
    } catch (err) {
      await this.finish(release);
      throw err;
    }
    const done = prepared.run().finally(() => {
      this.running = null;
      return this.finish(release);
    });
    this.running = done;
    done.catch(() => undefined);
    return { backupId: prepared.backupId, done };
  }

  /** Creates a backup and waits for it (Home Assistant's `backup.create`). */
  async create(opts: CreateOptions = {}): Promise<CreateResult> {
    return (await this.beginCreate(opts)).done;
  }

  /** Runs one job as the only operation, and returns to idle after it. */
  private async exclusive<T>(operation: ManagerState, job: () => Promise<T>): Promise<T> {
    const release = await this.begin(operation);
    const running = job();
    this.running = running;
    try {
      return await running;
    } finally {
      this.running = null;
      await this.finish(release);
    }
  }

  /** Restores a backup from a location or a file; waits for the whole restore. */
  async restore(request: RestoreRequest): Promise<RestoreResult> {
    return this.exclusive('restore_backup', async () => {
      if ('file' in request) return runRestore(this.context(), request);
      // The location is looked up after the request's own checks, so that they speak first.
      const fetch = async () => {
        const agent = this.requireAgent(request.agentId ?? this.opts.local.agentId);
        return { ...(await backupFileFrom(this.fetchContext(), agent, request.backupId)), agentId: agent.agentId };
      };
      return runRestore(this.context(), { ...request, fetch });
    });
  }

  /** Receives an uploaded backup file and stores it unchanged on the given locations. */
  async receive(opts: ReceiveOptions): Promise<ReceiveResult> {
    return this.exclusive('receive_backup', () => runReceive(this.context(), opts));
  }

  requireAgent(agentId: string): BackupAgent {
    const agent = this.agentMap.get(agentId);
    if (!agent) throw new BackupManagerError(`Unknown backup location ${agentId}`);
    return agent;
  }

  private fetchContext() {
    const state: ManagerState = this.currentState === 'blocked' ? 'idle' : this.currentState;
    return { df: this.opts.df, copies: this.copies, localAgentId: this.opts.local.agentId, emit: (e: ManagerEvent) => this.emit(e), managerState: state, signal: this.abortController.signal };
  }

  /** The backup's file from any location: in place when local, else downloaded into tmp and checked. */
  async backupFile(backupId: string, agentId = this.opts.local.agentId): Promise<BackupFile> {
    return backupFileFrom(this.fetchContext(), this.requireAgent(agentId), backupId);
  }

  /** The backup's file from any location, opened for reading; `close` releases it (a downloaded copy is removed). */
  async openBackup(backupId: string, agentId = this.opts.local.agentId): Promise<OpenedBackup> {
    return openBackupFrom(this.fetchContext(), this.requireAgent(agentId), backupId);
  }

  /** Runs `fn` with the backup's file from any location (a downloaded copy is removed afterwards). */
  async withBackupFile<T>(backupId: string, agentId: string | undefined, fn: (file: string) => Promise<T>): Promise<T> {
    return withBackupFileFrom(this.fetchContext(), this.requireAgent(agentId ?? this.opts.local.agentId), backupId, fn);
  }

  /** Copies that failed earlier and are due are tried again (one run at a time). */
  async retryFailedUploads(): Promise<RetryRun> {
    this.retrying ??= retryQueuedUploads(this.context(), this.agents, this.currentState === 'blocked' ? 'idle' : this.currentState).finally(() => {
      this.retrying = null;
    });
    return this.retrying;
  }

  /**
   * Settles what an interrupted restore left behind (restore-swap.ts), noting whether its recorder
   * database still waits for its server; the outcome for the files.
   */
  private async recoverInterrupted(): Promise<RecoveryOutcome> {
    const place: SwapPlace = {
      root: this.opts.df.installation,
      journal: this.opts.df.restoreJournal,
      // Said once while it stays the same: `serve` asks again every half minute.
      warn: (message) => {
        if (message !== this.lastRecoveryWarning) this.opts.log.warn(message);
        this.lastRecoveryWarning = message;
      },
      settleRecorder: (named, keep, staging) => settleRecorderSwap(this.context(), named, keep, null, staging),
    };
    try {
      const outcome = await recoverSwap(place);
      this.recorderPending = false;
      return outcome;
    } catch (err) {
      if (!(err instanceof RecorderSwapPendingError)) throw err;
      this.recorderPending = true;
      return err.outcome;
    }
  }

  /** Whether an interrupted restore's recorder database still waits for its server to be settled. */
  get interruptedRestorePending(): boolean {
    return this.recorderPending;
  }

  /**
   * Settles an interrupted restore left since this process opened, or tries again one whose
   * recorder database's server could not be reached (`lifeboat serve` asks every half minute, so
   * that a server that comes back later needs no restart of Lifeboat); once it is settled, Home
   * Assistant is started if that restore left it stopped. Only while idle and holding the operation
   * lock; resolves whether nothing waits any more.
   */
  async settleInterruptedRestore(): Promise<boolean> {
    // A journal left since this process opened (a restore here or elsewhere that could not settle
    // its database, or was killed) is looked at too; one a running restore holds, under the lock below.
    if (!this.recorderPending && !existsSync(this.opts.df.restoreJournal)) return true;
    if (this.currentState !== 'idle' || this.running) return false;
    let release: () => Promise<void>;
    try {
      release = await acquireLock(this.opts.df.lock, 'restore_backup');
    } catch {
      return false; // another operation runs: the next try
    }
    try {
      const outcome = await this.recoverInterrupted();
      if (this.recorderPending) return false;
      this.lastRecoveryWarning = null;
      if (outcome !== 'none') this.opts.log.info(`An interrupted restore is settled now (${outcome === 'completed' ? 'completed' : 'rolled back'}), its recorder database with the installation's files`);
      await startIfLeftStopped(this.opts.df.homeAssistantStopped, this.opts.controlFor ?? (() => null), this.opts.log);
      return true;
    } finally {
      await release();
    }
  }

  async list(): Promise<BackupListing> {
    return listAll(this.agents, this.instanceId, this.catalogue);
  }

  async details(backupId: string): Promise<{ backup: ManagerBackup | null; agentErrors: Record<string, string> }> {
    const listing = await this.list();
    return { backup: listing.backups.find((b) => b.backup_id === backupId) ?? null, agentErrors: listing.agentErrors };
  }

  /** Deletes a backup from every location; "not found" on a location is not an error. */
  async delete(backupId: string): Promise<{ agentErrors: Record<string, string> }> {
    const agentErrors: Record<string, string> = {};
    let found = false;
    await Promise.all(
      this.agents.map(async (agent) => {
        try {
          await agent.delete(backupId);
          found = true;
        } catch (err) {
          if (!(err instanceof BackupNotFound)) agentErrors[agent.agentId] = (err as Error).message;
        }
      }),
    );
    if (found && Object.keys(agentErrors).length === 0) await this.forget(backupId);
    return { agentErrors };
  }

  /** Drops what Lifeboat remembers about a backup that is gone (its record; copies still to make). */
  async forget(backupId: string): Promise<void> {
    await this.catalogue.remove(backupId);
    await this.uploadQueue.remove(backupId); // a deleted backup is not copied anywhere later
    await this.copies.remove(backupId);
    await new ArchiveIndexStore(this.opts.df.index).remove(backupId);
  }
}
