// The manager's view of backups: one record per backup id, merged over every location that holds
// it (Home Assistant's ManagerBackup), with what Lifeboat's catalogue remembers about it.

import type { AgentBackup } from '../archive/backup-json.js';
import type { BackupAgent } from '../agents/agent.js';
import type { Catalogue } from './catalogue.js';

export interface ManagerBackup {
  addons: AgentBackup['addons'];
  agents: Record<string, { protected: boolean; size: number }>;
  backup_id: string;
  database_included: boolean;
  date: string;
  extra_metadata: AgentBackup['extra_metadata'];
  failed_addons: { name: string | null; slug: string; version: string | null }[];
  failed_agent_ids: string[];
  failed_folders: string[];
  folders: AgentBackup['folders'];
  homeassistant_included: boolean;
  homeassistant_version: string | null;
  name: string;
  with_automatic_settings: boolean | null;
}

export interface BackupListing {
  backups: ManagerBackup[];
  /** agent id → message, for locations that could not be listed. */
  agentErrors: Record<string, string>;
}

/** `with_automatic_settings` counts only for backups made by this installation. */
export function withAutomaticSettings(backup: AgentBackup, instanceId: string): boolean | null {
  const extra = backup.extra_metadata;
  if (extra.instance_id !== instanceId) return null;
  return typeof extra.with_automatic_settings === 'boolean' ? extra.with_automatic_settings : null;
}

export function mergeBackups(
  perAgent: { agentId: string; backups: AgentBackup[] }[],
  instanceId: string,
  catalogue: Catalogue,
): ManagerBackup[] {
  const merged = new Map<string, ManagerBackup>();
  for (const { agentId, backups } of perAgent) {
    for (const b of backups) {
      let m = merged.get(b.backup_id);
      if (!m) {
        const { protected: _p, size: _s, ...rest } = b;
        m = {
          ...rest,
          agents: {},
          failed_addons: [],
          failed_agent_ids: catalogue.get(b.backup_id)?.failed_agent_ids ?? [],
          failed_folders: [],
          with_automatic_settings: withAutomaticSettings(b, instanceId),
        };
        merged.set(b.backup_id, m);
      }
      m.agents[agentId] = { protected: b.protected, size: b.size };
    }
  }
  return [...merged.values()].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

export async function listAll(agents: BackupAgent[], instanceId: string, catalogue: Catalogue): Promise<BackupListing> {
  const agentErrors: Record<string, string> = {};
  const perAgent = await Promise.all(
    agents.map(async (agent) => {
      try {
        return { agentId: agent.agentId, backups: await agent.list() };
      } catch (err) {
        agentErrors[agent.agentId] = (err as Error).message;
        return { agentId: agent.agentId, backups: [] };
      }
    }),
  );
  return { backups: mergeBackups(perAgent, instanceId, catalogue), agentErrors };
}
