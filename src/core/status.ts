// What Lifeboat is doing and has done, as every front end shows it: the manager's state and last
// events, the Backup entities (Home Assistant state objects) and their changes, the event stream,
// the next automatic backup, and this installation's identity and own settings.

import type { EntityState, StateChange } from '../entities/entity-tracker.js';
import type { HaManagerEvent, ManagerEvent, ManagerState } from '../manager/events.js';
import type { NextRunInfo } from '../manager/scheduler.js';
import { readCoreConfig, type CoreConfig } from '../source/installation-info.js';
import type { CoreParts } from './parts.js';

export interface RecorderDatabaseInfo {
  kind: 'sqlite' | 'server' | 'off' | 'unknown';
  description: string;
  /** Where the address came from: a file of the installation, or `Lifeboat settings`. */
  source: string | null;
  error: string | null;
}

/** What the next backup includes of the recorder database, as front ends show it. */
export async function recorderDatabaseInfo(parts: CoreParts): Promise<RecorderDatabaseInfo> {
  const choice = await parts.manager.recorder();
  if (choice.kind === 'unknown') return { kind: 'unknown', description: choice.description, source: null, error: choice.error };
  return { kind: choice.kind, description: choice.description, source: choice.source, error: null };
}

export class Status {
  constructor(private readonly parts: CoreParts) {}

  get state(): ManagerState {
    return this.parts.manager.state;
  }

  get lastEvent(): HaManagerEvent {
    return this.parts.manager.lastEvent;
  }

  get lastActionEvent(): HaManagerEvent | null {
    return this.parts.manager.lastActionEvent;
  }

  /** The installation (Home Assistant's config folder). */
  get installation(): string {
    return this.parts.df.installation;
  }

  /** Lifeboat's data folder for this installation (state files of the front ends live there too). */
  get dataFolder(): string {
    return this.parts.df.root;
  }

  /** The installation's instance id (Home Assistant's, or one Lifeboat keeps). */
  get instanceId(): string {
    return this.parts.manager.instanceId;
  }

  /**
   * The installation's own settings (Home Assistant's `.storage/core.config`: name, location,
   * units, time zone, language), as far as it has them; null when it has none.
   */
  installationSettings(): Promise<CoreConfig | null> {
    return readCoreConfig(this.parts.df.installation);
  }

  /**
   * The recorder database the next backup includes: `sqlite` (a file in the installation),
   * `server` (a MariaDB/MySQL or PostgreSQL database, dumped), `off` (one the settings leave out),
   * `unknown` (the configuration could not be read). Never with credentials.
   */
  recorderDatabase(): Promise<RecorderDatabaseInfo> {
    return recorderDatabaseInfo(this.parts);
  }

  /** The key fingerprint of new encrypted backups, or null. */
  get keyFingerprint(): string | null {
    return this.parts.keyring.currentFingerprint;
  }

  nextRun(): Promise<NextRunInfo> {
    return this.parts.nextRun();
  }

  entities(): EntityState[] {
    return this.parts.entities.all();
  }

  entity(entityId: string): EntityState | undefined {
    return this.parts.entities.get(entityId);
  }

  /** Follows every change of an entity's state. */
  onEntityChange(listener: (change: StateChange) => void): () => void {
    return this.parts.entities.changes.subscribe(listener);
  }

  /** Follows the manager's event stream (Home Assistant's events and Lifeboat's progress). */
  onEvent(listener: (event: ManagerEvent) => void): () => void {
    return this.parts.manager.events.subscribe(listener);
  }

  /** Takes in the entity states another process (a command) saved. */
  reloadEntities(): Promise<void> {
    return this.parts.entities.reload();
  }
}
