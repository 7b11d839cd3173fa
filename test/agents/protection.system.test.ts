// Per-location protection in the fan-out, on real servers: one backup sent to an encrypted and an
// unencrypted location. The encrypted copy never holds a plaintext inner archive (its inner member
// starts with SecureTar's magic, read straight from the stored object), the unencrypted one is
// plain gzip, and both restore to the same tree. Both directions are covered: a protected file
// decrypted on the fly, and an unprotected file (an unprotected local folder, in Home Assistant's
// rule for every backup with a password) encrypted on the fly.

import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocationAgent } from '../../src/agents/location-registry.js';
import type { LocationConfig } from '../../src/agents/location-config.js';
import { s3Client, type S3Settings } from '../../src/agents/s3-location.js';
import { MAGIC } from '../../src/archive/securetar/securetar-header.js';
import { openManager } from '../helpers/manager.js';
import { makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';
import { startTarget, type Target } from './location-targets.js';
import { suggestedFileName } from '../../src/archive/backup-json.js';

const KEY = 'protection-test-key';
const compareOpts = { mtimes: true, ignore: [...NOT_COMPARED, 'home-assistant.log', 'tts/x.mp3'] };

/** The first bytes of each inner archive member of a backup held in `bytes`. */
async function innerMemberHeads(bytes: Buffer): Promise<Record<string, Buffer>> {
  const heads: Record<string, Buffer> = {};
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => void parts.push(c as Buffer));
      stream.on('end', () => {
        if (/\.tar(\.gz)?$/.test(header.name)) heads[header.name.replace(/^\.\//, '')] = Buffer.concat(parts).subarray(0, 16);
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([bytes]).pipe(ex);
  await done;
  return heads;
}

describe('one backup, an encrypted and an unencrypted location', () => {
  let s3: Target;
  let dav: Target;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    [s3, dav] = await Promise.all([startTarget('s3'), startTarget('webdav')]);
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await Promise.all([s3?.stop(), dav?.stop()]);
  });

  async function setup(local: { protected?: boolean } = {}) {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const protectedIds: Record<string, boolean | undefined> = { [s3.spec.id]: true, [dav.spec.id]: false, 'backup.local': local.protected };
    const manager = await openManager({ installation: inst, timeZone: 'UTC', protectedFor: (id) => protectedIds[id] });
    for (const t of [s3, dav]) {
      const { agent, close } = createLocationAgent(t.spec, t.secrets);
      manager.registerAgent(agent);
      closers.push(close);
    }
    return { inst, manager };
  }

  async function storedOnS3(file: string): Promise<Buffer> {
    const settings = s3.spec.settings as S3Settings;
    const client = await s3Client({ ...settings, region: 'us-east-1', storage_class: null, part_size_mib: 8 }, s3.secrets as never);
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}${file}` }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } finally {
      client.destroy();
    }
  }

  async function storedOnWebdav(file: string): Promise<Buffer> {
    const { createClient } = await import('webdav');
    const c = createClient(String(dav.spec.settings.url), { username: String(dav.spec.settings.username), password: dav.secrets.password });
    return Buffer.from((await c.getFileContents(`/backups/${file}`)) as ArrayBuffer);
  }

  async function checkCopies(manager: Awaited<ReturnType<typeof openManager>>, inst: string, backupId: string) {
    // Both locations keep Home Assistant's layout: the archive under its suggested file name.
    const made = (await manager.details(backupId)).backup!;
    const file = suggestedFileName(made.name, made.date);
    const s3Heads = await innerMemberHeads(await storedOnS3(file));
    const davHeads = await innerMemberHeads(await storedOnWebdav(file));
    expect(Object.keys(s3Heads)).toEqual(['homeassistant.tar.gz']);
    expect(s3Heads['homeassistant.tar.gz']!.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
    expect(davHeads['homeassistant.tar.gz']!.subarray(0, 2).toString('hex')).toBe('1f8b');

    const listed = (await manager.list()).backups.find((b) => b.backup_id === backupId)!;
    expect(listed.agents[s3.spec.id]?.protected).toBe(true);
    expect(listed.agents[dav.spec.id]?.protected).toBe(false);
    expect(listed.failed_agent_ids).toEqual([]);

    const original = await describeTree(inst, compareOpts);
    await manager.restore({ backupId, agentId: s3.spec.id, password: KEY });
    const fromEncrypted = await describeTree(inst, compareOpts);
    await manager.restore({ backupId, agentId: dav.spec.id });
    const fromPlain = await describeTree(inst, compareOpts);
    expect(fromEncrypted).toEqual(original);
    expect(fromPlain).toEqual(original);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');
  }

  it('decrypts on the fly for the unencrypted location when the backup is encrypted', async () => {
    const { inst, manager } = await setup();
    const created = await manager.create({ agentIds: ['backup.local', s3.spec.id, dav.spec.id], password: KEY });
    expect(created.backup.protected).toBe(true);
    expect(created.failedAgentIds).toEqual([]);
    await checkCopies(manager, inst, created.backupId);
  });

  it('writes the file unencrypted for an unprotected local folder and encrypts on the fly for the encrypted location', async () => {
    const { inst, manager } = await setup({ protected: false });
    const created = await manager.create({ agentIds: ['backup.local', s3.spec.id, dav.spec.id], password: KEY });
    expect(created.backup.protected).toBe(false);
    expect(created.failedAgentIds).toEqual([]);
    await checkCopies(manager, inst, created.backupId);
  });
});
