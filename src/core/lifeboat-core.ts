// The application core: the one door every front end (the API server, the commands, MQTT,
// metrics) goes through. It is built once for an installation from its dependencies — clock,
// logger, notifier, the kinds of location — and offers the use cases: backups, creating,
// restoring, receiving, downloading, verifying, looking inside a backup, retention, settings, keys,
// locations, status, tokens, onboarding, notifications. Commands open it briefly; `lifeboat serve`
// starts its services too.

import { join } from 'node:path';
import { createLocalAgent } from '../agents/local-location.js';
import { LOCATION_REGISTRY, type LocationRegistry } from '../agents/location-registry.js';
import type { RetryPolicy } from '../agents/retrying-agent.js';
import { EntityTracker } from '../entities/entity-tracker.js';
import { BackupManager } from '../manager/backup-manager.js';
import type { HaControl, HaControlSpec } from '../manager/ha-control.js';
import { haControlFor } from '../manager/ha-control-choice.js';
import { dataFolder } from '../manager/data-folder.js';
import { ensureDataFolder } from '../manager/data-folder-guard.js';
import { Keyring } from '../settings/keyring.js';
import { SettingsService } from '../settings/settings-service.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BackupFiles } from './backup-files.js';
import { Backups } from './backups.js';
import { CreateBackup } from './create-backup.js';
import { Keys } from './keys.js';
import { LocationAgents } from './location-agents.js';
import { Locations } from './locations.js';
import { NotificationRules } from './notification-rules.js';
import { Notifications } from './notifications.js';
import { silentNotifier, type Notifier } from './notifier.js';
import { Onboarding } from './onboarding.js';
import { Downloads } from './open-download.js';
import type { CoreParts } from './parts.js';
import { ReceiveUpload } from './receive-upload.js';
import { RestoreBackup } from './restore-backup.js';
import { Retention } from './retention.js';
import { Services } from './services.js';
import { RECORDER_SECRETS, Settings } from './settings.js';
import { Status } from './status.js';
import { SignInLinks } from './sign-in-links.js';
import { tokenStoreAt, type TokenStore } from './tokens.js';
import { VerifyBackup } from './verify-backup.js';

export interface CoreOptions {
  /** The installation (Home Assistant's config folder). */
  installation: string;
  /** Lifeboat's data folder; default outside the installation (see defaultDataRoot). */
  data?: string;
  /** The local backup folder; default `<installation>/backups`. */
  backupsDir?: string;
  log?: Logger;
  clock?: Clock;
  random?: () => number;
  /** Delivers notifications; without one, none are sent. */
  notifier?: Notifier;
  /** The kinds of backup location (default: folder, s3, sftp, webdav). */
  registry?: LocationRegistry;
  /** Retry policy of the locations' uploads (tests shorten it). */
  retry?: Partial<RetryPolicy>;
  /** How often `serve` looks for failed copies that are due for another try. */
  uploadRetryIntervalMs?: number;
  /** How restores stop and start Home Assistant (its container, commands); default: they leave it alone. */
  homeAssistant?: HaControlSpec;
  /** Stops and starts Home Assistant around a restore's swap, given as an object (the add-on: the Supervisor); wins over `homeAssistant`. */
  homeAssistantControl?: HaControl;
  /** Called after a backup file was written, moved or removed in the local backup folder. */
  onLocalChange?: () => void;
  /** Where the Home Assistant version comes from; the installation's `.HA_VERSION` when it knows none. */
  haVersion?: () => Promise<string | null>;
}

export class LifeboatCore {
  readonly backups: Backups;
  readonly create: CreateBackup;
  readonly restore: RestoreBackup;
  readonly receive: ReceiveUpload;
  readonly downloads: Downloads;
  readonly verify: VerifyBackup;
  /** What is inside a backup: its files, one file's bytes, and what differs from another or from the installation. */
  readonly files: BackupFiles;
  readonly retention: Retention;
  readonly settings: Settings;
  readonly keys: Keys;
  readonly locations: Locations;
  readonly status: Status;
  readonly tokens: TokenStore;
  readonly onboarding: Onboarding;
  readonly signInLinks: SignInLinks;
  readonly notifications: Notifications;
  private readonly services: Services;

  private constructor(
    private readonly parts: CoreParts,
    private readonly liveLocations: LocationAgents,
    options: CoreOptions,
  ) {
    this.backups = new Backups(parts);
    this.retention = new Retention(parts);
    this.create = new CreateBackup(parts, this.retention);
    this.restore = new RestoreBackup(parts);
    this.receive = new ReceiveUpload(parts);
    this.downloads = new Downloads(parts, this.restore);
    this.verify = new VerifyBackup(parts);
    this.files = new BackupFiles(parts);
    this.settings = new Settings(parts);
    this.keys = new Keys(parts);
    this.locations = new Locations(parts);
    this.status = new Status(parts);
    this.tokens = tokenStoreAt(parts.df.root);
    this.onboarding = new Onboarding(parts, this.tokens);
    this.signInLinks = new SignInLinks(this.tokens, parts.clock);
    this.notifications = new Notifications(parts);
    this.services = new Services(parts, this.create, this.retention, { random: options.random, uploadRetryIntervalMs: options.uploadRetryIntervalMs });
  }

  static async open(options: CoreOptions): Promise<LifeboatCore> {
    const log = options.log ?? silentLogger;
    const clock = options.clock ?? systemClock;
    const notifier = options.notifier ?? silentNotifier;
    const registry = options.registry ?? LOCATION_REGISTRY;
    const df = dataFolder(options.installation, options.data, options.backupsDir);
    await ensureDataFolder(df, log);
    const settings = await SettingsService.open({ settings: df.settings, secrets: df.secrets }, clock);
    const keyring = new Keyring(settings.secrets);
    const manager = await BackupManager.open({
      df,
      local: createLocalAgent(df.backups, { clock, log, onChange: options.onLocalChange }),
      timeZone: () => settings.zone,
      clock,
      keys: keyring,
      protectedFor: (agentId) => settings.config.agents[agentId]?.protected,
      log,
      random: options.random,
      haVersion: options.haVersion,
      controlFor: (spec) => (spec ? haControlFor(spec, log) : (options.homeAssistantControl ?? null)),
      recorderSetting: async () => {
        await settings.secrets.reload().catch(() => undefined);
        return { mode: settings.config.recorder_database, customUrl: settings.secrets.integrationSecrets(RECORDER_SECRETS).db_url ?? null };
      },
    });
    const entities = await EntityTracker.open(join(df.root, 'entities.json'), clock);
    const rules = await NotificationRules.open(
      join(df.root, 'notifications.json'),
      () => settings.config.notifications,
      (n) => notifier.send(settings.config.notifications, n),
      log,
    );
    // The services are made with the core; the parts reach them through this late binding.
    let core: LifeboatCore | null = null;
    const parts: CoreParts = {
      df,
      manager,
      settings,
      keyring,
      entities,
      rules,
      notifier,
      registry,
      clock,
      log,
      retry: options.retry,
      homeAssistant: options.homeAssistant,
      homeAssistantControl: options.homeAssistantControl ?? null,
      nextRun: () => (core as LifeboatCore).services.nextRun(),
      publishSchedule: () => (core as LifeboatCore).publishSchedule(),
    };
    const live = new LocationAgents(manager, {
      secretsPath: df.secrets,
      registry,
      clock,
      log,
      retry: options.retry,
    });
    core = new LifeboatCore(parts, live, options);
    await core.wire();
    return core;
  }

  private async wire(): Promise<void> {
    const { manager, settings, entities, log } = this.parts;
    // Only events of operations this process runs are published; its own start-up "idle" is not
    // (a command must not announce idle while `serve` is busy). startServices publishes it.
    manager.events.subscribe((e) => entities.onManagerEvent(e));
    this.publishSchedule();
    settings.changes.subscribe((change) => {
      if (change.scheduleChanged) this.services.scheduleChanged();
      else this.publishSchedule();
    });
    let last = JSON.stringify(settings.config.locations);
    await this.liveLocations.sync(settings.config.locations);
    settings.changes.subscribe((change) => {
      const now = JSON.stringify(change.config.locations);
      if (now === last) return;
      last = now;
      void this.liveLocations.sync(change.config.locations).catch((err: unknown) => log.warn('Could not update the backup locations', { error: String(err) }));
    });
  }

  /** Publishes the next run and the last automatic backup times on the entities. */
  private publishSchedule(): void {
    const { settings, entities } = this.parts;
    const config = settings.config;
    void this.services.nextRun().then((info) =>
      entities.onSchedule({
        next: info.next,
        lastAttempted: config.last_attempted_automatic_backup,
        lastCompleted: config.last_completed_automatic_backup,
      }),
    );
  }

  /** The clock the core was built with: front ends read time from it too. */
  get clock(): Clock {
    return this.parts.clock;
  }

  get log(): Logger {
    return this.parts.log;
  }

  /** Starts the long-running parts: the schedule, retention at start-up and every day, retries of failed copies. */
  startServices(): Promise<void> {
    return this.services.start();
  }

  /** Tries again the copies that failed and are due (`serve` does it on a timer). */
  retryFailedUploads(): Promise<void> {
    return this.services.retryFailedUploads();
  }

  /** Asks the running job to abandon its current step cleanly; resolves when it has settled. */
  abort(): Promise<void> {
    return this.parts.manager.abort();
  }

  /** Stops the services, closes the locations and saves the entity states. */
  async close(): Promise<void> {
    this.services.stop();
    await this.liveLocations.close();
    await this.parts.entities.flush();
  }
}
