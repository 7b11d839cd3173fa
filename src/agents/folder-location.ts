// Blobs as files in a folder on this machine: the `folder` location kind (an SMB or NFS share
// mounted by the operating system, a USB disk) and the local backup folder. A `folder` location
// carries a marker file `.lifeboat-location`, left by `location add`; when it is missing — the
// share is not mounted and the path is just the empty mount point — the store refuses to read or
// write, so backups never fill the local disk unnoticed. Writes go to a temp file (the one scheme
// of blob-store.ts), are fsynced and renamed into place; readers may open the files in place.

import { createReadStream } from 'node:fs';
import { access, mkdir, readdir, rename, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { syncDir } from '../util/durable-fs.js';
import { FileWriter } from '../util/file-writer.js';
import { LocationNotMountedError } from './agent-errors.js';
import {
  BlobNotFound,
  probeBlobName,
  isAbandonedTemp,
  listedName,
  probeStep,
  tempBlobName,
  type BlobInfo,
  type BlobStore,
  type ListOptions,
  type LocalBlobs,
  type ProbeReport,
  type PutOptions,
  type ReservedBlob,
} from './blob-store.js';

export const MARKER_FILE = '.lifeboat-location';

export const FolderSettingsSchema = z.object({
  path: z.string().refine(isAbsolute, 'path must be absolute').describe('the mounted folder to keep backups in'),
});
export const FolderSecretsSchema = z.object({});
export type FolderSettings = z.infer<typeof FolderSettingsSchema>;

export interface FolderStoreOptions {
  /** The folder must hold the mount marker (a `folder` location); the local backup folder needs none. */
  marker: boolean;
  /** Names the location in messages. */
  agentId: string;
}

/** A blob name that is one plain file name in the folder. */
function checkName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`Refusing the file name ${JSON.stringify(name)} in a backup folder`);
  }
  return name;
}

export class FolderStore implements BlobStore, LocalBlobs {
  readonly where: string;
  readonly local: LocalBlobs = this;

  constructor(
    private readonly dir: string,
    private readonly opts: FolderStoreOptions,
  ) {
    this.where = dir;
  }

  /** Writes the marker that says "this is the real share" (done by `location add`). */
  async markMounted(createdAt: Date): Promise<void> {
    const st = await stat(this.dir);
    if (!st.isDirectory()) throw new Error(`${this.dir} is not a folder`);
    await writeFile(join(this.dir, MARKER_FILE), `${JSON.stringify({ lifeboat_location: this.opts.agentId, created_at: createdAt.toISOString() })}\n`);
  }

  /** A `folder` location checks its marker; the local backup folder is created when missing. */
  private async ready(): Promise<void> {
    if (!this.opts.marker) {
      await mkdir(this.dir, { recursive: true });
      return;
    }
    try {
      await access(join(this.dir, MARKER_FILE));
    } catch {
      throw new LocationNotMountedError(
        `${this.opts.agentId}: ${this.dir} has no ${MARKER_FILE} marker, so the share looks unmounted; mount it (or run \`lifeboat location add\` again if the folder is new)`,
      );
    }
  }

  path(name: string): string {
    return join(this.dir, checkName(name));
  }

  async reserve(): Promise<ReservedBlob> {
    await this.ready();
    const tempPath = join(this.dir, tempBlobName());
    return {
      tempPath,
      commit: async (name) => {
        const final = this.path(name);
        await rename(tempPath, final);
        await syncDir(this.dir);
        return final;
      },
      abort: async () => {
        await unlink(tempPath).catch(() => undefined);
      },
    };
  }

  async put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void> {
    checkName(name);
    const reserved = await this.reserve();
    try {
      const out = await FileWriter.create(reserved.tempPath);
      try {
        for await (const chunk of data) {
          opts.signal?.throwIfAborted();
          await out.write(chunk);
          opts.onProgress?.(out.position);
        }
        opts.signal?.throwIfAborted();
        await out.finish();
      } catch (err) {
        await out.abandon().catch(() => undefined);
        throw err;
      }
      await reserved.commit(name);
    } catch (err) {
      await reserved.abort();
      throw err;
    }
  }

  async get(name: string): Promise<AsyncIterable<Buffer>> {
    await this.ready();
    const path = this.path(name);
    try {
      await access(path);
    } catch {
      throw new BlobNotFound(name);
    }
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  async list(opts: ListOptions = {}): Promise<BlobInfo[]> {
    await this.ready();
    const out: BlobInfo[] = [];
    for (const name of await readdir(this.dir)) {
      if (!listedName(name, opts)) continue;
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st?.isFile()) out.push({ name, size: st.size, mtimeMs: st.mtimeMs });
    }
    return out;
  }

  async move(from: string, to: string): Promise<void> {
    await this.ready();
    try {
      await rename(this.path(from), this.path(to));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(from);
      throw err;
    }
    await syncDir(this.dir);
  }

  async remove(name: string): Promise<void> {
    await this.ready();
    try {
      await unlink(this.path(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(name);
      throw err;
    }
    await syncDir(this.dir).catch(() => undefined);
  }

  async removeAbandoned(nowMs: number): Promise<string[]> {
    await this.ready();
    const removed: string[] = [];
    for (const name of await readdir(this.dir)) {
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (!st || !isAbandonedTemp(name, st.mtimeMs, nowMs)) continue;
      await unlink(join(this.dir, name)).then(() => removed.push(name), () => undefined);
    }
    return removed;
  }

  async probe(): Promise<ProbeReport> {
    const report: ProbeReport = { reachable: false, credentials: true, writable: false, freeBytes: null, detail: [] };
    report.reachable = await probeStep(report, 'folder', async () => {
      if (!(await stat(this.dir)).isDirectory()) throw new Error(`${this.dir} is not a folder`);
    });
    if (!report.reachable) return report;
    if (this.opts.marker && !(await probeStep(report, 'mounted', () => this.ready()))) return report;
    report.writable = await probeStep(report, 'write', async () => {
      const name = probeBlobName();
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
}
