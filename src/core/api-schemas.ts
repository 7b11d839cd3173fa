// The parameters of Home Assistant's backup API that the use cases accept, as zod schemas: ids,
// `backup/generate` and `backup/restore`.

import { z } from 'zod';
import { FOLDERS } from '../archive/backup-json.js';
import { isValidAgentId, isValidBackupId } from '../agents/agent.js';

export const BackupIdSchema = z.string().refine(isValidBackupId, 'invalid backup id');
export const AgentIdSchema = z.string().refine(isValidAgentId, 'invalid agent id');

/** Home Assistant's `backup/generate` parameters. */
export const GenerateSchema = z.object({
  agent_ids: z.array(AgentIdSchema),
  include_addons: z.array(z.string()).optional(),
  include_all_addons: z.boolean().default(false),
  include_database: z.boolean().default(true),
  include_folders: z.array(z.enum(FOLDERS)).optional(),
  include_homeassistant: z.boolean().default(true),
  name: z.string().nullable().optional(),
  password: z.string().nullable().optional(),
});
export type GenerateRequest = z.infer<typeof GenerateSchema>;

/** Home Assistant's `backup/restore` parameters. */
export const RestoreSchema = z.object({
  backup_id: BackupIdSchema,
  agent_id: AgentIdSchema,
  password: z.string().nullable().optional(),
  restore_addons: z.array(z.string()).optional(),
  restore_database: z.boolean().default(true),
  restore_folders: z.array(z.enum(FOLDERS)).optional(),
  restore_homeassistant: z.boolean().default(true),
  /** Lifeboat's: confirms restoring an unencrypted remote copy that Lifeboat did not send there. */
  lifeboat_allow_unencrypted: z.boolean().optional(),
  /**
   * Lifeboat's: restore only these paths (installation-relative files or folders, as a backup's
   * listing names them); everything else in the installation stays as it is.
   */
  lifeboat_paths: z.array(z.string()).optional(),
});
export type HaRestoreRequest = z.infer<typeof RestoreSchema>;
