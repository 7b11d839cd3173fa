// Keeps the Supervisor's backup list in step with `/backup`: after Lifeboat wrote, moved or removed
// a backup file there, the Supervisor is asked to read the folder again (`POST /backups/reload`),
// so Lifeboat's backups appear in (and vanish from) Home Assistant's own backup page at once.
// Changes that come while a reload runs are folded into one more reload after it; a failure is
// logged, never passed on to the backup that caused it.

import type { Logger } from '../core/types.js';
import type { SupervisorClient } from './supervisor-client.js';

export interface BackupListSync {
  /** Tells the Supervisor that the folder changed (returns at once). */
  changed(): void;
  /** Resolves when no reload is running or due (tests, shutdown). */
  settled(): Promise<void>;
}

export function supervisorBackupListSync(supervisor: SupervisorClient, log: Logger): BackupListSync {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> =>
    supervisor.reloadBackups().then(
      () => undefined,
      (err: unknown) => log.warn("Could not ask the Supervisor to reload its backup list; Home Assistant's backup page may miss a change until it reloads", { error: (err as Error).message }),
    );
  const loop = async () => {
    do {
      again = false;
      await run();
    } while (again);
    running = null;
  };
  return {
    changed() {
      if (running) {
        again = true;
        return;
      }
      running = loop();
    },
    settled: async () => {
      while (running) await running;
    },
  };
}
