// Facts about an installation folder that go into backup.json: the Home Assistant version (from
// `.HA_VERSION`) and the instance id (from `.storage/core.uuid`).

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
