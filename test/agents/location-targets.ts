// The real servers the location tests run against, one per kind, each started on 127.0.0.1 by
// the test file that needs it: a folder, s3rver, OpenSSH's sshd and Apache mod_dav. Each target
// gives the location's settings and credentials as `location add` would store them, credentials
// that are refused, and a way to kill and restart its server.

import { createCipheriv, createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { serializeBackupJson, type AgentBackup } from '../../src/archive/backup-json.js';
import { backupJsonHeader, endOfArchive, memberHeader, paddingFor } from '../../src/archive/outer-tar.js';
import { FolderStore } from '../../src/agents/folder-location.js';
import { createStoredAgent } from '../../src/agents/location-registry.js';
import { createLocalAgent } from '../../src/agents/local-location.js';
import type { StoredBackupAgent } from '../../src/agents/stored-backup-agent.js';
import { SkipReason } from '../servers/sshd.js';
import type { LocationConfig } from '../../src/agents/location-config.js';
import * as apache from '../servers/apache-webdav.js';
import * as s3rver from '../servers/s3rver.js';
import * as sshd from '../servers/sshd.js';
import { tmpDir } from '../helpers/tmp.js';

export const KINDS = ['folder', 's3', 'sftp', 'webdav'] as const;
export type Kind = (typeof KINDS)[number];

export interface Target {
  kind: Kind;
  spec: LocationConfig;
  secrets: Record<string, string>;
  /** Credentials the server refuses (null: the kind has none). */
  badSecrets: Record<string, string> | null;
  /** Where the server keeps the location's files on this machine (null: not files, e.g. S3). */
  diskDir: string | null;
  /** Stops the server dead (mid-request), and starts it again on the same port and storage. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

let counter = 0;

function spec(kind: Kind, settings: Record<string, unknown>): LocationConfig {
  const name = `test ${process.pid} ${++counter}`;
  return { id: `${kind}.test_${process.pid}_${counter}`, kind, name, settings, bandwidth_limit: null, verify: true };
}

/**
 * A target of `kind` for the tests of the calling describe block: started before them, stopped
 * after them. Call the returned function inside a test to get it.
 */
export function useTarget(kind: Kind): () => Target {
  let target: Target | undefined;
  beforeAll(async () => {
    target = await startTarget(kind);
  });
  afterAll(async () => {
    await target?.stop();
  });
  return () => target as Target;
}

/** Starts the server of `kind` and returns a fresh location on it. */
export async function startTarget(kind: Kind): Promise<Target> {
  switch (kind) {
    case 'folder': {
      const dir = join(await tmpDir('lifeboat-folder-location-'), 'share');
      await mkdir(dir);
      const s = spec('folder', { path: dir });
      await new FolderStore(dir, { marker: true, agentId: s.id }).markMounted(new Date());
      const noop = async () => undefined;
      return { kind, spec: s, secrets: {}, badSecrets: null, diskDir: dir, kill: noop, restart: noop, stop: noop };
    }
    case 's3': {
      const server = await s3rver.start();
      return {
        kind,
        spec: spec('s3', { endpoint: server.endpoint, bucket: server.bucket, prefix: `run-${counter}/`, path_style: true, part_size_mib: 8 }),
        secrets: { access_key_id: server.accessKeyId, secret_access_key: server.secretAccessKey },
        badSecrets: { access_key_id: 'NOT-A-KEY', secret_access_key: 'wrong' },
        diskDir: null,
        kill: () => server.kill(),
        restart: () => server.restart(),
        stop: () => server.stop(),
      };
    }
    case 'sftp': {
      const server = await sshd.start();
      return {
        kind,
        spec: spec('sftp', { host: server.host, port: server.port, username: server.username, path: server.path, host_key_sha256: server.hostKeyFingerprint }),
        secrets: { private_key: server.privateKey },
        badSecrets: { private_key: server.otherPrivateKey },
        diskDir: join(server.home, server.path),
        kill: () => server.kill(),
        restart: () => server.restart(),
        stop: () => server.stop(),
      };
    }
    case 'webdav': {
      const server = await apache.start();
      return {
        kind,
        spec: spec('webdav', { url: server.url, path: '/backups', username: server.username }),
        secrets: { password: server.password },
        badSecrets: { password: 'not the password' },
        diskDir: join(server.root, 'backups'),
        kill: () => server.kill(),
        restart: () => server.restart(),
        stop: () => server.stop(),
      };
    }
  }
}

export function storedAgent(target: Target, secrets = target.secrets) {
  return createStoredAgent(target.spec, secrets);
}

/** The local backup folder, and every kind of remote location. */
export const SUBJECTS = ['local', ...KINDS] as const;
export type SubjectKind = (typeof SUBJECTS)[number];

/** A location under test: its agent, how to make another for it, and where its files are. */
export interface Subject {
  kind: SubjectKind;
  /** The server of a remote location (null for the local folder). */
  target: Target | null;
  agent: StoredBackupAgent;
  /** Makes a fresh agent for the same location. */
  fresh: () => StoredBackupAgent;
  /** Where its files are on this machine, if they are. */
  diskDir: string | null;
  /** Whether it keeps records beside its archives (the local folder keeps Home Assistant's layout). */
  keepsRecords: boolean;
  stop(): Promise<void>;
}

/**
 * A location of `kind` for the tests of the calling describe block, made before them and stopped
 * after them; call the returned function inside a test (it throws a SkipReason where the kind's
 * server cannot run here, e.g. sshd without root).
 */
export function useSubject(kind: SubjectKind): () => Subject {
  let subject: Subject | null = null;
  let skip: SkipReason | null = null;
  beforeAll(async () => {
    if (kind === 'local') {
      const dir = join(await tmpDir(), 'backups');
      const fresh = () => createLocalAgent(dir);
      const agent = fresh();
      subject = { kind, target: null, agent, fresh, diskDir: dir, keepsRecords: false, stop: () => agent.close() };
      return;
    }
    try {
      const target = await startTarget(kind);
      const fresh = () => storedAgent(target);
      const agent = fresh();
      subject = {
        kind,
        target,
        agent,
        fresh,
        diskDir: target.diskDir,
        keepsRecords: true,
        stop: async () => {
          await agent.close();
          await target.stop();
        },
      };
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      skip = err;
    }
  });
  afterAll(async () => {
    await subject?.stop();
  });
  return () => {
    if (skip) throw skip;
    return subject as Subject;
  };
}

export function record(backupId: string, size: number, extra: Partial<AgentBackup> = {}): AgentBackup {
  return {
    addons: [],
    backup_id: backupId,
    date: '2026-07-01T04:45:00.123456+02:00',
    database_included: true,
    extra_metadata: { instance_id: 'abc' },
    folders: [],
    homeassistant_included: true,
    homeassistant_version: '2026.7.3',
    name: `Backup ${backupId}`,
    protected: false,
    size,
    ...extra,
  };
}

/**
 * A backup file as a stream that every location can hold, the local folder included (it reads
 * backup.json from each file): an outer tar with `./backup.json` for `record(backupId, …, extra)`
 * and a `homeassistant.tar.gz` member of `count` chunks of `chunkSize` incompressible bytes. Its
 * record carries the file's exact size; every opening yields the same bytes.
 */
export function syntheticBackup(backupId: string, seed: number, chunkSize: number, count: number, extra: Partial<AgentBackup> = {}) {
  const shape = record(backupId, 0, extra);
  const json = Buffer.from(
    serializeBackupJson({
      addons: [],
      compressed: true,
      date: shape.date,
      extra: shape.extra_metadata,
      folders: [],
      homeassistant: { exclude_database: !shape.database_included, version: shape.homeassistant_version },
      name: shape.name,
      protected: false,
      slug: backupId,
      type: 'partial',
      version: 2,
    }),
    'utf8',
  );
  const payload = chunkSize * count;
  const head = [backupJsonHeader(json.length, 0), json, paddingFor(json.length), memberHeader('homeassistant.tar.gz', payload, 0)];
  const bodyEnd = head.reduce((n, b) => n + b.length, 0) + payload + paddingFor(payload).length;
  const tail = [paddingFor(payload), endOfArchive(bodyEnd)];
  const size = bodyEnd + (tail[1] as Buffer).length;
  const chunks = syntheticStream(seed, chunkSize, count);
  const backup: AgentBackup = { ...shape, size };
  return {
    backup,
    open: async function* (): AsyncGenerator<Buffer> {
      yield* head;
      yield* chunks();
      yield* tail;
    },
  };
}

/** `count` chunks of `chunkSize` incompressible bytes (an AES-CTR keystream), the same on every call. */
export function syntheticStream(seed: number, chunkSize: number, count: number): () => AsyncGenerator<Buffer> {
  return async function* () {
    const key = createHash('sha256').update(`lifeboat-test-${seed}`).digest().subarray(0, 16);
    const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
    const zeros = Buffer.alloc(chunkSize);
    for (let i = 0; i < count; i++) yield cipher.update(zeros);
  };
}

export async function bytesOf(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
