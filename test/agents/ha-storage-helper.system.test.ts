// The helper that plays Home Assistant's storage integrations (test/helpers/ha_storage.py through
// haList/haWrite) is itself right, against the real servers the location tests use: it stores a
// real Home Assistant backup where and as each integration does, finds it again with its archive,
// and it catches the problem Lifeboat must never cause: a record in Lifeboat's old layout
// (`<id>.metadata.json` holding {"format": 1, ...}) fails the whole listing of the integrations
// that raise on one unparsable record, and is skipped by those that skip it. Other tests rely on
// this helper to prove what Home Assistant sees of Lifeboat's locations, and back.

import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { haList, haWrite, type HaStorageConfig, type HaStorageKind } from '../helpers/ha-storage.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { SkipReason } from '../servers/sshd.js';
import { startTarget, type Kind, type Target } from './location-targets.js';

/** A real Home Assistant backup from the shared fixtures, with what its backup.json says. */
interface HaBackupFile {
  file: string;
  id: string;
  name: string;
  date: string;
  /** Home Assistant's suggested file name without ".tar", worked out by hand. */
  stem: string;
  protected: boolean;
  folders: string[];
  addons: { name: string; slug: string; version: string }[];
  homeassistant_version: string | null;
  database_included: boolean;
}

const core = (file: string, isProtected: boolean): HaBackupFile => ({
  file,
  id: 'd76bc010',
  name: 'Core 2026.9.0',
  date: '2026-01-01T00:00:00.000000+00:00',
  stem: 'Core_2026.9.0_2026-01-01_00.00_00000000',
  protected: isProtected,
  folders: [],
  addons: [],
  homeassistant_version: '2026.9.0',
  database_included: true,
});
const EXAMPLE_ADDON = { name: 'Example', slug: 'a0d7b954_example', version: '9.0.1' };
const SUPERVISOR_ADDON: HaBackupFile = {
  file: 'supervisor/backup_example.tar',
  id: '7fed74c8',
  name: 'Example',
  date: '2024-11-21T17:58:38.135597+00:00',
  stem: 'Example_2024-11-21_17.58_38135597',
  protected: false,
  folders: [],
  addons: [EXAMPLE_ADDON],
  homeassistant_version: null,
  database_included: false,
};
const SUPERVISOR_SSL: HaBackupFile = {
  file: 'supervisor/backup_example_enc.tar',
  id: '93b462f8',
  name: 'Encrypt test',
  date: '2025-02-03T18:48:28.273501+00:00',
  stem: 'Encrypt_test_2025-02-03_18.48_28273501',
  protected: true,
  folders: ['ssl'],
  addons: [],
  homeassistant_version: null,
  database_included: false,
};
/** The backup Lifeboat's old layout holds in each test: `f92f0339.tar` and `f92f0339.metadata.json`. */
const OLD_LAYOUT_FILE = 'supervisor/backup_example_sec_v3.tar';
const OLD_LAYOUT_ID = 'f92f0339';

/** Keys of AgentBackup.as_dict(), in its order. */
const AS_DICT_KEYS = ['addons', 'backup_id', 'date', 'database_included', 'extra_metadata', 'folders', 'homeassistant_included', 'homeassistant_version', 'name', 'protected', 'size'];

/** A location as Home Assistant is configured for it, and raw access to its files beside the helper. */
interface Location<K extends HaStorageKind> {
  config: HaStorageConfig<K>;
  /** What the integration names the object or file `name` of its folder. */
  where(name: string): string;
  put(name: string, body: Buffer): Promise<void>;
  get(name: string): Promise<Buffer>;
}

function s3Location(target: Target, prefix: string, release?: 'legacy'): Location<'aws_s3'> {
  const settings = target.spec.settings as { endpoint: string; bucket: string };
  const credentials = { accessKeyId: target.secrets.access_key_id as string, secretAccessKey: target.secrets.secret_access_key as string };
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const key = (name: string) => `${prefix}${name}`;
  return {
    config: {
      endpoint: settings.endpoint,
      bucket: settings.bucket,
      prefix,
      access_key_id: credentials.accessKeyId,
      secret_access_key: credentials.secretAccessKey,
      ...(release ? { release } : {}),
    },
    where: key,
    put: async (name, body) => {
      await client.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key(name), Body: body }));
    },
    get: async (name) => {
      const res = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key(name) }));
      return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
  };
}

/** Files of a location that are on this machine (SFTP, WebDAV and share servers here). */
function diskAccess(dir: string) {
  return {
    put: async (name: string, body: Buffer) => {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), body, { mode: 0o644 });
    },
    get: (name: string) => readFile(join(dir, name)),
  };
}

interface Case {
  label: string;
  kind: HaStorageKind;
  server: Kind;
  backup: HaBackupFile;
  location(target: Target): Promise<Location<HaStorageKind>>;
  /** The record's name for a backup, within the location's folder. */
  record(b: HaBackupFile): string;
  /** The top-level keys of the record the integration writes. */
  recordKeys: string[];
  /** Whether one record in Lifeboat's old layout fails the integration's whole listing. */
  oldLayoutFailsListing: boolean;
}

const s3Case = (label: string, kind: 'aws_s3' | 'cloudflare_r2' | 'idrive_e2', backup: HaBackupFile, prefixed: boolean, fails: boolean, release?: 'legacy'): Case => ({
  label,
  kind,
  server: 's3',
  backup,
  // aws_s3 and cloudflare_r2 put "<prefix>/"; the first aws_s3 release and idrive_e2 have no prefix.
  location: async (target) => s3Location(target, prefixed ? (target.spec.settings as { prefix: string }).prefix : '', release),
  record: (b) => `${b.stem}.metadata.json`,
  recordKeys: AS_DICT_KEYS,
  oldLayoutFailsListing: fails,
});

const b2Case = (label: string, backup: HaBackupFile, fails: boolean, release?: 'legacy'): Case => ({
  label,
  kind: 'backblaze_b2',
  server: 's3',
  backup,
  location: async (target) => s3Location(target, (target.spec.settings as { prefix: string }).prefix, release),
  record: (b) => `${b.stem}.metadata.json`,
  recordKeys: ['metadata_version', 'backup_id', 'backup_metadata'],
  oldLayoutFailsListing: fails,
});

const CASES: Case[] = [
  // aws_s3/helpers.py skips a record AgentBackup.from_dict refuses.
  s3Case('aws_s3', 'aws_s3', core('reference-made/backup_core_plain.tar', false), true, false),
  // aws_s3/backup.py before helpers.py called from_dict unguarded.
  s3Case('aws_s3 (first release)', 'aws_s3', core('reference-made/backup_core_v2_hunter2.tar', true), false, true, 'legacy'),
  s3Case('cloudflare_r2', 'cloudflare_r2', SUPERVISOR_ADDON, true, true),
  s3Case('idrive_e2', 'idrive_e2', SUPERVISOR_SSL, false, true),
  // backblaze_b2 skips a record without its three wrapper keys; its first release did not.
  b2Case('backblaze_b2', core('reference-made/backup_core_v3_hunter2.tar', true), false),
  b2Case('backblaze_b2 (first release)', core('reference-made/backup_core_plain.tar', false), true, 'legacy'),
  {
    label: 'webdav',
    kind: 'webdav',
    server: 'webdav',
    backup: SUPERVISOR_SSL,
    location: async (target) => {
      const s = target.spec.settings as { url: string; path: string; username: string };
      const config = { url: s.url, path: s.path, username: s.username, password: target.secrets.password as string };
      return { config, where: (name: string) => `${s.path}/${name}`, ...diskAccess(target.diskDir as string) };
    },
    record: (b) => `${b.stem}.metadata.json`,
    recordKeys: AS_DICT_KEYS,
    oldLayoutFailsListing: true,
  },
  {
    label: 'sftp_storage',
    kind: 'sftp_storage',
    server: 'sftp',
    backup: core('reference-made/backup_core_v3_hunter2.tar', true),
    location: async (target) => {
      const s = target.spec.settings as { host: string; port: number; username: string };
      const keyFile = join(await tmpDir(), 'id_ed25519');
      await writeFile(keyFile, target.secrets.private_key as string);
      await chmod(keyFile, 0o600);
      // Home Assistant wants an absolute folder: the server's folder under the user's home.
      const path = target.diskDir as string;
      const config = { host: s.host, port: s.port, username: s.username, private_key_file: keyFile, path };
      return { config, where: (name: string) => `${path}/${name}`, ...diskAccess(path) };
    },
    // A hidden record named by the backup id, holding the archive's path.
    record: (b) => `.${b.id}.metadata.json`,
    recordKeys: ['file_path', 'metadata'],
    oldLayoutFailsListing: false,
  },
];

async function oldLayoutRecord(): Promise<Buffer> {
  const size = (await stat(fixture(OLD_LAYOUT_FILE))).size;
  const backup = {
    addons: [EXAMPLE_ADDON],
    backup_id: OLD_LAYOUT_ID,
    date: '2026-02-24T10:16:26.994906+00:00',
    database_included: false,
    extra_metadata: {},
    folders: [],
    homeassistant_included: false,
    homeassistant_version: null,
    name: 'backup_example_sec_v3',
    protected: true,
    size,
  };
  return Buffer.from(`${JSON.stringify({ format: 1, backup, sha256: null }, null, 2)}\n`, 'utf8');
}

describe.each(CASES)('$label, as Home Assistant', (c) => {
  let target: Target | null = null;
  let location: Location<HaStorageKind>;
  let skip: string | null = null;
  beforeAll(async () => {
    try {
      target = await startTarget(c.server);
      location = await c.location(target);
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      skip = err.message;
    }
  });
  afterAll(async () => {
    await target?.stop();
  });

  const live = (name: string, fn: () => Promise<void>) =>
    it(name, async (ctx) => {
      if (skip) {
        process.stderr.write(`skipped (${c.label}): ${skip}\n`);
        ctx.skip();
      }
      await fn();
    });

  live('stores a real backup where and as the integration does, and lists it with its archive', async () => {
    const b = c.backup;
    const size = (await stat(fixture(b.file))).size;
    expect(await haWrite(c.kind, location.config, fixture(b.file))).toEqual([location.where(`${b.stem}.tar`), location.where(c.record(b))]);

    const record = JSON.parse((await location.get(c.record(b))).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(c.recordKeys);
    expect((await location.get(`${b.stem}.tar`)).equals(await readFile(fixture(b.file)))).toBe(true);

    const listing = await haList(c.kind, location.config);
    expect(listing.errors).toEqual([]);
    expect(listing.listing_failed).toBe(false);
    expect(listing.backups).toEqual([
      expect.objectContaining({
        backup_id: b.id,
        name: b.name,
        date: b.date,
        size,
        protected: b.protected,
        folders: b.folders,
        addons: b.addons,
        homeassistant_version: b.homeassistant_version,
        database_included: b.database_included,
        tar: location.where(`${b.stem}.tar`),
        tar_size: size,
        tar_backup_id: b.id,
      }),
    ]);
  });

  const effect = c.oldLayoutFailsListing ? 'fails the whole listing' : 'is skipped, the rest listed';
  live(`a record in Lifeboat's old layout beside it ${effect}`, async () => {
    await location.put(`${OLD_LAYOUT_ID}.tar`, await readFile(fixture(OLD_LAYOUT_FILE)));
    await location.put(`${OLD_LAYOUT_ID}.metadata.json`, await oldLayoutRecord());

    const listing = await haList(c.kind, location.config);
    expect(listing.listing_failed).toBe(c.oldLayoutFailsListing);
    expect(listing.errors).toEqual([
      expect.objectContaining({ file: location.where(`${OLD_LAYOUT_ID}.metadata.json`), effect: c.oldLayoutFailsListing ? 'fails_listing' : 'skipped' }),
    ]);
    expect(listing.backups.map((b) => [b.backup_id, b.tar_backup_id])).toEqual([[c.backup.id, c.backup.id]]);
  });
});

describe('share (Supervisor network storage), as Supervisor', () => {
  let target: Target;
  let dir: string;
  beforeAll(async () => {
    target = await startTarget('folder');
    dir = target.diskDir as string;
  });
  afterAll(async () => {
    await target.stop();
  });

  it('stores a real backup as Home Assistant names it, and lists it by the backup.json inside', async () => {
    const b = SUPERVISOR_ADDON;
    const size = (await stat(fixture(b.file))).size;
    expect(await haWrite('share', { path: dir }, fixture(b.file))).toEqual([`${b.stem}.tar`]);
    expect((await readFile(join(dir, `${b.stem}.tar`))).equals(await readFile(fixture(b.file)))).toBe(true);

    const listing = await haList('share', { path: dir });
    expect(listing).toMatchObject({ listing_failed: false, errors: [] });
    expect(listing.backups).toEqual([
      expect.objectContaining({ backup_id: b.id, name: b.name, date: b.date, size, protected: false, addons: b.addons, record: null, tar: `${b.stem}.tar`, tar_size: size, tar_backup_id: b.id }),
    ]);
  });

  it("lists a backup in Lifeboat's old layout by its archive and ignores its record", async () => {
    const files = diskAccess(dir);
    await files.put(`${OLD_LAYOUT_ID}.tar`, await readFile(fixture(OLD_LAYOUT_FILE)));
    await files.put(`${OLD_LAYOUT_ID}.metadata.json`, await oldLayoutRecord());

    const listing = await haList('share', { path: dir });
    expect(listing).toMatchObject({ listing_failed: false, errors: [] });
    expect(listing.backups.map((b) => [b.tar, b.backup_id])).toEqual([
      [`${SUPERVISOR_ADDON.stem}.tar`, SUPERVISOR_ADDON.id],
      [`${OLD_LAYOUT_ID}.tar`, OLD_LAYOUT_ID],
    ]);
  });

  it('skips an archive without a top-level ./backup.json, as Supervisor does', async () => {
    const files = diskAccess(dir);
    await files.put('third-party.tar', await readFile(fixture('third-party/test_unprotected.tar')));
    const listing = await haList('share', { path: dir });
    expect(listing.listing_failed).toBe(false);
    expect(listing.errors).toEqual([expect.objectContaining({ file: 'third-party.tar', effect: 'skipped' })]);
    expect(listing.backups.map((b) => b.backup_id)).toEqual([SUPERVISOR_ADDON.id, OLD_LAYOUT_ID]);
  });
});

describe('a backup Home Assistant lists, checked against its archive', () => {
  let target: Target;
  let location: Location<'aws_s3'>;
  beforeAll(async () => {
    target = await startTarget('s3');
    location = s3Location(target, (target.spec.settings as { prefix: string }).prefix);
  });
  afterAll(async () => {
    await target.stop();
  });

  it('is reported when its archive is missing, or holds another backup', async () => {
    const b = core('reference-made/backup_core_plain.tar', false);
    await haWrite('aws_s3', location.config, fixture(b.file));
    // Another backup's archive where Home Assistant looks for this one.
    await location.put(`${b.stem}.tar`, await readFile(fixture(OLD_LAYOUT_FILE)));
    let listing = await haList('aws_s3', location.config);
    expect(listing.listing_failed).toBe(false);
    expect(listing.errors).toEqual([expect.objectContaining({ file: location.where(`${b.stem}.tar`), backup_id: b.id, effect: 'listed', message: expect.stringContaining(OLD_LAYOUT_ID) })]);

    // A record whose archive is not there at all.
    const record = JSON.parse((await location.get(`${b.stem}.metadata.json`)).toString('utf8')) as Record<string, unknown>;
    await location.put('Gone_2026-01-01_00.00_00000000.metadata.json', Buffer.from(JSON.stringify({ ...record, backup_id: 'aa0000aa', name: 'Gone' })));
    listing = await haList('aws_s3', location.config);
    expect(listing.backups.map((x) => x.backup_id)).toEqual([b.id, 'aa0000aa']);
    expect(listing.errors).toContainEqual(expect.objectContaining({ backup_id: 'aa0000aa', effect: 'listed', message: expect.stringContaining('missing') }));
  });
});
