// Locations in the running application, against s3rver: agents appear when a location is saved in
// the settings and go when it is removed; per-location protection comes from the settings; the
// HTTP download endpoint streams a remote copy as stored and decrypts one on download.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LifeboatApp } from '../../src/app/lifeboat-app.js';
import type { LocationConfig } from '../../src/settings/schemas.js';
import { TokenStore } from '../../src/settings/token-store.js';
import { startHttpServer } from '../../src/server/http-server.js';
import { silentLogger } from '../../src/manager/job-context.js';
import { makeInstallation } from '../helpers/installation.js';
import { eventually } from '../helpers/eventually.js';
import { tmpDir } from '../helpers/tmp.js';
import { useTarget } from './location-targets.js';


async function backupJsonOf(bytes: Buffer): Promise<{ protected: boolean }> {
  let json: { protected: boolean } | null = null;
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => void parts.push(c as Buffer));
      stream.on('end', () => {
        if (header.name === './backup.json') json = JSON.parse(Buffer.concat(parts).toString('utf8')) as { protected: boolean };
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    Readable.from([bytes]).pipe(ex);
  });
  return json as unknown as { protected: boolean };
}

describe('locations in the application', () => {
  const s3 = useTarget('s3');

  /** An application with its HTTP server on a fresh installation; the S3 location saved in its settings. */
  async function withAppAndS3(test: (app: LifeboatApp, server: { url: string }, id: string) => Promise<void>): Promise<void> {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const app = await LifeboatApp.open({ installation: inst, log: silentLogger });
    const server = await startHttpServer(app, { host: '127.0.0.1', port: 0, log: silentLogger });
    try {
      const id = s3().spec.id;
      expect(app.manager.agent(id)).toBeUndefined();
      await app.settings.setLocationSecrets(id, s3().secrets);
      await app.settings.setLocations([s3().spec as LocationConfig]);
      await eventually(() => app.manager.agent(id) !== undefined, 'the location agent to appear', 5000);
      await test(app, server, id);
    } finally {
      await server.close();
      await app.close();
    }
  }

  it('follows the saved locations, applies their protection, and serves remote downloads', async () => {
    await withAppAndS3(async (app, server, id) => {
      await app.settings.update({ agents: { [id]: { protected: false } } });

      const created = await app.manager.create({ agentIds: ['backup.local', id], password: 'pw' });
      expect(created.failedAgentIds).toEqual([]);
      const listed = (await app.manager.list()).backups[0]!;
      expect(listed.agents).toMatchObject({ 'backup.local': { protected: true }, [id]: { protected: false } });

      const { token } = await new TokenStore(join(app.manager.df.root, 'tokens.json')).create('test');
      const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const remote = await get(`/api/backup/download/${created.backupId}?agent_id=${id}`);
      expect(remote.status).toBe(200);
      expect(remote.headers.get('content-type')).toBe('application/x-tar');
      const remoteBytes = Buffer.from(await remote.arrayBuffer());
      expect(remoteBytes.length).toBe(listed.agents[id]!.size);
      expect((await backupJsonOf(remoteBytes)).protected).toBe(false);

      // The local copy is encrypted: decrypted on download, and as stored without a password.
      const local = Buffer.from(await (await get(`/api/backup/download/${created.backupId}?agent_id=backup.local`)).arrayBuffer());
      expect(createHash('sha256').update(local).digest('hex')).toBe(createHash('sha256').update(await readFile(created.path!)).digest('hex'));
      const decrypted = Buffer.from(await (await get(`/api/backup/download/${created.backupId}?agent_id=backup.local&password=pw`)).arrayBuffer());
      expect((await backupJsonOf(decrypted)).protected).toBe(false);

      expect((await get(`/api/backup/download/ffff0000?agent_id=${id}`)).status).toBe(404);

      await app.settings.setLocations([]);
      await eventually(() => app.manager.agent(id) === undefined, 'the location agent to go', 5000);
      expect((await get(`/api/backup/download/${created.backupId}?agent_id=${id}`)).status).toBe(400);
    });
  });

  it('decrypts a remote encrypted copy on download through a temporary file', async () => {
    await withAppAndS3(async (app, server, id) => {
      const created = await app.manager.create({ agentIds: [id], password: 'pw' });
      expect(created.path).toBeNull();
      const { token } = await new TokenStore(join(app.manager.df.root, 'tokens.json')).create('test');
      const res = await fetch(`${server.url}/api/backup/download/${created.backupId}?agent_id=${id}&password=pw`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect((await backupJsonOf(Buffer.from(await res.arrayBuffer()))).protected).toBe(false);
      const { readdir } = await import('node:fs/promises');
      // The temporary file goes when the response stream closes, just after the last byte.
      await eventually(async () => (await readdir(app.manager.df.tmp)).every((n) => !n.includes('download')), 'the temporary download file to go');
    });
  });
});
