// Restoring a backup, as every front end asks for it: Home Assistant's `backup/restore` (its
// request checks and error codes) and the command line's (a backup id on any location, or a file).
// Without a password the keyring's keys are tried, so a backup made before `key rotate` restores
// without asking for its key. Home Assistant is stopped and started around the swap as the
// request says, else as the core was opened with (`serve --ha-container`, LIFEBOAT_HA_CONTAINER),
// else by the control the core was given (the add-on: the Supervisor). A request with `paths`
// restores only those files and folders (restore-schemas.ts).

import type { RestoreRequest } from '../manager/backup-manager.js';
import { haControlFor } from '../manager/ha-control-choice.js';
import type { HaControlSpec } from '../manager/ha-control.js';
import type { RestoreResult } from '../manager/restore-job.js';
import { BackupManagerError, BackupNotFound, InvalidRequestError } from '../util/errors.js';
import type { HaRestoreRequest } from './api-schemas.js';
import { parseRequest } from './backup-file-schemas.js';
import { RestorePathsSchema } from './restore-schemas.js';
import type { CoreParts } from './parts.js';

/** `Omit` for each member of a union (a request names a location's backup or a file). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The command line's restore request: Home Assistant's control as settings, not as an object.
 * `paths` (RestorePathsSchema) makes it a partial restore: only those files and folders are
 * replaced, and `restoreHomeassistant` / `restoreDatabase` are left out (the paths decide).
 */
export type CliRestoreRequest = OmitEach<RestoreRequest, 'control'> & { homeAssistant?: HaControlSpec };

/** An unknown location in a request (Home Assistant answers `unknown_error` for it). */
export class UnknownAgentError extends BackupManagerError {
  override readonly code: string = 'unknown_error';
}

export class RestoreBackup {
  constructor(private readonly parts: CoreParts) {}

  /** The one rule: the control a request names, else the one the core was opened with, else the one it was given. */
  private control(spec?: HaControlSpec) {
    const named = spec ?? this.parts.homeAssistant;
    if (!named) return this.parts.homeAssistantControl;
    return haControlFor(named, this.parts.log);
  }

  /** Checks that a location holds the backup; a backup missing there is a manager error, as in Home Assistant. */
  async requireOn(backupId: string, agentId: string): Promise<void> {
    const agent = this.parts.manager.agent(agentId);
    if (!agent) throw new UnknownAgentError(`Unknown backup agent ${agentId}`);
    try {
      await agent.get(backupId);
    } catch (err) {
      if (err instanceof BackupNotFound) throw new BackupManagerError(`Backup ${backupId} not found in agent ${agentId}`);
      throw err;
    }
  }

  /**
   * `backup/restore`, with Home Assistant's checks, made once the restore has begun (a refused
   * request is reported in_progress → failed, as Home Assistant reports it); a password given for
   * an unencrypted backup is an error.
   */
  async ha(params: HaRestoreRequest): Promise<RestoreResult> {
    // Chosen paths (lifeboat_paths, Lifeboat's extra) make it a partial restore: the paths decide
    // what is restored, so Home Assistant's two flags are not passed with them.
    const paths = params.lifeboat_paths?.length ? parseRequest(RestorePathsSchema, params.lifeboat_paths) : undefined;
    return this.parts.manager.restore({
      validate: async () => {
        if (params.restore_addons?.length || params.restore_folders?.length) throw new BackupManagerError('Addons and folders are not supported in core restore');
        if (!params.restore_homeassistant && !params.restore_database) throw new BackupManagerError('Home Assistant or database must be included in restore');
        await this.requireOn(params.backup_id, params.agent_id);
      },
      backupId: params.backup_id,
      agentId: params.agent_id,
      password: params.password ?? null,
      strictPassword: true,
      ...(paths ? { paths } : { restoreHomeassistant: params.restore_homeassistant, restoreDatabase: params.restore_database }),
      allowUnencrypted: params.lifeboat_allow_unencrypted,
      control: this.control(),
    });
  }

  /** The command line's restore: a password given for an unencrypted backup is ignored. */
  async run(request: CliRestoreRequest): Promise<RestoreResult> {
    const { homeAssistant, paths, ...rest } = request;
    const checked = paths === undefined ? {} : { paths: parseRequest(RestorePathsSchema, paths) };
    return this.parts.manager.restore({ ...rest, ...checked, strictPassword: false, control: this.control(homeAssistant) });
  }
}
