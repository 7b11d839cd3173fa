// Home Assistant's view of a backup location, for tests: runs test/helpers/ha_storage.py (Debian's
// Python with python3-boto3 and python3-paramiko, which scripts/test.sh installs), which lists and
// writes a location exactly as Home Assistant's storage integrations do. With it a test proves that
// Home Assistant sees every backup Lifeboat stores (and that no record Lifeboat writes makes Home
// Assistant's listing fail), and that Lifeboat reads every backup Home Assistant stores. The
// config, secrets included, goes to the script in a private temp file, never on its command line.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./ha_storage.py', import.meta.url));

/** Home Assistant's storage integrations, and `share`: a Supervisor network-storage share. */
export const HA_STORAGE_KINDS = ['aws_s3', 'cloudflare_r2', 'idrive_e2', 'backblaze_b2', 'webdav', 'sftp_storage', 'share'] as const;
export type HaStorageKind = (typeof HA_STORAGE_KINDS)[number];

/**
 * An S3-compatible bucket. aws_s3 and cloudflare_r2 keep backups under `<prefix>/` (the prefix
 * stripped of slashes), backblaze_b2 under the prefix with one trailing slash, idrive_e2 (and
 * aws_s3's first release) at the top of the bucket, so their prefix must be empty. `release:
 * 'legacy'` (aws_s3, backblaze_b2) behaves as the integration's first release.
 */
export interface HaS3Config {
  endpoint: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  secret_access_key: string;
  region?: string;
  release?: 'current' | 'legacy';
}
export interface HaWebdavConfig {
  url: string;
  /** The backup folder under the URL ("/" by default in Home Assistant). */
  path: string;
  username: string;
  password: string;
}
export interface HaSftpConfig {
  host: string;
  port: number;
  username: string;
  private_key_file: string;
  /** Absolute, as Home Assistant requires. */
  path: string;
  password?: string;
}
export interface HaShareConfig {
  path: string;
}
export type HaStorageConfig<K extends HaStorageKind> = K extends 'webdav'
  ? HaWebdavConfig
  : K extends 'sftp_storage'
    ? HaSftpConfig
    : K extends 'share'
      ? HaShareConfig
      : HaS3Config;

const HaListedBackup = z.object({
  backup_id: z.string(),
  name: z.string(),
  date: z.string(),
  size: z.number().int(),
  protected: z.boolean(),
  database_included: z.boolean(),
  homeassistant_included: z.boolean(),
  homeassistant_version: z.string().nullable(),
  folders: z.array(z.string()),
  addons: z.array(z.object({ name: z.string(), slug: z.string(), version: z.string() })),
  extra_metadata: z.record(z.string(), z.union([z.string(), z.boolean()])),
  /** The record Home Assistant parsed (null for a share, where the record is inside the archive). */
  record: z.string().nullable(),
  /** Where Home Assistant looks for the archive (object key or path), null when it cannot tell. */
  tar: z.string().nullable(),
  tar_size: z.number().int().nullable(),
  /** The slug in the archive's own backup.json. */
  tar_backup_id: z.string().nullable(),
});

const HaListingError = z.object({
  file: z.string().nullable(),
  backup_id: z.string().nullable(),
  /**
   * fails_listing: the integration raises, Home Assistant shows no backup of the location;
   * skipped: Home Assistant ignores the record; listed: Home Assistant lists the backup but
   * something about it is wrong (no archive where it looks, another id inside, odd field types).
   */
  effect: z.enum(['fails_listing', 'skipped', 'listed']),
  message: z.string(),
});

const HaListing = z.object({
  /** Every record the integration parsed, even when the listing as a whole fails. */
  backups: z.array(HaListedBackup),
  listing_failed: z.boolean(),
  errors: z.array(HaListingError),
});

const HaWritten = z.object({ written: z.array(z.string()) });

export type HaListedBackup = z.infer<typeof HaListedBackup>;
export type HaListingError = z.infer<typeof HaListingError>;
export type HaListing = z.infer<typeof HaListing>;

async function runScript(command: 'list' | 'write', kind: HaStorageKind, config: object, extra: string[]): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-ha-storage-'));
  const file = join(dir, 'config.json');
  try {
    await writeFile(file, JSON.stringify(config), { mode: 0o600 });
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(PYTHON, [SCRIPT, command, kind, file, ...extra], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
      );
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout);
    } catch {
      throw new Error(`ha_storage.py ${command} ${kind} exited with ${code} and no JSON: ${stderr || stdout}`);
    }
    if (code !== 0) {
      const message = (parsed as { error?: unknown }).error;
      throw new Error(`ha_storage.py ${command} ${kind}: ${typeof message === 'string' ? message : stdout}${stderr ? `\n${stderr}` : ''}`);
    }
    return parsed;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The backups of a location as Home Assistant's `kind` integration lists them, each archive loaded. */
export async function haList<K extends HaStorageKind>(kind: K, config: HaStorageConfig<K>): Promise<HaListing> {
  return HaListing.parse(await runScript('list', kind, config, []));
}

/** Stores a Home Assistant backup file as the `kind` integration does; returns the objects or files written. */
export async function haWrite<K extends HaStorageKind>(kind: K, config: HaStorageConfig<K>, tarPath: string): Promise<string[]> {
  return HaWritten.parse(await runScript('write', kind, config, [tarPath])).written;
}
