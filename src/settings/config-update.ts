// Home Assistant's `backup/config/update` semantics as a pure function: agents merged per agent
// (new entries protected by default), create_backup merged shallowly, retention and schedule
// replaced as a whole (missing keys reset), flags set. It reports what changed, so callers can
// re-arm the schedule or retention only when needed. The password is returned, never stored here;
// the placeholder the APIs show instead of the key means "unchanged" when a client sends it back.

import { type BackupConfig, type ConfigUpdate, type Retention } from './schemas.js';
import { formatTime, parseTime } from '../policy/schedule.js';
import { REDACTED } from '../util/log-redaction.js';

export interface UpdateResult {
  config: BackupConfig;
  scheduleChanged: boolean;
  retentionChanged: boolean;
  agentIdsChanged: boolean;
  /** undefined: not in the update; string: set this key; null: automatic backups unencrypted. */
  password: string | null | undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Times are stored as Home Assistant stores them: `HH:MM:SS`. */
function normaliseTime(time: string | null): string | null {
  if (time === null) return null;
  const parsed = parseTime(time);
  return parsed ? formatTime(parsed) : time;
}

/** A retention as given: the keys not sent are null (no limit of that kind). */
function fullRetention(given: { copies?: number | null; days?: number | null }): Retention {
  return { copies: given.copies ?? null, days: given.days ?? null };
}

export function applyConfigUpdate(current: BackupConfig, update: ConfigUpdate): UpdateResult {
  const config: BackupConfig = structuredClone(current);
  if (update.agents) {
    for (const [id, change] of Object.entries(update.agents)) {
      const existing = config.agents[id];
      // An agent's retention object, even one with no limits, replaces the global one for it; null follows the global one.
      const retention = change.retention === undefined ? undefined : change.retention && fullRetention(change.retention);
      config.agents[id] = existing
        ? { protected: change.protected ?? existing.protected, retention: retention !== undefined ? retention : existing.retention }
        : { protected: change.protected ?? true, retention: retention ?? null };
    }
  }
  let password: string | null | undefined;
  if (update.create_backup) {
    const { password: pw, ...rest } = update.create_backup;
    Object.assign(config.create_backup, rest);
    // The APIs show REDACTED instead of the key, and Home Assistant's frontend sends the config it
    // was shown back on save: that password keeps the key.
    if (pw !== undefined && pw !== REDACTED) {
      password = pw;
      config.create_backup.encrypted = pw !== null;
    }
  }
  if (update.retention) config.retention = fullRetention(update.retention);
  if (update.schedule) {
    config.schedule = {
      recurrence: update.schedule.recurrence ?? 'never',
      days: update.schedule.days ?? [],
      time: normaliseTime(update.schedule.time ?? null),
      cron: update.schedule.cron ?? null,
    };
  }
  if (update.automatic_backups_configured !== undefined) config.automatic_backups_configured = update.automatic_backups_configured;
  if (update.generational !== undefined) config.generational = update.generational;
  if (update.time_zone !== undefined) config.time_zone = update.time_zone;
  if (update.excludes !== undefined) config.excludes = update.excludes;
  if (update.allowed_hosts !== undefined) config.allowed_hosts = update.allowed_hosts;
  if (update.recorder_database !== undefined) config.recorder_database = update.recorder_database;
  if (update.notifications) {
    const { webhook_url: webhook, ntfy_url: ntfy, ...rest } = update.notifications;
    config.notifications = { ...config.notifications, ...rest };
    if (webhook !== undefined && webhook !== REDACTED) config.notifications.webhook_url = webhook;
    if (ntfy !== undefined && ntfy !== REDACTED) config.notifications.ntfy_url = ntfy;
  }
  return {
    config,
    scheduleChanged: !same(config.schedule, current.schedule) || config.time_zone !== current.time_zone,
    retentionChanged:
      !same(config.retention, current.retention) ||
      !same(config.generational, current.generational) ||
      !same(
        Object.fromEntries(Object.entries(config.agents).map(([k, v]) => [k, v.retention])),
        Object.fromEntries(Object.entries(current.agents).map(([k, v]) => [k, v.retention])),
      ),
    agentIdsChanged: update.create_backup?.agent_ids !== undefined,
    password,
  };
}
