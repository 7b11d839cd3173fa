// What `lifeboat serve` answers to Home Assistant's `get_config`, `get_services` and
// `auth/current_user`, in the shapes Home Assistant's clients expect: the installation's own
// settings where it has them (name, location, units, time zone, language), Home Assistant's
// defaults where it has none; the components and services Lifeboat speaks for; the token as the user.

import type { CoreConfig, TokenInfo } from '../core/types.js';
import { BACKUP_SERVICE_NAMES } from './backup-services.js';

/** Home Assistant's unit systems, as `get_config` lists their units. */
const UNIT_SYSTEMS = {
  metric: { length: 'km', accumulated_precipitation: 'mm', area: 'm²', mass: 'g', pressure: 'Pa', temperature: '°C', volume: 'L', wind_speed: 'm/s' },
  us_customary: { length: 'mi', accumulated_precipitation: 'in', area: 'ft²', mass: 'lb', pressure: 'psi', temperature: '°F', volume: 'gal', wind_speed: 'mph' },
};

/** The parts of Home Assistant that Lifeboat's API stands in for (integrations and their platforms). */
const COMPONENTS = ['api', 'auth', 'backup', 'backup.event', 'backup.sensor', 'event', 'onboarding', 'sensor', 'websocket_api'];

export interface ConfigFacts {
  /** The installation's `.storage/core.config`, or null. */
  installation: CoreConfig | null;
  /** The installation folder. */
  configDir: string;
  /** Lifeboat's time zone, for an installation that names none. */
  timeZone: string;
  /** The Home Assistant release whose API this server speaks. */
  version: string;
}

/** Home Assistant's `get_config` dictionary. */
export function haConfig(facts: ConfigFacts): Record<string, unknown> {
  const own = facts.installation ?? {};
  const units = own.unit_system_v2 === 'us_customary' ? 'us_customary' : 'metric';
  return {
    allowlist_external_dirs: [],
    allowlist_external_urls: [],
    components: COMPONENTS,
    config_dir: facts.configDir,
    config_source: facts.installation ? 'storage' : 'default',
    country: own.country ?? null,
    currency: own.currency ?? 'EUR',
    debug: false,
    elevation: own.elevation ?? 0,
    external_url: own.external_url ?? null,
    internal_url: own.internal_url ?? null,
    language: own.language ?? 'en',
    latitude: own.latitude ?? 0,
    location_name: own.location_name ?? 'Home',
    longitude: own.longitude ?? 0,
    radius: own.radius ?? 100,
    recovery_mode: false,
    safe_mode: false,
    state: 'RUNNING',
    time_zone: own.time_zone ?? facts.timeZone,
    unit_system: UNIT_SYSTEMS[units],
    version: facts.version,
    whitelist_external_dirs: [],
  };
}

const SERVICE_DESCRIPTIONS: Record<string, { name: string; description: string }> = {
  create: { name: 'Create backup', description: 'Creates a backup of Home Assistant in the local backup folder, with the database and without a password.' },
  create_automatic: { name: 'Create automatic backup', description: 'Creates a backup with the settings of automatic backups.' },
};

/** Home Assistant's `get_services`: the services of the backup integration, which Lifeboat runs. */
export function haServices(): Record<string, Record<string, unknown>> {
  return { backup: Object.fromEntries(BACKUP_SERVICE_NAMES.map((name) => [name, { ...SERVICE_DESCRIPTIONS[name], fields: {} }])) };
}

/** Home Assistant's `auth/current_user` for the token a connection signed in with. */
export function haCurrentUser(token: TokenInfo): Record<string, unknown> {
  return { id: token.id, name: token.name, is_owner: false, is_admin: token.scope === 'admin', credentials: [], mfa_modules: [] };
}
