// Home Assistant's REST conventions on a real `lifeboat serve` child process: entity states
// (/api/states, 404 JSON for unknown entities), the services backup.create (local, unencrypted,
// with the database, waits and returns the changed states) and backup.create_automatic (the saved
// settings), diagnostics with every secret redacted, and the onboarding flow on an empty
// installation without a token: info, upload, restore with a wrong and the right password (sent as
// Home Assistant's onboarding page sends it: JSON as text/plain) — then 401 once the installation
// has files, or once a token exists.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectBackupEntityStates } from '../helpers/entity-states.js';
import { HaWsClient } from '../helpers/ha-ws-client.js';
import { httpRequest, multipartUpload } from '../helpers/http-client.js';
import { countRows, makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { createToken, eventually, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

interface EntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_changed: string;
  last_updated: string;
  context: { id: string; parent_id: null; user_id: null };
}

interface ManagerBackup {
  backup_id: string;
  name: string;
  database_included: boolean;
  with_automatic_settings: boolean | null;
  agents: Record<string, { protected: boolean; size: number }>;
}

describe('REST API: states, services, diagnostics', () => {
  let inst: string;
  let server: LifeboatServer;
  let token: string;
  let ws: HaWsClient;

  const get = (path: string) => httpRequest(`${server.url}${path}`, { token });
  const post = (path: string, body?: unknown) =>
    httpRequest(`${server.url}${path}`, {
      method: 'POST',
      token,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: 120_000,
    });
  const backups = async () => (await ws.call<{ backups: ManagerBackup[] }>('backup/info')).backups;

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-rest-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    token = await createToken(inst, 'admin');
    server = await startServerProcess({ installation: inst });
    ws = await HaWsClient.connect(server.wsUrl, token);
  });

  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  it('GET /api/states lists the Backup entities as Home Assistant state objects', async () => {
    const res = await get('/api/states');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectBackupEntityStates(res.json<EntityState[]>());
  });

  it('GET /api/states/{entity_id} returns one state, and 404 with a JSON code for an unknown entity', async () => {
    const one = await get('/api/states/sensor.backup_backup_manager_state');
    expect(one.status).toBe(200);
    expect(one.json<EntityState>()).toMatchObject({ entity_id: 'sensor.backup_backup_manager_state', state: 'idle' });
    for (const id of ['sensor.nope', 'light.kitchen', 'x']) {
      const res = await get(`/api/states/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.json(), id).toEqual({ code: 'not_found', message: expect.any(String) });
    }
  });

  it('POST /api/services/backup/create makes a local, unencrypted backup with the database, waits for it and returns the changed states', async () => {
    // Even with an encryption key configured for automatic backups, backup.create does not encrypt.
    await ws.call('backup/config/update', { create_backup: { password: 'REST-KEY-0001' } });
    const before = (await backups()).map((b) => b.backup_id);
    const res = await post('/api/services/backup/create');
    expect(res.status, res.text()).toBe(200);
    const changed = res.json<EntityState[]>();
    expect(Array.isArray(changed)).toBe(true);
    const ids = changed.map((s) => s.entity_id);
    expect(ids).toContain('sensor.backup_backup_manager_state');
    expect(ids).toContain('event.backup_automatic_backup');
    expect(new Set(ids).size).toBe(ids.length);
    // The call returned after the whole operation.
    expect(changed.find((s) => s.entity_id === 'sensor.backup_backup_manager_state')?.state).toBe('idle');
    expect(changed.find((s) => s.entity_id === 'event.backup_automatic_backup')?.attributes.event_type).toBe('completed');
    expect((await get('/api/states/sensor.backup_backup_manager_state')).json<EntityState>().state).toBe('idle');

    const added = (await backups()).filter((b) => !before.includes(b.backup_id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      name: 'Custom backup 2026.7.3',
      database_included: true,
      with_automatic_settings: false,
      agents: { 'backup.local': { protected: false } },
    });
    expect(Object.keys(added[0]!.agents)).toEqual(['backup.local']);
  });

  it('POST /api/services/backup/create_automatic backs up with the saved settings (and fails with a JSON error before they exist)', async () => {
    const refused = await post('/api/services/backup/create_automatic');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.json()).toEqual({ code: expect.any(String), message: 'At least one available backup agent must be selected, got []' });

    await ws.call('backup/config/update', {
      create_backup: { agent_ids: ['backup.local'], name: 'Automatic via REST', include_database: false, password: 'REST-KEY-0002' },
      automatic_backups_configured: true,
    });
    const before = (await backups()).map((b) => b.backup_id);
    const res = await post('/api/services/backup/create_automatic');
    expect(res.status, res.text()).toBe(200);
    const ids = res.json<EntityState[]>().map((s) => s.entity_id);
    expect(ids).toContain('sensor.backup_backup_manager_state');
    expect(ids).toContain('event.backup_automatic_backup');

    const added = (await backups()).filter((b) => !before.includes(b.backup_id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'Automatic via REST', database_included: false, with_automatic_settings: true, agents: { 'backup.local': { protected: true } } });
    expect(await ws.call('backup/can_decrypt_on_download', { backup_id: added[0]!.backup_id, agent_id: 'backup.local', password: 'REST-KEY-0002' })).toBeNull();
    await eventually(async () => (await get('/api/states/sensor.backup_last_successful_automatic_backup')).json<EntityState>().state !== 'unknown', 'last successful sensor', 5000);
    expect((await get('/api/states/sensor.backup_last_attempted_automatic_backup')).json<EntityState>().state).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
  });

  it('GET /api/diagnostics shows agents and settings with the password and notification URLs redacted and no key or token anywhere', async () => {
    await ws.call('backup/config/update', { create_backup: { password: 'DIAG-KEY-OLD1' } });
    await ws.call('backup/config/update', { notifications: { webhook_url: 'https://discord.example.invalid/api/webhooks/1/DIAG-HOOK-1', ntfy_url: 'https://ntfy.example.invalid/DIAG-TOPIC-1' } });
    await ws.call('lifeboat/key/rotate');
    const { key: current } = await ws.call<{ key: string }>('lifeboat/key/show');
    expect(current).toEqual(expect.any(String));
    const res = await get('/api/diagnostics');
    expect(res.status).toBe(200);
    const body = res.json<{ backup_agents: unknown[]; backup_config: { create_backup: Record<string, unknown> } }>();
    expect(body.backup_agents).toEqual([{ name: 'local', agent_id: 'backup.local' }]);
    expect(body.backup_config.create_backup.password).toBe('**REDACTED**');
    expect(body.backup_config).toMatchObject({ retention: expect.any(Object), schedule: expect.any(Object), agents: expect.any(Object) });
    const text = res.text();
    for (const secret of [current, 'DIAG-KEY-OLD1', 'REST-KEY-0001', 'REST-KEY-0002', token, token.slice(4), 'DIAG-HOOK-1', 'DIAG-TOPIC-1']) expect(text).not.toContain(secret);
    await ws.call('backup/config/update', { notifications: { webhook_url: null, ntfy_url: null } });
  });
});

describe('onboarding on an empty installation', () => {
  let dir: string;
  let source: string;
  let backupFile: string;
  let backupId: string;

  beforeAll(async () => {
    dir = await tmpDir('lifeboat-onboarding-');
    source = join(dir, 'old-machine');
    await makeInstallation(source);
    backupFile = join(dir, 'from-old-machine.tar');
    const packed = await runCli(['archive', 'pack', source, backupFile, '--password', 'ONBOARD-KEY-77', '--name', 'Old machine', '--json']);
    expect(packed.code, packed.stderr).toBe(0);
    backupId = (JSON.parse(packed.stdout) as { backup_id: string }).backup_id;
  });

  it('restores an uploaded backup without a token: info, upload, wrong password (400 incorrect_password), right password (200), then closes', async () => {
    const inst = join(dir, 'new-machine');
    await mkdir(inst);
    const server = await startServerProcess({ installation: inst });
    try {
      const url = (p: string) => `${server.url}/api/onboarding/backup${p}`;
      const info = await httpRequest(url('/info'));
      expect(info.status).toBe(200);
      expect(info.json()).toEqual({ backups: [], state: 'idle', last_action_event: null });

      const up = await multipartUpload(url('/upload?agent_id=backup.local'), backupFile, { fileName: 'from-old-machine.tar' });
      expect(up.status, up.text()).toBe(201);
      expect(up.json()).toEqual({ backup_id: backupId });

      const after = (await httpRequest(url('/info'))).json<{ backups: ManagerBackup[]; state: string; last_action_event: unknown }>();
      expect(after.backups.map((b) => b.backup_id)).toEqual([backupId]);
      expect(after.backups[0]).toMatchObject({ name: 'Old machine', agents: { 'backup.local': { protected: true } } });
      expect(after.state).toBe('idle');
      expect(after.last_action_event).toEqual({ manager_state: 'receive_backup', reason: null, stage: null, state: 'completed' });

      const restore = (body: unknown) =>
        httpRequest(url('/restore'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 120_000 });
      // Home Assistant's onboarding page sends the JSON as text/plain (a fetch with a string body), from its own origin.
      const restoreAsPage = (body: string) =>
        httpRequest(url('/restore'), { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin: server.url }, body, timeoutMs: 120_000 });
      const invalid = await restore({ backup_id: backupId });
      expect(invalid.status).toBe(400);
      const notJson = await restoreAsPage('{"backup_id": ');
      expect(notJson.status).toBe(400);
      expect(notJson.json()).toMatchObject({ code: 'invalid_format' });

      const wrong = await restore({ backup_id: backupId, agent_id: 'backup.local', password: 'not-the-key' });
      expect(wrong.status).toBe(400);
      expect(wrong.json()).toEqual({ code: 'incorrect_password' });
      const missing = await restore({ backup_id: backupId, agent_id: 'backup.local' });
      expect(missing.status).toBe(400);
      expect(missing.json()).toEqual({ code: 'incorrect_password' });
      // Nothing was restored.
      expect((await readdir(inst)).filter((n) => n !== 'backups')).toEqual([]);

      const right = await restoreAsPage(JSON.stringify({ backup_id: backupId, agent_id: 'backup.local', password: 'ONBOARD-KEY-77' }));
      expect(right.status, right.text()).toBe(200);
      expect(right.body.length).toBe(0);
      const ignore = [...NOT_COMPARED, 'home-assistant.log', 'tts/'];
      expect(await describeTree(inst, { mtimes: true, ignore })).toEqual(await describeTree(source, { mtimes: true, ignore }));
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');
      expect(countRows(inst)).toBe(500);

      // The installation has files now: onboarding is over, also without any token.
      for (const res of [await httpRequest(url('/info')), await multipartUpload(url('/upload?agent_id=backup.local'), backupFile), await restore({ backup_id: backupId, agent_id: 'backup.local', password: 'ONBOARD-KEY-77' })]) {
        expect(res.status).toBe(401);
        expect(res.json<{ code: string }>().code).toBe('unauthorized');
      }
    } finally {
      await server.stop();
    }
  });

  it('answers 401 on the same endpoints once `lifeboat token create` has made a token', async () => {
    const inst = join(dir, 'another-new-machine');
    await mkdir(inst);
    const server = await startServerProcess({ installation: inst });
    try {
      const url = (p: string) => `${server.url}/api/onboarding/backup${p}`;
      expect((await httpRequest(url('/info'))).status).toBe(200);
      const token = await createToken(inst, 'owner');
      await eventually(async () => (await httpRequest(url('/info'))).status === 401, 'onboarding closed by the token', 5000);
      const up = await multipartUpload(url('/upload?agent_id=backup.local'), backupFile);
      const restore = await httpRequest(url('/restore'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ backup_id: backupId, agent_id: 'backup.local', password: 'ONBOARD-KEY-77' }),
      });
      for (const res of [await httpRequest(url('/info')), up, restore]) {
        expect(res.status).toBe(401);
        expect(res.json<{ code: string }>().code).toBe('unauthorized');
      }
      // With the token, onboarding endpoints stay closed too; the normal API is the way in.
      expect((await httpRequest(url('/info'), { token })).status).toBe(401);
      expect((await httpRequest(`${server.url}/api/states`, { token })).status).toBe(200);
      expect(await readdir(join(inst, 'backups'))).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
