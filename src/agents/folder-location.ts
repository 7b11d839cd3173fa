// The `folder` location kind: any mounted path (an SMB or NFS share mounted by the operating
// system, a USB disk). `location add` leaves a marker file `.lifeboat-location` in it; when the
// marker is missing — the share is not mounted and the path is just the empty mount point — the
// location refuses to read or write, so backups never fill the local disk unnoticed. Writes go to a
// hidden temp file, are fsynced and renamed into place.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, readdir, rename, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { syncDir } from '../util/durable-fs.js';
import { FileWriter } from '../util/file-writer.js';
import { LocationNotMountedError } from './agent-errors.js';
import { BlobNotFound, isTempName, probeStep, type BlobInfo, type BlobStore, type ProbeReport, type PutOptions } from './blob-store.js';

export const MARKER_FILE = '.lifeboat-location';
const TEMP_PREFIX = '.lifeboat-';
const TEMP_SUFFIX = '.partial';

export const FolderSettingsSchema = z.object({
  path: z.string().refine(isAbsolute, 'path must be absolute').describe('the mounted folder to keep backups in'),
});
export const FolderSecretsSchema = z.object({});
export type FolderSettings = z.infer<typeof FolderSettingsSchema>;

export class FolderStore implements BlobStore {
  readonly where: string;

  constructor(
    private readonly settings: FolderSettings,
    private readonly agentId: string,
  ) {
    this.where = settings.path;
  }

  private get dir(): string {
    return this.settings.path;
  }

  /** Writes the marker that says "this is the real share" (done by `location add`). */
  async markMounted(): Promise<void> {
    const st = await stat(this.dir);
    if (!st.isDirectory()) throw new Error(`${this.dir} is not a folder`);
    await writeFile(join(this.dir, MARKER_FILE), `${JSON.stringify({ lifeboat_location: this.agentId, created_at: new Date().toISOString() })}\n`);
  }

  private async checkMounted(): Promise<void> {
    try {
      await access(join(this.dir, MARKER_FILE));
    } catch {
      throw new LocationNotMountedError(
        `${this.agentId}: ${this.dir} has no ${MARKER_FILE} marker, so the share looks unmounted; mount it (or run \`lifeboat location add\` again if the folder is new)`,
      );
    }
  }

  async put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void> {
    await this.checkMounted();
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    const out = await FileWriter.create(temp);
    try {
      for await (const chunk of data) {
        opts.signal?.throwIfAborted();
        await out.write(chunk);
        opts.onProgress?.(out.position);
      }
      opts.signal?.throwIfAborted();
      await out.finish();
      await rename(temp, join(this.dir, name));
    } catch (err) {
      await out.abandon().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
  }

  async get(name: string): Promise<AsyncIterable<Buffer>> {
    await this.checkMounted();
    const path = join(this.dir, name);
    try {
      await access(path);
    } catch {
      throw new BlobNotFound(name);
    }
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  async list(): Promise<BlobInfo[]> {
    await this.checkMounted();
    const out: BlobInfo[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.')) continue;
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st?.isFile()) out.push({ name, size: st.size });
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    await this.checkMounted();
    try {
      await unlink(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(name);
      throw err;
    }
  }

  async removeStale(maxAgeMs: number): Promise<void> {
    await this.checkMounted();
    for (const name of (await readdir(this.dir)).filter(isTempName)) {
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  async probe(): Promise<ProbeReport> {
    const report: ProbeReport = { reachable: false, credentials: true, writable: false, freeBytes: null, detail: [] };
    report.reachable = await probeStep(report, 'folder', async () => {
      if (!(await stat(this.dir)).isDirectory()) throw new Error(`${this.dir} is not a folder`);
    });
    if (!report.reachable) return report;
    if (!(await probeStep(report, 'mounted', () => this.checkMounted()))) return report;
    report.writable = await probeStep(report, 'write', async () => {
      const name = `probe-${randomBytes(4).toString('hex')}`;
      await this.put(name, (async function* () { yield Buffer.from('lifeboat'); })(), {});
      await this.remove(name);
    });
    await probeStep(report, 'free space', async () => {
      const s = await statfs(this.dir);
      report.freeBytes = s.bavail * s.bsize;
    });
    return report;
  }

  async close(): Promise<void> {}

  /** Creates the folder's parents when asked (a new folder on a local disk). */
  static async ensureFolder(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }
}
