// One conformance suite for every kind of backup location — the local backup folder
// (`backup.local`) and each remote kind against a real server on 127.0.0.1 (a folder, s3rver,
// OpenSSH's sshd, Apache mod_dav): upload/list/get/download/delete, not-found errors, overwrite
// rules, listing without reading archives (where the layout keeps records), an aborted upload that
// leaves nothing listed, and refused credentials with a clear error. (The 1 GiB streams are in
// big-streams.heavy.test.ts.)

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocationAuthError, LocationNotMountedError, HostKeyMismatchError, HostKeyUnknownError } from '../../src/agents/agent-errors.js';
import { MARKER_FILE } from '../../src/agents/folder-location.js';
import { createLocationAgent, createStoredAgent } from '../../src/agents/location-registry.js';
import type { StoredBackupAgent } from '../../src/agents/stored-backup-agent.js';
import { BackupNotFound } from '../../src/util/errors.js';
import { SkipReason } from '../servers/sshd.js';
import { bytesOf, SUBJECTS, syntheticBackup, useSubject, type Target } from './location-targets.js';

const MiB = 1024 * 1024;

describe.each(SUBJECTS)('%s location', (kind) => {
  const subject = useSubject(kind);
  let target: Target | null = null;
  let agent: StoredBackupAgent;
  let fresh: () => StoredBackupAgent;
  let diskDir: string | null = null;
  let keepsRecords = true;
  let skip: string | null = null;
  beforeAll(() => {
    try {
      ({ target, agent, fresh, diskDir, keepsRecords } = subject());
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      skip = err.message;
    }
  });

  /** A test of this kind; `notFor` names what makes it meaningless for the local folder. */
  const live = (name: string, fn: () => Promise<void>, timeout?: number, notFor?: { local: string }) =>
    it(
      name,
      async (ctx) => {
        if (skip) {
          process.stderr.write(`skipped (${kind}): ${skip}\n`);
          ctx.skip();
        }
        if (kind === 'local' && notFor) ctx.skip(notFor.local);
        await fn();
      },
      timeout,
    );

  live('stores, lists, gets, downloads and deletes a backup, byte for byte', async () => {
    const { backup: rec, open } = syntheticBackup('aa000001', 1, 300_000, 7);
    const bytes = await bytesOf(open());
    expect(bytes.length).toBe(rec.size);
    const progress: number[] = [];
    await agent.upload(rec, open, { onProgress: (n) => progress.push(n) });
    expect(progress.at(-1)).toBe(bytes.length);
    expect((await agent.list()).map((b) => b.backup_id)).toContain('aa000001');
    expect(await agent.get('aa000001')).toEqual(rec);
    expect((await bytesOf(await agent.download('aa000001'))).equals(bytes)).toBe(true);
    // A location that verifies records the digest of what it stored.
    expect((await agent.capabilities.recordedDigest?.('aa000001'))).toBe(keepsRecords ? createHash('sha256').update(bytes).digest('hex') : null);
    await agent.delete('aa000001');
    expect((await agent.list()).map((b) => b.backup_id)).not.toContain('aa000001');
  });

  live('says "not found" for unknown backups', async () => {
    await expect(agent.get('ffff0000')).rejects.toBeInstanceOf(BackupNotFound);
    await expect(agent.download('ffff0000')).rejects.toBeInstanceOf(BackupNotFound);
    await expect(agent.delete('ffff0000')).rejects.toBeInstanceOf(BackupNotFound);
    await expect(agent.get('../etc/passwd')).rejects.toBeInstanceOf(BackupNotFound);
    await expect(agent.get('ffff0000')).rejects.toThrow(`Backup ffff0000 not found in agent ${agent.agentId}`);
  });

  live('replaces a backup uploaded again with other bytes of the same size, and an aborted replacement keeps the old copy', async () => {
    const first = syntheticBackup('aa000002', 2, 100_000, 3);
    const second = syntheticBackup('aa000002', 3, 100_000, 3);
    expect(second.backup).toEqual(first.backup);
    await agent.upload(first.backup, first.open);
    expect(await agent.capabilities.recordedDigest?.('aa000002')).toBe(keepsRecords ? createHash('sha256').update(await bytesOf(first.open())).digest('hex') : null);
    await agent.upload(second.backup, second.open);
    const bytes = await bytesOf(second.open());
    expect((await agent.list()).filter((b) => b.backup_id === 'aa000002')).toEqual([second.backup]);
    expect((await bytesOf(await agent.download('aa000002'))).equals(bytes)).toBe(true);
    // The digest recorded is that of the bytes now stored, also when the record kept its size.
    expect(await agent.capabilities.recordedDigest?.('aa000002')).toBe(keepsRecords ? createHash('sha256').update(bytes).digest('hex') : null);

    const controller = new AbortController();
    const big = syntheticBackup('aa000002', 4, MiB, 40);
    const aborted = agent.upload(big.backup, big.open, {
      signal: controller.signal,
      onProgress: (n) => n > 4 * MiB && controller.abort(new Error('stop')),
    });
    await expect(aborted).rejects.toThrow();
    expect(await agent.get('aa000002')).toEqual(second.backup);
    expect((await bytesOf(await agent.download('aa000002'))).equals(bytes)).toBe(true);
    await agent.delete('aa000002');
    await expect(agent.get('aa000002')).rejects.toBeInstanceOf(BackupNotFound);
  });

  live('lists from the small records only, never reading an archive', async () => {
    const small = syntheticBackup('aa000003', 5, 200_000, 1);
    await agent.upload(small.backup, small.open);
    const store = agent.store;
    const original = store.get.bind(store);
    const read: string[] = [];
    store.get = (name, opts) => {
      read.push(name);
      return original(name, opts);
    };
    try {
      const other = createStoredAgent(target!.spec, target!.secrets);
      Object.assign(other, { store });
      expect((await other.list()).map((b) => b.backup_id)).toContain('aa000003');
    } finally {
      store.get = original;
    }
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((n) => n.endsWith('.metadata.json'))).toBe(true);
    await agent.delete('aa000003');
  }, undefined, { local: "the local folder keeps Home Assistant's layout: backup files without records, each read in place" });

  live('leaves nothing listed, and no stray files, after an upload aborted midway', async () => {
    const before = (await agent.store.list()).map((b) => b.name);
    const controller = new AbortController();
    const large = syntheticBackup('aa000004', 6, MiB, 64);
    const upload = agent.upload(large.backup, large.open, {
      signal: controller.signal,
      onProgress: (n) => n > 8 * MiB && controller.abort(new Error('stop')),
    });
    await expect(upload).rejects.toThrow();
    expect((await agent.list()).map((b) => b.backup_id)).not.toContain('aa000004');
    await expect(agent.get('aa000004')).rejects.toBeInstanceOf(BackupNotFound);
    expect((await agent.store.list()).filter((b) => b.name.startsWith('aa000004'))).toEqual([]);
    expect((await agent.store.list()).map((b) => b.name)).toEqual(before);
  });

  live('gives a clear error for refused credentials', async () => {
    if (!target!.badSecrets) {
      // A folder has no credentials; its refusal is the unmounted share.
      const dir = target!.spec.settings.path as string;
      await rm(join(dir, MARKER_FILE));
      try {
        const tiny = syntheticBackup('aa000005', 7, 10, 1);
        await expect(agent.upload(tiny.backup, tiny.open)).rejects.toBeInstanceOf(LocationNotMountedError);
        await expect(agent.list()).rejects.toThrow(/marker, so the share looks unmounted/);
        expect((await agent.probe()).writable).toBe(false);
      } finally {
        const { FolderStore } = await import('../../src/agents/folder-location.js');
        await new FolderStore(dir, { marker: true, agentId: target!.spec.id }).markMounted(new Date());
      }
      return;
    }
    const bad = createLocationAgent(target!.spec, target!.badSecrets, { retry: { baseMs: 10, maxMs: 20 } });
    try {
      const tiny = syntheticBackup('aa000005', 7, 10, 1);
      const err = await bad.agent.upload(tiny.backup, tiny.open).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocationAuthError);
      expect((err as Error).message).toMatch(new RegExp(`^${target!.spec.id.replace('.', '\\.')}: access refused .*check the credentials`));
      await expect(bad.agent.list()).rejects.toBeInstanceOf(LocationAuthError);
    } finally {
      await bad.close();
    }
    const probe = await createStoredAgent(target!.spec, target!.badSecrets).probe();
    expect(probe).toMatchObject({ reachable: true, credentials: false, writable: false });
  }, undefined, { local: 'the local folder has no credentials and no mount marker to refuse' });

  live('removes the temp file of an upload that died long ago, and keeps a recent one', async () => {
    const dir = diskDir;
    if (!dir) return; // S3: an unfinished multipart upload is aborted by the client, or expires by the bucket's rules
    const one = syntheticBackup('aa000008', 10, 10, 1);
    await agent.upload(one.backup, one.open); // the folder exists now
    const old = join(dir, '.lifeboat-1-000000000000.partial');
    const recent = join(dir, '.lifeboat-2-000000000000.partial');
    await writeFile(old, 'half an upload');
    await writeFile(recent, 'an upload in progress');
    const longAgo = new Date(Date.now() - 3 * 86_400_000);
    await utimes(old, longAgo, longAgo);
    const another = fresh();
    const two = syntheticBackup('aa000009', 11, 10, 1);
    await another.upload(two.backup, two.open);
    await another.close();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    await rm(recent);
    await agent.delete('aa000008');
    await agent.delete('aa000009');
  });

  live('passes its own test: reachable, credentials accepted, writable', async () => {
    const probe = await agent.probe();
    expect(probe).toMatchObject({ reachable: true, credentials: true, writable: true });
    if (kind === 'local' || kind === 'folder' || kind === 'sftp') expect(probe.freeBytes).toBeGreaterThan(0);
  });

  if (kind === 'sftp') {
    live('connects only to the pinned host key: an unpinned or different key ends the connection before credentials are sent', async () => {
      const unpinned = createStoredAgent({ ...target!.spec, settings: { ...target!.spec.settings, host_key_sha256: null } }, target!.secrets);
      const refused = await unpinned.list().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HostKeyUnknownError);
      expect((refused as HostKeyUnknownError).fingerprint).toBe(target!.spec.settings.host_key_sha256);
      expect((refused as Error).message).toContain('nothing was sent to the server');
      await unpinned.close();
      const wrong = createStoredAgent({ ...target!.spec, settings: { ...target!.spec.settings, host_key_sha256: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }, target!.secrets);
      await expect(wrong.list()).rejects.toBeInstanceOf(HostKeyMismatchError);
      await wrong.close();
      const { presentedHostKey } = await import('../../src/agents/sftp-location.js');
      expect(await presentedHostKey(target!.spec.settings as { host: string; port: number })).toBe(target!.spec.settings.host_key_sha256);
    });

    live('logs in with a password too', async () => {
      const { SFTP_PASSWORD } = await import('../servers/sshd.js');
      const withPassword = createStoredAgent(target!.spec, { password: SFTP_PASSWORD });
      const small = syntheticBackup('aa000007', 9, 1000, 1);
      await withPassword.upload(small.backup, small.open);
      expect((await withPassword.get('aa000007')).size).toBe(small.backup.size);
      await withPassword.delete('aa000007');
      await withPassword.close();
    });
  }
});
