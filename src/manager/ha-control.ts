// Stopping and starting Home Assistant around a restore's swap: the one interface the restore job
// talks to, whatever runs Home Assistant (the Supervisor for the add-on; other kinds fit the same
// shape). The restore job decides when (restore-job.ts); an implementation decides only how. It is
// given to the core when it is built, as the notifier is.

import { BackupManagerError } from '../util/errors.js';

export interface HaControl {
  /** What is stopped and started, for logs and messages: "Home Assistant Core (Supervisor)". */
  readonly target: string;
  /** Before a restore does anything: whether stopping and starting can work at all. Throws a HaControlError that says what to fix. */
  check(): Promise<void>;
  /** Stops Home Assistant, just before the swap. Resolves false when it was not running (then it is not started after). */
  stop(): Promise<boolean>;
  /** Starts Home Assistant again after the swap — also after a failed swap, once it is rolled back. */
  start(): Promise<void>;
}

/** Stopping, starting or reaching Home Assistant failed; `code` names which. */
export class HaControlError extends BackupManagerError {
  constructor(
    message: string,
    override readonly code: string,
  ) {
    super(message);
  }
}
