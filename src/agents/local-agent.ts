// The local location `backup.local`: backup files in the installation's `backups/` folder, as
// Home Assistant keeps them, so both see each other's backups. Listing reads each file's
// backup.json and caches it per file (inode, size, mtime), so files dropped in appear and deleted
// ones go. Writes are atomic: a hidden temp file, fsync, rename, fsync of the folder; temp files
// left by a crash are removed when the folder is opened.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentBackup } from '../archive/backup-json.js';
import { suggestedFileName } from '../archive/backup-json.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { BackupNotFound } from '../archive/errors.js';
import { FileWriter } from '../util/file-writer.js';
import { syncDir } from '../util/durable-fs.js';
import { processAlive } from '../util/process-alive.js';
import type { LocalBackupAgent, OpenStream, UploadOptions } from './agent.js';

const TEMP_PREFIX = '.lifeboat-';
const TEMP_SUFFIX = '.partial';

interface CacheEntry {
  key: string;
  backup: AgentBackup | null;
}

export interface LocalAgentOptions {
  onWarning?: (message: string) => void;
}


/** A file being written into the backup folder; it becomes visible only when committed. */
export interface PendingBackupFile {
  readonly tempPath: string;
  /** Renames the finished file to its final name and returns that path. */
  commit(backup: AgentBackup): Promise<string>;
  /** Removes the temp file. */
  abort(): Promise<void>;
}

export class LocalFolderAgent implements LocalBackupAgent {
  readonly domain = 'backup';
  readonly uniqueId = 'local';
  readonly agentId = 'backup.local';
  readonly name = 'local';
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    readonly dir: string,
    private readonly opts: LocalAgentOptions = {},
  ) {}

  /** Creates the folder if needed and removes temp files of processes that are gone. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX) || !name.endsWith(TEMP_SUFFIX)) continue;
      const pid = Number(name.slice(TEMP_PREFIX.length).split('-')[0]);
      if (Number.isInteger(pid) && processAlive(pid)) continue;
      await unlink(join(this.dir, name)).catch(() => undefined);
      this.opts.onWarning?.(`Removed an unfinished backup file left by an interrupted run: ${name}`);
    }
  }

  private async scan(): Promise<Map<string, AgentBackup>> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.tar') && !n.startsWith(TEMP_PREFIX));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw err;
    }
    const seen = new Set(names);
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    const byId = new Map<string, { backup: AgentBackup; file: string; mtime: number }>();
    await Promise.all(
      names.map(async (name) => {
        const path = join(this.dir, name);
        let st;
        try {
          st = await stat(path);
        } catch {
          return;
        }
        if (!st.isFile()) return;
        const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
        let entry = this.cache.get(name);
        if (!entry || entry.key !== key) {
          let backup: AgentBackup | null = null;
          try {
            backup = await withBackupReader(path, async (r) => r.backup);
          } catch (err) {
            this.opts.onWarning?.(`Skipping unreadable backup file ${name}: ${(err as Error).message}`);
          }
          entry = { key, backup };
          this.cache.set(name, entry);
        }
        if (!entry.backup) return;
        const previous = byId.get(entry.backup.backup_id);
        if (!previous || st.mtimeMs >= previous.mtime) byId.set(entry.backup.backup_id, { backup: entry.backup, file: name, mtime: st.mtimeMs });
      }),
    );
    this.files = new Map([...byId].map(([id, v]) => [id, v.file]));
    return new Map([...byId].map(([id, v]) => [id, v.backup]));
  }

  private files = new Map<string, string>();

  async list(): Promise<AgentBackup[]> {
    return [...(await this.scan()).values()];
  }

  async get(backupId: string): Promise<AgentBackup> {
    const backup = (await this.scan()).get(backupId);
    if (!backup) throw new BackupNotFound(`Backup ${backupId} not found in agent ${this.agentId}`);
    return backup;
  }

  async pathFor(backupId: string): Promise<string> {
    await this.get(backupId);
    return join(this.dir, this.files.get(backupId) as string);
  }

  async delete(backupId: string): Promise<void> {
    const path = await this.pathFor(backupId);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await syncDir(this.dir).catch(() => undefined);
  }

  async download(backupId: string): Promise<AsyncIterable<Buffer>> {
    const path = await this.pathFor(backupId);
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  /** Reserves a temp file in the backup folder for a backup being written. */
  async reserve(): Promise<PendingBackupFile> {
    await mkdir(this.dir, { recursive: true });
    const tempPath = join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    return {
      tempPath,
      commit: async (backup) => {
        const final = await this.freeName(suggestedFileName(backup.name, backup.date));
        await rename(tempPath, final);
        await syncDir(this.dir);
        return final;
      },
      abort: async () => {
        await unlink(tempPath).catch(() => undefined);
      },
    };
  }

  private async freeName(fileName: string): Promise<string> {
    const base = fileName.replace(/\.tar$/, '');
    for (let i = 0; ; i++) {
      const candidate = join(this.dir, i === 0 ? fileName : `${base}_${i}.tar`);
      try {
        await stat(candidate);
      } catch {
        return candidate;
      }
    }
  }

  /** Stores a backup from a stream (bytes unchanged), atomically. */
  async upload(backup: AgentBackup, openStream: OpenStream, opts: UploadOptions = {}): Promise<void> {
    const pending = await this.reserve();
    try {
      const out = await FileWriter.create(pending.tempPath);
      try {
        for await (const chunk of openStream()) {
          opts.signal?.throwIfAborted();
          await out.write(chunk);
          opts.onProgress?.(out.position);
        }
        await out.finish();
      } catch (err) {
        await out.abandon();
        throw err;
      }
      await pending.commit(backup);
    } catch (err) {
      await pending.abort();
      throw err;
    }
  }
}
