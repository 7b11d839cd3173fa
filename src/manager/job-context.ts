// What a job (create, restore, receive) needs from the manager: the data folder, the locations,
// the catalogue, the installation's identity, the clock, the event stream and a logger.

import type { BackupAgent } from '../agents/agent.js';
import type { LocalFolderAgent } from '../agents/local-agent.js';
import type { Catalogue } from './catalogue.js';
import type { UploadQueue } from './upload-queue.js';
import type { DataFolder } from './data-folder.js';
import type { ManagerEvent } from './events.js';
import type { Instant } from '../util/time.js';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface ManagerHooks {
  /** Runs in the `cleaning_up` stage of every successful write (retention's count purge). */
  afterCreate?: (result: import('./create-job.js').CreateResult, targets: string[]) => Promise<void>;
  /** A location's `protected` setting (config.agents), undefined when it has none. */
  agentProtected?: (agentId: string) => boolean | undefined;
  /** The key that opens (or should encrypt) a backup when copying it again later, if known. */
  passwordFor?: (backup: import('../archive/backup-json.js').AgentBackup) => string | null;
}

export interface JobContext {
  hooks: ManagerHooks;
  df: DataFolder;
  agents: ReadonlyMap<string, BackupAgent>;
  local: LocalFolderAgent;
  catalogue: Catalogue;
  /** Failed copies to retry in the background. */
  uploadQueue?: UploadQueue;
  instanceId: string;
  timeZone: string;
  /** The current time, with microseconds (backup dates carry them). */
  now: () => Instant;
  emit: (event: ManagerEvent) => void;
  log: Logger;
  /** Aborted when the process is asked to stop: the job abandons its current step cleanly. */
  signal: AbortSignal;
}
