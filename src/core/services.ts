// What `lifeboat serve` keeps running: automatic backups on their schedule, retention at start-up
// and every day (with the check for no recent success), and, every half minute, the settling of an
// interrupted restore's recorder database whose server could not be reached, and the retry of
// copies that failed. The next run is the running scheduler's, or — in a process that runs no
// scheduler — the one `serve` saved.

import { join } from 'node:path';
import { previewNextRun, Scheduler, type NextRunInfo } from '../manager/scheduler.js';
import { nowDate } from '../util/clock.js';
import type { CreateBackup } from './create-backup.js';
import type { CoreParts } from './parts.js';
import type { Retention } from './retention.js';

const DAY = 86_400_000;

export interface ServiceOptions {
  random?: () => number;
  /** How often failed copies that are due are tried again. */
  uploadRetryIntervalMs?: number;
}

export class Services {
  private scheduler: Scheduler | null = null;
  private dailyTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly parts: CoreParts,
    private readonly create: CreateBackup,
    private readonly retention: Retention,
    private readonly opts: ServiceOptions,
  ) {}

  private get statePath(): string {
    return join(this.parts.df.root, 'schedule.json');
  }

  async nextRun(): Promise<NextRunInfo> {
    if (this.scheduler) return this.scheduler.current;
    const { settings, clock } = this.parts;
    return previewNextRun(this.statePath, settings.config, () => settings.timeZone, nowDate(clock));
  }

  /** The schedule changed: the running scheduler computes the next run (else it is only published). */
  scheduleChanged(): void {
    if (this.scheduler) void this.scheduler.reschedule();
    else this.parts.publishSchedule();
  }

  /** Tries again the copies that failed and are due (one run at a time; never during another job). */
  async retryFailedUploads(): Promise<void> {
    const { manager } = this.parts;
    if (manager.state !== 'idle') return;
    const run = await manager.retryFailedUploads();
    if (run.attempted.length) this.parts.publishSchedule();
  }

  async start(): Promise<void> {
    const { parts } = this;
    this.scheduler = new Scheduler({
      statePath: this.statePath,
      config: () => parts.settings.config,
      timeZone: () => parts.settings.timeZone,
      clock: parts.clock,
      random: this.opts.random,
      log: parts.log,
      run: async () => {
        const handle = await this.create.automatic();
        await handle.done.catch(() => undefined);
      },
    });
    parts.entities.onManagerEvent(parts.manager.lastEvent);
    this.scheduler.changes.subscribe(() => parts.publishSchedule());
    await this.scheduler.start();
    await this.daily(true);
    const retryEvery = this.opts.uploadRetryIntervalMs ?? 30_000;
    const retry = () => {
      this.retryTimer = setTimeout(() => {
        // An interrupted restore's recorder database, once its server answers again, then the copies.
        void parts.manager
          .settleInterruptedRestore()
          .catch((err: unknown) => parts.log.warn("Settling an interrupted restore's recorder database did not work", { error: String(err) }))
          .then(() => this.retryFailedUploads())
          .catch((err: unknown) => parts.log.warn('Retrying failed copies did not work', { error: String(err) }))
          .finally(() => !this.stopped && retry());
      }, retryEvery);
      this.retryTimer.unref?.();
    };
    retry();
  }

  private async daily(first = false): Promise<void> {
    const { settings, rules, clock, log } = this.parts;
    try {
      await this.retention.apply(first ? 'both' : 'age');
    } catch (err) {
      log.warn('Retention could not run', { error: (err as Error).message });
    }
    const config = settings.config;
    await rules
      .checkStaleness(config.last_completed_automatic_backup, config.automatic_backups_configured, nowDate(clock))
      .catch((err: unknown) => log.warn('Could not check for stale backups', { error: String(err) }));
    if (this.stopped) return;
    this.dailyTimer = setTimeout(() => void this.daily(), DAY);
    this.dailyTimer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    this.scheduler?.stop();
    if (this.dailyTimer) clearTimeout(this.dailyTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.dailyTimer = null;
    this.retryTimer = null;
  }
}
