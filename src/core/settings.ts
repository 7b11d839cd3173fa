// The settings as a use case: read them (the config as every API shows it — the key never, only
// whether one is used), change them with Home Assistant's `backup/config/update` semantics, and
// the MQTT connection's settings and password. Changes made by other processes are taken in by
// `refresh`, and every change is announced to subscribers.

import type { MqttSettings, BackupConfig } from '../settings/schemas.js';
import type { SettingsChange } from '../settings/settings-service.js';
import { describeSchedule } from '../policy/schedule.js';
import { REDACTED } from '../util/log-redaction.js';
import type { CoreParts } from './parts.js';
import { recorderDatabaseInfo } from './status.js';
import { parseDbUrl } from '../source/recorder-config.js';

export { AllowedHostSchema, RecorderDatabaseModeSchema } from '../settings/schemas.js';

/** The name of the MQTT broker's credentials in the secrets file. */
const MQTT_SECRETS = 'mqtt';
/** The name of the recorder database's own address (it may hold a password) in the secrets file. */
export const RECORDER_SECRETS = 'recorder';

export class Settings {
  constructor(private readonly parts: CoreParts) {}

  get config(): BackupConfig {
    return this.parts.settings.config;
  }

  /** The names `serve` answers to besides loopback and its listen address (the allowed_hosts setting). */
  get allowedHosts(): readonly string[] {
    return this.parts.settings.config.allowed_hosts;
  }

  /** The time zone of schedules and backup dates. */
  get timeZone(): string {
    return this.parts.settings.timeZone;
  }

  /** Follows every change (this process's and, after refresh, other processes'). */
  onChange(listener: (change: SettingsChange) => void): () => void {
    return this.parts.settings.changes.subscribe(listener);
  }

  /** The schedule in words, e.g. "daily at 04:45". */
  describeSchedule(): string {
    return describeSchedule(this.config.schedule);
  }

  /**
   * The config as the APIs show it (Home Assistant's backup/config/info shape, plus Lifeboat's
   * extras). The notification URLs carry their own secret (a webhook's id, an ntfy topic): only
   * `withSecrets` (an admin, who may change them) sees them; others see REDACTED where one is set.
   */
  async publicConfig(opts: { withSecrets: boolean }): Promise<Record<string, unknown>> {
    const { settings, keyring } = this.parts;
    const config = settings.config;
    const planned = await this.parts.nextRun();
    const { encrypted, ...createBackup } = config.create_backup;
    const hidden = (url: string | null) => (url === null || opts.withSecrets ? url : REDACTED);
    return {
      ...config,
      notifications: { ...config.notifications, webhook_url: hidden(config.notifications.webhook_url), ntfy_url: hidden(config.notifications.ntfy_url) },
      create_backup: { ...createBackup, password: encrypted && keyring.current ? REDACTED : null },
      next_automatic_backup: planned.next,
      next_automatic_backup_additional: planned.additional,
      lifeboat: { key_fingerprint: keyring.currentFingerprint, time_zone: settings.timeZone, recorder_database: await recorderDatabaseInfo(this.parts) },
    };
  }

  /** Applies a `backup/config/update` payload (validated: a zod error says what is wrong). */
  update(payload: unknown): Promise<SettingsChange> {
    return this.parts.settings.update(payload);
  }

  /** Takes in what another process saved (settings or keys). */
  refresh(): Promise<void> {
    return this.parts.settings.refresh();
  }

  /** Saves the MQTT settings. */
  async setMqtt(mqtt: MqttSettings): Promise<void> {
    await this.parts.settings.replace((saved) => ({ ...saved, mqtt }));
  }

  /** Saves the MQTT broker's password (kept in the secrets file), or with null forgets it. */
  async setMqttPassword(password: string | null): Promise<void> {
    await this.parts.settings.setIntegrationSecrets(MQTT_SECRETS, password === null ? null : { password });
  }

  /** Saves the recorder database's address for the `custom` setting (checked first), or with null forgets it. */
  async setRecorderUrl(url: string | null): Promise<void> {
    if (url !== null) parseDbUrl(url, this.parts.df.installation);
    await this.parts.settings.setIntegrationSecrets(RECORDER_SECRETS, url === null ? null : { db_url: url });
  }

  /** The MQTT broker's password as saved now (read again: another process may have changed it). */
  async mqttPassword(): Promise<string | null> {
    const secrets = this.parts.settings.secrets;
    await secrets.reload().catch(() => undefined);
    return secrets.integrationSecrets(MQTT_SECRETS).password ?? null;
  }
}
