// Restoring a backup, as every front end asks for it: Home Assistant's `backup/restore` (its
// request checks and error codes) and the command line's (a backup id on any location, or a file).
// Without a password the keyring's keys are tried, so a backup made before `key rotate` restores
// without asking for its key.

import type { RestoreRequest } from '../manager/backup-manager.js';
import type { RestoreResult } from '../manager/restore-job.js';
import { BackupManagerError, BackupNotFound } from '../util/errors.js';
import type { HaRestoreRequest } from './api-schemas.js';
import type { CoreParts } from './parts.js';

/** An unknown location in a request (Home Assistant answers `unknown_error` for it). */
export class UnknownAgentError extends BackupManagerError {
  override readonly code: string = 'unknown_error';
}

export class RestoreBackup {
  constructor(private readonly parts: CoreParts) {}

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
      restoreHomeassistant: params.restore_homeassistant,
      restoreDatabase: params.restore_database,
      allowUnencrypted: params.lifeboat_allow_unencrypted,
    });
  }

  /** The command line's restore: a password given for an unencrypted backup is ignored. */
  run(request: RestoreRequest): Promise<RestoreResult> {
    return this.parts.manager.restore({ ...request, strictPassword: false });
  }
}
