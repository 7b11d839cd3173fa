// A location in Home Assistant's layout, over a store in memory that lists like S3 or WebDAV: a
// record that could not be read once is read again, a record rewritten (by this process or another,
// at the same size) gives its new digest, another installation's backup with the same id is never
// removed nor overwritten, and a delete that stopped halfway leaves nothing that a retry cannot
// finish.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobNotFound, listedName, type BlobInfo, type BlobStore, type ListOptions, type ProbeReport } from '../../src/agents/blob-store.js';
import { haArchiveName } from '../../src/agents/ha-records.js';
import { HaLayout } from '../../src/agents/ha-layout.js';
import { StoredBackupAgent } from '../../src/agents/stored-backup-agent.js';
import { VerifiedAgent } from '../../src/agents/verified-agent.js';
import type { AgentBackup } from '../../src/archive/backup-json.js';
import { collect } from '../../src/util/chunks.js';
import { BackupAgentUnreachableError, BackupNotFound } from '../../src/util/errors.js';

const SIZE = 4096;

interface Fault {
  /** `short`: the read ends early, without an error. */
  op: 'get' | 'short' | 'remove';
  match: (name: string) => boolean;
}

/**
 * Blobs in memory. The listing gives the modification time (the store's clock, in whole seconds as
 * SFTP and S3 give it) and, when `etags` is set, an entity tag of the content. `failOnce` makes the
 * next matching call fail as a dropped connection would (or a read end early); `hold` keeps the
 * next matching read from finishing (with the content at the time of the call) until released.
 */
class MemoryStore implements BlobStore {
  readonly where = 'memory://test';
  readonly blobs = new Map<string, { data: Buffer; mtimeMs: number }>();
  nowMs = 1_000_000;
  private faults: Fault[] = [];
  private held: { match: (name: string) => boolean; release: Promise<void>; reached: () => void } | null = null;

  constructor(private readonly etags = false) {}

  failOnce(op: Fault['op'], match: Fault['match']): void {
    this.faults.push({ op, match });
  }

  /** Holds the next matching read; `reached` settles once it is under way. */
  hold(match: (name: string) => boolean): { reached: Promise<void>; release: () => void } {
    let release = () => {};
    let reached = () => {};
    const started = new Promise<void>((r) => (reached = r));
    this.held = { match, release: new Promise<void>((r) => (release = r)), reached };
    return { reached: started, release };
  }

  private fault(op: Fault['op'], name: string): void {
    const i = this.faults.findIndex((f) => f.op === op && f.match(name));
    if (i < 0) return;
    this.faults.splice(i, 1);
    throw Object.assign(new Error(`read ETIMEDOUT (${op} ${name})`), { code: 'ETIMEDOUT' });
  }

  private shortened(name: string, data: Buffer): Buffer {
    const i = this.faults.findIndex((f) => f.op === 'short' && f.match(name));
    if (i < 0) return data;
    this.faults.splice(i, 1);
    return data.subarray(0, data.length >> 1);
  }

  async put(name: string, data: AsyncIterable<Buffer>): Promise<void> {
    this.blobs.set(name, { data: await collect(data), mtimeMs: this.nowMs });
  }

  async get(name: string): Promise<AsyncIterable<Buffer>> {
    this.fault('get', name);
    const blob = this.blobs.get(name);
    if (!blob) throw new BlobNotFound(name);
    const data = this.shortened(name, blob.data);
    const held = this.held?.match(name) ? this.held : null;
    if (held) {
      this.held = null;
      held.reached();
      await held.release;
    }
    return (async function* () {
      yield data;
    })();
  }

  async list(opts: ListOptions = {}): Promise<BlobInfo[]> {
    return [...this.blobs]
      .filter(([name]) => listedName(name, opts))
      .map(([name, b]) => ({ name, size: b.data.length, mtimeMs: b.mtimeMs, ...(this.etags ? { etag: createHash('md5').update(b.data).digest('hex') } : {}) }));
  }

  async remove(name: string): Promise<void> {
    this.fault('remove', name);
    if (!this.blobs.delete(name)) throw new BlobNotFound(name);
  }

  async probe(): Promise<ProbeReport> {
    return { reachable: true, credentials: true, writable: true, freeBytes: null, detail: [] };
  }

  async close(): Promise<void> {}

  names(): string[] {
    return [...this.blobs.keys()].sort();
  }
}

/** An agent on the store, as one Lifeboat process has it (its own layout and cache). */
const agentOn = (store: BlobStore) => new StoredBackupAgent({ domain: 's3', uniqueId: 'test', name: 'test' }, store, { layout: new HaLayout({ style: 'bare' }), recordDigest: true });

function backup(id: string, extra: Partial<AgentBackup> & { instance?: string } = {}): AgentBackup {
  const { instance = 'aaaa', ...rest } = extra;
  return {
    addons: [],
    backup_id: id,
    date: '2026-07-15T04:45:00.000000+00:00',
    database_included: true,
    extra_metadata: { instance_id: instance },
    folders: [],
    homeassistant_included: true,
    homeassistant_version: '2026.7.0',
    name: `Backup ${id}`,
    protected: true,
    size: SIZE,
    ...rest,
  };
}

const bytes = (fill: number) => Buffer.alloc(SIZE, fill);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const opening = (b: Buffer) => async function* () {
  yield b;
};
/** A store holding these backups, stored by another process, and an agent of this one on it. */
async function storedByAnother(...backups: AgentBackup[]): Promise<{ store: MemoryStore; reader: StoredBackupAgent }> {
  const store = new MemoryStore();
  for (const [i, b] of backups.entries()) await agentOn(store).upload(b, opening(bytes(i + 1)));
  return { store, reader: agentOn(store) };
}

const ids = async (agent: StoredBackupAgent) => (await agent.list()).map((b) => b.backup_id).sort();
const stem = (b: AgentBackup) => haArchiveName(b).slice(0, -'.tar'.length);
const isRecordOf = (b: AgentBackup) => (name: string) => name === `${stem(b)}.metadata.json`;

describe("a location in Home Assistant's layout", () => {
  it.each([
    ['failed', 'get'],
    ['ended early', 'short'],
  ] as const)('lists a backup again once its record can be read, after a read of it %s', async (_how, fault) => {
    const x = backup('aaaa0001', { name: 'X' });
    const { store, reader } = await storedByAnother(x, backup('aaaa0002', { name: 'Y' }));
    store.failOnce(fault, isRecordOf(x));
    expect(await ids(reader)).toEqual(['aaaa0002']);
    expect(await ids(reader)).toEqual(['aaaa0001', 'aaaa0002']);
    expect((await reader.get('aaaa0001')).name).toBe('X');
  });

  it('says the location failed, not that the backup is missing, while its record cannot be read', async () => {
    const x = backup('aaaa0001');
    const { store, reader } = await storedByAnother(x);
    store.failOnce('get', isRecordOf(x));
    await expect(reader.get('aaaa0001')).rejects.toBeInstanceOf(BackupAgentUnreachableError);
    expect((await reader.get('aaaa0001')).backup_id).toBe('aaaa0001');
  });

  it('verifies a backup stored again with other bytes of the same size, within the same second', async () => {
    const store = new MemoryStore();
    const agent = agentOn(store);
    const x = backup('aaaa0001');
    await new VerifiedAgent(agent).upload(x, opening(bytes(1)));
    expect(await agent.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(1)));
    await new VerifiedAgent(agent).upload(x, opening(bytes(2)));
    expect(await agent.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(2)));
    expect(store.names()).toEqual([`${stem(x)}.metadata.json`, `${stem(x)}.tar`]);
  });

  it('keeps nothing of a record read while this process rewrote it', async () => {
    const x = backup('aaaa0001');
    const { store, reader: agent } = await storedByAnother(x);
    const { reached, release } = store.hold(isRecordOf(x));
    const listing = agent.list();
    await reached;
    await agent.upload(x, opening(bytes(2)));
    release();
    await listing;
    expect(await agent.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(2)));
  });

  it.each([
    ['a later modification time', false, 1000],
    ['another entity tag, in the same second', true, 0],
  ])('reads again a record that another process rewrote at the same size, seen by %s', async (_label, etags, laterMs) => {
    const store = new MemoryStore(etags);
    const [ours, theirs] = [agentOn(store), agentOn(store)];
    const x = backup('aaaa0001');
    await theirs.upload(x, opening(bytes(1)));
    expect(await ours.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(1)));
    store.nowMs += laterMs;
    await theirs.upload(x, opening(bytes(2)));
    expect(await ours.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(2)));
  });

  it("keeps, and never verifies against, another installation's backup that has the same id", async () => {
    const store = new MemoryStore();
    const ours = backup('aaaa0001', { name: 'Ours', instance: 'aaaa' });
    const theirs = backup('aaaa0001', { name: 'Theirs', instance: 'bbbb', size: SIZE * 2 });
    await agentOn(store).upload(ours, opening(bytes(1)));
    await new VerifiedAgent(agentOn(store)).upload(theirs, opening(Buffer.alloc(SIZE * 2, 2)));
    expect(store.names()).toEqual([`${stem(ours)}.metadata.json`, `${stem(ours)}.tar`, `${stem(theirs)}.metadata.json`, `${stem(theirs)}.tar`]);
    expect(store.blobs.get(`${stem(ours)}.tar`)?.data.equals(bytes(1))).toBe(true);
  });

  it("keeps apart another installation's backup with the same id, name and date", async () => {
    const store = new MemoryStore();
    const ours = backup('aaaa0001', { instance: 'aaaa' });
    const theirs = backup('aaaa0001', { instance: 'bbbb' });
    await agentOn(store).upload(ours, opening(bytes(1)));
    await agentOn(store).upload(theirs, opening(bytes(2)));
    const S = stem(ours);
    expect(store.names()).toEqual([`${S}.metadata.json`, `${S}.tar`, `${S}_aaaa0001.metadata.json`, `${S}_aaaa0001.tar`]);
    expect(store.blobs.get(`${S}.tar`)?.data.equals(bytes(1))).toBe(true);
  });

  it('replaces its own copy stored under another archive name when the backup is stored again', async () => {
    const store = new MemoryStore();
    const theirs = backup('aaaa0001', { instance: 'bbbb' });
    const ours = backup('aaaa0001', { instance: 'aaaa' });
    const S = stem(ours);
    await agentOn(store).upload(theirs, opening(bytes(2)));
    const agent = agentOn(store);
    await agent.upload(ours, opening(bytes(1)));
    for (const name of [`${S}.metadata.json`, `${S}.tar`]) await store.remove(name);
    await agent.upload(ours, opening(bytes(3)));
    expect(store.names()).toEqual([`${S}.metadata.json`, `${S}.tar`]);
    expect(await agent.capabilities.recordedDigest?.('aaaa0001')).toBe(sha(bytes(3)));
  });

  it('keeps a backup listed when its archive could not be removed, and a retried delete removes it', async () => {
    const store = new MemoryStore();
    const agent = agentOn(store);
    await agent.upload(backup('aaaa0001'), opening(bytes(1)));
    store.failOnce('remove', (name) => name.endsWith('.tar'));
    await expect(agent.delete('aaaa0001')).rejects.toBeInstanceOf(BackupAgentUnreachableError);
    expect(await ids(agent)).toEqual(['aaaa0001']);
    await agent.delete('aaaa0001');
    expect(store.names()).toEqual([]);
  });

  it('never lists a backup whose record outlived its archive, and a retried delete removes the record', async () => {
    const store = new MemoryStore();
    const agent = agentOn(store);
    const x = backup('aaaa0001');
    await agent.upload(x, opening(bytes(1)));
    store.failOnce('remove', isRecordOf(x));
    await expect(agent.delete('aaaa0001')).rejects.toBeInstanceOf(BackupAgentUnreachableError);
    expect(store.names()).toEqual([`${stem(x)}.metadata.json`]);
    expect(await ids(agentOn(store))).toEqual([]);
    await agent.delete('aaaa0001');
    expect(store.names()).toEqual([]);
    await expect(agent.delete('aaaa0001')).rejects.toBeInstanceOf(BackupNotFound);
  });
});
