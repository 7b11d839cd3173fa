// Settings at runtime: the saved config and the secrets, updated with Home Assistant's semantics,
// saved atomically, with the encryption key generated when automatic backups are first configured,
// and a change stream so the schedule and the published next run follow every change at once.
// Other processes (`lifeboat settings update`, `lifeboat key rotate` beside `lifeboat serve`) write
// the same files: every change holds a lock file and starts from what is on disk, and `refresh`
// takes their changes in.

import { Turns } from '../util/concurrency.js';
import { EventBus } from '../util/event-bus.js';
import { withFileLock } from '../util/file-lock.js';
import { localTimeZone, type Zone } from '../util/time.js';
import { nowDate, systemClock, type Clock } from '../util/clock.js';
import { applyConfigUpdate, type UpdateResult } from './config-update.js';
import { generateKey, keyFingerprint } from './encryption-key.js';
import { BackupConfigSchema, ConfigUpdateSchema, type BackupConfig, type LocationConfig } from './schemas.js';
import { SecretsStore } from './secrets-store.js';
import { loadSettings, saveSettings } from './settings-store.js';

/** A settings change takes milliseconds: a lock held for longer than this was left behind. */
const SETTINGS_LOCK_MAX_HOLD_MS = 120_000;

export interface SettingsChange extends Omit<UpdateResult, 'password' | 'config'> {
  config: BackupConfig;
  keyChanged: boolean;
}

export class SettingsService {
  readonly changes = new EventBus<SettingsChange>();

  private constructor(
    private readonly path: string,
    private current: BackupConfig,
    readonly secrets: SecretsStore,
    private readonly clock: Clock,
  ) {}

  static async open(paths: { settings: string; secrets: string }, clock: Clock = systemClock): Promise<SettingsService> {
    return new SettingsService(paths.settings, await loadSettings(paths.settings), await SecretsStore.open(paths.secrets), clock);
  }

  private now(): Date {
    return nowDate(this.clock);
  }

  get config(): BackupConfig {
    return this.current;
  }

  /** The time zone by name, as the APIs show it and schedules use it: the configured one, else this machine's. */
  get timeZone(): string {
    return this.current.time_zone ?? localTimeZone();
  }

  /**
   * The same zone to compute dates in: null when none is configured, for this machine's own, which
   * then needs no Intl time-zone data (a backup or restore process stays a few MiB smaller).
   */
  get zone(): Zone {
    return this.current.time_zone;
  }

  /** The key used for automatic backups, or null when they are not encrypted. */
  get automaticPassword(): string | null {
    return this.current.create_backup.encrypted ? this.secrets.currentKey : null;
  }

  get keyFingerprint(): string | null {
    const key = this.secrets.currentKey;
    return key ? keyFingerprint(key) : null;
  }

  /** Applies a `backup/config/update` payload (validated here) and saves it. */
  async update(payload: unknown): Promise<SettingsChange> {
    return this.serial(async () => {
      const update = ConfigUpdateSchema.parse(payload);
      const result = applyConfigUpdate(this.current, update);
      let keyChanged = false;
      if (typeof result.password === 'string') {
        keyChanged = this.secrets.currentKey !== result.password;
        await this.secrets.setKey(result.password, this.now());
      }
      // Encryption is on by default once automatic backups are configured: make the key then.
      if (result.config.automatic_backups_configured && !this.current.automatic_backups_configured && result.password === undefined) {
        if (!this.secrets.currentKey) {
          await this.secrets.setKey(generateKey(), this.now());
          keyChanged = true;
        }
        result.config.create_backup.encrypted = true;
      }
      return this.commit(result.config, { ...result, keyChanged });
    });
  }

  /** Replaces the key with a new one; older keys stay in the keyring for older backups. */
  async rotateKey(): Promise<string> {
    return this.serial(async () => {
      const key = generateKey();
      await this.secrets.setKey(key, this.now());
      await this.commit({ ...this.current, create_backup: { ...this.current.create_backup, encrypted: true } }, {
        scheduleChanged: false,
        retentionChanged: false,
        agentIdsChanged: false,
        keyChanged: true,
      });
      return key;
    });
  }

  /** Records an automatic backup's attempt time, or its completion time and the backup's id. */
  async recordAutomatic(field: 'last_attempted_automatic_backup' | 'last_completed_automatic_backup', at: string, backupId: string | null = null): Promise<void> {
    const id = field === 'last_completed_automatic_backup' ? { last_completed_automatic_backup_id: backupId } : {};
    return this.serial(async () => {
      await this.commit({ ...this.current, [field]: at, ...id }, { scheduleChanged: false, retentionChanged: false, agentIdsChanged: false, keyChanged: false });
    });
  }

  /**
   * Replaces the list of backup locations (their credentials are kept in the secrets file). Given a
   * function, it is applied to the list as saved, under the lock, so no other change is lost.
   */
  async setLocations(locations: LocationConfig[] | ((saved: LocationConfig[]) => LocationConfig[])): Promise<void> {
    return this.serial(async () => {
      const next = typeof locations === 'function' ? locations(this.current.locations) : locations;
      await this.commit({ ...this.current, locations: next }, { scheduleChanged: false, retentionChanged: false, agentIdsChanged: false, keyChanged: false });
    });
  }

  /** Saves (or with null forgets) a location's credentials. */
  async setLocationSecrets(agentId: string, secrets: Record<string, string> | null): Promise<void> {
    return this.serial(() => this.secrets.setLocationSecrets(agentId, secrets));
  }

  /** Saves (or with null forgets) an integration's credentials. */
  async setIntegrationSecrets(name: string, secrets: Record<string, string> | null): Promise<void> {
    return this.serial(() => this.secrets.setIntegrationSecrets(name, secrets));
  }

  /**
   * Replaces the whole config (a restored installation brings its own settings back). Given a
   * function, it is applied to the config as saved, under the lock: the way to change a part of it.
   */
  async replace(config: BackupConfig | ((saved: BackupConfig) => BackupConfig)): Promise<void> {
    return this.serial(async () => {
      const next = typeof config === 'function' ? config(this.current) : config;
      await this.commit(next, { scheduleChanged: true, retentionChanged: true, agentIdsChanged: true, keyChanged: false });
    });
  }

  /** Takes in what another process saved (settings or key) and announces it as a change. */
  async refresh(): Promise<void> {
    return this.serial(async () => undefined);
  }

  private async adoptSaved(): Promise<void> {
    const saved = await loadSettings(this.path);
    const key = this.secrets.currentKey;
    await this.secrets.reload();
    const keyChanged = this.secrets.currentKey !== key;
    const same = (a: BackupConfig, b: BackupConfig) => JSON.stringify(BackupConfigSchema.parse(a)) === JSON.stringify(BackupConfigSchema.parse(b));
    if (same(saved, this.current) && !keyChanged) return;
    this.current = saved;
    this.changes.emit({ config: saved, scheduleChanged: true, retentionChanged: true, agentIdsChanged: true, keyChanged });
  }

  private readonly turns = new Turns();

  /**
   * Changes run one after another, each on the result of the previous one and on what other
   * processes saved before it, holding the settings lock file so that no other process reads or
   * writes the files in between (no lost updates).
   */
  private serial<T>(change: () => Promise<T>): Promise<T> {
    return this.turns.run(() =>
      withFileLock(
        `${this.path}.lock`,
        async () => {
          await this.adoptSaved();
          return change();
        },
        { what: "Lifeboat's settings", maxHoldMs: SETTINGS_LOCK_MAX_HOLD_MS },
      ),
    );
  }

  private async commit(config: BackupConfig, flags: Omit<SettingsChange, 'config'>): Promise<SettingsChange> {
    await saveSettings(this.path, config);
    this.current = config;
    const change = { ...flags, config };
    this.changes.emit(change);
    return change;
  }
}
