// Stopping and starting Home Assistant around a restore's swap: the one interface that the
// restore job talks to, whatever runs Home Assistant — shell commands (`--stop-command`/
// `--start-command`, e.g. systemctl), its Docker container through the Docker Engine API
// (`--ha-container`), and, in the same shape, the Supervisor (Home Assistant OS, the add-on).
// The restore job decides when (see restore-job.ts); an implementation decides only how;
// ha-control-choice.ts makes the one the user configured.

import { BackupManagerError } from '../util/errors.js';

export interface HaControl {
  /** What is stopped and started, for logs and messages: "the container homeassistant". */
  readonly target: string;
  /**
   * Called before a restore does anything: whether stopping and starting can work at all (the
   * container exists, the socket can be used). Throws a HaControlError that says what to fix.
   */
  check(): Promise<void>;
  /** Stops Home Assistant, just before the swap. Resolves false when it was not running (then it is not started after). */
  stop(): Promise<boolean>;
  /** Starts Home Assistant again after the swap — also after a failed swap, once it is rolled back. */
  start(): Promise<void>;
  /** The settings this control was made from, to make it again after a crash; absent for a control Lifeboat is given (the Supervisor's). */
  readonly spec?: HaControlSpec;
}

/** How the user asked for Home Assistant to be stopped and started: what a control is made from. */
export type HaControlSpec =
  | { kind: 'commands'; stop?: string; start?: string }
  | { kind: 'docker'; container: string; socket?: string; stopTimeoutSeconds?: number };

/** Stopping, starting or reaching Home Assistant failed; `code` names which. */
export class HaControlError extends BackupManagerError {
  constructor(
    message: string,
    override readonly code: string,
  ) {
    super(message);
  }
}
