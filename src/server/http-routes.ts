// HTTP endpoints in Home Assistant's conventions: streaming backup download (as stored, or
// decrypted on the fly with the password given or with Lifeboat's own key), streaming multipart
// upload straight to disk, entity states, REST service calls for backup.create /
// backup.create_automatic, diagnostics with secrets redacted, and the onboarding restore endpoints
// that work without a token only while the installation is empty (the restore reads its JSON body
// also when it is sent as text/plain, as Home Assistant's onboarding page sends it). Each route
// translates the request and calls the application core.

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { RestoreSchema, isValidAgentId, isValidBackupId } from '../core/types.js';
import { BackupNotFound, IncorrectPasswordError } from '../util/errors.js';
import { ApiError, apiErrorCode } from './api-errors.js';
import { BACKUP_SERVICE_NAMES, backupService } from './backup-services.js';
import { pacedBody, stopIdleTimer, type UploadPace } from './slow-clients.js';

export interface RouteOptions {
  maxUploadBytes: number;
  /** How slow an upload may be before it is abandoned (it holds the operation lock). */
  uploadPace: UploadPace;
}

function agentIdsOf(query: unknown): string[] {
  const raw = (query as Record<string, unknown>).agent_id;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map(String);
}

/** `1`, `true` or `yes` (any case) turn a query flag on. */
const flag = (value: unknown) => typeof value === 'string' && /^(1|true|yes)$/i.test(value);

async function receiveUpload(core: LifeboatCore, req: FastifyRequest, reply: FastifyReply, opts: RouteOptions): Promise<void> {
  const agentIds = agentIdsOf(req.query);
  core.receive.checkAgents(agentIds);
  const part = await req.file();
  if (!part) throw new ApiError('no_file', 'The request has no file part');
  const fileName = part.filename || 'backup.tar';
  try {
    core.receive.checkFileName(fileName);
  } catch (err) {
    part.file.resume();
    throw err;
  }
  // From here the upload's own pace is watched (idle and minimum rate) instead of the connection's
  // idle timer: a stall fails the receive job, which removes its file and releases the lock; the
  // 408 answer then closes the connection.
  stopIdleTimer(req.raw);
  const body = pacedBody(part.file as AsyncIterable<Buffer>, opts.uploadPace, () => {
    void reply.header('connection', 'close');
    reply.raw.once('finish', () => req.raw.socket.destroy());
  });
  const result = await core.receive.run({ fileName, agentIds, body, maxBytes: opts.maxUploadBytes });
  if ((part.file as { truncated?: boolean }).truncated) throw new ApiError('upload_too_large', 'The upload exceeds the size limit', 413);
  await reply.code(201).send({ backup_id: result.backupId });
}

/**
 * A JSON request body, also when it came as text/plain: Home Assistant reads the onboarding
 * restore's body as JSON whatever its Content-Type, and its onboarding page sends it as text. (A
 * text/plain POST needs no preflight; the browser guards have already refused it from other sites.)
 */
function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body ?? {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ApiError('invalid_format', 'The request body is not JSON');
  }
}

export function registerRoutes(server: FastifyInstance, core: LifeboatCore, opts: RouteOptions): void {
  server.get('/healthz', { config: { auth: 'public' } }, async () => ({ status: 'ok', state: core.status.state }));
  server.get('/api/', { config: { auth: 'read' } }, async () => ({ message: 'API running.' }));

  server.get('/api/backup/download/:backup_id', { config: { auth: 'admin' } }, async (req, reply) => {
    const { backup_id: backupId } = req.params as { backup_id: string };
    const query = req.query as { agent_id?: string; password?: string; decrypt?: string };
    const agentId = query.agent_id;
    if (!agentId || !isValidAgentId(agentId) || !core.backups.hasAgent(agentId)) throw new ApiError('invalid_agent_id', 'agent_id is missing or not a known backup agent');
    if (!isValidBackupId(backupId)) throw new ApiError('backup_not_found', `Backup ${backupId} not found`, 404);
    // Home Assistant's `password` decrypts with that password; Lifeboat's `decrypt=1` with its own key.
    const download = await core.downloads
      .open({ backupId, agentId, decrypt: query.password !== undefined || flag(query.decrypt), password: query.password ?? null })
      .catch((err: unknown) => {
        if (err instanceof BackupNotFound) throw new ApiError('backup_not_found', `Backup ${backupId} not found in agent ${agentId}`, 404);
        throw err;
      });
    const stream = Readable.from(download.stream, { objectMode: false });
    stream.on('close', () => void download.close());
    reply.header('content-type', 'application/x-tar');
    reply.header('content-disposition', `attachment; filename=${download.fileName}`);
    reply.header('content-length', String(download.size));
    return reply.send(stream);
  });

  server.post('/api/backup/upload', { config: { auth: 'admin' } }, (req, reply) => receiveUpload(core, req, reply, opts));

  server.get('/api/states', { config: { auth: 'read' } }, async () => core.status.entities());
  server.get('/api/states/:entity_id', { config: { auth: 'read' } }, async (req) => {
    const state = core.status.entity((req.params as { entity_id: string }).entity_id);
    if (!state) throw new ApiError('not_found', 'Entity not found.', 404);
    return state;
  });

  const serviceCall = async (run: () => Promise<unknown>) => {
    const changed = new Map<string, unknown>();
    const stop = core.status.onEntityChange((c) => changed.set(c.entity_id, c.new_state));
    try {
      await run();
    } finally {
      stop();
    }
    return [...changed.values()];
  };
  for (const service of BACKUP_SERVICE_NAMES) {
    const run = backupService(core, 'backup', service) as () => Promise<unknown>;
    server.post(`/api/services/backup/${service}`, { config: { auth: 'admin' } }, () => serviceCall(run));
  }

  server.get('/api/diagnostics', { config: { auth: 'admin' } }, async () => {
    return {
      backup_agents: core.backups.agents().map((a) => ({ name: a.name, agent_id: a.agent_id })),
      backup_config: await core.settings.publicConfig({ withSecrets: false }),
    };
  });

  // Onboarding: a fresh machine restores a backup before anything (or anyone) is set up.
  server.get('/api/onboarding/backup/info', { config: { auth: 'onboarding' } }, async () => {
    const info = await core.backups.info();
    return { backups: info.backups, state: info.state, last_action_event: info.last_action_event };
  });
  server.post('/api/onboarding/backup/upload', { config: { auth: 'onboarding' } }, (req, reply) => receiveUpload(core, req, reply, opts));
  server.post('/api/onboarding/backup/restore', { config: { auth: 'onboarding' } }, async (req, reply) => {
    const parsed = RestoreSchema.omit({ restore_homeassistant: true }).safeParse(jsonBody(req.body));
    if (!parsed.success) throw new ApiError('invalid_format', parsed.error.issues[0]?.message ?? 'invalid request');
    try {
      await core.restore.ha({ ...parsed.data, restore_homeassistant: true });
    } catch (err) {
      if (err instanceof IncorrectPasswordError) return reply.code(400).send({ code: 'incorrect_password' });
      return reply.code(400).send({ code: 'restore_failed', message: apiErrorCode(err).message });
    }
    return reply.code(200).send();
  });
}

export const RouteAuthSchema = z.enum(['public', 'read', 'admin', 'onboarding']);
export type RouteAuth = z.infer<typeof RouteAuthSchema>;
