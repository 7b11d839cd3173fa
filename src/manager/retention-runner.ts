// Applies the retention policy: lists every location, asks the pure policy what to delete, and
// deletes each selected backup from its locations concurrently (errors are logged; a backup whose
// deletions all succeeded leaves the catalogue).

import { planRetention, type RetentionMode, type RetentionPlan } from '../policy/retention.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { BackupManager } from './backup-manager.js';

export interface RetentionRun {
  plan: RetentionPlan;
  errors: { backupId: string; agentId: string; error: string }[];
}

export async function previewRetention(manager: BackupManager, settings: SettingsService, mode: RetentionMode, now: Date): Promise<RetentionPlan> {
  const listing = await manager.list();
  return planRetention({ backups: listing.backups, config: settings.config, now, timeZone: settings.timeZone, mode });
}

export async function applyRetention(manager: BackupManager, settings: SettingsService, mode: RetentionMode, now: Date): Promise<RetentionRun> {
  const plan = await previewRetention(manager, settings, mode, now);
  const errors: RetentionRun['errors'] = [];
  await Promise.all(
    plan.deletions.map(async (d) => {
      let ok = true;
      await Promise.all(
        d.agentIds.map(async (agentId) => {
          const agent = manager.agent(agentId);
          try {
            if (!agent) throw new Error(`location ${agentId} is not available`);
            await agent.delete(d.backupId);
            manager.log.info(`Retention deleted backup ${d.backupId} from ${agentId}: ${d.reasons[agentId] ?? d.reason}`);
          } catch (err) {
            ok = false;
            errors.push({ backupId: d.backupId, agentId, error: (err as Error).message });
            manager.log.warn(`Retention could not delete backup ${d.backupId} from ${agentId}`, { error: (err as Error).message });
          }
        }),
      );
      if (ok) await manager.catalogue.remove(d.backupId);
    }),
  );
  return { plan, errors };
}
