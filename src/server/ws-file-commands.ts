// Lifeboat's WebSocket commands for looking inside a backup (`lifeboat/backup/files/*`): the
// entries of a backup (under a path), one file's content, what differs from another backup or
// from the live installation, and a unified diff of one file. Names, sizes and digests follow the
// read permission of the other backup commands (a read-only token may list and compare); contents
// and patches are an administrator's (`secrets.yaml` is in every backup).

import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { AgentIdSchema, ArchiveNameSchema, BackupIdSchema, BackupPathSchema, DiffSideSchema, MAX_CONTENT_BYTES } from '../core/types.js';
import { command, type Command } from './ws-protocol.js';

/** Which backup, from where, opened how (Home Assistant's snake_case names). */
const OpenParams = z.object({
  backup_id: BackupIdSchema,
  /** The location to read it from; default the local backup folder. */
  agent_id: AgentIdSchema.optional(),
  /** The password; without one, the keyring's key for the backup. */
  password: z.string().nullable().optional(),
  /** The inner archive; default Home Assistant's. */
  archive: ArchiveNameSchema.optional(),
});

const ListParams = OpenParams.extend({ path: BackupPathSchema.optional(), digests: z.boolean().optional() });
const ReadParams = OpenParams.extend({ path: BackupPathSchema });
const DiffParams = OpenParams.extend({
  /** Another backup's id, or `live` for the installation as a backup made now would hold it. */
  other_backup_id: DiffSideSchema,
  other_agent_id: AgentIdSchema.optional(),
  other_password: z.string().nullable().optional(),
  path: BackupPathSchema.optional(),
  include_database: z.boolean().optional(),
});
const PatchParams = DiffParams.omit({ include_database: true }).extend({ path: BackupPathSchema });

const open = (m: z.infer<typeof OpenParams>) => ({ agentId: m.agent_id, password: m.password, archive: m.archive });
const compare = (m: z.infer<typeof DiffParams> | z.infer<typeof PatchParams>) => ({
  ...open(m),
  otherAgentId: m.other_agent_id,
  otherPassword: m.other_password,
});

export function fileCommands(core: LifeboatCore): Command[] {
  return [
    command({
      type: 'lifeboat/backup/files/list',
      schema: ListParams,
      readOnly: true,
      handler: async (m) => ({ entries: await core.files.list(m.backup_id, { ...open(m), path: m.path, digests: m.digests }) }),
    }),
    command({
      // Admin only: the bytes of any file, secrets.yaml too. Larger files: `lifeboat backup cat`.
      type: 'lifeboat/backup/files/read',
      schema: ReadParams,
      handler: async (m) => ({ ...(await core.files.content(m.backup_id, m.path, open(m))), limit: MAX_CONTENT_BYTES }),
    }),
    command({
      type: 'lifeboat/backup/files/diff',
      schema: DiffParams,
      readOnly: true,
      handler: (m) => core.files.diff(m.backup_id, m.other_backup_id, { ...compare(m), path: m.path, includeDatabase: m.include_database }),
    }),
    command({
      type: 'lifeboat/backup/files/patch',
      schema: PatchParams,
      handler: (m) => core.files.patch(m.backup_id, m.other_backup_id, m.path, compare(m)),
    }),
  ];
}
