// Retention as a use case: lists every location, asks the pure policy what to delete, and deletes
// each selected backup from its locations concurrently (errors are logged; a backup whose
// deletions all succeeded is forgotten). `preview` shows the plan and deletes nothing.

import { describeRetention, planRetention, type RetentionMode, type RetentionPlan } from '../policy/retention.js';
import { nowDate } from '../util/clock.js';
import type { CoreParts } from './parts.js';

export interface RetentionRun {
  plan: RetentionPlan;
  errors: { backupId: string; agentId: string; error: string }[];
}

export class Retention {
  constructor(private readonly parts: CoreParts) {}

  /** The rule in words, e.g. "keep the 3 newest automatic backups". */
  describe(): string {
    return describeRetention(this.parts.settings.config);
  }

  async preview(mode: RetentionMode = 'both'): Promise<RetentionPlan> {
    const { manager, settings, clock } = this.parts;
    const listing = await manager.list();
    return planRetention({ backups: listing.backups, config: settings.config, now: nowDate(clock), timeZone: settings.zone, mode });
  }

  async apply(mode: RetentionMode): Promise<RetentionRun> {
    const { manager, log } = this.parts;
    const plan = await this.preview(mode);
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
        if (ok) await manager.catalogue.remove(d.backupId);
      }),
    );
    return { plan, errors };
  }
}
