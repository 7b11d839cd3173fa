// Every remote location kind, against its real server, stores backups in the layout of Home
// Assistant's own integration for it (aws_s3, webdav, sftp_storage, a Supervisor share), reads
// the backups Home Assistant's integrations write there (each record shape, and bare backup files
// on a share), and moves copies of Lifeboat's first layout to Home Assistant's — also when an
// earlier move stopped halfway.

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredBackupAgent } from '../../src/agents/stored-backup-agent.js';
import type { AgentBackup } from '../../src/archive/backup-json.js';
import { suggestedFileName } from '../../src/archive/backup-json.js';
import { collect } from '../../src/util/chunks.js';
import { SkipReason } from '../servers/sshd.js';
import { bytesOf, KINDS, syntheticBackup, useSubject, type Kind, type Subject } from './location-targets.js';

const HA_KEYS = ['addons', 'backup_id', 'date', 'database_included', 'extra_metadata', 'folders', 'homeassistant_included', 'homeassistant_version', 'name', 'protected', 'size'];

const stem = (b: AgentBackup) => suggestedFileName(b.name, b.date).slice(0, -'.tar'.length);

async function put(agent: StoredBackupAgent, name: string, data: Buffer | (() => AsyncIterable<Buffer>)): Promise<void> {
  const body = Buffer.isBuffer(data) ? (async function* () { yield data; })() : data();
  await agent.store.put(name, body, {});
}

async function readJson(agent: StoredBackupAgent, name: string): Promise<Record<string, unknown>> {
  return JSON.parse((await collect(await agent.store.get(name))).toString('utf8')) as Record<string, unknown>;
}

async function names(agent: StoredBackupAgent): Promise<string[]> {
  return (await agent.store.list({ hidden: true })).map((b) => b.name).filter((n) => n !== '.lifeboat-location').sort();
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(KINDS)('%s location in Home Assistant layout', (kind: Kind) => {
  const subject = useSubject(kind);
  let s: Subject;
  let skip: string | null = null;
  beforeAll(() => {
    try {
      s = subject();
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      skip = err.message;
    }
  });
  const live = (name: string, fn: () => Promise<void>) =>
    it(name, async (ctx) => {
      if (skip) ctx.skip(skip);
      await fn();
    });

  live("stores the archive under Home Assistant's file name and a record its integration parses", async () => {
    const { backup, open } = syntheticBackup('bb000001', 21, 50_000, 2);
    await s.agent.upload(backup, open);
    const S = stem(backup);
    const recordName = kind === 'sftp' ? '.bb000001.metadata.json' : `${S}.metadata.json`;
    expect(await names(s.agent)).toEqual([`${S}.tar`, recordName].sort());
    const doc = await readJson(s.agent, recordName);
    const dict = (kind === 'sftp' ? doc.metadata : doc) as Record<string, unknown>;
    if (kind === 'sftp') expect(doc.file_path).toBe(`${s.diskDir as string}/${S}.tar`);
    expect(Object.keys(dict)).toEqual(HA_KEYS);
    expect(Object.values(dict.extra_metadata as object).every((v) => typeof v === 'string' || typeof v === 'boolean')).toBe(true);
    expect((dict.extra_metadata as Record<string, string>)['lifeboat.copy_sha256']).toBe(sha(await bytesOf(open())));
    // Lifeboat reads back the backup as its archive describes it.
    expect(await s.agent.get('bb000001')).toEqual(backup);
    await s.agent.delete('bb000001');
    expect(await names(s.agent)).toEqual([]);
  });

  live('keeps two backups of the same name and date (to the microsecond) apart', async () => {
    const one = syntheticBackup('bb000011', 51, 10_000, 1, { name: 'Twin' });
    const two = syntheticBackup('bb000012', 52, 10_000, 1, { name: 'Twin' });
    await s.agent.upload(one.backup, one.open);
    await s.agent.upload(two.backup, two.open);
    expect((await s.agent.list()).map((b) => b.backup_id).sort()).toEqual(['bb000011', 'bb000012']);
    for (const x of [one, two]) expect((await bytesOf(await s.agent.download(x.backup.backup_id))).equals(await bytesOf(x.open()))).toBe(true);
    await s.agent.delete('bb000011');
    await s.agent.delete('bb000012');
    expect(await names(s.agent)).toEqual([]);
  });

  live('lists, reads and deletes backups that Home Assistant stored there', async () => {
    const shapes: [string, (b: AgentBackup, S: string) => [string, unknown] | null][] = [['bare record', (b, S) => [`${S}.metadata.json`, b]]];
    if (kind === 's3') shapes.push(['backblaze_b2 record', (b, S) => [`${S}.metadata.json`, { metadata_version: '1', backup_id: b.backup_id, backup_metadata: b }]]);
    if (kind === 'sftp') shapes.push(['sftp_storage record', (b, S) => [`.${b.backup_id}.metadata.json`, { file_path: `/somewhere/else/${S}.tar`, metadata: b }]]);
    if (kind === 'folder') shapes.push(['backup file without a record', () => null]);
    let n = 0;
    for (const [label, shape] of shapes) {
      const id = `cc00000${++n}`;
      const { backup, open } = syntheticBackup(id, 30 + n, 20_000, 2, { name: `Home Assistant ${label}`, protected: false });
      const S = stem(backup);
      await put(s.agent, `${S}.tar`, open);
      const rec = shape(backup, S);
      if (rec) await put(s.agent, rec[0], Buffer.from(JSON.stringify(rec[1])));
      const fresh = s.fresh();
      expect(await fresh.get(id), label).toEqual(backup);
      expect((await bytesOf(await fresh.download(id))).equals(await bytesOf(open())), label).toBe(true);
      await fresh.delete(id);
      expect(await names(fresh), label).toEqual([]);
      await fresh.close();
    }
  });

  live("moves copies of Lifeboat's first layout to Home Assistant's, keeping their digest, also after a move that stopped halfway", async () => {
    const legacy = (id: string, seed: number) => {
      const made = syntheticBackup(id, seed, 20_000, 2, { name: `Old ${id}` });
      return { ...made, S: stem(made.backup) };
    };
    const record = async (b: AgentBackup, digest: string) => Buffer.from(JSON.stringify({ format: 1, backup: b, sha256: digest }));
    // Untouched; archive already renamed (killed after step 1); archive copied (both names) and new record written.
    const a = legacy('dd000001', 41);
    const b = legacy('dd000002', 42);
    const c = legacy('dd000003', 43);
    const digests = new Map<string, string>();
    for (const x of [a, b, c]) digests.set(x.backup.backup_id, sha(await bytesOf(x.open())));
    await put(s.agent, 'dd000001.tar', a.open);
    await put(s.agent, 'dd000001.metadata.json', await record(a.backup, digests.get('dd000001')!));
    await put(s.agent, `${b.S}.tar`, b.open);
    await put(s.agent, 'dd000002.metadata.json', await record(b.backup, digests.get('dd000002')!));
    await put(s.agent, 'dd000003.tar', c.open);
    await put(s.agent, `${c.S}.tar`, c.open);
    await put(s.agent, 'dd000003.metadata.json', await record(c.backup, digests.get('dd000003')!));
    // A legacy record whose archive is gone is no backup: it is removed (it would break Home Assistant's listing).
    await put(s.agent, 'dd000009.metadata.json', await record({ ...a.backup, backup_id: 'dd000009' }, digests.get('dd000001')!));

    const fresh = s.fresh();
    expect((await fresh.list()).map((x) => x.backup_id).sort()).toEqual(['dd000001', 'dd000002', 'dd000003']);
    const recordOf = (x: { S: string; backup: AgentBackup }) => (kind === 'sftp' ? `.${x.backup.backup_id}.metadata.json` : `${x.S}.metadata.json`);
    expect(await names(fresh)).toEqual([a, b, c].flatMap((x) => [`${x.S}.tar`, recordOf(x)]).sort());
    for (const x of [a, b, c]) {
      const id = x.backup.backup_id;
      expect(await fresh.get(id)).toEqual(x.backup);
      expect(await fresh.capabilities.recordedDigest?.(id)).toBe(digests.get(id));
      expect(sha(await bytesOf(await fresh.download(id)))).toBe(digests.get(id));
      await fresh.delete(id);
    }
    expect(await names(fresh)).toEqual([]);
    await fresh.close();
  });
});
