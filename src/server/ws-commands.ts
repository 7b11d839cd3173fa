// The WebSocket commands: every `backup/*` command of Home Assistant with its parameters and
// results, state commands for the Backup entities (get_states, subscribe_events for
// state_changed), and Lifeboat's own commands under `lifeboat/`.

import { z } from 'zod';
import type { LifeboatApp } from '../app/lifeboat-app.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { verifyBackup } from '../archive/verify.js';
import { previewRetention } from '../manager/retention-runner.js';
import { isLifeboatProgress } from '../manager/events.js';
import { emergencyKit } from '../settings/encryption-key.js';
import { sendNotification } from '../integrations/notifier.js';
import {
  AgentIdSchema,
  BackupIdSchema,
  CanDecryptSchema,
  GenerateSchema,
  RestoreSchema,
  agentsInfo,
  backupDetails,
  backupInfo,
  canDecryptOnDownload,
  configInfo,
  configUpdate,
  deleteBackup,
  generateAutomatic,
  generateBackup,
  isHaEvent,
  restoreBackup,
} from './backup-api.js';
import { command, type Command } from './ws-protocol.js';
import type { PathSigner } from './signed-paths.js';

const none = z.object({});

function stateChangedEvent(change: { entity_id: string; old_state: unknown; new_state: { last_updated: string; context: unknown } }) {
  return {
    event_type: 'state_changed',
    data: { entity_id: change.entity_id, old_state: change.old_state, new_state: change.new_state },
    origin: 'LOCAL',
    time_fired: change.new_state.last_updated,
    context: change.new_state.context,
  };
}

export function buildCommands(app: LifeboatApp, signer: PathSigner): Map<string, Command> {
  const list: Command[] = [
    command({
      type: 'auth/sign_path',
      schema: z.object({ path: z.string().startsWith('/api/'), expires: z.number().int().positive().max(3600).default(30) }),
      readOnly: true,
      handler: (m, ctx) => ({ path: signer.sign(m.path, ctx.token.id, m.expires) }),
    }),
    command({ type: 'backup/agents/info', schema: none, readOnly: true, handler: () => agentsInfo(app) }),
    command({ type: 'backup/info', schema: none, readOnly: true, handler: () => backupInfo(app) }),
    command({ type: 'backup/details', schema: z.object({ backup_id: BackupIdSchema }), readOnly: true, handler: (m) => backupDetails(app, m.backup_id) }),
    command({ type: 'backup/delete', schema: z.object({ backup_id: BackupIdSchema }), handler: (m) => deleteBackup(app, m.backup_id) }),
    command({ type: 'backup/generate', schema: GenerateSchema, handler: (m) => generateBackup(app, m) }),
    command({ type: 'backup/generate_with_automatic_settings', schema: none, handler: () => generateAutomatic(app) }),
    command({ type: 'backup/restore', schema: RestoreSchema, handler: (m) => restoreBackup(app, m) }),
    command({ type: 'backup/can_decrypt_on_download', schema: CanDecryptSchema, handler: (m) => canDecryptOnDownload(app, m) }),
    command({
      type: 'backup/subscribe_events',
      schema: none,
      readOnly: true,
      handler: (_m, ctx) => {
        ctx.sendEvent(app.manager.lastEvent);
        ctx.onUnsubscribe(app.manager.events.subscribe((e) => isHaEvent(e) && ctx.sendEvent(e)));
        return null;
      },
    }),
    command({ type: 'backup/config/info', schema: none, readOnly: true, handler: () => configInfo(app) }),
    command({ type: 'backup/config/update', schema: z.looseObject({}), handler: (m) => configUpdate(app, m) }),

    command({ type: 'get_states', schema: none, readOnly: true, handler: () => app.entities.all() }),
    command({
      type: 'subscribe_events',
      schema: z.object({ event_type: z.string().optional() }),
      readOnly: true,
      handler: (m, ctx) => {
        if (m.event_type !== undefined && m.event_type !== 'state_changed') {
          ctx.onUnsubscribe(() => undefined); // no such events happen here, but the subscription exists
          return null;
        }
        ctx.onUnsubscribe(app.entities.changes.subscribe((c) => ctx.sendEvent(stateChangedEvent(c))));
        return null;
      },
    }),

    command({
      type: 'lifeboat/subscribe_progress',
      schema: none,
      readOnly: true,
      handler: (_m, ctx) => {
        ctx.onUnsubscribe(app.manager.events.subscribe((e) => isLifeboatProgress(e) && ctx.sendEvent(e)));
        return null;
      },
    }),
    command({
      type: 'lifeboat/verify',
      schema: z.object({ backup_id: BackupIdSchema, agent_id: AgentIdSchema.default('backup.local'), password: z.string().nullable().optional() }),
      handler: async (m) => {
        const password = m.password ?? null;
        const report = await app.manager.withBackupFile(m.backup_id, m.agent_id, (file) =>
          withBackupReader(file, async (reader) => {
            let secret = password;
            if (secret === null && reader.backup.protected) secret = app.settings.secrets.currentKey;
            return verifyBackup(reader, secret);
          }),
        );
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
      handler: (m) => previewRetention(app.manager, app.settings, m.mode, new Date()),
    }),
    command({
      type: 'lifeboat/key/info',
      schema: none,
      readOnly: true,
      handler: () => ({
        fingerprint: app.settings.keyFingerprint,
        encrypted: app.settings.config.create_backup.encrypted,
        keyring: app.settings.secrets.keyring.map((k) => ({ fingerprint: k.fingerprint, added_at: k.added_at, retired_at: k.retired_at })),
      }),
    }),
    command({
      type: 'lifeboat/key/show',
      schema: none,
      handler: () => ({ key: app.settings.secrets.currentKey, fingerprint: app.settings.keyFingerprint }),
    }),
    command({
      type: 'lifeboat/key/rotate',
      schema: none,
      handler: async () => {
        await app.settings.rotateKey();
        return { fingerprint: app.settings.keyFingerprint };
      },
    }),
    command({
      type: 'lifeboat/key/emergency_kit',
      schema: z.object({ location_name: z.string().default('Home'), instance_url: z.string().default('http://homeassistant.local:8123') }),
      handler: (m) => {
        const key = app.settings.secrets.currentKey;
        if (!key) return { kit: null };
        const date = new Date().toLocaleString('en-US', { timeZone: app.settings.timeZone });
        return { kit: emergencyKit({ key, date, locationName: m.location_name, instanceUrl: m.instance_url }), date };
      },
    }),
    command({
      type: 'lifeboat/notifications/test',
      schema: none,
      handler: async () => ({
        results: await sendNotification(app.settings.config.notifications, {
          kind: 'test',
          title: 'Lifeboat test notification',
          message: 'Notifications from Lifeboat reach you.',
          priority: 'default',
          data: {},
        }),
      }),
    }),
  ];
  return new Map(list.map((c) => [c.type, c]));
}
