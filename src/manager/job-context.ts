// What a job (create, restore, receive, a retried copy) needs from the manager: the data folder,
// the locations, the catalogue, the installation's identity, the clock, the keys, each location's
// protection, the event stream, a logger and where the Home Assistant version comes from. All of it is given when the manager is built.

import type { BackupAgent } from '../agents/agent.js';
import type { KeyLock } from '../settings/keyring.js';
import type { Clock } from '../util/clock.js';
import type { Zone } from '../util/time.js';
import type { Logger } from '../util/logger.js';
import type { Catalogue } from './catalogue.js';
import type { CopyDigests } from './copy-digests.js';
import type { DataFolder } from './data-folder.js';
import type { ManagerEvent } from './events.js';
import type { UploadQueue } from './upload-queue.js';
import type { RecorderChoice } from '../source/external-db/recorder-choice.js';

/** What jobs ask of the keyring. */
export interface KeyRules {
  /** The key new backups are encrypted with, or null. */
  readonly current: string | null;
  /** The key that opens a backup (the given password, checked, or one of the keyring's). */
  keyFor(lock: KeyLock, given?: string | null): Promise<string | null>;
}

export interface JobContext {
  df: DataFolder;
  agents: ReadonlyMap<string, BackupAgent>;
  /** The local backup folder, which new backups are written into in place. */
  local: BackupAgent;
  catalogue: Catalogue;
  /** Failed copies to retry in the background. */
  uploadQueue: UploadQueue;
  /** The size and SHA-256 of every copy Lifeboat sent to a location. */
  copies: CopyDigests;
  instanceId: string;
  /** The zone of backup dates (null: this machine's own). */
  timeZone: Zone;
  clock: Clock;
  keys: KeyRules;
  /** A location's `protected` setting (config.agents), undefined when it has none. */
  protectedFor(agentId: string): boolean | undefined;
  emit: (event: ManagerEvent) => void;
  log: Logger;
  /** Aborted when the process is asked to stop: the job abandons its current step cleanly. */
  signal: AbortSignal;
  /** The installed Home Assistant's version (`.HA_VERSION`, or what the Supervisor says), null when unknown. */
  haVersion(): Promise<string | null>;
  /** The recorder database of the installation tree at `root` (Home Assistant's configuration, with Lifeboat's setting applied). */
  recorder(root: string): Promise<RecorderChoice>;
}
