// The backups as every front end shows them: the list over all locations (Home Assistant's
// `backup/info`), one backup's details, the locations, and deleting a backup everywhere.

import type { ManagerBackup } from '../manager/backup-records.js';
import type { CoreParts } from './parts.js';

export class Backups {
  constructor(private readonly parts: CoreParts) {}

  /** Every backup, merged over the locations, newest first; locations that could not be listed. */
  list() {
    return this.parts.manager.list();
  }

  /** One backup (null when no location holds it) and the locations that could not be listed. */
  details(backupId: string) {
    return this.parts.manager.details(backupId);
  }

  /** The locations as Home Assistant lists its agents. */
  agents(): { agent_id: string; name: string }[] {
    return this.parts.manager.agents.map((a) => ({ agent_id: a.agentId, name: a.name }));
  }

  /** Whether a location of this id is configured and available now. */
  hasAgent(agentId: string): boolean {
    return this.parts.manager.agent(agentId) !== undefined;
  }

  /** Databases a backup left out because they could not be copied, with the reason. */
  databaseWarnings(backupId: string): { path: string; error: string }[] {
    return this.parts.manager.catalogue.get(backupId)?.database_warnings ?? [];
  }

  /** Home Assistant's `backup/info`: the backups, the automatic-backup times and the manager's state. */
  async info() {
    const { manager, settings } = this.parts;
    const listing = await manager.list();
    const config = settings.config;
    const next = await this.parts.nextRun();
    return {
      agent_errors: listing.agentErrors,
      backups: listing.backups as ManagerBackup[],
      last_attempted_automatic_backup: config.last_attempted_automatic_backup,
      last_completed_automatic_backup: config.last_completed_automatic_backup,
      last_completed_automatic_backup_id: config.last_completed_automatic_backup_id,
      last_action_event: manager.lastActionEvent,
      next_automatic_backup: next.next,
      next_automatic_backup_additional: next.additional,
      state: manager.state,
    };
  }

  /** Deletes a backup from every location; "not found" on a location is not an error. */
  delete(backupId: string) {
    return this.parts.manager.delete(backupId);
  }
}
