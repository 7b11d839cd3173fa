// The `webdav` location kind: a folder on a WebDAV server (Nextcloud, ownCloud, Apache mod_dav,
// NAS boxes) with Basic authentication, through the webdav client. Uploads stream to a hidden temp
// name (with Content-Length when known) and are then MOVEd over the final name, which servers do
// atomically; an aborted upload's temp file is deleted.

import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { FileStat, WebDAVClient } from 'webdav';
import { z } from 'zod';
import { httpStatusOf } from './agent-errors.js';
import { BlobNotFound, probeBlobName, isAbandonedTemp, listedName, probeStep, tempBlobName, type BlobInfo, type BlobStore, type ListOptions, type ProbeReport, type PutOptions } from './blob-store.js';


export const WebdavSettingsSchema = z.object({
  url: z.string().url().describe('server URL, e.g. https://cloud.example.com/remote.php/dav/files/USER'),
  path: z.string().default('/').describe('folder below the URL'),
  username: z.string().min(1).describe('user name'),
});
export const WebdavSecretsSchema = z.object({
  password: z.string().describe('password or app password'),
});
export type WebdavSettings = z.infer<typeof WebdavSettingsSchema>;
export type WebdavSecrets = z.infer<typeof WebdavSecretsSchema>;

/** The client as Lifeboat configures it (also used by the benchmark's plain upload). */
export async function webdavClient(settings: WebdavSettings, secrets: WebdavSecrets): Promise<WebDAVClient> {
  // The client library, and Node.js's HTTP(S) modules, are loaded only when a WebDAV location is
  // used (every command would otherwise pay for loading them).
  const [{ AuthType, createClient }, http, https] = await Promise.all([import('webdav'), import('node:http'), import('node:https')]);
  return createClient(settings.url, {
    authType: AuthType.Password,
    username: settings.username,
    password: secrets.password,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
  });
}

export class WebdavStore implements BlobStore {
  readonly where: string;
  private client: Promise<WebDAVClient> | null = null;
  private readonly dir: string;
  private dirReady = false;

  constructor(
    private readonly settings: WebdavSettings,
    private readonly secrets: WebdavSecrets,
  ) {
    this.dir = posix.join('/', settings.path);
    this.where = `${settings.url.replace(/\/$/, '')}${this.dir}`;
  }

  /** The client, made on first use. */
  private dav(): Promise<WebDAVClient> {
    this.client ??= webdavClient(this.settings, this.secrets);
    return this.client;
  }

  private path(name: string): string {
    return posix.join(this.dir, name);
  }

  private async ensureDir(): Promise<void> {
    if (this.dirReady || this.dir === '/') return;
    if (!(await (await this.dav()).exists(this.dir))) await (await this.dav()).createDirectory(this.dir, { recursive: true });
    this.dirReady = true;
  }

  async put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void> {
    await this.ensureDir();
    const temp = this.path(tempBlobName());
    let sent = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of data) {
        opts.signal?.throwIfAborted();
        yield chunk;
        sent += chunk.length;
        opts.onProgress?.(sent);
      }
    }
    const body = Readable.from(counted(), { objectMode: false });
    try {
      await (await this.dav()).putFileContents(temp, body, {
        overwrite: true,
        signal: opts.signal,
        ...(opts.size !== undefined ? { headers: { 'Content-Length': String(opts.size) } } : {}),
      });
      opts.signal?.throwIfAborted();
      await (await this.dav()).moveFile(temp, this.path(name), { overwrite: true, signal: opts.signal });
    } catch (err) {
      body.destroy();
      await (await this.dav()).deleteFile(temp).catch(() => undefined);
      throw err;
    }
  }

  async get(name: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    try {
      const res = await (await this.dav()).customRequest(this.path(name), { method: 'GET', signal: opts.signal });
      return (res as unknown as { body: AsyncIterable<Buffer> }).body;
    } catch (err) {
      if (httpStatusOf(err) === 404) throw new BlobNotFound(name);
      throw err;
    }
  }

  async list(opts: ListOptions = {}): Promise<BlobInfo[]> {
    let items: FileStat[];
    try {
      items = (await (await this.dav()).getDirectoryContents(this.dir, { signal: opts.signal })) as FileStat[];
    } catch (err) {
      if (httpStatusOf(err) === 404) return [];
      throw err;
    }
    return items.filter((i) => i.type === 'file' && listedName(i.basename, opts)).map((i) => ({ name: i.basename, size: i.size, mtimeMs: Date.parse(i.lastmod), ...(i.etag ? { etag: i.etag } : {}) }));
  }

  async move(from: string, to: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await (await this.dav()).moveFile(this.path(from), this.path(to), { overwrite: true, signal: opts.signal });
    } catch (err) {
      if (httpStatusOf(err) === 404) throw new BlobNotFound(from);
      throw err;
    }
  }

  async remove(name: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await (await this.dav()).deleteFile(this.path(name), { signal: opts.signal });
    } catch (err) {
      if (httpStatusOf(err) === 404) throw new BlobNotFound(name);
      throw err;
    }
  }

  async removeAbandoned(nowMs: number): Promise<string[]> {
    const items = (await (await this.dav()).getDirectoryContents(this.dir).catch(() => [])) as FileStat[];
    const removed: string[] = [];
    for (const i of items) {
      if (i.type !== 'file' || !isAbandonedTemp(i.basename, Date.parse(i.lastmod), nowMs)) continue;
      await (await this.dav()).deleteFile(this.path(i.basename)).then(() => removed.push(i.basename), () => undefined);
    }
    return removed;
  }

  async probe(): Promise<ProbeReport> {
    const report: ProbeReport = { reachable: false, credentials: false, writable: false, freeBytes: null, detail: [] };
    const ok = await probeStep(report, 'connect and log in', async () => {
      await (await this.dav()).getDirectoryContents('/');
    });
    const last = report.detail[report.detail.length - 1] ?? '';
    report.reachable = ok || /\b(401|403)\b/.test(last);
    report.credentials = ok;
    if (!ok) return report;
    report.writable = await probeStep(report, 'write', async () => {
      const name = probeBlobName();
      await this.put(name, (async function* () { yield Buffer.from('lifeboat'); })(), {});
      await this.remove(name);
    });
    await probeStep(report, 'free space', async () => {
      const quota = (await (await this.dav()).getQuota({ path: this.dir } as never)) as { available?: unknown } | null;
      if (typeof quota?.available === 'number') report.freeBytes = quota.available;
      else return 'not reported by the server';
    });
    return report;
  }

  async close(): Promise<void> {}
}
