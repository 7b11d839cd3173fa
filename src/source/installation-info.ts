// Facts about an installation folder: the Home Assistant version (from `.HA_VERSION`) and the
// instance id (from `.storage/core.uuid`), which go into backup.json, and the installation's own
// settings (`.storage/core.config`: its name, location, units, time zone), which the API reports.

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Written as `homeassistant.version` when the folder has no `.HA_VERSION`. Home Assistant refuses
 * to restore a backup that claims a newer version than itself, so the fallback is deliberately old:
 * the first release of the backup format Lifeboat writes.
 */
export const FALLBACK_HA_VERSION = '2025.1.0';

const VERSION_RE = /^\d{4}\.\d{1,2}\.\d+(?:[a-z0-9.]*)?$/i;

export async function readHaVersion(installation: string): Promise<string | null> {
  try {
    const text = (await readFile(join(installation, '.HA_VERSION'), 'utf8')).trim();
    return VERSION_RE.test(text) ? text : null;
  } catch {
    return null;
  }
}

/** The instance id Home Assistant stores in `.storage/core.uuid` (32 lowercase hex digits). */
export async function readInstanceId(installation: string): Promise<string | null> {
  try {
    const doc = JSON.parse(await readFile(join(installation, '.storage', 'core.uuid'), 'utf8')) as {
      data?: { uuid?: unknown };
    };
    const uuid = doc.data?.uuid;
    return typeof uuid === 'string' && /^[0-9a-f]{32}$/.test(uuid) ? uuid : null;
  } catch {
    return null;
  }
}

export function newInstanceId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A field of core.config that is missing or of another type reads as absent. */
const field = <T extends z.ZodType>(type: T) => type.optional().catch(undefined);

const CoreConfigSchema = z.object({
  data: z.object({
    latitude: field(z.number()),
    longitude: field(z.number()),
    elevation: field(z.number()),
    radius: field(z.number()),
    /** `metric` or `us_customary`. */
    unit_system_v2: field(z.string()),
    location_name: field(z.string()),
    time_zone: field(z.string()),
    external_url: field(z.string().nullable()),
    internal_url: field(z.string().nullable()),
    currency: field(z.string()),
    country: field(z.string().nullable()),
    language: field(z.string()),
  }),
});

/** The installation's own settings as Home Assistant stores them; each field only when it is there. */
export type CoreConfig = z.infer<typeof CoreConfigSchema>['data'];

/** `.storage/core.config` of the installation, or null when it is missing or not such a document. */
export async function readCoreConfig(installation: string): Promise<CoreConfig | null> {
  try {
    const parsed = CoreConfigSchema.safeParse(JSON.parse(await readFile(join(installation, '.storage', 'core.config'), 'utf8')));
    return parsed.success ? parsed.data.data : null;
  } catch {
    return null;
  }
}
