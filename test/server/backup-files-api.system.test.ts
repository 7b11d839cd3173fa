// Looking inside a backup through the WebSocket API of a real `lifeboat serve`: the entries of a
// backup (all, or under a path), one file's content (text as UTF-8, binary as base64, a file over
// the bound refused with its size), what changed since the backup in the live installation and
// between two backups, and the unified diff of a changed file — and which of these a read-only
// token may use (names and sizes) and which it may not (contents and patches).

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaCommandError, HaWsClient } from '../helpers/ha-ws-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, eventually, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';

interface Entry {
  path: string;
  type: string;
  size: number;
  mode: number;
  mtime: string;
  sha256?: string | null;
}
interface Diff {
  added: string[];
  removed: string[];
  changed: { path: string; what: string[] }[];
  notCompared: string[];
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);

async function refused(p: Promise<unknown>): Promise<HaCommandError> {
  const err = await p.then(
    (r) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HaCommandError);
  return err as HaCommandError;
}

describe('lifeboat/backup/files/* over the WebSocket API', () => {
  let inst: string;
  let server: LifeboatServer;
  let admin: HaWsClient;
  let reader: HaWsClient;
  let first: string;
  let second: string;

  async function backUp(name: string): Promise<string> {
    const { backup_job_id: id } = await admin.call<{ backup_job_id: string }>('backup/generate', { agent_ids: ['backup.local'], name });
    await eventually(async () => {
      const info = await admin.call<{ state: string; backups: { backup_id: string }[] }>('backup/info');
      return info.state === 'idle' && info.backups.some((b) => b.backup_id === id);
    }, `backup ${name} to be made`, 60_000);
    return id;
  }

  beforeAll(async () => {
    inst = join(await tmpDir('lifeboat-files-api-'), 'config');
    await makeInstallation(inst);
    await writeFile(join(inst, 'www-logo.png'), PNG);
    await writeFile(join(inst, 'www-big.bin'), randomBytes(3 << 20));
    const adminToken = await createToken(inst, 'admin');
    const readToken = await createToken(inst, 'dashboard', true);
    server = await startServerProcess({ installation: inst });
    admin = await HaWsClient.connect(server.wsUrl, adminToken);
    reader = await HaWsClient.connect(server.wsUrl, readToken);
    first = await backUp('First');
    await writeFile(join(inst, 'configuration.yaml'), 'homeassistant:\n  name: Holiday home\n');
    await writeFile(join(inst, 'new.yaml'), 'added: true\n');
    second = await backUp('Second');
  }, 120_000);

  afterAll(async () => {
    admin?.close();
    reader?.close();
    await server?.stop();
  });

  it('lists every entry of a backup with type, size and mode, and only those under a path when asked', async () => {
    const { entries } = await admin.call<{ entries: Entry[] }>('lifeboat/backup/files/list', { backup_id: first });
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('configuration.yaml')).toMatchObject({ type: 'file', size: 'homeassistant:\n  name: Home\n'.length, mode: 0o644 });
    expect(byPath.get('.storage')).toMatchObject({ type: 'directory' });
    expect(byPath.get('secrets.yaml')).toMatchObject({ type: 'file', mode: 0o600 });
    expect(byPath.has('home-assistant.log')).toBe(false);

    const under = await admin.call<{ entries: Entry[] }>('lifeboat/backup/files/list', { backup_id: first, path: '.storage', digests: true });
    expect(under.entries.map((e) => e.path).sort()).toEqual(['.storage', '.storage/core.config', '.storage/core.uuid']);
    expect(under.entries.find((e) => e.path === '.storage/core.config')?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers a path the backup does not hold with path_not_found, and a bad path with invalid_format', async () => {
    expect((await refused(admin.call('lifeboat/backup/files/list', { backup_id: first, path: 'nothing-here' }))).code).toBe('path_not_found');
    expect((await refused(admin.call('lifeboat/backup/files/list', { backup_id: first, path: '../etc' }))).code).toBe('invalid_format');
    expect((await refused(admin.call('lifeboat/backup/files/read', { backup_id: first }))).code).toBe('invalid_format');
  });

  it('reads a text file as UTF-8 and a binary file as base64', async () => {
    const text = await admin.call<{ path: string; size: number; encoding: string; content: string }>('lifeboat/backup/files/read', { backup_id: first, path: 'configuration.yaml' });
    expect(text).toMatchObject({ path: 'configuration.yaml', encoding: 'utf-8', content: 'homeassistant:\n  name: Home\n' });
    const binary = await admin.call<{ size: number; encoding: string; content: string }>('lifeboat/backup/files/read', { backup_id: first, path: 'www-logo.png' });
    expect(binary).toMatchObject({ size: PNG.length, encoding: 'base64' });
    expect(Buffer.from(binary.content, 'base64').equals(PNG)).toBe(true);
  });

  it('refuses a file over the 2 MiB bound with its size, and a folder as not a file', async () => {
    const tooLarge = await refused(admin.call('lifeboat/backup/files/read', { backup_id: first, path: 'www-big.bin' }));
    expect(tooLarge.code).toBe('file_too_large');
    expect(tooLarge.serverMessage).toContain(`${3 << 20} bytes`);
    expect((await refused(admin.call('lifeboat/backup/files/read', { backup_id: first, path: '.storage' }))).code).toBe('not_a_file');
    // The connection goes on serving after the refusals.
    expect((await admin.call<{ content: string }>('lifeboat/backup/files/read', { backup_id: first, path: 'automations.yaml' })).content).toBe('[]\n');
  });

  it('compares a backup with the live installation and with another backup', async () => {
    await writeFile(join(inst, 'automations.yaml'), '- id: "1"\n');
    const live = await admin.call<Diff>('lifeboat/backup/files/diff', { backup_id: second, other_backup_id: 'live' });
    expect(live.added).toEqual([]);
    expect(live.removed).toEqual([]);
    expect(live.changed.filter((c) => !c.path.startsWith('home-assistant_v2.db'))).toEqual([{ path: 'automations.yaml', what: ['content', 'size'] }]);

    const between = await admin.call<Diff>('lifeboat/backup/files/diff', { backup_id: first, other_backup_id: second, include_database: false });
    expect(between.added).toEqual(['new.yaml']);
    expect(between.changed).toEqual([{ path: 'configuration.yaml', what: ['content', 'size'] }]);
    expect(between.notCompared).toContain('home-assistant_v2.db');
  });

  it('makes the unified diff of a changed file', async () => {
    const p = await admin.call<{ path: string; kind: string; patch: string }>('lifeboat/backup/files/patch', { backup_id: first, other_backup_id: second, path: 'configuration.yaml' });
    expect(p.kind).toBe('text');
    expect(p.patch).toContain('-  name: Home\n');
    expect(p.patch).toContain('+  name: Holiday home\n');
    const live = await admin.call<{ kind: string; patch: string }>('lifeboat/backup/files/patch', { backup_id: second, other_backup_id: 'live', path: 'automations.yaml' });
    expect(live.patch).toContain('+- id: "1"');
    expect(live.patch).toContain('live installation');
  });

  it('lets a read-only token list and compare, but refuses it contents and patches', async () => {
    expect((await reader.call<{ entries: Entry[] }>('lifeboat/backup/files/list', { backup_id: first })).entries.length).toBeGreaterThan(5);
    expect((await reader.call<Diff>('lifeboat/backup/files/diff', { backup_id: first, other_backup_id: second, include_database: false })).added).toEqual(['new.yaml']);
    expect((await refused(reader.call('lifeboat/backup/files/read', { backup_id: first, path: 'secrets.yaml' }))).code).toBe('unauthorized');
    expect((await refused(reader.call('lifeboat/backup/files/patch', { backup_id: first, other_backup_id: 'live', path: 'secrets.yaml' }))).code).toBe('unauthorized');
  });
});
