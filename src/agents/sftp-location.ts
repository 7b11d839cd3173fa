// The `sftp` location kind: a folder on an SSH server, reached with ssh2 (key or password). The
// server's host key must be pinned — its SHA-256 fingerprint stored in the location's settings,
// given or confirmed when the location is added — and every connection must present that key: an
// unknown or different key ends the connection before any credential is sent. Uploads go to a hidden temp name
// and are renamed over the final name with OpenSSH's atomic posix-rename. Reads are pipelined (several
// requests in flight) and the socket has Nagle's algorithm off; both matter a lot for throughput.

import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { posix } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { z } from 'zod';
import { release } from '../util/owned-chunks.js';
import { HostKeyMismatchError, HostKeyUnknownError } from './agent-errors.js';
import { BlobNotFound, probeBlobName, isAbandonedTemp, listedName, probeStep, tempBlobName, type BlobInfo, type BlobStore, type ListOptions, type ProbeReport, type PutOptions } from './blob-store.js';

const SFTP_NO_SUCH_FILE = 2;
const READS_IN_FLIGHT = 16;
const WRITES_IN_FLIGHT = 32;

export const SftpSettingsSchema = z.object({
  host: z.string().min(1).describe('server name or address'),
  port: z.number().int().min(1).max(65535).default(22).describe('SSH port'),
  username: z.string().min(1).describe('user name'),
  path: z.string().min(1).describe('folder on the server (relative paths start in the home folder)'),
  host_key_sha256: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]+={0,2}$/)
    .nullable()
    .default(null)
    .describe("the server's host key fingerprint (SHA256:…, as `ssh-keygen -lf` prints it); required to connect"),
});
export const SftpSecretsSchema = z
  .object({
    password: z.string().optional().describe('password'),
    private_key: z.string().optional().describe('private key (PEM / OpenSSH format)'),
    passphrase: z.string().optional().describe('passphrase of the private key'),
  })
  .refine((s) => s.password !== undefined || s.private_key !== undefined, 'give a password or a private key');
export type SftpSettings = z.infer<typeof SftpSettingsSchema>;
export type SftpSecrets = z.infer<typeof SftpSecretsSchema>;

export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

interface Session {
  client: Client;
  sftp: SFTPWrapper;
  /** Rejecters of the requests waiting now; all are called when the connection is lost. */
  waiting: Set<(err: unknown) => void>;
  dead: Error | null;
}

/**
 * `p`, unless the connection is lost or the operation is aborted first, so no request waits
 * forever for a dead server. (Racing against one long-lived promise instead would keep every
 * settled result alive.)
 */
function within<T>(session: Session, p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (session.dead) {
    p.catch(() => undefined);
    return Promise.reject(session.dead);
  }
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      session.waiting.delete(fail);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => fail(signal?.reason);
    session.waiting.add(fail);
    if (signal?.aborted) return fail(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then((value) => {
      cleanup();
      resolve(value);
    }, fail);
  });
}

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

function isNoSuchFile(err: unknown): boolean {
  return (err as { code?: unknown })?.code === SFTP_NO_SUCH_FILE;
}

/**
 * The host key fingerprint an SSH server presents, read during the key exchange; the connection is
 * ended there, so no credential is ever sent.
 */
export async function presentedHostKey(settings: Pick<SftpSettings, 'host' | 'port'>): Promise<string> {
  let seen: string | null = null;
  await sftpConnect({ ...settings, username: 'lifeboat-host-key-probe', path: '.', host_key_sha256: null }, {}, (fp) => {
    seen = fp;
    return false;
  }).then(
    (s) => s.client.end(),
    () => undefined,
  );
  if (seen === null) throw new Error(`${settings.host}:${settings.port} did not present an SSH host key`);
  return seen;
}

/** Opens an SSH connection with Lifeboat's settings (also used by the benchmark's plain upload). */
export async function sftpConnect(settings: SftpSettings, secrets: SftpSecrets, verify: (fingerprint: string) => boolean): Promise<{ client: Client; sftp: SFTPWrapper; socket: Socket }> {
  const socket = netConnect({ host: settings.host, port: settings.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  // ssh2 is loaded only when an SFTP location is used.
  const { Client: SshClient } = await import('ssh2').catch((err: unknown) => {
    socket.destroy();
    throw err;
  });
  const client = new SshClient();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
    client.connect({
      sock: socket,
      username: settings.username,
      ...(secrets.password !== undefined ? { password: secrets.password } : {}),
      ...(secrets.private_key !== undefined ? { privateKey: secrets.private_key, passphrase: secrets.passphrase } : {}),
      readyTimeout: 20_000,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => verify(hostKeyFingerprint(key)),
    });
  }).catch((err: unknown) => {
    socket.destroy();
    throw err;
  });
  const sftp = await call<SFTPWrapper>((cb) => client.sftp(cb));
  return { client, sftp, socket };
}

export class SftpStore implements BlobStore {
  readonly where: string;
  private session: Promise<Session> | null = null;
  private dirReady = false;
  private absoluteDir: string | undefined;

  constructor(
    private readonly settings: SftpSettings,
    private readonly secrets: SftpSecrets,
    private readonly agentId: string,
  ) {
    this.where = `sftp://${settings.username}@${settings.host}:${settings.port}/${settings.path}`;
  }

  private connect(): Promise<Session> {
    if (this.session) return this.session;
    let mismatch: string | null = null;
    const pinned = this.settings.host_key_sha256;
    const attempt = sftpConnect(this.settings, this.secrets, (fp) => {
      if (pinned === fp) return true;
      mismatch = fp;
      return false;
    })
      .catch((err: unknown) => {
        if (mismatch && !pinned) {
          throw new HostKeyUnknownError(
            `${this.agentId}: no host key is pinned for ${this.settings.host}; it presented ${mismatch}. If that is the server's key, set it (location add --host-key ${mismatch}); nothing was sent to the server`,
            mismatch,
          );
        }
        if (mismatch) {
          throw new HostKeyMismatchError(
            `${this.agentId}: the server ${this.settings.host} presented host key ${mismatch}, not the pinned ${pinned}; if the server was reinstalled, remove and add the location again`,
          );
        }
        throw err;
      })
      .then(async ({ client, sftp }) => {
        const session: Session = { client, sftp, waiting: new Set(), dead: null };
        const drop = (err?: Error) => {
          if (this.session === attempt) this.session = null;
          session.dead ??= new Error(`connection lost to ${this.settings.host}:${this.settings.port}${err ? ` (${err.message})` : ''}`);
          for (const fail of [...session.waiting]) fail(session.dead);
        };
        client.on('close', () => drop());
        client.on('error', drop);
        sftp.on('close', () => drop());
        return session;
      });
    this.session = attempt;
    attempt.catch(() => {
      if (this.session === attempt) this.session = null;
    });
    return attempt;
  }

  private path(name: string): string {
    return posix.join(this.settings.path, name);
  }

  /** Creates the folder (and its parents) if it is missing. */
  private async ensureDir(sftp: SFTPWrapper): Promise<void> {
    if (this.dirReady) return;
    const parts = this.settings.path.split('/');
    let current = this.settings.path.startsWith('/') ? '/' : '';
    for (const part of parts.filter(Boolean)) {
      current = current ? posix.join(current, part) : part;
      const exists = await call<unknown>((cb) => sftp.stat(current, cb)).then(() => true, () => false);
      if (!exists) await call<void>((cb) => sftp.mkdir(current, (err) => cb(err, undefined)));
    }
    this.dirReady = true;
  }

  async put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void> {
    const session = await this.connect();
    const { sftp } = session;
    // Every request in flight listens for the abort.
    if (opts.signal) setMaxListeners(WRITES_IN_FLIGHT * 2 + 16, opts.signal);
    const w = <T>(p: Promise<T>) => within(session, p, opts.signal);
    await w(this.ensureDir(sftp));
    const temp = this.path(tempBlobName());
    const handle = await w(call<Buffer>((cb) => sftp.open(temp, 'w', cb)));
    let position = 0;
    let closed = false;
    const close = () => {
      if (closed) return Promise.resolve();
      closed = true;
      return call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined)));
    };
    try {
      // Writes are pipelined: up to WRITES_IN_FLIGHT requests of the server's largest write size.
      // Within that size ssh2 copies a write's data into its request packet at once; a longer write
      // would send its remainder later, from the chunk itself.
      const serverMax = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen;
      const maxLen = serverMax ?? 32 * 1024;
      const pending = new Set<Promise<void>>();
      let acked = 0;
      let failure: unknown = null;
      for await (const chunk of data) {
        opts.signal?.throwIfAborted();
        for (let off = 0; off < chunk.length; off += maxLen) {
          const len = Math.min(maxLen, chunk.length - off);
          while (pending.size >= WRITES_IN_FLIGHT) await w(Promise.race(pending));
          if (failure) throw failure;
          const at = position;
          position += len;
          const p: Promise<void> = call<void>((cb) => sftp.write(handle, chunk, off, len, at, (err) => cb(err, undefined)))
            .then(
              () => {
                acked += len;
                opts.onProgress?.(acked);
              },
              (err: unknown) => {
                failure ??= err;
              },
            )
            .finally(() => pending.delete(p));
          pending.add(p);
        }
        // ssh2 has copied every piece into its request packets: the chunk is used up.
        if (serverMax !== undefined) release(chunk);
      }
      await w(Promise.all(pending));
      if (failure) throw failure;
      opts.signal?.throwIfAborted();
      await w(close());
      await w(call<void>((cb) => sftp.ext_openssh_rename(temp, this.path(name), (err) => cb(err, undefined))));
    } catch (err) {
      // Best effort: on a lost connection the temp file stays until the next successful upload's
      // clean-up would be needed; it is hidden and never listed.
      await within(session, close()).catch(() => undefined);
      await within(session, call<void>((cb) => sftp.unlink(temp, (e) => cb(e, undefined)))).catch(() => undefined);
      throw err;
    }
  }

  async get(name: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    const session = await this.connect();
    const { sftp } = session;
    if (opts.signal) setMaxListeners(READS_IN_FLIGHT * 2 + 16, opts.signal);
    const path = this.path(name);
    let handle: Buffer;
    let size: number;
    try {
      handle = await within(session, call<Buffer>((cb) => sftp.open(path, 'r', cb)), opts.signal);
      size = (await within(session, call<{ size: number }>((cb) => sftp.fstat(handle, cb)), opts.signal)).size;
    } catch (err) {
      if (isNoSuchFile(err)) throw new BlobNotFound(name);
      throw err;
    }
    const READ_SIZE = Math.min(256 * 1024, (sftp as unknown as { _maxReadLen?: number })._maxReadLen ?? 32 * 1024);
    const readAt = (offset: number, length: number) =>
      within(
        session,
        call<Buffer>((cb) => {
          const buf = Buffer.allocUnsafe(length);
          sftp.read(handle, buf, 0, length, offset, (err, bytesRead) => cb(err, buf.subarray(0, bytesRead)));
        }),
        opts.signal,
      );
    return (async function* () {
      try {
        const queue: Promise<Buffer>[] = [];
        let next = 0;
        const fill = () => {
          while (queue.length < READS_IN_FLIGHT && next < size) {
            const p = readAt(next, Math.min(READ_SIZE, size - next));
            p.catch(() => undefined);
            queue.push(p);
            next += READ_SIZE;
          }
        };
        let delivered = 0;
        fill();
        while (queue.length) {
          opts.signal?.throwIfAborted();
          const chunk = await (queue.shift() as Promise<Buffer>);
          const expected = Math.min(READ_SIZE, size - delivered);
          if (chunk.length < expected) {
            // A short read: ask for the rest of this range before going on.
            let part = chunk;
            while (part.length < expected) {
              const more = await readAt(delivered + part.length, expected - part.length);
              if (more.length === 0) throw new Error(`${path} ended early`);
              part = Buffer.concat([part, more]);
            }
            delivered += part.length;
            yield part;
          } else {
            delivered += chunk.length;
            yield chunk;
          }
          fill();
        }
      } finally {
        await within(session, call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined)))).catch(() => undefined);
      }
    })();
  }

  async list(opts: ListOptions = {}): Promise<BlobInfo[]> {
    const session = await this.connect();
    const { sftp } = session;
    let entries: { filename: string; attrs: { size: number; mode: number; mtime: number } }[];
    try {
      entries = await within(session, call((cb) => sftp.readdir(this.settings.path, cb)));
    } catch (err) {
      if (isNoSuchFile(err)) return [];
      throw err;
    }
    return entries
      .filter((e) => listedName(e.filename, opts) && (e.attrs.mode & 0o170000) === 0o100000)
      .map((e) => ({ name: e.filename, size: e.attrs.size, mtimeMs: e.attrs.mtime * 1000 }));
  }

  /** The folder resolved by the server (a relative path is relative to the login folder). */
  async remotePath(name: string): Promise<string> {
    const session = await this.connect();
    const { sftp } = session;
    await within(session, this.ensureDir(sftp));
    this.absoluteDir ??= await within(session, call<string>((cb) => sftp.realpath(this.settings.path, cb)));
    return posix.join(this.absoluteDir, name);
  }

  async move(from: string, to: string): Promise<void> {
    const session = await this.connect();
    const { sftp } = session;
    try {
      await within(session, call<void>((cb) => sftp.ext_openssh_rename(this.path(from), this.path(to), (err) => cb(err, undefined))));
    } catch (err) {
      if (isNoSuchFile(err)) throw new BlobNotFound(from);
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    const session = await this.connect();
    const { sftp } = session;
    try {
      await within(session, call<void>((cb) => sftp.unlink(this.path(name), (err) => cb(err, undefined))));
    } catch (err) {
      if (isNoSuchFile(err)) throw new BlobNotFound(name);
      throw err;
    }
  }

  async removeAbandoned(nowMs: number): Promise<string[]> {
    const session = await this.connect();
    const { sftp } = session;
    const entries = await within(session, call<{ filename: string; attrs: { mtime: number } }[]>((cb) => sftp.readdir(this.settings.path, cb))).catch(() => []);
    const removed: string[] = [];
    for (const e of entries) {
      if (!isAbandonedTemp(e.filename, e.attrs.mtime * 1000, nowMs)) continue;
      await within(session, call<void>((cb) => sftp.unlink(this.path(e.filename), (err) => cb(err, undefined)))).then(() => removed.push(e.filename), () => undefined);
    }
    return removed;
  }

  async probe(): Promise<ProbeReport> {
    const report: ProbeReport = { reachable: false, credentials: false, writable: false, freeBytes: null, detail: [] };
    let session: Session | null = null;
    const connected = await probeStep(report, 'connect and log in', async () => {
      session = await this.connect();
      return `host key ${this.settings.host_key_sha256}`;
    });
    const last = report.detail[report.detail.length - 1] ?? '';
    report.reachable = connected || /authentication|host key/i.test(last);
    report.credentials = connected;
    if (!session) return report;
    const { sftp } = session as Session;
    report.writable = await probeStep(report, 'write', async () => {
      const name = probeBlobName();
      await this.put(name, (async function* () { yield Buffer.from('lifeboat'); })(), {});
      await this.remove(name);
    });
    await probeStep(report, 'free space', async () => {
      const info = await call<{ f_bavail: number | bigint; f_frsize: number | bigint }>((cb) => sftp.ext_openssh_statvfs(this.settings.path, cb));
      report.freeBytes = Number(info.f_bavail) * Number(info.f_frsize);
    });
    return report;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) (await session.catch(() => null))?.client.end();
  }
}
