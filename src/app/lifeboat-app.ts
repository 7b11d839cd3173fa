// The composition of one Lifeboat for one installation: manager, settings, entities, schedule,
// retention and notifications wired to each other through their event streams. CLI commands open
// it briefly; `lifeboat serve` keeps it running with the timers started.

import { join } from 'node:path';
import { BackupManager } from '../manager/backup-manager.js';
import { beginAutomaticBackup, type AutomaticBackupHandle } from '../manager/automatic-backup.js';
import { dataFolder } from '../manager/data-folder.js';
import { failureReason } from '../manager/failure-reason.js';
import type { Logger } from '../manager/job-context.js';
import { silentLogger } from '../manager/job-context.js';
import { applyRetention, type RetentionRun } from '../manager/retention-runner.js';
import { previewNextRun, Scheduler, type NextRunInfo } from '../manager/scheduler.js';
import { EntityTracker } from '../entities/entity-tracker.js';
import { NotificationRules } from '../integrations/notification-rules.js';
import { sendNotification, type FetchLike, type Notification } from '../integrations/notifier.js';
import type { RetentionMode } from '../policy/retention.js';
import { SettingsService } from '../settings/settings-service.js';
import type { CreateResult } from '../manager/create-job.js';
import { LocationAgents } from './location-agents.js';
import type { RetryPolicy } from '../agents/retrying-agent.js';

const DAY = 86_400_000;

export interface AppOptions {
  installation: string;
  data?: string;
  backupsDir?: string;
  log?: Logger;
  now?: () => Date;
  random?: () => number;
  fetch?: FetchLike;
  /** Retry policy of the locations' uploads (tests shorten it). */
  retry?: Partial<RetryPolicy>;
  /** How often `serve` looks for failed copies that are due for another try. */
  uploadRetryIntervalMs?: number;
}

export class LifeboatApp {
  private scheduler: Scheduler | null = null;
  private dailyTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private locationAgents: LocationAgents | null = null;

  private constructor(
    readonly manager: BackupManager,
    readonly settings: SettingsService,
    readonly entities: EntityTracker,
    readonly notifications: NotificationRules,
    private readonly opts: AppOptions,
    readonly log: Logger,
  ) {}

  static async open(opts: AppOptions): Promise<LifeboatApp> {
    const log = opts.log ?? silentLogger;
    const now = opts.now ?? (() => new Date());
    const df = dataFolder(opts.installation, opts.data);
    const settings = await SettingsService.open({ settings: df.settings, secrets: df.secrets }, now);
    const manager = await BackupManager.open({
      installation: opts.installation,
      data: opts.data,
      backupsDir: opts.backupsDir,
      timeZone: () => settings.timeZone,
      log,
    });
    const entities = await EntityTracker.open(join(df.root, 'entities.json'), now);
    const send = (n: Notification) => sendNotification(settings.config.notifications, n, opts.fetch, now);
    const notifications = await NotificationRules.open(join(df.root, 'notifications.json'), () => settings.config.notifications, send, log);
    const app = new LifeboatApp(manager, settings, entities, notifications, opts, log);
    app.wire();
    await app.openLocations();
    return app;
  }

  private get now(): () => Date {
    return this.opts.now ?? (() => new Date());
  }

  private wire(): void {
    const { manager, settings, entities } = this;
    // Only events of operations this process runs are published; its own start-up "idle" is not
    // (a CLI command must not announce idle while `serve` is busy). startServices publishes it.
    manager.events.subscribe((e) => entities.onManagerEvent(e));
    this.publishSchedule();
    settings.changes.subscribe((change) => {
      if (change.scheduleChanged && this.scheduler) void this.scheduler.reschedule();
      else this.publishSchedule();
    });
    manager.hooks.afterCreate = async (result, targets) => {
      await this.retention('count');
      const outcome: Record<string, boolean> = {};
      for (const id of targets) outcome[id] = !result.uploadFailedAgentIds.includes(id);
      await this.notifications.locationResults(outcome);
    };
  }

  /** Creates the configured locations' agents, follows changes to them, and sets the per-location rules. */
  private async openLocations(): Promise<void> {
    const { manager, settings } = this;
    const locations = new LocationAgents(manager, {
      secretsPath: manager.df.secrets,
      log: this.log,
      retry: this.opts.retry,
      saveSettings: async (agentId, changed) => {
        await settings.setLocations((saved) => saved.map((l) => (l.id === agentId ? { ...l, settings: changed } : l)));
      },
    });
    this.locationAgents = locations;
    manager.hooks.agentProtected = (agentId) => settings.config.agents[agentId]?.protected;
    manager.hooks.passwordFor = (backup) => {
      const fingerprint = backup.extra_metadata['lifeboat.key_fingerprint'];
      return settings.secrets.candidateKeys(typeof fingerprint === 'string' ? fingerprint : null)[0] ?? null;
    };
    let last = JSON.stringify(settings.config.locations);
    await locations.sync(settings.config.locations);
    settings.changes.subscribe((change) => {
      const now = JSON.stringify(change.config.locations);
      if (now === last) return;
      last = now;
      void locations.sync(change.config.locations).catch((err: unknown) => this.log.warn('Could not update the backup locations', { error: String(err) }));
    });
  }

  /** Closes the connections of the remote locations (CLI commands, before exiting). */
  async closeLocations(): Promise<void> {
    await this.locationAgents?.close();
  }

  /** Tries again the copies that failed and are due (also run by `serve` on a timer). */
  async retryFailedUploads(): Promise<void> {
    if (this.manager.state !== 'idle') return;
    const run = await this.manager.retryFailedUploads();
    if (run.attempted.length) this.publishSchedule();
  }

  /** Publishes the next run (from the running scheduler, else from its saved state) and the last times. */
  private publishSchedule(): void {
    const config = this.settings.config;
    void this.nextRun().then((info) =>
      this.entities.onSchedule({
        next: info.next,
        lastAttempted: config.last_attempted_automatic_backup,
        lastCompleted: config.last_completed_automatic_backup,
      }),
    );
  }

  async nextRun(): Promise<NextRunInfo> {
    if (this.scheduler) return this.scheduler.current;
    return previewNextRun(this.schedulePath, this.settings.config, this.settings.timeZone, this.now());
  }

  private get schedulePath(): string {
    return join(this.manager.df.root, 'schedule.json');
  }

  async retention(mode: RetentionMode): Promise<RetentionRun> {
    return applyRetention(this.manager, this.settings, mode, this.now());
  }

  /** `backup.create_automatic`: with the saved settings; a failure raises a notification. */
  async beginAutomatic(): Promise<AutomaticBackupHandle> {
    let handle: AutomaticBackupHandle;
    try {
      handle = await beginAutomaticBackup(this.manager, this.settings);
    } catch (err) {
      if (!/busy/i.test((err as Error).message)) await this.notifyAutomaticFailure(null, err);
      throw err;
    }
    const done = handle.done.then(
      async (result: CreateResult) => {
        this.publishSchedule();
        await this.notifications.automaticBackupFinished({
          ok: result.uploadFailedAgentIds.length === 0,
          backupId: result.backupId,
          reason: result.reason,
          error: null,
          failedAgentIds: result.failedAgentIds,
        });
        return result;
      },
      async (err: unknown) => {
        this.publishSchedule();
        await this.notifyAutomaticFailure(handle.backupId, err);
        throw err;
      },
    );
    done.catch(() => undefined);
    return { backupId: handle.backupId, done };
  }

  private async notifyAutomaticFailure(backupId: string | null, err: unknown): Promise<void> {
    await this.notifications.automaticBackupFinished({
      ok: false,
      backupId,
      reason: failureReason(err, 'unknown_error'),
      error: (err as Error).message,
      failedAgentIds: [],
    });
  }

  /** Starts the long-running parts: the schedule, retention at start-up and every day. */
  async startServices(): Promise<void> {
    this.scheduler = new Scheduler({
      statePath: this.schedulePath,
      config: () => this.settings.config,
      timeZone: () => this.settings.timeZone,
      now: this.now,
      random: this.opts.random,
      log: this.log,
      run: async () => {
        const handle = await this.beginAutomatic();
        await handle.done.catch(() => undefined);
      },
    });
    this.entities.onManagerEvent(this.manager.lastEvent);
    this.scheduler.changes.subscribe(() => this.publishSchedule());
    await this.scheduler.start();
    await this.daily(true);
    const retryEvery = this.opts.uploadRetryIntervalMs ?? 30_000;
    const retry = () => {
      this.retryTimer = setTimeout(() => {
        void this.retryFailedUploads()
          .catch((err: unknown) => this.log.warn('Retrying failed copies did not work', { error: String(err) }))
          .finally(() => this.retryTimer !== null && retry());
      }, retryEvery);
      this.retryTimer.unref?.();
    };
    retry();
  }

  private async daily(first = false): Promise<void> {
    try {
      await this.retention(first ? 'both' : 'age');
    } catch (err) {
      this.log.warn('Retention could not run', { error: (err as Error).message });
    }
    const config = this.settings.config;
    await this.notifications
      .checkStaleness(config.last_completed_automatic_backup, config.automatic_backups_configured, this.now())
      .catch((err: unknown) => this.log.warn('Could not check for stale backups', { error: String(err) }));
    this.dailyTimer = setTimeout(() => void this.daily(), DAY);
    this.dailyTimer.unref?.();
  }

  async close(): Promise<void> {
    this.scheduler?.stop();
    if (this.dailyTimer) clearTimeout(this.dailyTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.locationAgents?.close();
    await this.entities.flush();
  }
}
