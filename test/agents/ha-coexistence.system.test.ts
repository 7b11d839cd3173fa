// Lifeboat and Home Assistant's own storage integrations sharing one bucket or folder, against the
// real servers: Home Assistant's listing (test/helpers/ha_storage.py, which parses a location as
// each integration does) sees every backup Lifeboat stored there — name, date, size, protection,
// and a tar that holds it — and never fails on a record Lifeboat wrote; and Lifeboat lists,
// verifies and restores a backup that Home Assistant's integration stored there.

import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocationAgent } from '../../src/agents/location-registry.js';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { haList, haWrite, type HaStorageConfig, type HaStorageKind } from '../helpers/ha-storage.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { SkipReason } from '../servers/sshd.js';
import { startTarget, type Kind, type Target } from './location-targets.js';

const KEY = 'coexistence key';

/** How Home Assistant is configured for the same place a Lifeboat location of `kind` points at. */
async function haConfigs(target: Target): Promise<[HaStorageKind, HaStorageConfig<HaStorageKind>][]> {
  const s = target.spec.settings as Record<string, string | number>;
  switch (target.kind) {
    case 's3': {
      const s3 = {
        endpoint: String(s.endpoint),
        bucket: String(s.bucket),
        prefix: String(s.prefix).replace(/\/+$/, ''),
        access_key_id: target.secrets.access_key_id as string,
        secret_access_key: target.secrets.secret_access_key as string,
      };
      // aws_s3 skips a record it cannot parse; cloudflare_r2 shows nothing at all then.
      return [
        ['aws_s3', s3],
        ['cloudflare_r2', s3],
      ];
    }
    case 'webdav':
      return [['webdav', { url: String(s.url), path: String(s.path), username: String(s.username), password: target.secrets.password as string }]];
    case 'sftp': {
      const keyFile = join(await tmpDir(), 'id_ed25519');
      await writeFile(keyFile, target.secrets.private_key as string);
      await chmod(keyFile, 0o600);
      return [['sftp_storage', { host: String(s.host), port: Number(s.port), username: String(s.username), private_key_file: keyFile, path: target.diskDir as string }]];
    }
    case 'folder':
      return [['share', { path: String(s.path) }]];
  }
}

describe.each(['s3', 'webdav', 'sftp', 'folder'] as Kind[])('a %s location shared with Home Assistant', (kind) => {
  let target: Target | null = null;
  let skip: string | null = null;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    try {
      target = await startTarget(kind);
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      skip = err.message;
    }
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await target?.stop();
  });

  async function setup() {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst, timeZone: 'UTC' });
    const { agent, close } = createLocationAgent(target!.spec, target!.secrets);
    manager.registerAgent(agent);
    closers.push(close);
    return { inst, manager };
  }

  it("is listed by Home Assistant's integration with every backup Lifeboat stored, each tar holding its backup", async (ctx) => {
    if (skip) ctx.skip(skip);
    const { manager } = await setup();
    const id = target!.spec.id;
    const encrypted = await manager.create({ agentIds: [id], password: KEY, name: 'Lifeboat encrypted' });
    const plain = await manager.create({ agentIds: [id], password: null, name: 'Lifeboat plain' });
    expect([encrypted.failedAgentIds, plain.failedAgentIds]).toEqual([[], []]);
    for (const [haKind, config] of await haConfigs(target!)) {
      const listing = await haList(haKind, config);
      expect(listing.listing_failed, `${haKind}: ${JSON.stringify(listing.errors)}`).toBe(false);
      expect(listing.errors, haKind).toEqual([]);
      for (const made of [encrypted, plain]) {
        const seen = listing.backups.find((b) => b.backup_id === made.backupId);
        expect(seen, `${haKind} lists ${made.backup.name}`).toBeDefined();
        expect(seen).toMatchObject({ name: made.backup.name, date: made.backup.date, size: made.backup.size, protected: made.backup.protected, tar_backup_id: made.backupId, tar_size: made.backup.size });
      }
    }
  });

  it("lists, verifies and restores a backup that Home Assistant's integration stored there", async (ctx) => {
    if (skip) ctx.skip(skip);
    const [[haKind, config]] = (await haConfigs(target!)) as [[HaStorageKind, HaStorageConfig<HaStorageKind>]];
    await haWrite(haKind, config, fixture('reference-made/backup_core_v3_hunter2.tar'));
    const { inst, manager } = await setup();
    const id = target!.spec.id;
    const listed = (await manager.list()).backups.find((b) => b.backup_id === 'd76bc010');
    expect(listed?.agents[id]).toMatchObject({ protected: true });
    const report = await manager.withBackupFile('d76bc010', id, (file) => withBackupReader(file, (reader) => verifyBackup(reader, 'hunter2')));
    expect(report.problems).toEqual([]);
    expect(report.members.map((m) => m.error)).toEqual(report.members.map(() => null));
    // The fixture was made by Home Assistant 2026.9.0, newer than the test installation's.
    await manager.restore({ backupId: 'd76bc010', agentId: id, password: 'hunter2', allowNewerVersion: true });
    const source = fixture('reference-made/config_src');
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(await readFile(join(source, 'configuration.yaml'), 'utf8'));
    expect((await readFile(join(inst, 'big.txt'))).equals(await readFile(join(source, 'big.txt')))).toBe(true);
    await manager.delete('d76bc010');
  });
});
