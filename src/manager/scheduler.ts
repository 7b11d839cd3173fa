// The automatic-backup timer: asks the pure schedule policy for the next run, publishes it the
// moment it changes (settings change, run fired, start-up), keeps it across restarts, and starts an
// automatic backup when the wall clock reaches it.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { effectivePattern, nextRun } from '../policy/schedule.js';
import type { BackupConfig } from '../settings/schemas.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { EventBus } from '../util/event-bus.js';
import type { Logger } from '../util/logger.js';
import { nowDate, type Clock } from '../util/clock.js';
import { formatIsoLocal, instantFromDate } from '../util/time.js';

const MAX_TIMER = 2 ** 31 - 1;

const StateSchema = z.object({
  schedule_hash: z.string(),
  next: z.string().nullable(),
  additional: z.boolean(),
  seed: z.string().nullable(),
});

export interface NextRunInfo {
  /** The next automatic backup (ISO 8601 with the schedule's UTC offset, e.g. `…T04:45:00+02:00`), or null. */
  next: string | null;
  additional: boolean;
}

export interface SchedulerOptions {
  statePath: string;
  config: () => BackupConfig;
  timeZone: () => string;
  clock: Clock;
  random?: () => number;
  log: Logger;
  /** Starts the automatic backup; errors are logged, never thrown into the timer. */
  run: () => Promise<void>;
}

/** The next run as Home Assistant reports it: local time in the schedule's zone, with its offset. */
function runTime(next: Date | null, timeZone: string): string | null {
  return next ? formatIsoLocal(instantFromDate(next), timeZone) : null;
}

function scheduleHash(config: BackupConfig, timeZone: string): string {
  return createHash('sha256').update(JSON.stringify({ s: config.schedule, tz: timeZone })).digest('hex').slice(0, 16);
}

/**
 * The next run as a process that does not run the timer sees it: the one `lifeboat serve` saved,
 * when it still applies, otherwise what the schedule gives now. The time zone is asked for only
 * when something is scheduled or saved (resolving the machine's zone loads the runtime's time zone
 * data, several MiB, which a command that never looks at times does without).
 */
export async function previewNextRun(statePath: string, config: BackupConfig, timeZoneOf: () => string, now: Date): Promise<NextRunInfo> {
  const saved = await readJson(statePath, StateSchema).catch(() => null);
  if (saved && saved.schedule_hash === scheduleHash(config, timeZoneOf()) && saved.next && Date.parse(saved.next) > now.getTime()) {
    return { next: saved.next, additional: saved.additional };
  }
  if (!effectivePattern(config.schedule)) return { next: null, additional: false };
  const timeZone = timeZoneOf();
  const r = nextRun({
    schedule: config.schedule,
    now,
    timeZone,
    seed: null,
    lastCompleted: config.last_completed_automatic_backup ? new Date(config.last_completed_automatic_backup) : null,
    random: () => 0,
  });
  return { next: runTime(r.next, timeZone), additional: r.additional };
}

export class Scheduler {
  readonly changes = new EventBus<NextRunInfo>();
  private info: NextRunInfo = { next: null, additional: false };
  private seed: Date | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly random: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.random = opts.random ?? Math.random;
  }

  private now(): Date {
    return nowDate(this.opts.clock);
  }

  get current(): NextRunInfo {
    return this.info;
  }

  /** Restores the saved next run when the schedule is unchanged and the run still lies ahead. */
  async start(): Promise<void> {
    const saved = await readJson(this.opts.statePath, StateSchema).catch(() => null);
    const hash = scheduleHash(this.opts.config(), this.opts.timeZone());
    if (saved && saved.schedule_hash === hash && saved.next && Date.parse(saved.next) > this.now().getTime()) {
      this.seed = saved.seed ? new Date(saved.seed) : null;
      await this.publish({ next: saved.next, additional: saved.additional });
      this.arm();
      return;
    }
    this.seed = saved && saved.schedule_hash === hash && saved.seed ? new Date(saved.seed) : null;
    await this.compute();
  }

  /** The schedule changed: start a fresh iterator and publish the new next run at once. */
  async reschedule(): Promise<void> {
    this.seed = null;
    await this.compute();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async compute(): Promise<void> {
    const config = this.opts.config();
    const lastCompleted = config.last_completed_automatic_backup ? new Date(config.last_completed_automatic_backup) : null;
    const result = nextRun({
      schedule: config.schedule,
      now: this.now(),
      timeZone: this.opts.timeZone(),
      seed: this.seed,
      lastCompleted,
      random: this.random,
    });
    this.seed = result.seed;
    await this.publish({ next: runTime(result.next, this.opts.timeZone()), additional: result.additional });
    this.arm();
  }

  private async publish(info: NextRunInfo): Promise<void> {
    this.info = info;
    await writeJsonAtomic(this.opts.statePath, {
      schedule_hash: scheduleHash(this.opts.config(), this.opts.timeZone()),
      next: info.next,
      additional: info.additional,
      seed: this.seed ? this.seed.toISOString() : null,
    }).catch((err: unknown) => this.opts.log.warn('Could not save the schedule state', { error: String(err) }));
    this.changes.emit(info);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || !this.info.next) return;
    const delay = Date.parse(this.info.next) - this.now().getTime();
    this.timer = setTimeout(() => void this.fire(), Math.max(0, Math.min(delay, MAX_TIMER)));
    this.timer.unref?.();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (this.stopped || !this.info.next) return;
    if (Date.parse(this.info.next) > this.now().getTime() + 500) {
      this.arm(); // woke early (long delay capped, or the clock moved): wait again
      return;
    }
    await this.compute();
    try {
      await this.opts.run();
    } catch (err) {
      this.opts.log.error('The automatic backup could not run', { error: (err as Error).message });
    }
  }
}
