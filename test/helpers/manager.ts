// A backup manager for the tests of the jobs, built from the same parts the application core
// gives it (settings and their keyring, the local folder location), with the time zone, the clock
// and each location's protection set by the test.

import { createLocalAgent } from '../../src/agents/local-location.js';
import { BackupManager } from '../../src/manager/backup-manager.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import type { ControlFor } from '../../src/manager/ha-left-stopped.js';
import { Keyring } from '../../src/settings/keyring.js';
import { SettingsService } from '../../src/settings/settings-service.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

export interface TestManagerOptions {
  installation: string;
  timeZone?: string;
  clock?: Clock;
  /** A location's protected setting (default: none, as for a location without an entry). */
  protectedFor?: (agentId: string) => boolean | undefined;
  /** Where the jobs' warnings go (default: nowhere). */
  log?: Logger;
  /** The control that starts Home Assistant left stopped by an interrupted restore (default: none). */
  controlFor?: ControlFor;
  /** The local backups folder (default: `backups/` in the installation). */
  backups?: string;
  /** Lifeboat's data folder (default: the installation's default one). */
  data?: string;
}

export async function openManager(opts: TestManagerOptions): Promise<BackupManager> {
  const clock = opts.clock ?? systemClock;
  const df = dataFolder(opts.installation, opts.data, opts.backups);
  const settings = await SettingsService.open({ settings: df.settings, secrets: df.secrets }, clock);
  return BackupManager.open({
    df,
    local: createLocalAgent(df.backups, { clock }),
    timeZone: () => opts.timeZone ?? settings.timeZone,
    clock,
    keys: new Keyring(settings.secrets),
    protectedFor: opts.protectedFor ?? (() => undefined),
    log: opts.log ?? silentLogger,
    controlFor: opts.controlFor,
  });
}
