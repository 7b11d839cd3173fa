// The Backup integration's entities as Home Assistant defines them: entity ids, unique ids, names,
// device classes and options (§10 of the behaviour reference), and the two buttons Lifeboat adds
// for the backup.create / backup.create_automatic services. Shared by the state tracker, the REST
// states API and MQTT discovery.

import { MANAGER_STATES } from '../manager/events.js';

export const DEVICE_NAME = 'Backup';

export const ENTITY = {
  managerState: 'sensor.backup_backup_manager_state',
  nextScheduled: 'sensor.backup_next_scheduled_automatic_backup',
  lastSuccessful: 'sensor.backup_last_successful_automatic_backup',
  lastAttempted: 'sensor.backup_last_attempted_automatic_backup',
  automaticBackupEvent: 'event.backup_automatic_backup',
} as const;
export type EntityId = (typeof ENTITY)[keyof typeof ENTITY];

export interface EntityDefinition {
  entityId: EntityId;
  uniqueId: string;
  /** Entity name; the friendly name is "<device> <name>". */
  name: string;
  platform: 'sensor' | 'event';
  deviceClass: 'enum' | 'timestamp' | null;
  options?: readonly string[];
  eventTypes?: readonly string[];
  icon?: string;
}

export const EVENT_TYPES = ['completed', 'failed', 'in_progress'] as const;

export const ENTITY_DEFINITIONS: readonly EntityDefinition[] = [
  {
    entityId: ENTITY.managerState,
    uniqueId: 'backup_manager_state',
    name: 'Backup Manager state',
    platform: 'sensor',
    deviceClass: 'enum',
    options: MANAGER_STATES,
    icon: 'mdi:backup-restore',
  },
  { entityId: ENTITY.nextScheduled, uniqueId: 'next_scheduled_automatic_backup', name: 'Next scheduled automatic backup', platform: 'sensor', deviceClass: 'timestamp' },
  { entityId: ENTITY.lastSuccessful, uniqueId: 'last_successful_automatic_backup', name: 'Last successful automatic backup', platform: 'sensor', deviceClass: 'timestamp' },
  { entityId: ENTITY.lastAttempted, uniqueId: 'last_attempted_automatic_backup', name: 'Last attempted automatic backup', platform: 'sensor', deviceClass: 'timestamp' },
  {
    entityId: ENTITY.automaticBackupEvent,
    uniqueId: 'automatic_backup_event',
    name: 'Automatic backup',
    platform: 'event',
    deviceClass: null,
    eventTypes: EVENT_TYPES,
  },
];

export function friendlyName(def: EntityDefinition): string {
  return `${DEVICE_NAME} ${def.name}`;
}

/** Buttons published over MQTT; Home Assistant offers these two actions as services. */
export interface ButtonDefinition {
  /** The entity id Home Assistant gives it, following its naming of the Backup device's entities. */
  entityId: `button.${string}`;
  uniqueId: string;
  name: string;
  service: 'backup.create' | 'backup.create_automatic';
  icon: string;
}

export const BUTTON_DEFINITIONS: readonly ButtonDefinition[] = [
  { entityId: 'button.backup_create_backup', uniqueId: 'create_backup', name: 'Create backup', service: 'backup.create', icon: 'mdi:content-save' },
  {
    entityId: 'button.backup_create_automatic_backup',
    uniqueId: 'create_automatic_backup',
    name: 'Create automatic backup',
    service: 'backup.create_automatic',
    icon: 'mdi:calendar-sync',
  },
];
