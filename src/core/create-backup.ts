// Creating backups, as every front end asks for them: Home Assistant's `backup/generate` (its
// request checks, in its order), `backup.create` (local, database included, no password),
// `backup.create_automatic` (the saved settings; the attempt and the completion recorded, a
// failure notified) and the command line's own options. After every backup, in its cleaning-up
// stage, retention's count rule runs and each location's outcome is counted for notifications.

import { LOCAL_AGENT_ID } from '../agents/agent.js';
import type { CreateOptions, CreateResult } from '../manager/create-job.js';
import { failureReason } from '../manager/failure-reason.js';
import { formatIsoLocal } from '../util/time.js';
import { BackupManagerError } from '../util/errors.js';
import type { CoreParts } from './parts.js';
import type { Retention } from './retention.js';
import type { GenerateRequest } from './api-schemas.js';

/** A backup asked for by the command line: the local folder and any further locations. */
export interface CreateRequest {
  name?: string | null;
  password?: string | null;
  includeDatabase?: boolean;
  /** Further globs to leave out, besides the saved ones. */
  excludes?: string[];
  /** Locations besides the local folder. */
  locations?: string[];
  secureTarVersion?: 2 | 3;
  level?: number;
}

export interface BackupHandle {
  backupId: string;
  done: Promise<CreateResult>;
}

export class CreateBackup {
  constructor(
    private readonly parts: CoreParts,
    private readonly retention: Retention,
  ) {}

  /** Retention's count rule and the locations' outcomes, in the cleaning-up stage of every backup. */
  private cleanUp = async (result: CreateResult, targets: string[]): Promise<void> => {
    await this.retention.apply('count');
    const outcome: Record<string, boolean> = {};
    for (const id of targets) outcome[id] = !result.uploadFailedAgentIds.includes(id);
    await this.parts.rules.locationResults(outcome);
  };

  private begin(opts: CreateOptions): Promise<BackupHandle> {
    return this.parts.manager.beginCreate({ ...opts, cleanUp: this.cleanUp });
  }

  /** `backup/generate`: starts the backup once the request passed Home Assistant's checks. */
  async generate(params: GenerateRequest): Promise<BackupHandle> {
    const handle = await this.begin({
      validate: () => {
        if (params.include_all_addons && params.include_addons?.length) throw new BackupManagerError('Cannot include all addons and specify specific addons');
        if (params.include_addons?.length || params.include_all_addons || params.include_folders?.length) {
          throw new BackupManagerError('Addons and folders are not supported by core backup');
        }
        if (!params.include_homeassistant) throw new BackupManagerError('Home Assistant must be included in backup');
      },
      agentIds: params.agent_ids,
      includeDatabase: params.include_database,
      name: params.name ?? null,
      password: params.password ?? null,
      excludes: this.parts.settings.config.excludes,
    });
    handle.done.catch((err: unknown) => this.parts.log.warn('A backup failed', { error: (err as Error).message }));
    return handle;
  }

  /** `backup.create`: the local folder, the database included, no password; waits for the backup. */
  async service(): Promise<CreateResult> {
    return (await this.begin({ agentIds: [LOCAL_AGENT_ID], includeDatabase: true, password: null, excludes: this.parts.settings.config.excludes })).done;
  }

  /** A backup with the command line's options; waits for it. */
  async run(request: CreateRequest): Promise<CreateResult> {
    const handle = await this.begin({
      agentIds: [LOCAL_AGENT_ID, ...(request.locations ?? []).filter((l) => l !== LOCAL_AGENT_ID)],
      name: request.name,
      password: request.password ?? null,
      includeDatabase: request.includeDatabase ?? true,
      excludes: [...this.parts.settings.config.excludes, ...(request.excludes ?? [])],
      secureTarVersion: request.secureTarVersion,
      level: request.level,
    });
    return handle.done;
  }

  /** `backup.create_automatic`: with the saved settings; a failure raises a notification. */
  async automatic(): Promise<BackupHandle> {
    let handle: BackupHandle;
    try {
      handle = await this.beginAutomatic();
    } catch (err) {
      if (!/busy/i.test((err as Error).message)) await this.notifyFailure(null, err);
      throw err;
    }
    const done = handle.done.then(
      async (result: CreateResult) => {
        this.parts.publishSchedule();
        await this.parts.rules.automaticBackupFinished({
          ok: result.uploadFailedAgentIds.length === 0,
          backupId: result.backupId,
          reason: result.reason,
          error: null,
          failedAgentIds: result.failedAgentIds,
        });
        return result;
      },
      async (err: unknown) => {
        this.parts.publishSchedule();
        await this.notifyFailure(handle.backupId, err);
        throw err;
      },
    );
    done.catch(() => undefined);
    return { backupId: handle.backupId, done };
  }

  /**
   * The saved settings as a backup request: their locations, database choice, name and key; the
   * attempt is recorded after the busy check, before the first event, and the completion once no
   * location's upload failed (before cleaning up, as Home Assistant does).
   */
  private beginAutomatic(): Promise<BackupHandle> {
    const { settings, clock } = this.parts;
    const config = settings.config;
    const stamp = () => formatIsoLocal(clock.now(), settings.zone);
    return this.begin({
      agentIds: config.create_backup.agent_ids,
      includeDatabase: config.create_backup.include_database,
      name: config.create_backup.name,
      password: settings.automaticPassword,
      withAutomaticSettings: true,
      excludes: config.excludes,
      beforeStart: () => settings.recordAutomatic('last_attempted_automatic_backup', stamp()),
      afterUpload: async (failed, backupId) => {
        if (failed.length === 0) await settings.recordAutomatic('last_completed_automatic_backup', stamp(), backupId);
      },
    });
  }

  private async notifyFailure(backupId: string | null, err: unknown): Promise<void> {
    await this.parts.rules.automaticBackupFinished({
      ok: false,
      backupId,
      reason: failureReason(err, 'unknown_error'),
      error: (err as Error).message,
      failedAgentIds: [],
    });
  }
}
