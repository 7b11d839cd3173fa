// Home Assistant's own JavaScript client (home-assistant-js-websocket) against a real `lifeboat
// serve`, unchanged, as dashboards and Home Assistant's frontend use it against Home Assistant:
// the handshake with a long-lived token, the user, the configuration, the services (and calling
// them), entity states (also followed through a real backup with subscribeEntities), and every
// backup/* command through `sendMessagePromise` and `subscribeMessage`, with results and errors in
// Home Assistant's shapes.

import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  callService,
  ERR_INVALID_AUTH,
  getConfig,
  getServices,
  getStates,
  getUser,
  subscribeConfig,
  subscribeEntities,
  type Connection,
  type HassConfig,
  type HassEntities,
  type MessageBase,
} from 'home-assistant-js-websocket';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ENTITY_IDS, expectBackupEntityStates } from '../helpers/entity-states.js';
import { EventCollector } from '../helpers/ha-ws-client.js';
import { connectLibrary, refusal } from '../helpers/ha-library-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, eventually, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { SUCCESSFUL_CREATE_EVENTS } from '../helpers/manager-events.js';
import { tmpDir } from '../helpers/tmp.js';

type Ev = Record<string, unknown>;

interface BackupInfo {
  backups: { backup_id: string; name: string; agents: Record<string, { protected: boolean; size: number }> }[];
  last_action_event: Ev | null;
  state: string;
}

/** The part of backup/config/info that Home Assistant's frontend saves back. */
interface FrontendConfig {
  create_backup: {
    agent_ids: string[];
    include_addons: string[] | null;
    include_all_addons: boolean;
    include_database: boolean;
    include_folders: string[] | null;
    password: string | null;
  };
  retention: { copies: number | null; days: number | null };
  schedule: { recurrence: string; days: string[]; time: string | null };
}

const isStateEvent = (e: Ev) => !('agent_id' in e);
const isIdle = (e: Ev) => e.manager_state === 'idle';

describe('Home Assistant’s JavaScript client against lifeboat serve', () => {
  let inst: string;
  let server: LifeboatServer;
  let token: string;
  let conn: Connection;
  /** Every backup/subscribe_events event, through the library's subscribeMessage. */
  const events = new EventCollector<Ev>();

  const send = <T>(message: MessageBase) => conn.sendMessagePromise<T>({ ...message });
  const info = () => send<BackupInfo>({ type: 'backup/info' });

  /** Runs a job-starting command and waits until the manager is idle again; returns the events of the job. */
  async function runJob<T>(message: MessageBase): Promise<{ result: T; events: Ev[] }> {
    const from = events.events.length;
    const result = await send<T>(message);
    const idle = await events.waitFor(isIdle, 60_000, from);
    return { result, events: events.events.slice(from, events.events.indexOf(idle, from) + 1) };
  }

  async function generate(params: Record<string, unknown> = {}): Promise<string> {
    const { result } = await runJob<{ backup_job_id: string }>({ type: 'backup/generate', agent_ids: ['backup.local'], ...params });
    return result.backup_job_id;
  }

  beforeAll(async () => {
    inst = join(await tmpDir('lifeboat-haws-'), 'config');
    await makeInstallation(inst);
    await writeFile(
      join(inst, '.storage', 'core.config'),
      JSON.stringify({
        version: 1,
        minor_version: 4,
        key: 'core.config',
        data: { latitude: 47.37, longitude: 8.54, elevation: 408, unit_system_v2: 'us_customary', location_name: 'Lakeside', time_zone: 'Europe/Zurich', external_url: null, internal_url: 'http://ha.lan:8123', currency: 'CHF', country: 'CH', language: 'de', radius: 250 },
      }),
    );
    // Some incompressible bytes, so a backup takes long enough to be seen running.
    await writeFile(join(inst, 'www-noise.bin'), randomBytes(4 << 20));
    token = await createToken(inst, 'dashboard');
    server = await startServerProcess({ installation: inst });
    conn = await connectLibrary(server.url, token);
    await conn.subscribeMessage(events.push, { type: 'backup/subscribe_events' });
  });

  afterEach(async () => {
    await eventually(async () => (await info()).state === 'idle', 'the manager to be idle', 60_000);
  });

  afterAll(async () => {
    conn?.close();
    await server?.stop();
  });

  describe('connection', () => {
    it('connects with a long-lived token and learns the Home Assistant version the API follows', () => {
      expect(conn.connected).toBe(true);
      expect(conn.haVersion).toMatch(/^\d{4}\.\d+\.\d+$/);
    });

    it('refuses a wrong token with the library’s ERR_INVALID_AUTH', async () => {
      await expect(connectLibrary(server.url, 'lbt_not-a-real-token')).rejects.toBe(ERR_INVALID_AUTH);
    });

    it('answers ping', async () => {
      await expect(conn.ping()).resolves.toBeUndefined();
    });
  });

  describe('user, configuration and services', () => {
    it('getUser describes the token as the signed-in user', async () => {
      expect(await getUser(conn)).toEqual({ id: expect.any(String), name: 'dashboard', is_owner: false, is_admin: true, credentials: [], mfa_modules: [] });
    });

    it('getConfig (and subscribeConfig) report the installation’s own settings, in Home Assistant’s shape', async () => {
      const config = await getConfig(conn);
      expect(config).toMatchObject({
        location_name: 'Lakeside',
        latitude: 47.37,
        longitude: 8.54,
        elevation: 408,
        radius: 250,
        time_zone: 'Europe/Zurich',
        language: 'de',
        country: 'CH',
        currency: 'CHF',
        internal_url: 'http://ha.lan:8123',
        external_url: null,
        unit_system: { length: 'mi', accumulated_precipitation: 'in', area: 'ft²', mass: 'lb', pressure: 'psi', temperature: '°F', volume: 'gal', wind_speed: 'mph' },
        config_dir: inst,
        config_source: 'storage',
        state: 'RUNNING',
        version: conn.haVersion,
        safe_mode: false,
        recovery_mode: false,
      });
      expect(config.components).toEqual(expect.arrayContaining(['backup', 'sensor', 'event', 'websocket_api']));
      const seen: HassConfig[] = [];
      const unsubscribe = subscribeConfig(conn, (c) => seen.push(c));
      await eventually(() => seen.length > 0, 'subscribeConfig to deliver the configuration');
      expect(seen[0]).toEqual(config);
      unsubscribe();
    });

    it('getServices lists the backup services, and callService runs backup.create to its end', async () => {
      const services = await getServices(conn);
      expect(Object.keys(services)).toEqual(['backup']);
      expect(services.backup).toEqual({
        create: { name: expect.any(String), description: expect.any(String), fields: {} },
        create_automatic: { name: expect.any(String), description: expect.any(String), fields: {} },
      });
      const before = (await info()).backups.length;
      expect(await callService(conn, 'backup', 'create')).toEqual({ context: { id: expect.any(String), parent_id: null, user_id: expect.any(String) } });
      // The call returns once the backup is done, as Home Assistant's blocking service call does.
      expect((await info()).backups.length).toBe(before + 1);
      expect(await refusal(callService(conn, 'light', 'turn_on'))).toEqual({ code: 'not_found', message: 'Service light.turn_on not found.' });
    });
  });

  describe('entities', () => {
    it('getStates returns the Backup entities as Home Assistant state objects', async () => {
      expectBackupEntityStates(await getStates(conn));
    });

    it('subscribeEntities follows the Backup entities through a real backup and ends where getStates is', async () => {
      const seen: HassEntities[] = [];
      const latest = () => seen[seen.length - 1] as HassEntities;
      const unsubscribe = subscribeEntities(conn, (entities) => seen.push(entities));
      try {
        await eventually(() => seen.length > 0, 'the first entities');
        expect(Object.keys(latest()).sort()).toEqual(BACKUP_ENTITY_IDS);
        await generate({ name: 'Watched' });
        const event = () => latest()['event.backup_automatic_backup'];
        await eventually(() => event()?.attributes.event_type === 'completed' && latest()['sensor.backup_backup_manager_state']?.state === 'idle', 'the completed backup');
        const managerStates = seen.map((e) => e['sensor.backup_backup_manager_state']?.state).filter((v, i, all) => v !== all[i - 1]);
        expect(managerStates).toEqual(['idle', 'create_backup', 'idle']);
        const stages = seen.map((e) => e['event.backup_automatic_backup']?.attributes.backup_stage).filter((v, i, all) => v !== all[i - 1]);
        expect(stages).toEqual(expect.arrayContaining(['home_assistant', 'upload_to_agents']));
        // The library rebuilt from the compressed messages exactly what the server holds (its times
        // written as JavaScript writes them).
        const instants = (s: Record<string, unknown>) => ({ ...s, last_changed: Date.parse(s.last_changed as string), last_updated: Date.parse(s.last_updated as string) });
        for (const state of await getStates(conn)) expect(instants(latest()[state.entity_id] as never)).toEqual(instants(state as never));
      } finally {
        unsubscribe();
      }
    });
  });

  describe('backup/* commands through sendMessagePromise', () => {
    it('backup/agents/info lists the local agent', async () => {
      expect(await send({ type: 'backup/agents/info' })).toEqual({ agents: [{ agent_id: 'backup.local', name: 'local' }] });
    });

    it('backup/generate, backup/info, backup/details and backup/delete work on one backup', async () => {
      const { result, events: seen } = await runJob<{ backup_job_id: string }>({ type: 'backup/generate', agent_ids: ['backup.local'], name: 'Library' });
      const id = result.backup_job_id;
      expect(seen.filter(isStateEvent)).toEqual(SUCCESSFUL_CREATE_EVENTS);
      const listed = (await info()).backups.find((b) => b.backup_id === id);
      // Every target reports its upload done, the local folder too, while uploading to the agents.
      const size = listed?.agents['backup.local']?.size;
      const done = seen.findIndex((e) => e.agent_id === 'backup.local');
      expect(seen[done]).toEqual({ manager_state: 'create_backup', agent_id: 'backup.local', uploaded_bytes: size, total_bytes: size });
      expect(seen[done - 1]).toMatchObject({ stage: 'upload_to_agents' });
      expect(listed).toMatchObject({ name: 'Library', agents: { 'backup.local': { protected: false, size: expect.any(Number) } } });
      expect(await send({ type: 'backup/details', backup_id: id })).toEqual({ agent_errors: {}, backup: listed });
      expect(await send({ type: 'backup/delete', backup_id: id })).toEqual({ agent_errors: {} });
      expect(await send({ type: 'backup/details', backup_id: id })).toEqual({ agent_errors: {}, backup: null });
      expect((await readdir(join(inst, 'backups'))).some((n) => n.includes(id))).toBe(false);
    });

    it('backup/generate_with_automatic_settings backs up with the saved settings', async () => {
      expect(await send({ type: 'backup/config/update', create_backup: { agent_ids: ['backup.local'], name: 'Saved settings' } })).toBeNull();
      const { result } = await runJob<{ backup_job_id: string }>({ type: 'backup/generate_with_automatic_settings' });
      const after = await info();
      expect(after.backups.find((b) => b.backup_id === result.backup_job_id)).toMatchObject({ name: 'Saved settings', with_automatic_settings: true });
      // Home Assistant reports the last completed automatic backup by time and by id.
      expect(after).toMatchObject({ last_completed_automatic_backup: expect.any(String), last_completed_automatic_backup_id: result.backup_job_id });
      const { config } = await send<{ config: Record<string, unknown> }>({ type: 'backup/config/info' });
      expect(config.last_completed_automatic_backup_id).toBe(result.backup_job_id);
    });

    it('backup/can_decrypt_on_download and backup/restore take the right password', async () => {
      const id = await generate({ name: 'Locked', password: 'lib-pw' });
      expect(await send({ type: 'backup/can_decrypt_on_download', backup_id: id, agent_id: 'backup.local', password: 'lib-pw' })).toBeNull();
      const { result, events: seen } = await runJob({ type: 'backup/restore', backup_id: id, agent_id: 'backup.local', password: 'lib-pw', restore_database: false });
      expect(result).toBeNull();
      expect(seen.filter(isStateEvent)).toEqual([
        { manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' },
        { manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' },
        { manager_state: 'idle' },
      ]);
    });

    it('applies the local agent’s protected setting to manual backups too: unprotected, a backup made with a password stays unencrypted there', async () => {
      expect(await send({ type: 'backup/config/update', agents: { 'backup.local': { protected: false } } })).toBeNull();
      try {
        const id = await generate({ name: 'Plain local copy', password: 'manual-pw' });
        expect((await info()).backups.find((b) => b.backup_id === id)?.agents['backup.local']?.protected).toBe(false);
      } finally {
        await send({ type: 'backup/config/update', agents: { 'backup.local': { protected: true } } });
      }
      const id = await generate({ name: 'Locked local copy', password: 'manual-pw' });
      expect((await info()).backups.find((b) => b.backup_id === id)?.agents['backup.local']?.protected).toBe(true);
    });

    it('reports a restore refused by its checks as in_progress → failed → idle, and keeps it as the last action', async () => {
      const id = await generate({ name: 'Refused restores', password: 'refuse-pw' });
      for (const [request, reason] of [
        [{ backup_id: id, agent_id: 'backup.local', password: 'refuse-pw', restore_addons: ['core_ssh'] }, 'backup_manager_error'],
        [{ backup_id: id, agent_id: 'backup.local', password: 'refuse-pw', restore_homeassistant: false, restore_database: false }, 'backup_manager_error'],
        [{ backup_id: 'deadbeef', agent_id: 'backup.local' }, 'backup_manager_error'],
        [{ backup_id: id, agent_id: 'backup.elsewhere', password: 'refuse-pw' }, 'unknown_error'],
        [{ backup_id: id, agent_id: 'backup.local', password: 'wrong' }, 'password_incorrect'],
      ] as const) {
        const from = events.events.length;
        await refusal(send({ type: 'backup/restore', ...request }));
        await events.waitFor(isIdle, 10_000, from);
        const failed = { manager_state: 'restore_backup', reason, stage: null, state: 'failed' };
        expect(events.events.slice(from).filter(isStateEvent), JSON.stringify(request)).toEqual([
          { manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' },
          failed,
          { manager_state: 'idle' },
        ]);
        expect((await info()).last_action_event).toEqual(failed);
      }
    });

    it('backup/config/info and backup/config/update round-trip the settings', async () => {
      expect(
        await send({
          type: 'backup/config/update',
          retention: { copies: 4 },
          schedule: { recurrence: 'daily', time: '03:30' },
          agents: { 'backup.local': { retention: { days: 9 } } },
          time_zone: 'Europe/Zurich',
        }),
      ).toBeNull();
      const { config } = await send<{ config: Record<string, unknown> }>({ type: 'backup/config/info' });
      expect(config).toMatchObject({
        retention: { copies: 4, days: null },
        schedule: { recurrence: 'daily', days: [], time: '03:30:00' },
        agents: { 'backup.local': { protected: true, retention: { copies: null, days: 9 } } },
      });
      // Home Assistant's isoformat: the schedule's local time with its UTC offset.
      expect(config.next_automatic_backup).toMatch(/^\d{4}-\d{2}-\d{2}T03:30:00\+0[12]:00$/);
      expect((await send<{ next_automatic_backup: string }>({ type: 'backup/info' })).next_automatic_backup).toBe(config.next_automatic_backup);
      await send({ type: 'backup/config/update', schedule: { recurrence: 'never' }, retention: {}, agents: { 'backup.local': { retention: null } }, time_zone: null });
    });

    it('keeps the key when the settings come back as Home Assistant’s frontend saves them, the redacted password included', async () => {
      expect(await send({ type: 'backup/config/update', create_backup: { agent_ids: ['backup.local'], password: 'KEEP-THIS-KEY1' } })).toBeNull();
      const key = await send({ type: 'lifeboat/key/info' });
      const { config } = await send<{ config: FrontendConfig }>({ type: 'backup/config/info' });
      expect(config.create_backup.password).toBe('**REDACTED**');
      // What the frontend's "save backup settings" sends: the config it was shown.
      const saved = {
        type: 'backup/config/update',
        create_backup: {
          agent_ids: config.create_backup.agent_ids,
          include_folders: config.create_backup.include_folders ?? [],
          include_database: config.create_backup.include_database,
          include_addons: config.create_backup.include_addons ?? [],
          include_all_addons: config.create_backup.include_all_addons,
          password: config.create_backup.password,
        },
        retention: config.retention,
        schedule: config.schedule,
      };
      expect(await send(saved)).toBeNull();
      expect(await send({ type: 'lifeboat/key/info' })).toEqual(key);
      const { result } = await runJob<{ backup_job_id: string }>({ type: 'backup/generate_with_automatic_settings' });
      expect((await info()).backups.find((b) => b.backup_id === result.backup_job_id)?.agents['backup.local']?.protected).toBe(true);
      expect(await send({ type: 'backup/can_decrypt_on_download', backup_id: result.backup_job_id, agent_id: 'backup.local', password: 'KEEP-THIS-KEY1' })).toBeNull();
    });

    it('refuses with Home Assistant’s codes and messages: wrong password, unknown agent or backup, unknown command', async () => {
      const id = await generate({ name: 'Wrong key', password: 'right-pw' });
      const wrongKey = { code: 'password_incorrect', message: 'Incorrect password' };
      expect(await refusal(send({ type: 'backup/restore', backup_id: id, agent_id: 'backup.local', password: 'wrong' }))).toEqual(wrongKey);
      expect(await refusal(send({ type: 'backup/restore', backup_id: id, agent_id: 'backup.local' }))).toEqual(wrongKey);
      expect(await refusal(send({ type: 'backup/can_decrypt_on_download', backup_id: id, agent_id: 'backup.local', password: 'wrong' }))).toEqual(wrongKey);
      for (const agent of ['no_such_agent', 'backup.elsewhere']) {
        expect(await refusal(send({ type: 'backup/can_decrypt_on_download', backup_id: id, agent_id: agent, password: 'right-pw' }))).toEqual({
          code: 'home_assistant_error',
          message: `Invalid agent selected: ${agent}`,
        });
      }
      expect(await refusal(send({ type: 'backup/can_decrypt_on_download', backup_id: 'no_such_backup', agent_id: 'backup.local', password: 'x' }))).toEqual({
        code: 'home_assistant_error',
        message: 'Backup no_such_backup not found in agent backup.local',
      });
      expect(await refusal(send({ type: 'backup/frobnicate' }))).toEqual({ code: 'unknown_command', message: 'Unknown command.' });
    });
  });
});
