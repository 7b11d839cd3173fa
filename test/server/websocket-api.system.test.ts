// Home Assistant's WebSocket API on a real `lifeboat serve` child process, driven by a real
// WebSocket client: the auth handshake, the envelope rules (ids, unknown commands, schema
// violations, ping), every backup/* command with its success and error paths (reference §8), the
// event stream during real creates and restores, the settings semantics of backup/config/update,
// entity states, Lifeboat's own commands, and what a read-only token may do.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventCollector, HaAuthError, HaCommandError, HaWsClient, RawWs, type WsMessage } from '../helpers/ha-ws-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, eventually, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { SUCCESSFUL_CREATE_EVENTS } from '../helpers/manager-events.js';

type Ev = Record<string, unknown>;

interface ManagerBackup {
  addons: unknown[];
  agents: Record<string, { protected: boolean; size: number }>;
  backup_id: string;
  date: string;
  database_included: boolean;
  extra_metadata: Record<string, string | boolean>;
  failed_addons: unknown[];
  failed_agent_ids: string[];
  failed_folders: unknown[];
  folders: unknown[];
  homeassistant_included: boolean;
  homeassistant_version: string | null;
  name: string;
  with_automatic_settings: boolean | null;
}

interface BackupInfo {
  agent_errors: Record<string, string>;
  backups: ManagerBackup[];
  last_attempted_automatic_backup: string | null;
  last_completed_automatic_backup: string | null;
  last_action_event: Ev | null;
  next_automatic_backup: string | null;
  next_automatic_backup_additional: boolean;
  state: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;
const isStateEvent = (e: Ev) => !('agent_id' in e) && !('lifeboat' in e);
const isIdle = (e: Ev) => e.manager_state === 'idle';

/** Expects the promise to fail with this code (and message, when given). */
async function expectError(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<HaCommandError> {
  const err = await p.then(
    (r) => {
      throw new Error(`expected ${code}, got success ${JSON.stringify(r)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HaCommandError);
  const e = err as HaCommandError;
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.serverMessage).toBe(message);
  else if (message) expect(e.serverMessage).toMatch(message);
  return e;
}

describe('WebSocket API of lifeboat serve', () => {
  let inst: string;
  let server: LifeboatServer;
  let adminToken: string;
  let readToken: string;
  let ws: HaWsClient;
  /** Every event of one backup/subscribe_events subscription held for the whole file. */
  const events = new EventCollector<Ev>();

  /** Runs a job-starting command and waits until the manager is idle again; returns the result. */
  async function runJob<T>(type: string, params: Record<string, unknown> = {}): Promise<{ result: T; events: Ev[] }> {
    const from = events.events.length;
    const result = await ws.call<T>(type, params);
    const idle = await events.waitFor(isIdle, 60_000, from);
    const upto = events.events.indexOf(idle, from);
    return { result, events: events.events.slice(from, upto + 1) };
  }

  async function info(): Promise<BackupInfo> {
    return ws.call<BackupInfo>('backup/info');
  }

  async function generate(params: Record<string, unknown> = {}): Promise<string> {
    const { result } = await runJob<{ backup_job_id: string }>('backup/generate', { agent_ids: ['backup.local'], ...params });
    return result.backup_job_id;
  }

  async function backupFiles(): Promise<string[]> {
    return (await readdir(join(inst, 'backups'))).filter((n) => n.endsWith('.tar')).sort();
  }

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-ws-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    // Some incompressible bytes, so a backup takes long enough to be seen running.
    await writeFile(join(inst, 'www-noise.bin'), randomBytes(6 << 20));
    adminToken = await createToken(inst, 'admin');
    readToken = await createToken(inst, 'dashboard', true);
    server = await startServerProcess({ installation: inst });
    ws = await HaWsClient.connect(server.wsUrl, adminToken);
    await ws.subscribe('backup/subscribe_events', {}, events.push);
  });

  afterEach(async () => {
    // A failed test must not leave a job running into the next one.
    await eventually(async () => (await info()).state === 'idle', 'the manager to be idle', 60_000);
  });

  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  describe('auth handshake', () => {
    it('sends auth_required with ha_version as the first message, before the client says anything', async () => {
      const raw = await RawWs.open(server.wsUrl);
      try {
        const first = await raw.next();
        expect(first).toEqual({ type: 'auth_required', ha_version: expect.stringMatching(/^\d{4}\.\d+\.\d+$/), lifeboat_version: expect.any(String) });
      } finally {
        raw.close();
      }
    });

    it('answers a wrong token with auth_invalid and closes the socket', async () => {
      const raw = await RawWs.open(server.wsUrl, { localAddress: '127.0.0.21' });
      await raw.next();
      raw.send({ type: 'auth', access_token: 'lbt_not-a-real-token' });
      const answer = await raw.next();
      expect(answer).toEqual({ type: 'auth_invalid', message: expect.any(String) });
      const closed = await raw.closed;
      expect(closed.code).toBeGreaterThanOrEqual(4000);
    });

    it('rejects an auth message without a token, and commands sent instead of auth, with auth_invalid', async () => {
      await expect(HaWsClient.connect(server.wsUrl, null, { localAddress: '127.0.0.22' })).rejects.toBeInstanceOf(HaAuthError);
      const raw = await RawWs.open(server.wsUrl, { localAddress: '127.0.0.22' });
      await raw.next();
      raw.send({ id: 1, type: 'backup/info' });
      expect((await raw.next()).type).toBe('auth_invalid');
      await raw.closed;
      expect(raw.received.some((m) => m.type === 'result')).toBe(false);
    });

    it('answers the right token with auth_ok carrying the same ha_version', async () => {
      const raw = await RawWs.open(server.wsUrl);
      try {
        const required = await raw.next();
        raw.send({ type: 'auth', access_token: adminToken });
        expect(await raw.next()).toEqual({ type: 'auth_ok', ha_version: required.ha_version, lifeboat_version: required.lifeboat_version });
      } finally {
        raw.close();
      }
    });
  });

  describe('envelope', () => {
    it('answers ping with pong carrying the same id', async () => {
      const pong = await ws.ping();
      expect(pong).toEqual({ id: expect.any(Number), type: 'pong' });
    });

    it('refuses an id that does not increase with id_reuse and keeps serving higher ids', async () => {
      const c = await HaWsClient.connect(server.wsUrl, adminToken);
      try {
        expect((await c.request({ id: 5, type: 'ping' })).type).toBe('pong');
        expect(await c.request({ id: 5, type: 'backup/agents/info' })).toMatchObject({ id: 5, type: 'result', success: false, error: { code: 'id_reuse' } });
        expect(await c.request({ id: 3, type: 'ping' })).toMatchObject({ id: 3, success: false, error: { code: 'id_reuse' } });
        expect(await c.request({ id: 6, type: 'backup/agents/info' })).toMatchObject({ id: 6, success: true });
      } finally {
        c.close();
      }
    });

    it('answers an unknown command with unknown_command', async () => {
      await expectError(ws.call('backup/frobnicate'), 'unknown_command');
      await expectError(ws.call('config/core/update', { latitude: 1 }), 'unknown_command');
    });

    it('answers schema violations with invalid_format', async () => {
      await expectError(ws.call('backup/details', { backup_id: 42 }), 'invalid_format');
      await expectError(ws.call('backup/details', { backup_id: '../../etc/passwd' }), 'invalid_format');
      await expectError(ws.call('backup/details', {}), 'invalid_format');
      await expectError(ws.call('backup/generate', {}), 'invalid_format');
      await expectError(ws.call('backup/generate', { agent_ids: 'backup.local' }), 'invalid_format');
      await expectError(ws.call('backup/restore', { backup_id: 'abc', agent_id: 'backup.local', restore_database: 'yes' }), 'invalid_format');
      await expectError(ws.call('backup/can_decrypt_on_download', { backup_id: 'abc', agent_id: 'backup.local' }), 'invalid_format');
      // A message without an id, and one that is not JSON, are answered with id null.
      expect(await ws.request({ type: 'backup/info' }, null)).toMatchObject({ id: null, success: false, error: { code: 'invalid_format' } });
      expect(await ws.request('{not json')).toMatchObject({ id: null, success: false, error: { code: 'invalid_format' } });
      const badId = ws.nextId();
      expect(await ws.request({ id: badId, type: 42 })).toMatchObject({ id: badId, success: false, error: { code: 'invalid_format' } });
      expect((await ws.ping()).type).toBe('pong');
    });
  });

  describe('backup/* commands', () => {
    it('backup/agents/info lists the local agent', async () => {
      expect(await ws.call('backup/agents/info')).toEqual({ agents: [{ agent_id: 'backup.local', name: 'local' }] });
    });

    it('backup/generate returns the backup_job_id, which becomes the id of the stored backup', async () => {
      const id = await generate({ name: 'Before upgrade', password: 'gen-pw' });
      expect(id).toMatch(/^[0-9a-f]{8}$/);
      const backup = (await info()).backups.find((b) => b.backup_id === id);
      expect(backup).toMatchObject({ name: 'Before upgrade', agents: { 'backup.local': { protected: true } }, database_included: true });
    });

    it('backup/info reports every field with Home Assistant types', async () => {
      const id = await generate({ name: 'Info check', include_database: false });
      const result = await info();
      expect(Object.keys(result).sort()).toEqual([
        'agent_errors',
        'backups',
        'last_action_event',
        'last_attempted_automatic_backup',
        'last_completed_automatic_backup',
        'last_completed_automatic_backup_id',
        'next_automatic_backup',
        'next_automatic_backup_additional',
        'state',
      ]);
      expect(result.agent_errors).toEqual({});
      expect(result.state).toBe('idle');
      expect(result.last_action_event).toEqual({ manager_state: 'create_backup', reason: null, stage: null, state: 'completed' });
      expect(result.next_automatic_backup).toBeNull();
      expect(result.next_automatic_backup_additional).toBe(false);
      const backup = result.backups.find((b) => b.backup_id === id) as ManagerBackup;
      expect(Object.keys(backup).sort()).toEqual([
        'addons',
        'agents',
        'backup_id',
        'database_included',
        'date',
        'extra_metadata',
        'failed_addons',
        'failed_agent_ids',
        'failed_folders',
        'folders',
        'homeassistant_included',
        'homeassistant_version',
        'name',
        'with_automatic_settings',
      ]);
      expect(backup).toMatchObject({
        addons: [],
        backup_id: id,
        database_included: false,
        failed_addons: [],
        failed_agent_ids: [],
        failed_folders: [],
        folders: [],
        homeassistant_included: true,
        homeassistant_version: '2026.7.3',
        name: 'Info check',
        with_automatic_settings: false,
      });
      expect(backup.date).toMatch(ISO);
      expect(backup.agents['backup.local']).toEqual({ protected: false, size: expect.any(Number) });
      expect(Number.isInteger(backup.agents['backup.local']!.size)).toBe(true);
      for (const value of Object.values(backup.extra_metadata)) expect(['string', 'boolean']).toContain(typeof value);
    });

    it('backup/details returns the record of an existing backup and backup null for an unknown id', async () => {
      const id = await generate({ name: 'Details' });
      const listed = (await info()).backups.find((b) => b.backup_id === id);
      expect(await ws.call('backup/details', { backup_id: id })).toEqual({ agent_errors: {}, backup: listed });
      expect(await ws.call('backup/details', { backup_id: 'deadbeef' })).toEqual({ agent_errors: {}, backup: null });
    });

    it('backup/delete removes the backup file from every agent; an unknown id is not an error', async () => {
      const before = await backupFiles();
      const id = await generate({ name: 'To delete' });
      expect((await backupFiles()).length).toBe(before.length + 1);
      expect(await ws.call('backup/delete', { backup_id: id })).toEqual({ agent_errors: {} });
      expect(await backupFiles()).toEqual(before);
      expect(await ws.call('backup/details', { backup_id: id })).toEqual({ agent_errors: {}, backup: null });
      expect(await ws.call('backup/delete', { backup_id: id })).toEqual({ agent_errors: {} });
    });

    it('backup/generate refuses what core backup cannot do, with the reference messages', async () => {
      const before = await backupFiles();
      await expectError(ws.call('backup/generate', { agent_ids: ['backup.local'], include_homeassistant: false }), 'home_assistant_error', 'Home Assistant must be included in backup');
      for (const params of [{ include_addons: ['core_ssh'] }, { include_folders: ['media'] }, { include_all_addons: true }]) {
        await expectError(ws.call('backup/generate', { agent_ids: ['backup.local'], ...params }), 'home_assistant_error', 'Addons and folders are not supported by core backup');
      }
      await expectError(
        ws.call('backup/generate', { agent_ids: ['backup.nope'] }),
        'home_assistant_error',
        'At least one available backup agent must be selected, got [backup.nope]',
      );
      await expectError(ws.call('backup/generate', { agent_ids: [] }), 'home_assistant_error', 'At least one available backup agent must be selected, got []');
      await expectError(ws.call('backup/generate', { agent_ids: ['backup.local'], include_folders: ['not-a-folder'] }), 'invalid_format');
      // A refused request has its manager back to idle before the answer is sent.
      expect((await info()).state).toBe('idle');
      expect(await backupFiles()).toEqual(before);
    });

    it('backup/generate for an unavailable agent reports create in_progress → failed (backup_manager_error) → idle', async () => {
      const from = events.events.length;
      await expectError(ws.call('backup/generate', { agent_ids: ['backup.nope'] }), 'home_assistant_error');
      await events.waitFor(isIdle, 10_000, from);
      expect(events.events.slice(from).filter(isStateEvent)).toEqual([
        { manager_state: 'create_backup', reason: null, stage: null, state: 'in_progress' },
        { manager_state: 'create_backup', reason: 'backup_manager_error', stage: null, state: 'failed' },
        { manager_state: 'idle' },
      ]);
    });

    it('backup/generate refused by the core writer (add-ons) still reports in_progress → failed → idle, as Home Assistant does (§2.1 step 3)', async () => {
      const from = events.events.length;
      await expectError(ws.call('backup/generate', { agent_ids: ['backup.local'], include_addons: ['core_ssh'] }), 'home_assistant_error');
      await events.waitFor(isIdle, 10_000, from);
      expect(events.events.slice(from).filter(isStateEvent)).toEqual([
        { manager_state: 'create_backup', reason: null, stage: null, state: 'in_progress' },
        { manager_state: 'create_backup', reason: 'backup_manager_error', stage: null, state: 'failed' },
        { manager_state: 'idle' },
      ]);
      expect((await info()).last_action_event).toEqual({ manager_state: 'create_backup', reason: 'backup_manager_error', stage: null, state: 'failed' });
    });

    it('backup/generate and backup/restore while a backup is running fail with "Backup manager busy: create_backup"', async () => {
      const existing = await generate({ name: 'Busy existing' });
      const from = events.events.length;
      await ws.call<{ backup_job_id: string }>('backup/generate', { agent_ids: ['backup.local'], name: 'Busy first' });
      await expectError(ws.call('backup/generate', { agent_ids: ['backup.local'], name: 'Busy second' }), 'home_assistant_error', 'Backup manager busy: create_backup');
      await expectError(ws.call('backup/restore', { backup_id: existing, agent_id: 'backup.local' }), 'home_assistant_error', 'Backup manager busy: create_backup');
      await expectError(ws.call('backup/generate_with_automatic_settings'), 'home_assistant_error', 'Backup manager busy: create_backup');
      await events.waitFor(isIdle, 60_000, from);
      const names = (await info()).backups.map((b) => b.name);
      expect(names).toContain('Busy first');
      expect(names).not.toContain('Busy second');
    });

    it('backup/generate_with_automatic_settings needs configured agents, then backs up with the automatic settings', async () => {
      await expectError(ws.call('backup/generate_with_automatic_settings'), 'home_assistant_error', 'At least one available backup agent must be selected, got []');
      expect(
        await ws.call('backup/config/update', {
          create_backup: { agent_ids: ['backup.local'], name: 'Nightly', include_database: false, password: 'AUTO-KEY1-2345' },
          automatic_backups_configured: true,
        }),
      ).toBeNull();
      const started = Date.now();
      const { result } = await runJob<{ backup_job_id: string }>('backup/generate_with_automatic_settings');
      const after = await info();
      const backup = after.backups.find((b) => b.backup_id === result.backup_job_id);
      expect(backup).toMatchObject({ name: 'Nightly', with_automatic_settings: true, database_included: false, agents: { 'backup.local': { protected: true } } });
      expect(after.last_attempted_automatic_backup).toMatch(ISO);
      expect(Date.parse(after.last_attempted_automatic_backup as string)).toBeGreaterThanOrEqual(started - 2000);
      let completed: string | null = null;
      await eventually(async () => (completed = (await info()).last_completed_automatic_backup) !== null, 'last_completed_automatic_backup', 5000);
      expect(completed).toMatch(ISO);
      // The configured key opens it.
      expect(await ws.call('backup/can_decrypt_on_download', { backup_id: result.backup_job_id, agent_id: 'backup.local', password: 'AUTO-KEY1-2345' })).toBeNull();
    });

    it('records last_completed_automatic_backup as soon as the uploads succeeded, before cleaning_up and completed are reported (§2.1, §5.5)', async () => {
      const configInfo = async () => (await ws.call<{ config: { last_completed_automatic_backup: string | null } }>('backup/config/info')).config;
      const before = (await configInfo()).last_completed_automatic_backup;
      const from = events.events.length;
      // Read the settings the moment cleaning_up (and completed) arrive. Home Assistant sets
      // last_completed_automatic_backup right after the uploads, before emitting cleaning_up.
      const seenAt: Record<string, Promise<string | null>> = {};
      const sub = await ws.subscribe('backup/subscribe_events', {}, (e) => {
        const ev = e as Ev;
        if (ev.manager_state !== 'create_backup') return;
        const key = ev.state === 'completed' ? 'completed' : ev.stage === 'cleaning_up' ? 'cleaning_up' : null;
        if (key && !(key in seenAt)) seenAt[key] = configInfo().then((c) => c.last_completed_automatic_backup);
      });
      await ws.call('backup/generate_with_automatic_settings');
      await events.waitFor(isIdle, 60_000, from);
      await ws.unsubscribe(sub);
      expect(Object.keys(seenAt).sort()).toEqual(['cleaning_up', 'completed']);
      const atCleaningUp = await seenAt.cleaning_up;
      const atCompleted = await seenAt.completed;
      expect({ atCleaningUp, atCompleted }).toEqual({ atCleaningUp: expect.stringMatching(ISO), atCompleted: expect.stringMatching(ISO) });
      expect(atCleaningUp).not.toBe(before);
    });

    it('backup/restore restores a backup in place and refuses bad requests with the reference codes', async () => {
      const id = await generate({ name: 'Restore me', password: 'restore-pw' });
      const original = await readFile(join(inst, 'configuration.yaml'), 'utf8');
      await writeFile(join(inst, 'configuration.yaml'), 'broken: [\n');
      await writeFile(join(inst, 'added-later.yaml'), 'x\n');

      await expectError(ws.call('backup/restore', { backup_id: id, agent_id: 'backup.local', password: 'wrong' }), 'password_incorrect');
      await expectError(ws.call('backup/restore', { backup_id: id, agent_id: 'backup.local' }), 'password_incorrect');
      await expectError(ws.call('backup/restore', { backup_id: 'deadbeef', agent_id: 'backup.local' }), 'home_assistant_error', 'Backup deadbeef not found in agent backup.local');
      await expectError(
        ws.call('backup/restore', { backup_id: id, agent_id: 'backup.local', password: 'restore-pw', restore_homeassistant: false, restore_database: false }),
        'home_assistant_error',
        'Home Assistant or database must be included in restore',
      );
      await expectError(
        ws.call('backup/restore', { backup_id: id, agent_id: 'backup.local', password: 'restore-pw', restore_addons: ['core_ssh'] }),
        'home_assistant_error',
        'Addons and folders are not supported in core restore',
      );
      await expectError(ws.call('backup/restore', { backup_id: id, agent_id: 'backup.elsewhere', password: 'restore-pw' }), 'unknown_error');
      // Nothing was touched by the refused requests.
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('broken: [\n');

      const { result, events: seen } = await runJob('backup/restore', { backup_id: id, agent_id: 'backup.local', password: 'restore-pw' });
      expect(result).toBeNull();
      expect(seen.filter(isStateEvent)).toEqual([
        { manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' },
        { manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' },
        { manager_state: 'idle' },
      ]);
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(original);
      await expect(stat(join(inst, 'added-later.yaml'))).rejects.toThrow();
      // The server keeps serving on the restored installation.
      expect((await info()).state).toBe('idle');
    });

    it('backup/can_decrypt_on_download accepts the right password, refuses a wrong one, and accepts an unencrypted backup', async () => {
      const encrypted = await generate({ name: 'Decryptable', password: 'dl-pw' });
      const plain = await generate({ name: 'Plain' });
      expect(await ws.call('backup/can_decrypt_on_download', { backup_id: encrypted, agent_id: 'backup.local', password: 'dl-pw' })).toBeNull();
      await expectError(ws.call('backup/can_decrypt_on_download', { backup_id: encrypted, agent_id: 'backup.local', password: 'nope' }), 'password_incorrect');
      expect(await ws.call('backup/can_decrypt_on_download', { backup_id: plain, agent_id: 'backup.local', password: 'anything' })).toBeNull();
      await expectError(ws.call('backup/can_decrypt_on_download', { backup_id: 'deadbeef', agent_id: 'backup.local', password: 'x' }), 'home_assistant_error', 'Backup deadbeef not found in agent backup.local');
    });
  });

  describe('backup/subscribe_events', () => {
    it('sends the current event before the result, then every event of a create and a restore; unsubscribe stops them', async () => {
      const c = await HaWsClient.connect(server.wsUrl, adminToken);
      try {
        const mine = new EventCollector<Ev>();
        const sub = await c.subscribe('backup/subscribe_events', {}, mine.push);
        const firstEvent = c.log.findIndex((m: WsMessage) => m.type === 'event' && m.id === sub);
        const result = c.log.findIndex((m: WsMessage) => m.type === 'result' && m.id === sub);
        expect(firstEvent).toBeGreaterThanOrEqual(0);
        expect(firstEvent).toBeLessThan(result);
        expect(mine.events[0]).toEqual({ manager_state: 'idle' });

        const { result: job } = await runJob<{ backup_job_id: string }>('backup/generate', { agent_ids: ['backup.local'], name: 'Evented', password: 'ev-pw' });
        await mine.waitFor(isIdle, 10_000, 1);
        expect(mine.events.slice(1).filter(isStateEvent)).toEqual(SUCCESSFUL_CREATE_EVENTS);
        // Lifeboat's own progress events do not go to Home Assistant subscribers.
        expect(mine.events.some((e) => 'lifeboat' in e)).toBe(false);

        const mark = mine.events.length;
        await runJob('backup/restore', { backup_id: job.backup_job_id, agent_id: 'backup.local', password: 'ev-pw', restore_homeassistant: false });
        await mine.waitFor(isIdle, 10_000, mark);
        expect(mine.events.slice(mark).filter(isStateEvent)).toEqual([
          { manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' },
          { manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' },
          { manager_state: 'idle' },
        ]);

        await c.unsubscribe(sub);
        const count = mine.events.length;
        await generate({ name: 'After unsubscribe' });
        await c.ping();
        expect(mine.events.length).toBe(count);
        await expectError(c.call('unsubscribe_events', { subscription: sub }), 'not_found');
      } finally {
        c.close();
      }
    });
  });

  describe('backup/config/info and backup/config/update', () => {
    interface Config {
      agents: Record<string, { protected: boolean; retention: { copies: number | null; days: number | null } | null }>;
      automatic_backups_configured: boolean;
      create_backup: Record<string, unknown>;
      retention: { copies: number | null; days: number | null };
      schedule: { recurrence: string; days: string[]; time: string | null };
      next_automatic_backup: string | null;
      next_automatic_backup_additional: boolean;
      last_attempted_automatic_backup: string | null;
      last_completed_automatic_backup: string | null;
    }
    const config = async () => (await ws.call<{ config: Config }>('backup/config/info')).config;
    const update = (payload: Record<string, unknown>) => ws.call('backup/config/update', payload);

    it('shows the Home Assistant fields, with the password redacted and the key nowhere', async () => {
      await update({ create_backup: { password: 'SECRET-KEY9-ZZZZ' } });
      const raw = await ws.request({ id: ws.nextId(), type: 'backup/config/info' });
      expect(JSON.stringify(raw)).not.toContain('SECRET-KEY9-ZZZZ');
      const c = (raw.result as { config: Config }).config;
      for (const key of ['agents', 'automatic_backups_configured', 'create_backup', 'last_attempted_automatic_backup', 'last_completed_automatic_backup', 'retention', 'schedule', 'next_automatic_backup', 'next_automatic_backup_additional']) {
        expect(c).toHaveProperty(key);
      }
      expect(c.create_backup).toMatchObject({ include_addons: null, include_all_addons: false, include_folders: null, password: '**REDACTED**' });
      expect(typeof c.next_automatic_backup_additional).toBe('boolean');
      await update({ create_backup: { password: null } });
      expect((await config()).create_backup.password).toBeNull();
    });

    it('replaces schedule and retention as a whole, merges agents and create_backup', async () => {
      await update({ schedule: { recurrence: 'daily', time: '04:45' } });
      let c = await config();
      // Home Assistant stores a time of day and shows it as HH:MM:SS.
      expect(c.schedule).toMatchObject({ recurrence: 'daily', days: [], time: '04:45:00' });
      expect(c.next_automatic_backup).toMatch(ISO);
      const next = new Date(c.next_automatic_backup as string);
      expect(next.getTime()).toBeGreaterThan(Date.now());
      await update({ schedule: { recurrence: 'daily' } });
      expect((await config()).schedule).toMatchObject({ recurrence: 'daily', days: [], time: null });
      await update({ schedule: { recurrence: 'custom_days', days: ['mon', 'thu'], time: '03:00:00' } });
      expect((await config()).schedule).toMatchObject({ recurrence: 'custom_days', days: ['mon', 'thu'], time: '03:00:00' });
      await update({ schedule: {} });
      c = await config();
      expect(c.schedule).toMatchObject({ recurrence: 'never', days: [], time: null });
      expect(c.next_automatic_backup).toBeNull();

      await update({ retention: { copies: 3 } });
      expect((await config()).retention).toEqual({ copies: 3, days: null });
      await update({ retention: { days: 7 } });
      expect((await config()).retention).toEqual({ copies: null, days: 7 });
      await update({ retention: {} });
      expect((await config()).retention).toEqual({ copies: null, days: null });

      await update({ agents: { 'backup.local': { retention: { copies: 2, days: null } } } });
      expect((await config()).agents['backup.local']).toEqual({ protected: true, retention: { copies: 2, days: null } });
      await update({ agents: { 'backup.local': { protected: false } } });
      expect((await config()).agents['backup.local']).toEqual({ protected: false, retention: { copies: 2, days: null } });
      await update({ agents: { 'backup.local': { retention: null } } });
      expect((await config()).agents['backup.local']).toEqual({ protected: false, retention: null });
      // Protected again: an unprotected local folder would keep later backups made with a password unencrypted.
      await update({ agents: { 'backup.local': { protected: true } } });

      await update({ create_backup: { name: 'Merged name' } });
      await update({ create_backup: { include_database: true } });
      expect((await config()).create_backup).toMatchObject({ name: 'Merged name', include_database: true, agent_ids: ['backup.local'] });

      await update({ automatic_backups_configured: false });
      expect((await config()).automatic_backups_configured).toBe(false);
    });

    it('refuses invalid payloads with invalid_format and changes nothing', async () => {
      const before = await config();
      for (const payload of [
        { retention: { copies: 0 } },
        { retention: { days: -1 } },
        { retention: { copies: 1.5 } },
        { schedule: { days: ['mon', 'mon'], recurrence: 'custom_days' } },
        { schedule: { recurrence: 'hourly' } },
        { schedule: { time: '25:00' } },
        { create_backup: { agent_ids: ['backup.local', 'backup.local'] } },
        { create_backup: { include_database: 'yes' } },
        { agents: { 'backup.local': { protected: 'no' } } },
        { not_a_setting: true },
      ]) {
        await expectError(update(payload), 'invalid_format');
      }
      expect(await config()).toEqual(before);
    });
  });

  describe('entities', () => {
    it('get_states returns the five Backup entities', async () => {
      const states = await ws.call<{ entity_id: string; state: string; attributes: Record<string, unknown> }[]>('get_states');
      expect(states.map((s) => s.entity_id).sort()).toEqual([
        'event.backup_automatic_backup',
        'sensor.backup_backup_manager_state',
        'sensor.backup_last_attempted_automatic_backup',
        'sensor.backup_last_successful_automatic_backup',
        'sensor.backup_next_scheduled_automatic_backup',
      ]);
      const manager = states.find((s) => s.entity_id === 'sensor.backup_backup_manager_state');
      expect(manager?.state).toBe('idle');
      expect(manager?.attributes.options).toEqual(['idle', 'create_backup', 'blocked', 'receive_backup', 'restore_backup']);
    });

    it('subscribe_events delivers state_changed events of the Backup entities while a backup runs', async () => {
      const changes = new EventCollector<{ event_type: string; data: { entity_id: string; new_state: { state: string } } }>();
      const sub = await ws.subscribe('subscribe_events', { event_type: 'state_changed' }, changes.push);
      await generate({ name: 'Entity run' });
      const managerState = (s: string) => (e: { data: { entity_id: string; new_state: { state: string } } }) =>
        e.data.entity_id === 'sensor.backup_backup_manager_state' && e.data.new_state.state === s;
      await changes.waitFor(managerState('create_backup'), 10_000);
      await changes.waitFor(managerState('idle'), 10_000);
      expect(changes.events.every((e) => e.event_type === 'state_changed')).toBe(true);
      expect(changes.events.some((e) => e.data.entity_id === 'event.backup_automatic_backup')).toBe(true);
      await ws.unsubscribe(sub);
      const count = changes.events.length;
      await generate({ name: 'Entity run after unsubscribe' });
      await ws.ping();
      expect(changes.events.length).toBe(count);
    });

    it('subscribe_events for another event type delivers nothing and can be unsubscribed like any subscription', async () => {
      const other = new EventCollector();
      const sub = await ws.subscribe('subscribe_events', { event_type: 'call_service' }, other.push);
      await generate({ name: 'Other event type' });
      expect(other.events).toEqual([]);
      // Home Assistant clients unsubscribe every subscription they made; that must not fail.
      await ws.unsubscribe(sub);
    });
  });

  describe('lifeboat/* commands', () => {
    it('lifeboat/verify checks a stored backup end to end and reports a wrong password', async () => {
      const id = await generate({ name: 'Verify me', password: 'verify-pw' });
      const ok = await ws.call<{ ok: boolean; problems: unknown[]; members: { name: string; digestMatches: boolean | null }[] }>('lifeboat/verify', {
        backup_id: id,
        password: 'verify-pw',
      });
      expect(ok.ok).toBe(true);
      expect(ok.problems).toEqual([]);
      expect(ok.members).toEqual([expect.objectContaining({ name: 'homeassistant.tar.gz', digestMatches: true })]);
      const bad = await ws.call<{ ok: boolean; problems: { code: string }[] }>('lifeboat/verify', { backup_id: id, password: 'wrong' });
      expect(bad.ok).toBe(false);
      expect(bad.problems.map((p) => p.code)).toContain('password_incorrect');
      await expectError(ws.call('lifeboat/verify', { backup_id: 'deadbeef' }), 'backup_not_found');
    });

    it('lifeboat/retention/preview lists what retention would delete without deleting it', async () => {
      const automatic = (await info()).backups.filter((b) => b.with_automatic_settings === true);
      expect(automatic.length).toBeGreaterThanOrEqual(1);
      await ws.call('backup/config/update', { create_backup: { agent_ids: ['backup.local'] } });
      const second = await runJob<{ backup_job_id: string }>('backup/generate_with_automatic_settings');
      await ws.call('backup/config/update', { retention: { copies: 1 } });
      const plan = await ws.call<{ mode: string; deletions: { backupId: string; agentIds: string[] }[]; kept: { backupId?: string }[] }>('lifeboat/retention/preview', { mode: 'count' });
      expect(plan.mode).toBe('count');
      const newest = second.result.backup_job_id;
      expect(plan.deletions.map((d) => d.backupId)).not.toContain(newest);
      expect(plan.deletions.length).toBe(automatic.length);
      // Only a preview: everything is still there.
      const ids = (await info()).backups.map((b) => b.backup_id);
      for (const d of plan.deletions) expect(ids).toContain(d.backupId);
      await ws.call('backup/config/update', { retention: {} });
      await expectError(ws.call('lifeboat/retention/preview', { mode: 'sometimes' }), 'invalid_format');
    });

    it('lifeboat/key/info shows the fingerprint, never the key', async () => {
      await ws.call('backup/config/update', { create_backup: { password: 'KEYINFO-SECRET-1' } });
      const raw = await ws.request({ id: ws.nextId(), type: 'lifeboat/key/info' });
      expect(JSON.stringify(raw)).not.toContain('KEYINFO-SECRET-1');
      const keyInfo = raw.result as { fingerprint: string; encrypted: boolean; keyring: { fingerprint: string }[] };
      expect(keyInfo.fingerprint).toEqual(expect.any(String));
      expect(keyInfo.encrypted).toBe(true);
      expect(keyInfo.keyring.map((k) => k.fingerprint)).toContain(keyInfo.fingerprint);
    });

    it('lifeboat/subscribe_progress streams Lifeboat progress events during a backup', async () => {
      const progress = new EventCollector<{ lifeboat: string; manager_state: string; step: string; done_bytes: number }>();
      const sub = await ws.subscribe('lifeboat/subscribe_progress', {}, progress.push);
      await generate({ name: 'Progress' });
      await ws.ping();
      expect(progress.events.length).toBeGreaterThan(0);
      expect(progress.events.every((e) => e.lifeboat === 'progress' && e.manager_state === 'create_backup')).toBe(true);
      expect(new Set(progress.events.map((e) => e.step))).toEqual(new Set(['copy_databases', 'write_archive']));
      await ws.unsubscribe(sub);
    });
  });

  describe('read-only tokens', () => {
    it('may read backup/info and the config, but get unauthorized for anything that changes something', async () => {
      const ro = await HaWsClient.connect(server.wsUrl, readToken);
      try {
        expect((await ro.call<BackupInfo>('backup/info')).state).toBe('idle');
        expect(await ro.call('backup/agents/info')).toEqual({ agents: [{ agent_id: 'backup.local', name: 'local' }] });
        await ro.call('backup/config/info');
        const before = await backupFiles();
        await expectError(ro.call('backup/generate', { agent_ids: ['backup.local'] }), 'unauthorized');
        await expectError(ro.call('backup/generate_with_automatic_settings'), 'unauthorized');
        await expectError(ro.call('backup/config/update', { retention: { copies: 1 } }), 'unauthorized');
        await expectError(ro.call('backup/delete', { backup_id: 'deadbeef' }), 'unauthorized');
        await expectError(ro.call('backup/restore', { backup_id: 'deadbeef', agent_id: 'backup.local' }), 'unauthorized');
        await expectError(ro.call('lifeboat/key/show'), 'unauthorized');
        await expectError(ro.call('lifeboat/key/rotate'), 'unauthorized');
        expect(await backupFiles()).toEqual(before);
        expect((await config2(ro)).retention).toEqual({ copies: null, days: null });
      } finally {
        ro.close();
      }
    });

    it('see the notification URLs, each its own secret, only as REDACTED; an admin sees them and may send REDACTED back to keep them', async () => {
      const hook = 'https://ha.example.invalid/api/webhook/SECRET-HOOK-1';
      await ws.call('backup/config/update', { notifications: { webhook_url: hook, ntfy_url: null } });
      const ro = await HaWsClient.connect(server.wsUrl, readToken);
      try {
        const raw = await ro.request({ id: ro.nextId(), type: 'backup/config/info' });
        expect(JSON.stringify(raw)).not.toContain('SECRET-HOOK-1');
        expect(await notificationsOf(ro)).toMatchObject({ webhook_url: '**REDACTED**', ntfy_url: null });
      } finally {
        ro.close();
      }
      expect(await notificationsOf(ws)).toMatchObject({ webhook_url: hook, ntfy_url: null });
      await ws.call('backup/config/update', { notifications: { webhook_url: '**REDACTED**', failing_location_after: 2 } });
      expect(await notificationsOf(ws)).toMatchObject({ webhook_url: hook, failing_location_after: 2 });
      await ws.call('backup/config/update', { notifications: { webhook_url: null, failing_location_after: 3 } });
    });
  });
});

async function notificationsOf(c: HaWsClient): Promise<{ webhook_url: string | null; ntfy_url: string | null }> {
  return (await c.call<{ config: { notifications: { webhook_url: string | null; ntfy_url: string | null } } }>('backup/config/info')).config.notifications;
}

async function config2(c: HaWsClient): Promise<{ retention: unknown }> {
  return (await c.call<{ config: { retention: unknown } }>('backup/config/info')).config;
}
