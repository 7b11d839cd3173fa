// Hands a finished backup file to every other target location in parallel, with Home Assistant's
// upload-progress events (at most one per second per location, plus a final one). One location's
// failure never stops the others; the ids of the locations that failed are returned.

import { createReadStream } from 'node:fs';
import type { AgentBackup } from '../archive/backup-json.js';
import type { JobContext } from './job-context.js';
import type { ManagerState } from './events.js';

export async function uploadToAgents(
  ctx: JobContext,
  agentIds: string[],
  backup: AgentBackup,
  file: string,
  managerState: ManagerState = 'create_backup',
): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    agentIds.map(async (agentId) => {
      const agent = ctx.agents.get(agentId);
      if (!agent) {
        failed.push(agentId);
        return;
      }
      let last = 0;
      const progress = (uploaded: number, force = false) => {
        const t = Date.now();
        if (!force && t - last < 1000) return;
        last = t;
        ctx.emit({ manager_state: managerState, agent_id: agentId, uploaded_bytes: uploaded, total_bytes: backup.size });
      };
      try {
        await agent.upload(backup, () => createReadStream(file, { highWaterMark: 1 << 20 }), {
          onProgress: (n) => progress(n),
        });
        progress(backup.size, true);
      } catch (err) {
        ctx.log.warn(`Upload to ${agentId} failed`, { error: (err as Error).message });
        failed.push(agentId);
      }
    }),
  );
  return failed;
}
