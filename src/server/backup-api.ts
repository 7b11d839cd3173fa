// The backup operations behind the APIs, in Home Assistant's shapes (WebSocket commands, REST
// services and onboarding share them): info, details, delete, generate, restore, decrypt checks,
// config info and update, and the mapping of errors to Home Assistant's error codes.

import { z } from 'zod';
import { withBackupReader } from '../archive/backup-reader.js';
import {
  BackupError,
  BackupManagerError,
  BackupNotFound,
  DecryptOnDownloadNotSupported,
  IncorrectPasswordError,
} from '../archive/errors.js';
import type { LifeboatApp } from '../app/lifeboat-app.js';
import { publicConfig } from '../app/public-config.js';
import { isValidAgentId, isValidBackupId } from '../agents/agent.js';
import { isStateEvent, isUploadProgress, type HaManagerEvent, type ManagerEvent } from '../manager/events.js';
import { FOLDERS } from '../archive/backup-json.js';

export const BackupIdSchema = z.string().refine(isValidBackupId, 'invalid backup id');
export const AgentIdSchema = z.string().refine(isValidAgentId, 'invalid agent id');

/** An error with Home Assistant's API code. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const GENERIC_CODES = new Set(['unknown', 'backup_manager_error', 'backup_reader_writer_error', 'backup_agent_error']);

/** Home Assistant's mapping: specific backup codes where they exist, `home_assistant_error` else. */
export function apiErrorCode(err: unknown): { code: string; message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  if (err instanceof z.ZodError) return { code: 'invalid_format', message: err.issues[0]?.message ?? 'invalid format' };
  if (err instanceof DecryptOnDownloadNotSupported) return { code: 'decrypt_not_supported', message: err.message };
  if (err instanceof BackupError) {
    return { code: GENERIC_CODES.has(err.code) ? 'home_assistant_error' : err.code, message: err.message };
  }
  return { code: 'unknown_error', message: 'Unknown error' };
}

/** Events that Home Assistant sends to backup/subscribe_events subscribers. */
export function isHaEvent(e: ManagerEvent): e is HaManagerEvent {
  return isStateEvent(e) || isUploadProgress(e);
}

export function agentsInfo(app: LifeboatApp) {
  return { agents: app.manager.agents.map((a) => ({ agent_id: a.agentId, name: a.name })) };
}

export async function backupInfo(app: LifeboatApp) {
  const listing = await app.manager.list();
  const config = app.settings.config;
  const next = await app.nextRun();
  return {
    agent_errors: listing.agentErrors,
    backups: listing.backups,
    last_attempted_automatic_backup: config.last_attempted_automatic_backup,
    last_completed_automatic_backup: config.last_completed_automatic_backup,
    last_action_event: app.manager.lastActionEvent,
    next_automatic_backup: next.next,
    next_automatic_backup_additional: next.additional,
    state: app.manager.state,
  };
}

export async function backupDetails(app: LifeboatApp, backupId: string) {
  const { backup, agentErrors } = await app.manager.details(backupId);
  return { agent_errors: agentErrors, backup };
}

export async function deleteBackup(app: LifeboatApp, backupId: string) {
  const { agentErrors } = await app.manager.delete(backupId);
  return { agent_errors: agentErrors };
}

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

export async function generateBackup(app: LifeboatApp, params: z.infer<typeof GenerateSchema>) {
  const handle = await app.manager.beginCreate({
    validate: () => {
      if (params.include_all_addons && params.include_addons?.length) throw new BackupManagerError('Cannot include all addons and specify specific addons');
      if (params.include_addons?.length || params.include_all_addons || params.include_folders?.length) {
        throw new BackupManagerError('Addons and folders are not supported by core backup');
      }
      if (!params.include_homeassistant) throw new BackupManagerError('Home Assistant must be included in backup');
    },
    agentIds: params.agent_ids,
    includeDatabase: params.include_database,
    name: params.name ?? null,
    password: params.password ?? null,
    excludes: app.settings.config.excludes,
  });
  handle.done.catch((err: unknown) => app.log.warn('A backup failed', { error: (err as Error).message }));
  return { backup_job_id: handle.backupId };
}

export async function generateAutomatic(app: LifeboatApp) {
  const handle = await app.beginAutomatic();
  handle.done.catch(() => undefined);
  return { backup_job_id: handle.backupId };
}

export const RestoreSchema = z.object({
  backup_id: BackupIdSchema,
  agent_id: AgentIdSchema,
  password: z.string().nullable().optional(),
  restore_addons: z.array(z.string()).optional(),
  restore_database: z.boolean().default(true),
  restore_folders: z.array(z.enum(FOLDERS)).optional(),
  restore_homeassistant: z.boolean().default(true),
});

/** Checks that a location holds the backup; a backup missing there is a manager error, as in Home Assistant. */
async function checkOnAgent(app: LifeboatApp, backupId: string, agentId: string): Promise<void> {
  const agent = app.manager.agent(agentId);
  if (!agent) throw new ApiError('unknown_error', `Unknown backup agent ${agentId}`);
  try {
    await agent.get(backupId);
  } catch (err) {
    if (err instanceof BackupNotFound) throw new BackupManagerError(`Backup ${backupId} not found in agent ${agentId}`);
    throw err;
  }
}

export async function restoreBackup(app: LifeboatApp, params: z.infer<typeof RestoreSchema>) {
  if (params.restore_addons?.length || params.restore_folders?.length) throw new BackupManagerError('Addons and folders are not supported in core restore');
  if (!params.restore_homeassistant && !params.restore_database) throw new BackupManagerError('Home Assistant or database must be included in restore');
  await checkOnAgent(app, params.backup_id, params.agent_id);
  await app.manager.restore({
    backupId: params.backup_id,
    agentId: params.agent_id,
    password: params.password ?? null,
    strictPassword: true,
    restoreHomeassistant: params.restore_homeassistant,
    restoreDatabase: params.restore_database,
  });
  return null;
}

export const CanDecryptSchema = z.object({ backup_id: BackupIdSchema, agent_id: AgentIdSchema, password: z.string() });

export async function canDecryptOnDownload(app: LifeboatApp, params: z.infer<typeof CanDecryptSchema>) {
  await checkOnAgent(app, params.backup_id, params.agent_id);
  await app.manager.withBackupFile(params.backup_id, params.agent_id, (file) => withBackupReader(file, async (reader) => {
    if (!reader.backup.protected) return;
    for (const inner of reader.innerArchives()) {
      const enc = await reader.encryption(inner);
      if (enc.kind === 'v1') throw new DecryptOnDownloadNotSupported('This backup uses SecureTar v1, which cannot be decrypted on download');
      await reader.checkSecret(inner, params.password).catch((err: unknown) => {
        throw err instanceof IncorrectPasswordError ? new IncorrectPasswordError() : err;
      });
    }
  }));
  return null;
}

export async function configInfo(app: LifeboatApp) {
  return { config: await publicConfig(app) };
}

export async function configUpdate(app: LifeboatApp, payload: unknown) {
  await app.settings.update(payload);
  return null;
}
