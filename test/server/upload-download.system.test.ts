// Backup upload and download over HTTP against a real `lifeboat serve` child process: a multipart
// upload is streamed to disk and stored byte for byte (201 {backup_id}), with the receive events
// on backup/subscribe_events; bad uploads are refused with JSON errors; downloads return the stored
// bytes with Home Assistant's headers, or — with the password — a decrypted backup whose content
// equals the encrypted original. (A ≥ 1 GiB backup is in big-backup.heavy.test.ts.)

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { EventCollector, HaCommandError, HaWsClient } from '../helpers/ha-ws-client.js';
import { downloadHashed, httpRequest, multipartUpload, openRequest, sha256File } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';

type Ev = Record<string, unknown>;
const isStateEvent = (e: Ev) => !('agent_id' in e) && !('lifeboat' in e);
const isIdle = (e: Ev) => e.manager_state === 'idle';

/** `lifeboat archive pack` of a small tree into a backup file; returns its path and id. */
async function packBackup(dir: string, name: string, password: string | null): Promise<{ path: string; backupId: string }> {
  const src = join(dir, `src-${name.replace(/\W+/g, '-')}`);
  await makeTree(src, {
    '.HA_VERSION': '2026.7.3',
    'configuration.yaml': `homeassistant:\n  name: ${name}\n`,
    '.storage/core.config': '{"data":{}}',
    'www/picture.bin': createHash('sha512').update(name).digest(),
    'scripts/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
  });
  const out = join(dir, `${name.replace(/\W+/g, '-')}.tar`);
  const r = await runCli(['archive', 'pack', src, out, '--name', name, '--json', ...(password === null ? [] : ['--password', password])]);
  if (r.code !== 0) throw new Error(r.stderr);
  const json = JSON.parse(r.stdout) as { backup_id: string };
  return { path: out, backupId: json.backup_id };
}

describe('HTTP upload and download', () => {
  let dir: string;
  let inst: string;
  let server: LifeboatServer;
  let token: string;
  let ws: HaWsClient;
  const events = new EventCollector<Ev>();
  let encrypted: { path: string; backupId: string };
  let plain: { path: string; backupId: string };

  const uploadUrl = (query = 'agent_id=backup.local') => `${server.url}/api/backup/upload?${query}`;
  const downloadUrl = (id: string, query = 'agent_id=backup.local') => `${server.url}/api/backup/download/${id}?${query}`;
  const storedFiles = async () => (await readdir(join(inst, 'backups'))).filter((n) => n.endsWith('.tar')).sort();
  const allFiles = async () => (await readdir(join(inst, 'backups'))).sort();

  beforeAll(async () => {
    dir = await tmpDir('lifeboat-updown-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    token = await createToken(inst, 'admin');
    [encrypted, plain] = await Promise.all([packBackup(dir, 'Uploaded encrypted', 'UP-KEY-1234'), packBackup(dir, 'Uploaded plain', null)]);
    server = await startServerProcess({ installation: inst });
    ws = await HaWsClient.connect(server.wsUrl, token);
    await ws.subscribe('backup/subscribe_events', {}, events.push);
  });

  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  describe('upload', () => {
    it('streams a multipart upload to disk: 201 {backup_id}, the stored file byte-identical, receive events reported', async () => {
      const before = await storedFiles();
      const from = events.events.length;
      const res = await multipartUpload(uploadUrl(), encrypted.path, { token, fileName: 'my upload.tar' });
      expect(res.status, res.text()).toBe(201);
      expect(res.json()).toEqual({ backup_id: encrypted.backupId });
      const added = (await storedFiles()).filter((n) => !before.includes(n));
      expect(added).toHaveLength(1);
      expect(await sha256File(join(inst, 'backups', added[0] as string))).toBe(await sha256File(encrypted.path));

      await events.waitFor(isIdle, 10_000, from);
      expect(events.events.slice(from).filter(isStateEvent)).toEqual([
        { manager_state: 'receive_backup', reason: null, stage: null, state: 'in_progress' },
        { manager_state: 'receive_backup', reason: null, stage: 'receive_file', state: 'in_progress' },
        { manager_state: 'receive_backup', reason: null, stage: 'upload_to_agents', state: 'in_progress' },
        { manager_state: 'receive_backup', reason: null, stage: null, state: 'completed' },
        { manager_state: 'idle' },
      ]);
      // The local folder reports its copy done, as every target does.
      const size = (await stat(encrypted.path)).size;
      expect(events.events.slice(from).filter((e) => 'agent_id' in e)).toEqual([{ manager_state: 'receive_backup', agent_id: 'backup.local', uploaded_bytes: size, total_bytes: size }]);
      const details = await ws.call<{ backup: { name: string; agents: Record<string, { protected: boolean; size: number }> } }>('backup/details', {
        backup_id: encrypted.backupId,
      });
      expect(details.backup).toMatchObject({ name: 'Uploaded encrypted', agents: { 'backup.local': { protected: true, size: (await stat(encrypted.path)).size } } });
    });

    it('refuses a file name that is not a bare name with 400 "Invalid filename" and stores nothing', async () => {
      const before = await allFiles();
      for (const fileName of ['C:evil.tar', 'D:x.tar']) {
        const res = await multipartUpload(uploadUrl(), plain.path, { token, fileName });
        expect(res.status, fileName).toBe(400);
        expect(res.json(), fileName).toEqual({ code: 'invalid_filename', message: expect.stringMatching(/^Invalid filename: /) });
      }
      expect(await allFiles()).toEqual(before);
    });

    it('refuses an upload without agent_id or with an unknown agent with 400', async () => {
      for (const query of ['', 'agent_id=', 'agent_id=../../etc']) {
        const res = await multipartUpload(uploadUrl(query), plain.path, { token });
        expect(res.status, query).toBe(400);
        expect(res.json<{ code: string }>().code, query).toEqual(expect.any(String));
      }
    });

    it('answers a file that is not a backup with a JSON error, reports receive failed, and leaves no file behind', async () => {
      const before = await allFiles();
      const from = events.events.length;
      const res = await multipartUpload(uploadUrl(), Buffer.alloc(64 * 1024, 7), { token, fileName: 'junk.tar' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ code: expect.any(String), message: expect.any(String) });
      await events.waitFor(isIdle, 10_000, from);
      const seen = events.events.slice(from).filter(isStateEvent);
      expect(seen.at(-2)).toMatchObject({ manager_state: 'receive_backup', state: 'failed', reason: expect.any(String) });
      expect(await allFiles()).toEqual(before);
    });
  });

  describe('download', () => {
    beforeAll(async () => {
      // Both backups are on the server (the encrypted one from the upload test, if run alone too).
      for (const b of [encrypted, plain]) {
        const details = await ws.call<{ backup: unknown }>('backup/details', { backup_id: b.backupId });
        if (!details.backup) expect((await multipartUpload(uploadUrl(), b.path, { token })).status).toBe(201);
      }
    });

    it('returns the stored bytes as application/x-tar with Content-Disposition attachment; filename=<slug>.tar', async () => {
      const res = await downloadHashed(downloadUrl(encrypted.backupId), { token });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-tar');
      expect(res.headers['content-disposition']).toBe('attachment; filename=uploaded_encrypted.tar');
      expect(res.sha256).toBe(await sha256File(encrypted.path));
      expect(Number(res.headers['content-length'])).toBe(res.bytes);
    });

    it('answers 400 without agent_id or with an unknown agent, and 404 for an unknown backup', async () => {
      for (const query of ['', 'agent_id=backup.nope', 'agent_id=..%2F..']) {
        const res = await httpRequest(downloadUrl(encrypted.backupId, query), { token });
        expect(res.status, query).toBe(400);
        expect(res.json<{ code: string }>().code).toEqual(expect.any(String));
      }
      for (const id of ['deadbeef', '..%2F..%2Fetc']) {
        const res = await httpRequest(downloadUrl(id), { token });
        expect(res.status, id).toBe(404);
        expect(res.json()).toMatchObject({ code: 'backup_not_found' });
      }
    });

    it('decrypts on download: the result is a valid unencrypted backup whose unpacked tree equals the encrypted original’s', async () => {
      const out = join(dir, 'decrypted.tar');
      const res = await downloadHashed(downloadUrl(encrypted.backupId, 'agent_id=backup.local&password=UP-KEY-1234'), { token, saveTo: out });
      expect(res.status).toBe(200);
      expect(res.complete).toBe(true);
      expect(res.headers['content-type']).toBe('application/x-tar');
      expect(res.headers['content-disposition']).toBe('attachment; filename=uploaded_encrypted.tar');
      expect(Number(res.headers['content-length'])).toBe(res.bytes);

      const inspect = await runCli(['archive', 'inspect', out, '--json']);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect((JSON.parse(inspect.stdout) as { backup: { protected: boolean } }).backup.protected).toBe(false);
      const verify = await runCli(['archive', 'verify', out]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);

      const fromDecrypted = join(dir, 'unpack-decrypted');
      const fromOriginal = join(dir, 'unpack-original');
      expect((await runCli(['archive', 'unpack', out, fromDecrypted])).code).toBe(0);
      expect((await runCli(['archive', 'unpack', encrypted.path, fromOriginal, '--password', 'UP-KEY-1234'])).code).toBe(0);
      const ignore = ['backup.json'];
      const tree = await describeTree(fromDecrypted, { mtimes: true, ignore });
      expect(Object.keys(tree)).toContain('homeassistant/data/configuration.yaml');
      expect(tree).toEqual(await describeTree(fromOriginal, { mtimes: true, ignore }));
      const jsonOf = async (d: string) => JSON.parse(await readFile(join(d, 'backup.json'), 'utf8')) as Record<string, unknown>;
      const [a, b] = [await jsonOf(fromDecrypted), await jsonOf(fromOriginal)];
      expect(a.protected).toBe(false);
      expect(b.protected).toBe(true);
      expect({ ...a, protected: null }).toEqual({ ...b, protected: null });
    });

    it('returns an unencrypted backup as stored even when a password is given', async () => {
      const res = await downloadHashed(downloadUrl(plain.backupId, 'agent_id=backup.local&password=whatever'), { token });
      expect(res.status).toBe(200);
      expect(res.sha256).toBe(await sha256File(plain.path));
    });

    it('says before a decrypt=1 download whether its own keyring opens the backup (lifeboat/can_decrypt_on_download), and refuses the download when it does not', async () => {
      // Uploaded with a password Lifeboat has never seen: no key of its keyring opens it.
      const err = await ws.call('lifeboat/can_decrypt_on_download', { backup_id: encrypted.backupId, agent_id: 'backup.local' }).catch((e: HaCommandError) => e);
      expect(err).toBeInstanceOf(HaCommandError);
      expect((err as HaCommandError).code).toBe('password_incorrect');
      expect(await ws.call('lifeboat/can_decrypt_on_download', { backup_id: plain.backupId, agent_id: 'backup.local' })).toBeNull();
      const res = await httpRequest(downloadUrl(encrypted.backupId, 'agent_id=backup.local&decrypt=1'), { token });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ code: 'password_incorrect', message: expect.stringMatching(/encrypted/) });
    });

    it('never completes a decrypt-on-download with a wrong password', async () => {
      const res = await downloadHashed(downloadUrl(encrypted.backupId, 'agent_id=backup.local&password=wrong'), { token });
      const announced = Number(res.headers['content-length'] ?? NaN);
      const completeTransfer = res.status === 200 && res.complete && res.bytes === announced;
      expect(completeTransfer).toBe(false);
      // The server is fine afterwards.
      expect((await ws.call<{ state: string }>('backup/info')).state).toBe('idle');
    });
  });
});
