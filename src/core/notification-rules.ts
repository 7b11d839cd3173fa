// When to notify, and what to say: an automatic backup that failed (with the reason and the
// locations), a location that has failed several backups in a row (once per streak), and no
// successful automatic backup for too many days (at most once a day). The counters survive restarts.

import { z } from 'zod';
import type { Logger } from '../util/logger.js';
import type { NotificationSettings } from '../settings/schemas.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import type { DeliveryResult, Notification } from './notifier.js';

const StateSchema = z.object({
  failures: z.record(z.string(), z.number().int()),
  notifiedStreaks: z.array(z.string()),
  lastStaleNotice: z.string().nullable(),
  /** When the check first saw automatic backups configured without any success yet. */
  configuredSince: z.string().nullable().default(null),
});
type State = z.infer<typeof StateSchema>;

const DAY = 86_400_000;

export interface AutomaticOutcome {
  ok: boolean;
  backupId: string | null;
  /** Failure reason code (e.g. `upload_failed`, `disk_full`). */
  reason: string | null;
  /** Human-readable error, if the backup failed as a whole. */
  error: string | null;
  failedAgentIds: string[];
}

export class NotificationRules {
  private constructor(
    private readonly path: string,
    private state: State,
    private readonly settings: () => NotificationSettings,
    private readonly send: (n: Notification) => Promise<DeliveryResult[]>,
    private readonly log: Logger,
  ) {}

  static async open(
    path: string,
    settings: () => NotificationSettings,
    send: (n: Notification) => Promise<DeliveryResult[]>,
    log: Logger,
  ): Promise<NotificationRules> {
    const state = (await readJson(path, StateSchema).catch(() => null)) ?? { failures: {}, notifiedStreaks: [], lastStaleNotice: null, configuredSince: null };
    return new NotificationRules(path, state, settings, send, log);
  }

  private async deliver(n: Notification): Promise<DeliveryResult[]> {
    const results = await this.send(n);
    for (const r of results) {
      if (!r.ok) this.log.warn(`Could not deliver the ${n.kind} notification by ${r.channel}`, { error: r.error });
    }
    return results;
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.path, this.state);
  }

  async automaticBackupFinished(outcome: AutomaticOutcome): Promise<void> {
    if (outcome.ok && outcome.failedAgentIds.length === 0) return;
    const where = outcome.failedAgentIds.length ? ` Locations that failed: ${outcome.failedAgentIds.join(', ')}.` : '';
    const why = outcome.error ? ` ${outcome.error}` : '';
    await this.deliver({
      kind: 'automatic_backup_failed',
      title: 'Automatic backup failed',
      message: `The automatic backup failed (${outcome.reason ?? 'unknown_error'}).${why}${where}`.trim(),
      priority: 'high',
      data: { reason: outcome.reason, error: outcome.error, backup_id: outcome.backupId, failed_agent_ids: outcome.failedAgentIds },
    });
  }

  /** Records each location's outcome for one backup; notifies when one keeps failing. */
  async locationResults(results: Record<string, boolean>): Promise<void> {
    const threshold = this.settings().failing_location_after;
    for (const [agentId, ok] of Object.entries(results)) {
      if (ok) {
        delete this.state.failures[agentId];
        this.state.notifiedStreaks = this.state.notifiedStreaks.filter((a) => a !== agentId);
        continue;
      }
      const count = (this.state.failures[agentId] ?? 0) + 1;
      this.state.failures[agentId] = count;
      if (count >= threshold && !this.state.notifiedStreaks.includes(agentId)) {
        this.state.notifiedStreaks.push(agentId);
        await this.deliver({
          kind: 'location_failing',
          title: `Backup location ${agentId} keeps failing`,
          message: `The last ${count} backups could not be stored in ${agentId}. Check that it is reachable and its credentials are valid.`,
          priority: 'high',
          data: { agent_id: agentId, consecutive_failures: count },
        });
      }
    }
    await this.save();
  }

  /** Notifies (at most daily) when no automatic backup has succeeded for the configured days. */
  async checkStaleness(lastCompleted: string | null, configured: boolean, now: Date): Promise<void> {
    const days = this.settings().no_success_days;
    if (!days || !configured) return;
    let since = lastCompleted ? Date.parse(lastCompleted) : Number.NaN;
    if (Number.isNaN(since)) {
      // Never succeeded: count the days from when this was first seen, not from the beginning of time.
      if (!this.state.configuredSince) {
        this.state.configuredSince = now.toISOString();
        await this.save();
      }
      since = Date.parse(this.state.configuredSince);
    }
    if (now.getTime() - since <= days * DAY) return;
    const previous = this.state.lastStaleNotice ? Date.parse(this.state.lastStaleNotice) : 0;
    if (now.getTime() - previous < DAY) return;
    this.state.lastStaleNotice = now.toISOString();
    await this.save();
    await this.deliver({
      kind: 'no_recent_success',
      title: 'No recent backup',
      message: lastCompleted
        ? `No automatic backup has succeeded for more than ${days} days (the last one: ${lastCompleted}).`
        : `No automatic backup has succeeded yet, and automatic backups were configured more than ${days} days ago or have never run.`,
      priority: 'high',
      data: { last_completed_automatic_backup: lastCompleted, days },
    });
  }
}
