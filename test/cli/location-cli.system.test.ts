// `lifeboat location add|list|test|remove` from the command line against a real S3 server and a
// folder: credentials from a file or the environment land in the 0600 secrets file and never in
// settings.json or the output; a failing test keeps a location from being saved; backups go to
// the locations, and download, verify and restore take a remote copy.

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';
import * as s3rver from '../servers/s3rver.js';
import { dataDir } from '../helpers/data-dir.js';

describe('lifeboat location', () => {
  let s3: s3rver.S3Server;
  beforeAll(async () => {
    s3 = await s3rver.start();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('adds, lists, tests, uses and removes locations, keeping credentials in the secrets file only', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const secretsFile = join(dir, 's3.json');
    await writeFile(secretsFile, JSON.stringify({ access_key_id: s3.accessKeyId }));
    const env = { LIFEBOAT_SECRET_ACCESS_KEY: s3.secretAccessKey };

    const refused = await runCli(['-c', inst, 'location', 'add', 's3', 'Wrong', '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--path-style', '--access-key-id', 'NOPE', '--secret-access-key', 'x']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/did not pass its test, so it was not saved/);

    const added = await runCli(
      ['-c', inst, 'location', 'add', 's3', 'Off site', '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--prefix', 'home', '--path-style', '--secrets-file', secretsFile, '--unencrypted', '--automatic'],
      { env },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/bucket: ok[\s\S]*writable[\s\S]*Added location s3\.off_site/);

    const share = join(dir, 'nas');
    const folder = await runCli(['-c', inst, 'location', 'add', 'folder', 'NAS', '--path', share, '--create', '--bandwidth-limit', '50M']);
    expect(folder.code, folder.stderr).toBe(0);
    expect((await stat(join(share, '.lifeboat-location'))).isFile()).toBe(true);

    const settingsText = await readFile(join(dataDir(inst), 'settings.json'), 'utf8');
    expect(settingsText).not.toContain(s3.secretAccessKey);
    expect(settingsText).not.toContain(s3.accessKeyId);
    const secretsPath = join(dataDir(inst), 'secrets.json');
    expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(secretsPath, 'utf8')).locations['s3.off_site']).toEqual({ access_key_id: 'S3RVER', secret_access_key: 'S3RVER' });

    const list = await runCli(['-c', inst, 'location', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain('"S3RVER"');
    const rows = (JSON.parse(list.stdout) as { locations: { id: string; credentials: string[]; protected: boolean | null; automatic: boolean; bandwidth_limit: number | null }[] }).locations;
    expect(rows.map((r) => [r.id, r.credentials, r.protected, r.automatic, r.bandwidth_limit])).toEqual([
      ['s3.off_site', ['access_key_id', 'secret_access_key'], false, true, null],
      ['folder.nas', [], null, false, 50 * 1024 * 1024],
    ]);
    const tested = await runCli(['-c', inst, 'location', 'test', 'folder.nas']);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/folder\.nas: reachable, credentials accepted, writable, free space/);

    const created = await runCli(['-c', inst, 'backup', 'create', '--password', 'pw', '--location', 's3.off_site', '--location', 'folder.nas', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const record = JSON.parse(created.stdout) as { backup_id: string; failed_agent_ids: string[] };
    expect(record.failed_agent_ids).toEqual([]);
    const listed = JSON.parse((await runCli(['-c', inst, 'backup', 'list', '--json'])).stdout) as { backups: { agents: Record<string, { protected: boolean }> }[] };
    expect(listed.backups[0]?.agents).toMatchObject({ 'backup.local': { protected: true }, 's3.off_site': { protected: false }, 'folder.nas': { protected: true } });

    const out = join(dir, 'copy.tar');
    const downloaded = await runCli(['-c', inst, 'backup', 'download', record.backup_id, out, '--location', 's3.off_site']);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    const verified = await runCli(['-c', inst, 'backup', 'verify', record.backup_id, '--location', 'folder.nas', '--password', 'pw']);
    expect(verified.code, verified.stderr).toBe(0);

    const ignore = [...NOT_COMPARED, 'home-assistant.log', 'tts/x.mp3'];
    const before = await describeTree(inst, { mtimes: true, ignore });
    await writeFile(join(inst, 'configuration.yaml'), 'broken: true\n');
    const restored = await runCli(['-c', inst, 'restore', record.backup_id, '--location', 's3.off_site', '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await describeTree(inst, { mtimes: true, ignore })).toEqual(before);

    const removed = await runCli(['-c', inst, 'location', 'remove', 's3.off_site']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(await readFile(secretsPath, 'utf8')).locations['s3.off_site']).toBeUndefined();
    const settings = JSON.parse(await readFile(join(dataDir(inst), 'settings.json'), 'utf8')) as { data: { locations: { id: string }[]; create_backup: { agent_ids: string[] } } };
    expect(settings.data.locations.map((l) => l.id)).toEqual(['folder.nas']);
    expect(settings.data.create_backup.agent_ids).not.toContain('s3.off_site');
  });
});
