// The WebSocket commands: every `backup/*` command of Home Assistant with its parameters and
// results, Home Assistant's general commands (ws-general-commands.ts: states, config, services,
// the user), and Lifeboat's own commands under `lifeboat/` (looking inside a backup:
// ws-file-commands.ts).

import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { AgentIdSchema, BackupIdSchema, GenerateSchema, RestoreSchema, LOCAL_AGENT_ID, isLifeboatProgress } from '../core/types.js';
import { isHaEvent, restoreCheckError } from './api-errors.js';
import { fileCommands } from './ws-file-commands.js';
import { generalCommands } from './ws-general-commands.js';
import { command, type Command } from './ws-protocol.js';
import type { PathSigner } from './signed-paths.js';

const none = z.object({});

// Any agent id is taken: one that names no location is answered as Home Assistant answers it.
const CanDecryptSchema = z.object({ backup_id: BackupIdSchema, agent_id: z.string(), password: z.string() });

export function buildCommands(core: LifeboatCore, signer: PathSigner): Map<string, Command> {
  const list: Command[] = [
    command({
      type: 'auth/sign_path',
      schema: z.object({ path: z.string().startsWith('/api/'), expires: z.number().int().positive().max(3600).default(30) }),
      readOnly: true,
      handler: (m, ctx) => ({ path: signer.sign(m.path, ctx.token.id, m.expires) }),
    }),
    command({ type: 'backup/agents/info', schema: none, readOnly: true, handler: () => ({ agents: core.backups.agents() }) }),
    command({ type: 'backup/info', schema: none, readOnly: true, handler: () => core.backups.info() }),
    command({
      type: 'backup/details',
      schema: z.object({ backup_id: BackupIdSchema }),
      readOnly: true,
      handler: async (m) => {
        const { backup, agentErrors } = await core.backups.details(m.backup_id);
        return { agent_errors: agentErrors, backup };
      },
    }),
    command({
      type: 'backup/delete',
      schema: z.object({ backup_id: BackupIdSchema }),
      handler: async (m) => ({ agent_errors: (await core.backups.delete(m.backup_id)).agentErrors }),
    }),
    command({ type: 'backup/generate', schema: GenerateSchema, handler: async (m) => ({ backup_job_id: (await core.create.generate(m)).backupId }) }),
    command({ type: 'backup/generate_with_automatic_settings', schema: none, handler: async () => ({ backup_job_id: (await core.create.automatic()).backupId }) }),
    command({
      type: 'backup/restore',
      schema: RestoreSchema,
      handler: async (m) => {
        await core.restore.ha(m).catch((err: unknown) => {
          throw restoreCheckError(err);
        });
        return null;
      },
    }),
    command({
      type: 'backup/can_decrypt_on_download',
      schema: CanDecryptSchema,
      handler: async (m) => {
        await core.downloads.canDecrypt({ backupId: m.backup_id, agentId: m.agent_id, password: m.password }).catch((err: unknown) => {
          throw restoreCheckError(err);
        });
        return null;
      },
    }),
    command({
      // Lifeboat: whether the server's own keyring decrypts this copy on download (decrypt=1).
      type: 'lifeboat/can_decrypt_on_download',
      schema: z.object({ backup_id: BackupIdSchema, agent_id: AgentIdSchema }),
      handler: async (m) => {
        await core.downloads.canDecrypt({ backupId: m.backup_id, agentId: m.agent_id, password: null });
        return null;
      },
    }),
    command({
      type: 'backup/subscribe_events',
      schema: none,
      readOnly: true,
      handler: (_m, ctx) => {
        ctx.sendEvent(core.status.lastEvent);
        ctx.onUnsubscribe(core.status.onEvent((e) => isHaEvent(e) && ctx.sendEvent(e)));
        return null;
      },
    }),
    command({
      type: 'backup/config/info',
      schema: none,
      readOnly: true,
      handler: async (_m, ctx) => ({ config: await core.settings.publicConfig({ withSecrets: ctx.token.scope === 'admin' }) }),
    }),
    command({
      type: 'backup/config/update',
      schema: z.looseObject({}),
      handler: async (m) => {
        await core.settings.update(m);
        return null;
      },
    }),

    ...generalCommands(core),

    command({
      type: 'lifeboat/subscribe_progress',
      schema: none,
      readOnly: true,
      handler: (_m, ctx) => {
        ctx.onUnsubscribe(core.status.onEvent((e) => isLifeboatProgress(e) && ctx.sendEvent(e)));
        return null;
      },
    }),
    command({
      type: 'lifeboat/verify',
      schema: z.object({ backup_id: BackupIdSchema, agent_id: AgentIdSchema.default(LOCAL_AGENT_ID), password: z.string().nullable().optional() }),
      handler: async (m) => {
        const report = await core.verify.run({ backupId: m.backup_id, agentId: m.agent_id, password: m.password ?? null });
        return {
          ok: report.problems.length === 0,
          problems: report.problems.map((p) => ({ code: p.code, message: p.message })),
          members: report.members.map((mm) => ({ ...mm, error: mm.error && { code: mm.error.code, message: mm.error.message } })),
        };
      },
    }),
    command({
      type: 'lifeboat/retention/preview',
      schema: z.object({ mode: z.enum(['count', 'age', 'both']).default('both') }),
      readOnly: true,
      handler: (m) => core.retention.preview(m.mode),
    }),
    command({
      type: 'lifeboat/key/info',
      schema: none,
      readOnly: true,
      handler: () => core.keys.info(),
    }),
    command({
      type: 'lifeboat/key/show',
      schema: none,
      handler: () => core.keys.show() ?? { key: null, fingerprint: null },
    }),
    command({
      type: 'lifeboat/key/rotate',
      schema: none,
      handler: async () => ({ fingerprint: (await core.keys.rotate()).fingerprint }),
    }),
    command({
      type: 'lifeboat/key/emergency_kit',
      schema: z.object({ location_name: z.string().default('Home'), instance_url: z.string().default('http://homeassistant.local:8123') }),
      handler: (m) => {
        const kit = core.keys.emergencyKit({ locationName: m.location_name, instanceUrl: m.instance_url });
        return kit ? { kit: kit.kit, date: kit.date } : { kit: null };
      },
    }),
    ...fileCommands(core),
    command({
      type: 'lifeboat/notifications/test',
      schema: none,
      handler: async () => ({ results: await core.notifications.test() }),
    }),
  ];
  return new Map(list.map((c) => [c.type, c]));
}
