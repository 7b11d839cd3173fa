// The engine parts the use cases work with, built once by LifeboatCore.open and shared by them.
// Only the core sees these; front ends see the use cases.

import type { LocationRegistry } from '../agents/location-registry.js';
import type { RetryPolicy } from '../agents/retrying-agent.js';
import type { EntityTracker } from '../entities/entity-tracker.js';
import type { BackupManager } from '../manager/backup-manager.js';
import type { DataFolder } from '../manager/data-folder.js';
import type { HaControl, HaControlSpec } from '../manager/ha-control.js';
import type { NextRunInfo } from '../manager/scheduler.js';
import type { Keyring } from '../settings/keyring.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { NotificationRules } from './notification-rules.js';
import type { Notifier } from './notifier.js';

export interface CoreParts {
  df: DataFolder;
  manager: BackupManager;
  settings: SettingsService;
  keyring: Keyring;
  entities: EntityTracker;
  rules: NotificationRules;
  notifier: Notifier;
  registry: LocationRegistry;
  clock: Clock;
  log: Logger;
  /** Retry policy of the locations' uploads. */
  retry?: Partial<RetryPolicy>;
  /** How restores stop and start Home Assistant, unless a request says otherwise. */
  homeAssistant?: HaControlSpec;
  /** Stops and starts Home Assistant around every restore's swap when no request names another (the add-on: the Supervisor). */
  homeAssistantControl: HaControl | null;
  /** The next automatic backup: from the running scheduler, else as saved. */
  nextRun(): Promise<NextRunInfo>;
  /** Publishes the schedule sensors again (after an automatic backup, a retried copy). */
  publishSchedule(): void;
}
