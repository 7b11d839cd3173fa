// Retention as a use case: lists every location, asks the pure policy what to delete, and deletes
// each selected backup from its locations concurrently (errors are logged; a backup deleted from
// every location that held it is forgotten). `preview` shows the plan and deletes nothing.

import { describeRetention, planRetention, type RetentionMode, type RetentionPlan } from '../policy/retention.js';
import { LOCAL_AGENT_ID } from '../agents/agent.js';
import type { ManagerBackup } from '../manager/backup-records.js';
import { nowDate } from '../util/clock.js';
import type { CoreParts } from './parts.js';

export interface RetentionRun {
  plan: RetentionPlan;
  errors: { backupId: string; agentId: string; error: string }[];
}

/**
 * A backup as retention sees it. The copy the local folder keeps only because no location took the
 * backup (until its queued copies land) is no retention rule's to count or delete: it may be the
 * only one there is. Left with no copy, the backup is out of the plan.
 */
function withoutKeptCopy(backup: ManagerBackup, kept: boolean): ManagerBackup[] {
  if (!kept) return [backup];
  const agents = Object.fromEntries(Object.entries(backup.agents).filter(([id]) => id !== LOCAL_AGENT_ID));
  return Object.keys(agents).length ? [{ ...backup, agents }] : [];
}

export class Retention {
  constructor(private readonly parts: CoreParts) {}

  /** The rule in words, e.g. "keep the 3 newest automatic backups". */
  describe(): string {
    return describeRetention(this.parts.settings.config);
  }

  async preview(mode: RetentionMode = 'both'): Promise<RetentionPlan> {
    return (await this.planned(mode)).plan;
  }

  /** The plan, and where each backup is stored now. */
  private async planned(mode: RetentionMode): Promise<{ plan: RetentionPlan; holders: Map<string, string[]> }> {
    const { manager, settings, clock } = this.parts;
    const listing = await manager.list();
    const backups = listing.backups.flatMap((b) => withoutKeptCopy(b, manager.catalogue.get(b.backup_id)?.kept_locally_for_retry === true));
    const plan = planRetention({ backups, config: settings.config, now: nowDate(clock), timeZone: settings.zone, mode });
    return { plan, holders: new Map(listing.backups.map((b) => [b.backup_id, Object.keys(b.agents)])) };
  }

  async apply(mode: RetentionMode): Promise<RetentionRun> {
    const { manager, log } = this.parts;
    const { plan, holders } = await this.planned(mode);
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
              log.info(`Retention deleted backup ${d.backupId} from ${agentId}: ${d.reasons[agentId] ?? d.reason}`);
            } catch (err) {
              ok = false;
              errors.push({ backupId: d.backupId, agentId, error: (err as Error).message });
              log.warn(`Retention could not delete backup ${d.backupId} from ${agentId}`, { error: (err as Error).message });
            }
          }),
        );
        // The record goes with the last copy: one still stored somewhere keeps what is noted of it
        // (the locations still owed a copy, the local copy kept for them).
        const left = (holders.get(d.backupId) ?? []).filter((id) => !d.agentIds.includes(id));
        if (ok && left.length === 0) await manager.catalogue.remove(d.backupId);
      }),
    );
    return { plan, errors };
  }
}
