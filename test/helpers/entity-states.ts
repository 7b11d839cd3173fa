// What every API that lists the Backup entities must return: the five entities, each a Home
// Assistant state object with exactly the keys Home Assistant sends.

import { expect } from 'vitest';

export const BACKUP_ENTITY_IDS = [
  'event.backup_automatic_backup',
  'sensor.backup_backup_manager_state',
  'sensor.backup_last_attempted_automatic_backup',
  'sensor.backup_last_successful_automatic_backup',
  'sensor.backup_next_scheduled_automatic_backup',
];

/** Expects the five Backup entities, each in the shape of a Home Assistant state object. */
export function expectBackupEntityStates(states: { entity_id: string }[]): void {
  expect(states.map((s) => s.entity_id).sort()).toEqual(BACKUP_ENTITY_IDS);
  for (const s of states) {
    expect(s).toEqual({
      entity_id: expect.any(String),
      state: expect.any(String),
      attributes: expect.objectContaining({ friendly_name: expect.any(String) }),
      last_changed: expect.any(String),
      last_updated: expect.any(String),
      context: { id: expect.any(String), parent_id: null, user_id: null },
    });
  }
}
