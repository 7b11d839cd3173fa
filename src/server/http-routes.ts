// HTTP endpoints in Home Assistant's conventions: streaming backup download (with decrypt on
// download), streaming multipart upload straight to disk, entity states, REST service calls for
// backup.create / backup.create_automatic, diagnostics with secrets redacted, and the onboarding
// restore endpoints that work without a token only while the installation is empty.

import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { z } from 'zod';
import type { LifeboatApp } from '../app/lifeboat-app.js';
import { isSafeBackupName, slugifyName } from '../archive/backup-json.js';
import { BackupReader } from '../archive/backup-reader.js';
import { BackupNotFound, IncorrectPasswordError } from '../archive/errors.js';
import { planReencode } from '../archive/reencode.js';
import { isLocalAgent, isValidAgentId, isValidBackupId } from '../agents/agent.js';
import { DEFAULT_DATA_FOLDER, RESTORE_STAGING } from '../manager/data-folder.js';
import type { TokenStore } from '../settings/token-store.js';
import { ApiError, RestoreSchema, apiErrorCode, backupInfo, restoreBackup } from './backup-api.js';
import { publicConfig } from '../app/public-config.js';

export interface RouteOptions {
  maxUploadBytes: number;
}

function agentIdsOf(query: unknown): string[] {
  const raw = (query as Record<string, unknown>).agent_id;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map(String);
}

/** True while nothing is set up: no token yet and an installation folder with no configuration. */
export async function onboardingOpen(app: LifeboatApp, tokens: TokenStore): Promise<boolean> {
  if ((await tokens.count()) > 0) return false;
  const ignore = new Set(['backups', DEFAULT_DATA_FOLDER, RESTORE_STAGING, 'tmp_backups']);
  const entries = await readdir(app.manager.df.installation).catch(() => [] as string[]);
  return entries.every((e) => ignore.has(e) || app.manager.df.root.endsWith(`/${e}`));
}

async function receiveUpload(app: LifeboatApp, req: FastifyRequest, reply: FastifyReply, opts: RouteOptions): Promise<void> {
  const agentIds = agentIdsOf(req.query);
  if (agentIds.length === 0 || !agentIds.every(isValidAgentId)) throw new ApiError('invalid_agent_id', 'agent_id is required (one or more known backup agents)');
  const part = await req.file();
  if (!part) throw new ApiError('no_file', 'The request has no file part');
  const fileName = part.filename || 'backup.tar';
  if (!isSafeBackupName(fileName)) {
    part.file.resume();
    throw new ApiError('invalid_filename', `Invalid filename: ${fileName}`);
  }
  const result = await app.manager.receive({ fileName, agentIds, body: part.file as AsyncIterable<Buffer>, maxBytes: opts.maxUploadBytes });
  if ((part.file as { truncated?: boolean }).truncated) throw new ApiError('upload_too_large', 'The upload exceeds the size limit', 413);
  await reply.code(201).send({ backup_id: result.backupId });
}

export function registerRoutes(server: FastifyInstance, app: LifeboatApp, tokens: TokenStore, opts: RouteOptions): void {
  server.get('/healthz', { config: { auth: 'public' } }, async () => ({ status: 'ok', state: app.manager.state }));
  server.get('/api/', { config: { auth: 'read' } }, async () => ({ message: 'API running.' }));

  server.get('/api/backup/download/:backup_id', { config: { auth: 'admin' } }, async (req, reply) => {
    const { backup_id: backupId } = req.params as { backup_id: string };
    const query = req.query as { agent_id?: string; password?: string };
    const agentId = query.agent_id;
    if (!agentId || !isValidAgentId(agentId) || !app.manager.agent(agentId)) throw new ApiError('invalid_agent_id', 'agent_id is missing or not a known backup agent');
    if (!isValidBackupId(backupId)) throw new ApiError('backup_not_found', `Backup ${backupId} not found`, 404);
    const agent = app.manager.agent(agentId)!;
    const notFound = (err: unknown): never => {
      if (err instanceof BackupNotFound) throw new ApiError('backup_not_found', `Backup ${backupId} not found in agent ${agentId}`, 404);
      throw err;
    };
    if (!isLocalAgent(agent)) {
      // A remote copy streams straight through; decrypting one needs it on disk first.
      const record = await agent.get(backupId).catch(notFound);
      if (query.password === undefined || !record.protected) {
        const body = await agent.download(backupId).catch(notFound);
        reply.header('content-type', 'application/x-tar');
        reply.header('content-disposition', `attachment; filename=${slugifyName(record.name)}.tar`);
        reply.header('content-length', String(record.size));
        return reply.send(Readable.from(body, { objectMode: false }));
      }
    }
    const source = await app.manager.backupFile(backupId, agentId).catch(notFound);
    const file = source.file;
    const reader = await BackupReader.open(file).catch(async (err: unknown) => {
      await source.cleanup();
      throw err;
    });
    const done = () => void reader.close().finally(() => source.cleanup());
    try {
      const backup = reader.backup;
      reply.header('content-type', 'application/x-tar');
      reply.header('content-disposition', `attachment; filename=${slugifyName(backup.name)}.tar`);
      if (query.password !== undefined && backup.protected) {
        const plan = await planReencode(reader, { protect: false, password: query.password });
        reply.header('content-length', String(plan.size));
        const stream = Readable.from(plan.open());
        stream.on('close', done);
        return reply.send(stream);
      }
      reply.header('content-length', String(reader.source.size));
      await reader.close();
      const stream = createReadStream(file, { highWaterMark: 1 << 20 });
      stream.on('close', () => void source.cleanup());
      return reply.send(stream);
    } catch (err) {
      done();
      throw err;
    }
  });

  server.post('/api/backup/upload', { config: { auth: 'admin' } }, (req, reply) => receiveUpload(app, req, reply, opts));

  server.get('/api/states', { config: { auth: 'read' } }, async () => app.entities.all());
  server.get('/api/states/:entity_id', { config: { auth: 'read' } }, async (req) => {
    const state = app.entities.get((req.params as { entity_id: string }).entity_id);
    if (!state) throw new ApiError('not_found', 'Entity not found.', 404);
    return state;
  });

  const serviceCall = async (run: () => Promise<unknown>) => {
    const changed = new Map<string, unknown>();
    const stop = app.entities.changes.subscribe((c) => changed.set(c.entity_id, c.new_state));
    try {
      await run();
    } finally {
      stop();
    }
    return [...changed.values()];
  };
  server.post('/api/services/backup/create', { config: { auth: 'admin' } }, () =>
    serviceCall(() => app.manager.create({ agentIds: ['backup.local'], includeDatabase: true, password: null, excludes: app.settings.config.excludes })),
  );
  server.post('/api/services/backup/create_automatic', { config: { auth: 'admin' } }, () =>
    serviceCall(async () => (await app.beginAutomatic()).done),
  );

  server.get('/api/diagnostics', { config: { auth: 'admin' } }, async () => {
    return {
      backup_agents: app.manager.agents.map((a) => ({ name: a.name, agent_id: a.agentId })),
      backup_config: await publicConfig(app),
    };
  });

  // Onboarding: a fresh machine restores a backup before anything (or anyone) is set up.
  server.get('/api/onboarding/backup/info', { config: { auth: 'onboarding' } }, async () => {
    const info = await backupInfo(app);
    return { backups: info.backups, state: info.state, last_action_event: info.last_action_event };
  });
  server.post('/api/onboarding/backup/upload', { config: { auth: 'onboarding' } }, (req, reply) => receiveUpload(app, req, reply, opts));
  server.post('/api/onboarding/backup/restore', { config: { auth: 'onboarding' } }, async (req, reply) => {
    const parsed = RestoreSchema.omit({ restore_homeassistant: true }).safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError('invalid_format', parsed.error.issues[0]?.message ?? 'invalid request');
    try {
      await restoreBackup(app, { ...parsed.data, restore_homeassistant: true });
    } catch (err) {
      if (err instanceof IncorrectPasswordError) return reply.code(400).send({ code: 'incorrect_password' });
      return reply.code(400).send({ code: 'restore_failed', message: apiErrorCode(err).message });
    }
    return reply.code(200).send();
  });
}

export const RouteAuthSchema = z.enum(['public', 'read', 'admin', 'onboarding']);
export type RouteAuth = z.infer<typeof RouteAuthSchema>;
