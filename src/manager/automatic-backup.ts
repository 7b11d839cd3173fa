// `backup.create_automatic`: a backup with the saved settings — their locations, database choice,
// name and encryption key — that records the attempt (after the busy check, before the first
// event) and the completion (when no location's upload failed), and counts for retention.

import type { CreateResult } from './create-job.js';
import type { BackupManager } from './backup-manager.js';
import type { SettingsService } from '../settings/settings-service.js';
import { formatIsoLocal, nowInstant } from '../util/time.js';

export interface AutomaticBackupHandle {
  backupId: string;
  done: Promise<CreateResult>;
}

export async function beginAutomaticBackup(manager: BackupManager, settings: SettingsService): Promise<AutomaticBackupHandle> {
  const config = settings.config;
  const stamp = () => formatIsoLocal(nowInstant(), settings.timeZone);
  const localProtected = config.agents['backup.local']?.protected;
  // Home Assistant writes the local file unencrypted when the local location is set to unprotected;
  // the other locations then get it encrypted on the fly with the key (agentPassword).
  const password = localProtected === false && config.create_backup.agent_ids.includes('backup.local') ? null : settings.automaticPassword;
  const handle = await manager.beginCreate({
    agentIds: config.create_backup.agent_ids,
    includeDatabase: config.create_backup.include_database,
    name: config.create_backup.name,
    password,
    agentPassword: settings.automaticPassword,
    withAutomaticSettings: true,
    excludes: config.excludes,
    beforeStart: () => settings.recordAutomatic('last_attempted_automatic_backup', stamp()),
    // As Home Assistant: success is recorded when the uploads are done, before cleaning up.
    afterUpload: async (failed) => {
      if (failed.length === 0) await settings.recordAutomatic('last_completed_automatic_backup', stamp());
    },
  });
  return handle;
}
