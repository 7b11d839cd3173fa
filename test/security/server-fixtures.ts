// What the server's attack rows share: real `lifeboat serve` processes (made once per test file and
// shared by the rows that can share them, with short timeouts), a real backup made with
// `lifeboat archive pack`, a raw HTTP client that sends a request as slowly as an attacker likes,
// and snapshots of what an attack must not change (backup files, partial files, the operation lock,
// the installation's tree).

import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { dataFolder, isStagingName } from '../../src/manager/data-folder.js';
import { readLock } from '../../src/manager/operation-lock.js';
import { runCli } from '../helpers/cli.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree, treeDigest } from '../helpers/tree.js';

/** The timeouts the attacked servers run with: short, so that a row waits for seconds, not minutes. */
export const SHORT_LIMITS = ['--idle-timeout', '1', '--auth-timeout', '1', '--min-upload-rate', '65536', '--headers-timeout', '2'];

export interface PackedBackup {
  path: string;
  backupId: string;
}

/** Memoises an async setup, so that rows share it. */
export function shared<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make());
}

/** A small real backup, unencrypted (`lifeboat archive pack`). */
export const packedBackup = shared(async (): Promise<PackedBackup> => {
  const dir = await tmpDir('lifeboat-attack-pack-');
  await makeTree(join(dir, 'src'), { 'configuration.yaml': 'homeassistant:\n  name: Packed\n', '.HA_VERSION': '2026.7.3' });
  const out = join(dir, 'packed.tar');
  const r = await runCli(['archive', 'pack', join(dir, 'src'), out, '--name', 'Packed', '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return { path: out, backupId: (JSON.parse(r.stdout) as { backup_id: string }).backup_id };
});

export interface Target {
  server: LifeboatServer;
  installation: string;
  /** An admin token (null on a fresh machine). */
  token: string | null;
}

/** A set-up installation with one backup and an admin token, served with SHORT_LIMITS. */
export const setUpServer = shared(async (): Promise<Target> => {
  const installation = join(await tmpDir('lifeboat-attack-'), 'config');
  await makeInstallation(installation);
  await copyFile((await packedBackup()).path, join(installation, 'backups', 'packed.tar'));
  const token = await createToken(installation, 'admin');
  const server = await startServerProcess({ installation, args: SHORT_LIMITS });
  return { server, installation, token };
});

/** A fresh machine (empty installation, no token: onboarding open) with a backup to restore in backups/. */
export const freshServer = shared(async (): Promise<Target> => {
  const installation = join(await tmpDir('lifeboat-attack-fresh-'), 'config');
  await mkdir(join(installation, 'backups'), { recursive: true });
  await copyFile((await packedBackup()).path, join(installation, 'backups', 'packed.tar'));
  const server = await startServerProcess({ installation, args: SHORT_LIMITS });
  return { server, installation, token: null };
});

/** A fresh machine whose token file is damaged before `serve` starts. */
export async function corruptTokensServer(): Promise<Target> {
  const installation = join(await tmpDir('lifeboat-attack-corrupt-'), 'config');
  await mkdir(join(installation, 'backups'), { recursive: true });
  await copyFile((await packedBackup()).path, join(installation, 'backups', 'packed.tar'));
  const root = dataFolder(installation).root;
  await mkdir(root, { recursive: true, mode: 0o700 });
  await writeFile(join(root, 'tokens.json'), '{"version":1,"tokens":[{"id":"abc","name":"admin","hash":"', { mode: 0o600 });
  const server = await startServerProcess({ installation, args: SHORT_LIMITS });
  return { server, installation, token: null };
}

/** The promise's value, or a failure saying what did not happen within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What an attack must leave as it was. */
export interface Untouched {
  /** Backup files in the local backup folder. */
  backups: string[];
  /** Leftovers of a receive: partial files in backups/ and the data folder's tmp/. */
  partials: string[];
  /** The operation holding the lock, or null. */
  lock: string | null;
  /** Digest of the installation outside backups/ and Lifeboat's own folders. */
  tree: string;
}

export async function snapshot(installation: string): Promise<Untouched> {
  const df = dataFolder(installation);
  const backups = (await readdir(df.backups).catch(() => [] as string[])).sort();
  const tmp = await readdir(df.tmp).catch(() => [] as string[]);
  const tree = await describeTree(installation).catch(() => ({}));
  const own = (top: string) => top === 'backups' || isStagingName(top);
  const kept = Object.fromEntries(Object.entries(tree).filter(([path]) => !own(path.split('/')[0] as string)));
  return {
    backups: backups.filter((n) => n.endsWith('.tar') && !n.startsWith('.')),
    partials: [...backups.filter((n) => n.startsWith('.') || n.endsWith('.partial')), ...tmp.filter((n) => /upload/.test(n))],
    lock: (await readLock(df.lock))?.operation ?? null,
    tree: treeDigest(kept),
  };
}

export interface RawResponse {
  /** The status line's code, or null when the server closed without answering. */
  status: number | null;
  head: string;
  body: string;
  /** When the server closed the connection, ms after the request started. */
  closedAfterMs: number;
}

/**
 * Sends a request over a plain socket: `head` at once, then each of `chunks` after its delay (ms),
 * then nothing more; resolves with what the server answered once it closed the connection.
 */
export function slowRequest(port: number, head: string, chunks: { afterMs: number; data: string }[] = []): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const timers: NodeJS.Timeout[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      let at = 0;
      for (const chunk of chunks) {
        at += chunk.afterMs;
        timers.push(setTimeout(() => !socket.destroyed && socket.write(chunk.data), at));
      }
    });
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset is an answer too: the status tells
    socket.on('close', () => {
      for (const t of timers) clearTimeout(t);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      resolve({ status: status ? Number(status) : null, head, body, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for 20 s; so far: ${received}`));
    }, 20_000).unref();
  });
}

/** The head of a multipart upload of one file part whose body claims `length` bytes in all. */
export function uploadHead(path: string, token: string | null, length: number, extra = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}${extra}` +
    `Content-Type: multipart/form-data; boundary=attack\r\nContent-Length: ${length}\r\n\r\n` +
    '--attack\r\nContent-Disposition: form-data; name="file"; filename="backup.tar"\r\nContent-Type: application/x-tar\r\n\r\n'
  );
}
