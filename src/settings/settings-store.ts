// The settings file (`<data>/settings.json`): a versioned document in Home Assistant's store shape
// ({version, minor_version, key, data}), migrated forward when read, validated with zod, and
// written atomically. It holds no secrets, so it may travel inside backups.

import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { BackupConfigSchema, defaultConfig, type BackupConfig } from './schemas.js';

export const SETTINGS_KEY = 'lifeboat.settings';
export const SETTINGS_VERSION = 1;
export const SETTINGS_MINOR_VERSION = 7;

const DocumentSchema = z.object({
  version: z.number().int(),
  minor_version: z.number().int(),
  key: z.literal(SETTINGS_KEY),
  data: z.record(z.string(), z.unknown()),
});

type Migration = { to: number; migrate: (data: Record<string, unknown>) => Record<string, unknown> };

/** Minor-version migrations, applied in order to older documents. */
const MIGRATIONS: Migration[] = [
  {
    // 1.2 added cron schedules, generational retention and notification settings.
    to: 2,
    migrate: (d) => {
      const defaults = defaultConfig();
      const schedule = { ...defaults.schedule, ...(d.schedule as object | undefined) };
      return {
        ...d,
        schedule,
        generational: d.generational ?? null,
        notifications: { ...defaults.notifications, ...(d.notifications as object | undefined) },
      };
    },
  },
  {
    // 1.3 added publishing to Home Assistant over MQTT (off until configured).
    to: 3,
    migrate: (d) => {
      const defaults = defaultConfig().mqtt;
      const stored = (d.mqtt ?? {}) as Partial<typeof defaults>;
      return { ...d, mqtt: { ...defaults, ...stored, tls: { ...defaults.tls, ...stored.tls } } };
    },
  },
  {
    // 1.4 added backup locations beyond the local folder.
    to: 4,
    migrate: (d) => ({ ...d, locations: Array.isArray(d.locations) ? d.locations : [] }),
  },
  {
    // 1.5 added the names `serve` answers to besides loopback and its listen address.
    to: 5,
    migrate: (d) => ({ ...d, allowed_hosts: Array.isArray(d.allowed_hosts) ? d.allowed_hosts : [] }),
  },
  {
    // 1.6 added the id of the last completed automatic backup (not known for earlier ones).
    to: 6,
    migrate: (d) => ({ ...d, last_completed_automatic_backup_id: null }),
  },
  {
    // 1.7 added the recorder database in a server (followed from Home Assistant's configuration).
    to: 7,
    migrate: (d) => ({ ...d, recorder_database: 'auto' }),
  },
];

/** Brings stored data up to the current minor version and fills defaults. */
export function migrateSettings(version: number, minor: number, data: Record<string, unknown>): BackupConfig {
  if (version > SETTINGS_VERSION) {
    throw new Error(`The settings were written by a newer Lifeboat (version ${version}); refusing to downgrade them`);
  }
  let d = data;
  for (const m of MIGRATIONS) if (minor < m.to) d = m.migrate(d);
  return BackupConfigSchema.parse({ ...defaultConfig(), ...d });
}

export function settingsDocument(config: BackupConfig): object {
  return { version: SETTINGS_VERSION, minor_version: SETTINGS_MINOR_VERSION, key: SETTINGS_KEY, data: config };
}

export async function loadSettings(path: string): Promise<BackupConfig> {
  const doc = await readJson(path, DocumentSchema);
  if (!doc) return defaultConfig();
  return migrateSettings(doc.version, doc.minor_version, doc.data);
}

export async function saveSettings(path: string, config: BackupConfig): Promise<void> {
  await writeJsonAtomic(path, settingsDocument(BackupConfigSchema.parse(config)));
}
