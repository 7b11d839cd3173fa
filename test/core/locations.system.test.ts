// Locations in the running application, against s3rver: agents appear when a location is added
// and go when it is removed; per-location protection comes from the settings; the HTTP download
// endpoint streams a remote copy as stored and decrypts one on download.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { GenerateSchema } from '../../src/core/types.js';
import { startHttpServer } from '../../src/server/http-server.js';
import { silentLogger } from '../../src/util/logger.js';
import { makeInstallation } from '../helpers/installation.js';
import { eventually } from '../helpers/eventually.js';
import { tmpDir } from '../helpers/tmp.js';
import { useTarget } from '../agents/location-targets.js';

/** A backup on exactly these locations (Home Assistant's `backup/generate`), waited for. */
async function createOn(core: LifeboatCore, agentIds: string[], password: string) {
  return (await core.create.generate(GenerateSchema.parse({ agent_ids: agentIds, password }))).done;
}


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
  async function withAppAndS3(test: (core: LifeboatCore, server: { url: string }, id: string) => Promise<void>): Promise<void> {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const core = await LifeboatCore.open({ installation: inst, log: silentLogger });
    const server = await startHttpServer(core, { host: '127.0.0.1', port: 0, log: silentLogger });
    try {
      const spec = s3().spec;
      const id = spec.id;
      expect(core.backups.hasAgent(id)).toBe(false);
      await core.locations.add({ kind: spec.kind, name: spec.name, settings: spec.settings, secrets: s3().secrets, bandwidthLimit: null, verify: spec.verify });
      await eventually(() => core.backups.hasAgent(id), 'the location agent to appear', 5000);
      await test(core, server, id);
    } finally {
      await server.close();
      await core.close();
    }
  }

  it('follows the saved locations, applies their protection, and serves remote downloads', async () => {
    await withAppAndS3(async (core, server, id) => {
      await core.settings.update({ agents: { [id]: { protected: false } } });

      const created = await createOn(core, ['backup.local', id], 'pw');
      expect(created.failedAgentIds).toEqual([]);
      const listed = (await core.backups.list()).backups[0]!;
      expect(listed.agents).toMatchObject({ 'backup.local': { protected: true }, [id]: { protected: false } });

      const { token } = await core.tokens.create('test');
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

      await core.locations.remove(id);
      await eventually(() => !core.backups.hasAgent(id), 'the location agent to go', 5000);
      expect((await get(`/api/backup/download/${created.backupId}?agent_id=${id}`)).status).toBe(400);
    });
  });

  it('decrypts a remote encrypted copy on download through a temporary file', async () => {
    await withAppAndS3(async (core, server, id) => {
      const created = await createOn(core, [id], 'pw');
      expect(created.path).toBeNull();
      const { token } = await core.tokens.create('test');
      const res = await fetch(`${server.url}/api/backup/download/${created.backupId}?agent_id=${id}&password=pw`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect((await backupJsonOf(Buffer.from(await res.arrayBuffer()))).protected).toBe(false);
      const { readdir } = await import('node:fs/promises');
      // The temporary file goes when the response stream closes, just after the last byte.
      await eventually(async () => (await readdir(join(core.status.dataFolder, 'tmp'))).every((n) => !n.includes('download')), 'the temporary download file to go');
    });
  });
});
